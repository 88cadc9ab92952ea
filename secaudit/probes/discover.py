"""Discovery of live hosts and open ports inside the declared networks (nmap, unprivileged).

Two nmap runs per network: host discovery (``-sn`` with TCP connect pings: a refused connection
proves a host as well as an accepted one), then a TCP connect scan of the top ports on the hosts
that answered. The scope guard comes first and is pure (:mod:`secaudit.probes.discover_scope`, which
also makes the zones the family's subjects): only networks declared in the inventory's zones (or a
subnet of one) are swept, a network with more addresses than the limit needs an explicit flag, and
every address nmap reports is checked against the declared networks before it is scanned or reported.
Nothing outside is ever handed to nmap.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from secaudit.model import (
    Control, Endpoint, Inventory, LocalText, Message, Observation, ObservationStatus, Probe, System,
)
from secaudit.observations.discover import DiscoveryFacts, LiveHost
from secaudit.probes.interface import NETWORK, BaseFamily, FamilyOption, RunnerContext, Subject, Target
from secaudit.probes.ports import (
    compress_ports, find_nmap, nmap_detail, nmap_output, nmap_top_ports, parse_xml, subprocess_runner,
)
from secaudit.probes.discover_scope import (
    DEFAULT_MAX_PREFIX, DEFAULT_TOP_PORTS, KIND, guard_networks, parse_network, zone_subjects,
)
from secaudit.targets import Scope, parse_scope
import subprocess

DEFAULT_SWEEP_TIMEOUT = 600.0            # seconds for one network
PING_PORTS = "22,80,443,445,3389"


class SweepFailed(RuntimeError):
    """A sweep that could not finish; its reason is a catalog message (the English text is the exception's)."""

    def __init__(self, key: str, **args: Any) -> None:
        self.reason = Message(key, args)
        super().__init__(self.reason.render("en"))


@dataclass(frozen=True)
class Sweep:
    """How to sweep: what ``params`` of a discover probe hold."""

    network: str
    ports: tuple[int, ...]

    def to_params(self) -> dict:
        return {"network": self.network, "ports": list(self.ports)}


def discovery_argv(nmap: str, network: str, host_timeout_s: int) -> list[str]:
    net = parse_network(network)
    argv = [nmap, "-oX", "-", "--unprivileged", "-sn", "-n", f"-PS{PING_PORTS}", "--max-retries", "1",
            "--host-timeout", f"{host_timeout_s}s"]
    return argv + (["-6"] if net.version == 6 else []) + ["--", str(net)]


def ports_argv(nmap: str, hosts: Sequence[str], ports: Sequence[int], host_timeout_s: int, ipv6: bool) -> list[str]:
    argv = [nmap, "-oX", "-", "--unprivileged", "-sT", "-Pn", "-n", "--max-retries", "1",
            "--host-timeout", f"{host_timeout_s}s", "-p", compress_ports(ports)]
    return argv + (["-6"] if ipv6 else []) + ["--", *hosts]


def live_hosts(xml: str, scope: Scope) -> tuple[str, list[tuple[str, str]]]:
    """(nmap version, [(address, reason)]) of the hosts nmap found up, only those inside ``scope``."""
    root = ET.fromstring(xml)
    out = []
    for h in root.findall("host"):
        status = h.find("status")
        if status is None or status.get("state") != "up":
            continue
        for a in h.findall("address"):
            addr = a.get("addr", "")
            if a.get("addrtype") in ("ipv4", "ipv6") and scope.contains(addr):
                out.append((addr, status.get("reason", "")))
    return root.get("version", ""), out


def open_ports(xml: str) -> dict[str, tuple[int, ...]]:
    """Open TCP ports per address, parsed through python-nmap (no ``nmap -V`` started for it)."""
    parsed = parse_xml(xml)
    out = {}
    for addr, host in parsed.get("scan", {}).items():
        tcp = host.get("tcp", {}) or {}
        out[addr] = tuple(sorted(int(p) for p, v in tcp.items() if v.get("state") == "open"))
    return out


def sweep(network: str, ports: Sequence[int], *, deadline_s: float, nmap_path: str | None = None,
          runner=None) -> DiscoveryFacts:
    """Both nmap runs over one network; raises :class:`SweepFailed` when nmap fails or time runs out."""
    run = runner or subprocess_runner
    tool = find_nmap(nmap_path)
    scope = parse_scope([network])
    end = time.monotonic() + deadline_s
    host_timeout = max(5, int(deadline_s / 3))
    first = run(discovery_argv(tool.path, network, host_timeout), max(1.0, end - time.monotonic()))
    if first.returncode != 0:
        raise SweepFailed("discover.probe.discovery_failed", code=first.returncode, detail=nmap_detail(first),
                          output=nmap_output(first))
    version, up = live_hosts(first.stdout, scope)
    found: dict[str, tuple[int, ...]] = {}
    if up:
        left = end - time.monotonic()
        if left < 1:
            raise SweepFailed("discover.probe.deadline_after_discovery", hosts=len(up))
        second = run(ports_argv(tool.path, [a for a, _ in up], ports, host_timeout, ":" in network), left)
        if second.returncode != 0:
            raise SweepFailed("discover.probe.port_scan_failed", code=second.returncode,
                              detail=nmap_detail(second), output=nmap_output(second))
        found = open_ports(second.stdout)
    net = ipaddress.ip_network(network)
    hosts = tuple(LiveHost(a, r, found.get(a, ())) for a, r in sorted(up, key=lambda x: ipaddress.ip_address(x[0])))
    return DiscoveryFacts(str(net), net.num_addresses, tuple(sorted(ports)), hosts, version)


def run_probes(probes: Sequence[Probe], scope: Sequence[str], *, deadline_s: float,
               runner=None) -> Iterator[Observation]:
    """One observation per network probe. A network outside ``scope`` (declared networks) is refused."""
    for p in probes:
        guard_networks(scope, [p.params["network"]], allow_large=True)   # size was judged when planning
    for p in probes:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        t0 = time.monotonic()
        try:
            facts = sweep(p.params["network"], [int(x) for x in p.params["ports"]], deadline_s=deadline_s,
                          runner=runner)
        except Exception as e:   # nmap failing, timing out or missing: an error observation, never a crash
            yield Observation.failed(p, _reason(e), started, round(time.monotonic() - t0, 3))
            continue
        yield Observation(p.id, KIND, p.target, ObservationStatus.OK, facts, None, started,
                          round(time.monotonic() - t0, 3))


def _reason(e: Exception) -> Message:
    """Why a sweep failed, as a catalog message (an OS's or a library's own text stays as written)."""
    if isinstance(e, SweepFailed):
        return e.reason
    if isinstance(e, subprocess.TimeoutExpired):
        return Message("discover.probe.timeout", {"seconds": f"{e.timeout:.0f}"})
    if isinstance(e, OSError):
        return Message("ports.probe.nmap_not_started", {"error": str(e)[:300]})
    if isinstance(e, ET.ParseError):
        return Message("discover.probe.unreadable", {"error": str(e)[:300]})
    return Message("discover.probe.failed", {"error": f"{type(e).__name__}: {e}"[:500]})


# ----------------------------------------------------------------------------- the plug-in


class DiscoverRunner:
    kind = KIND
    batch_size = 1
    parallel = 1

    def __init__(self, networks: Sequence[str]):
        self.networks = list(networks)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        yield from run_probes(probes, self.networks, deadline_s=timeout_s)


OPTIONS: tuple[FamilyOption, ...] = (
    FamilyOption("zone", "multi", (), LocalText(
        "Discovery: sweep only this zone's networks (repeatable).",
        "Phát hiện: chỉ quét các mạng của vùng này (có thể lặp lại)."), metavar="ZONE"),
    FamilyOption("network", "multi", (), LocalText(
        "Discovery: sweep only this network; it must lie inside a declared network of the zones (repeatable).",
        "Phát hiện: chỉ quét mạng này; mạng phải nằm trong một mạng đã khai báo của các vùng (có thể lặp lại)."),
        metavar="CIDR"),
    FamilyOption("max_prefix", "int", DEFAULT_MAX_PREFIX, LocalText(
        "Discovery: networks with more addresses than an IPv4 /N need --allow-large-networks.",
        "Phát hiện: mạng có nhiều địa chỉ hơn một mạng IPv4 /N cần --allow-large-networks."),
        minimum=0, maximum=32, metavar="N"),
    FamilyOption("allow_large_networks", "bool", False, LocalText(
        "Discovery: sweep declared networks larger than --max-prefix.",
        "Phát hiện: quét cả các mạng đã khai báo lớn hơn --max-prefix.")),
    FamilyOption("top_ports", "int", DEFAULT_TOP_PORTS, LocalText(
        "Discovery: ports asked of every live host, nmap's N most common TCP ports.",
        "Phát hiện: các cổng kiểm tra trên mỗi máy đang hoạt động, N cổng TCP phổ biến nhất theo nmap."),
        minimum=1, maximum=65535, metavar="N"),
    FamilyOption("sweep_timeout", "float", DEFAULT_SWEEP_TIMEOUT, LocalText(
        "Discovery: deadline of one network's sweep, in seconds.",
        "Phát hiện: thời hạn quét một mạng, tính bằng giây."), minimum=5, maximum=86400, metavar="SECONDS"),
)


class DiscoverFamily(BaseFamily):
    """Live hosts and open ports of a declared network: one probe per network a zone sweeps. Its planning
    hook (``subjects``) makes a discovery run judge the inventory's zones as systems ``zone:<id>`` whose
    ``networks`` are the networks chosen and guarded; an inventory system has no network targets of its own."""

    kind = KIND
    provides = frozenset({KIND})
    facts_type = DiscoveryFacts
    # which zones and networks (guarded by ``subjects`` before anything runs), the ports, the deadline
    options = OPTIONS
    batch_timeout_option = "sweep_timeout"

    def targets(self, system: System, scope: str) -> Sequence[Target]:
        return [Target.of_network(n) for n in system.networks] if scope == NETWORK else []

    def applies(self, endpoint: Endpoint) -> bool:
        return False

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        """The network and nmap's ``top_ports`` most common ports (the widest the controls ask; default 100)."""
        top = max((int(c.params["top_ports"]) for c in controls if "top_ports" in c.params),
                  default=DEFAULT_TOP_PORTS)
        return Sweep(targets[0].name, nmap_top_ports(top)).to_params()

    def runner(self, ctx: RunnerContext) -> DiscoverRunner:
        return DiscoverRunner([n for n in ctx.scope if "/" in n])

    def check_tools(self) -> None:
        find_nmap()

    def subjects(self, inventory: Inventory, options: Mapping[str, Any], *, source: str = "-",
                 observed: Sequence[str] | None = None, lookups: bool = True) -> Sequence[Subject]:
        """The zones chosen by ``--zone`` / ``--network`` (all with networks by default), as subjects."""
        return zone_subjects(inventory, options, source=source, observed=observed, lookups=lookups)

