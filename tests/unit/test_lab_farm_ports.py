"""A test farm's sites get distinct ports (issue 25 item 2: two sites picked the same free port, nginx
served both on it, and a 20-endpoint scan planned 19 probes).

Given many sites, when the farm picks their ports, then no two sites without ``same_port_as`` share one.
Only sockets are bound (and released); no server starts.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from secaudit.lab.servers import Site, assign_ports

HOSTS = ("127.25.0.71", "127.25.0.72")


def sites(n: int) -> list[Site]:
    return [Site(f"s{i}", Path("c.pem"), Path("k.pem"), host=HOSTS[i % 2]) for i in range(n)]


def test_four_hundred_sites_get_four_hundred_ports():
    # picked one by one, 400 ports repeat with a probability above 99% (birthday bound over ~14,000 ports)
    farm = sites(400)
    assign_ports(farm)
    for host in HOSTS:
        ports = Counter(s.port for s in farm if s.host == host)
        assert all(p > 0 for p in ports) and max(ports.values()) == 1, ports.most_common(3)


def test_fixed_ports_are_kept_and_partners_share_theirs():
    farm = sites(6)
    farm[0].port = 1                    # a fixed port is not ours to change
    farm[5].same_port_as = "s3"
    assign_ports(farm, keep={"s0"})
    assert farm[0].port == 1
    assert farm[5].port == farm[3].port > 0
    assert len({s.port for s in farm[:5]}) == 5
