"""A test farm's sites get distinct ports (issue 25 item 2: two sites picked the same free port, nginx
served both on it, and a 20-endpoint scan planned 19 probes).

Given many sites, when the farm picks their ports, then no two sites without ``same_port_as`` share one.
Only sockets are bound (and released); no server starts. A listener is told from another process's.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections import Counter
from pathlib import Path

from secaudit.lab.servers import Site, assign_ports, listener_owned_by

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


def test_a_listener_is_told_from_another_process_s():
    # a server's port taken by another process meanwhile: connecting answers all the same, /proc tells whose
    with socket.socket() as s:
        s.bind((HOSTS[0], 0))
        s.listen(1)
        port = s.getsockname()[1]
        other = subprocess.Popen(["sleep", "30"])          # holds no descriptor of ours (close_fds)
        try:
            assert listener_owned_by(os.getpid(), HOSTS[0], port)
            assert not listener_owned_by(other.pid, HOSTS[0], port)
            assert not listener_owned_by(os.getpid(), HOSTS[1], port)   # same port, another address
        finally:
            other.kill()
            other.wait(timeout=10)
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        s.listen(1)
        assert listener_owned_by(os.getpid(), "::1", s.getsockname()[1])
