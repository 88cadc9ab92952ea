"""Discovery as the one pipeline sees it: the inventory's zones, judged as systems (``secaudit discover``).

A run of the ``discover`` family (``secaudit discover``, or ``scan --only discover``) assesses zones
instead of systems: each chosen zone becomes a system ``zone:<id>`` whose ``networks`` are the networks
to sweep (the zone's declared networks, or those of ``--network`` inside them, guarded by
``probes.discover.guard_networks``: ScopeError, exit 2, before anything runs) and whose endpoints are
the (address, port) pairs the inventory declares inside them (names resolved only to compare, never
probed). Its one control is DISC-01 of ``policies/discovery.yaml``. From there the run is a scan like
any other: plan, executor (local or zone workers), journal, resume, evaluation by ``checks.discover``,
``report RUN_ID`` and the exit status of ``status.py``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from typing import Any, Iterable, Mapping, Sequence

from secaudit.errors import Diagnostic, InputError
from secaudit.load import load_policy
from secaudit.model import Endpoint, Inventory, Message, Purpose, System, Zone
from secaudit.plan import SystemAssessment
from secaudit.policy import ResolvedPolicy
from secaudit.probes.discover import DEFAULT_TOP_PORTS, KIND, guard_networks
from secaudit.resources import policies_dir

CONTROL_ID = "DISC-01"
POLICY_FILE = "discovery.yaml"


def discovering(only: Sequence[str]) -> bool:
    """Whether a run with this ``--only`` is a discovery run (it judges zones, not systems)."""
    return KIND in only


def select_zones(inventory: Inventory, wanted: Sequence[str], file: str) -> list[Zone]:
    with_nets = [z for z in inventory.zones if z.networks]
    if wanted:
        known = {z.id: z for z in inventory.zones}
        unknown = [w for w in wanted if w not in known]
        if unknown:
            raise InputError([Diagnostic(file, 0, 0, "discover.unknown_zone",
                                         {"zone": unknown[0], "known": ", ".join(sorted(known)) or "-"})])
        with_nets = [known[w] for w in wanted if known[w].networks]
    if not with_nets:
        raise InputError([Diagnostic(file, 0, 0, "discover.no_networks")])
    return with_nets


def _addresses(host: str, resolve: bool) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return sorted({str(ipaddress.ip_address(i[4][0])) for i in infos})


def declared_ports(systems: Iterable[System], resolve: bool = True) -> tuple[dict[str, set[int]], list[str]]:
    """Address -> ports any system declares there (endpoints and allowed ports); names that did not resolve."""
    out: dict[str, set[int]] = {}
    unresolved: list[str] = []
    for s in systems:
        for host in dict.fromkeys(e.host for e in s.endpoints):
            addrs = _addresses(host, resolve)
            if not addrs:
                unresolved.append(host)
            for a in addrs:
                out.setdefault(a, set()).update(s.exposed_ports_allowed)
    return out, sorted(set(unresolved))


def zone_system(zone: Zone, networks: Sequence[str], declared: Mapping[str, set[int]]) -> System:
    """The zone as discovery judges it: the networks it sweeps, and the declared endpoints (address, port)
    inside them."""
    nets = [ipaddress.ip_network(n) for n in networks]
    endpoints = tuple(Endpoint(a, p) for a in sorted(declared, key=ipaddress.ip_address)
                      if any(ipaddress.ip_address(a) in n for n in nets) for p in sorted(declared[a]))
    return System(id=f"zone:{zone.id}", name=zone.description or zone.id, purpose=Purpose.INFRASTRUCTURE,
                  zone=zone.id, endpoints=endpoints, source=zone.source, networks=tuple(networks))


def discovery_policy(top_ports: int) -> ResolvedPolicy:
    """``policies/discovery.yaml`` as a zone's policy: DISC-01, asking nmap's ``top_ports`` most common ports
    (laid over its params when not the default)."""
    policy = load_policy(str(policies_dir() / POLICY_FILE))
    wider = top_ports != DEFAULT_TOP_PORTS
    controls = tuple(dataclasses.replace(c, params={**c.params, "top_ports": top_ports})
                     if wider and c.id == CONTROL_ID else c for c in policy.controls)
    return ResolvedPolicy(policy.id, policy.title, controls, (policy.id,), 1)


def _inside(network: str, zone: Zone) -> bool:
    net = ipaddress.ip_network(network)
    return any(net.version == d.version and net.subnet_of(d) for d in map(ipaddress.ip_network, zone.networks))


def zone_assessments(inventory: Inventory, options: Mapping[str, Any], file: str,
                     resolve: bool = True) -> list[SystemAssessment]:
    """One assessment per chosen zone with a network to sweep. ``options`` are the discover family's
    (``probes.discover.OPTIONS``): ``zone``, ``network``, ``max_prefix``, ``allow_large_networks``, ``top_ports``. Raises InputError
    (unknown zone, no networks) or ScopeError (a network outside the declared ones, or too large)."""
    zones = select_zones(inventory, tuple(options.get("zone") or ()), file)
    chosen = guard_networks([n for z in zones for n in z.networks], tuple(options.get("network") or ()),
                            max_prefix=int(options["max_prefix"]), allow_large=bool(options["allow_large_networks"]))
    policy = discovery_policy(int(options["top_ports"]))
    declared, unresolved = declared_ports(inventory.systems, resolve)
    extra = (Message("discover.note.unresolved", {"names": ", ".join(unresolved)}),) if unresolved else ()
    out = []
    for zone in zones:
        nets = [n for n in chosen if _inside(n, zone)]
        if nets:
            out.append(SystemAssessment(zone_system(zone, nets, declared), None, None, 1, "", {1: policy},
                                        (Message("discover.note.zone", {"zone": zone.id}), *extra), zone=True))
    return out
