"""What discovery judges, and where it may look: the inventory's zones as subjects ``zone:<id>``.

The scope guard is pure and comes first: only networks declared in the inventory's zones (or a subnet
of one, chosen with ``--network``) are swept, and a network with more addresses than the limit needs
``--allow-large-networks`` (ScopeError, exit 2, before anything runs). Each chosen zone with a network to
sweep becomes a :class:`~secaudit.probes.interface.Subject`: a system ``zone:<id>`` whose ``networks``
are the networks to sweep and whose endpoints are the (address, port) pairs the inventory declares inside
them (names resolved only to compare, never probed), judged against the ``discovery`` policy
(``policies/families/discovery.yaml``, control DISC-01). This is the discover family's planning hook
(:meth:`DiscoverFamily.subjects <secaudit.probes.discover.DiscoverFamily.subjects>`).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Iterable, Mapping, Sequence

from secaudit.errors import Diagnostic, InputError
from secaudit.model import Endpoint, Inventory, Message, Purpose, System, Zone
from secaudit.probes.interface import Subject
from secaudit.probes.ports import ScopeError

KIND = "discover"
POLICY_ID = "discovery"                  # policies/families/discovery.yaml
CHECK = "discover.undeclared"            # the check of DISC-01; --top-ports widens its params
DEFAULT_MAX_PREFIX = 16                  # IPv4 /16: 65,536 addresses; IPv6 the same count (/112)
DEFAULT_TOP_PORTS = 100


def max_addresses(prefix: int = DEFAULT_MAX_PREFIX) -> int:
    return 2 ** (32 - prefix)


def parse_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR network without host bits; ScopeError for anything else (an address, a range, an option)."""
    try:
        if not isinstance(text, str) or "/" not in text or text.startswith("-"):
            raise ValueError(text)
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError:
        raise ScopeError("discover.scope.bad_network", network=str(text)) from None


def guard_networks(declared: Sequence[str], requested: Sequence[str] = (), *, max_prefix: int = DEFAULT_MAX_PREFIX,
                   allow_large: bool = False) -> list[str]:
    """The networks to sweep: ``requested`` (each inside a declared network) or all ``declared`` ones.
    Raises ScopeError (exit 2) for anything outside the declared networks or too large without the flag."""
    if not declared:
        raise ScopeError("discover.scope.none_declared")
    nets = [parse_network(n) for n in declared]
    chosen = nets
    if requested:
        chosen = []
        for text in requested:
            net = parse_network(text)
            if not any(net.version == d.version and net.subnet_of(d) for d in nets):
                raise ScopeError("discover.scope.outside", network=str(net),
                                 declared=", ".join(str(d) for d in nets))
            chosen.append(net)
    limit = max_addresses(max_prefix)
    for net in chosen:
        if net.num_addresses > limit and not allow_large:
            raise ScopeError("discover.scope.too_large", network=str(net), count=net.num_addresses, limit=limit)
    return [str(n) for n in dict.fromkeys(chosen)]


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


def _inside(net: str, zone: Zone) -> bool:
    n = ipaddress.ip_network(net)
    return any(n.version == d.version and n.subnet_of(d) for d in map(ipaddress.ip_network, zone.networks))


def zone_subjects(inventory: Inventory, options: Mapping[str, Any], *, source: str = "-",
                  observed: Sequence[str] | None = None, lookups: bool = True) -> list[Subject]:
    """One subject per chosen zone with a network to sweep. ``options`` are the discover family's
    (``probes.discover.OPTIONS``): ``zone``, ``network``, ``max_prefix``, ``allow_large_networks``,
    ``top_ports``; ``observed``: the networks a stored run swept, judged as they were (whatever their size).
    Raises InputError (unknown zone, no networks) or ScopeError (a network outside the declared ones, or
    too large)."""
    zones = select_zones(inventory, tuple(options.get("zone") or ()), source)
    requested = tuple(observed if observed is not None else options.get("network") or ())
    chosen = guard_networks([n for z in zones for n in z.networks], requested, max_prefix=int(options["max_prefix"]),
                            allow_large=observed is not None or bool(options["allow_large_networks"]))
    top = int(options["top_ports"])
    widen = {CHECK: {"top_ports": top}} if top != DEFAULT_TOP_PORTS else {}
    declared, unresolved = declared_ports(inventory.systems, lookups)
    extra = (Message("discover.note.unresolved", {"names": ", ".join(unresolved)}),) if unresolved else ()
    out = []
    for zone in zones:
        nets = [n for n in chosen if _inside(n, zone)]
        if nets:
            out.append(Subject(zone_system(zone, nets, declared), POLICY_ID, widen,
                               (Message("discover.note.zone", {"zone": zone.id}), *extra)))
    return out
