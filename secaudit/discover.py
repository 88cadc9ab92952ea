"""`secaudit discover`: sweep the declared networks of the inventory's zones and report what no system declares.

Stages, in one direction: select zones and guard the networks (pure, ScopeError before anything
runs) → what the inventory declares per address (names resolved only to compare, never probed) →
one discover probe per network → judge each network (pure, ``checks.discover``) → Results, which
every report format renders. Findings belong to a pseudo-system per zone (``zone:<id>``) and to the
control DISC-01 of ``policies/discovery.yaml``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from secaudit import __version__
from secaudit.errors import Diagnostic, InputError
from secaudit.model import (
    Control, Endpoint, Finding, Inventory, Message, Observation, Probe, Purpose, Results, RunInfo, System,
    SystemResult, Verdict, Zone,
)
import dataclasses
from secaudit.classify.regime import load_regime
from secaudit.resources import policies_dir
from secaudit.checks.discover import declared_ports as zone_declared, judge_network
from secaudit.observations.discover import DiscoveryFacts
from collections import Counter
from secaudit.execute.journal import new_run_id
from secaudit.probes import discover as probe
from secaudit.probes.ports import find_nmap, nmap_top_ports

CONTROL_ID = "DISC-01"


@dataclass(frozen=True)
class DiscoverRequest:
    inventory_file: str
    zones: tuple[str, ...] = ()             # empty: every zone with networks
    networks: tuple[str, ...] = ()          # narrow to these (each inside a declared network)
    max_prefix: int = 16                    # networks larger than this need allow_large
    allow_large: bool = False
    top_ports: int = 100
    timeout: float = 600.0                  # per network
    fail_on: str = "low"


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
    """The zone as the report shows it: the declared endpoints (address, port) inside its swept networks."""
    nets = [ipaddress.ip_network(n) for n in networks]
    endpoints = tuple(Endpoint(a, p) for a in sorted(declared, key=ipaddress.ip_address)
                      if any(ipaddress.ip_address(a) in n for n in nets) for p in sorted(declared[a]))
    return System(id=f"zone:{zone.id}", name=zone.description or zone.id, purpose=Purpose.INFRASTRUCTURE,
                  zone=zone.id, endpoints=endpoints, source=zone.source)


def discovery_control() -> Control:
    """DISC-01, citing its requirements in the default regime's standard: a zone holds systems of several
    levels, so no one level's clause applies (the standard and the requirement keys are named)."""
    # start-up: secaudit.checks loaded only when needed
    from secaudit.load import load_policy
    from secaudit.requirements.citation import citer_for

    policy = load_policy(str(policies_dir() / "discovery.yaml"))
    control = next(c for c in policy.controls if c.id == CONTROL_ID)
    regime = load_regime(None)
    cited = citer_for(regime.id, regime.standard).citations(control.requirements, None)
    return dataclasses.replace(control, references=cited + control.references)


def plan_probes(networks: Sequence[str], ports: Sequence[int]) -> list[Probe]:
    # start-up: secaudit.checks, secaudit.probes.registry loaded only when needed
    from secaudit.plan import probe_id

    out = []
    for net in networks:
        params = {"network": net, "ports": sorted(ports)}
        out.append(Probe(probe_id("discover", net, params), "discover", net, params))
    return out


def judge(control: Control, system: System, observations: Sequence[Observation]) -> list[Finding]:
    """Findings of DISC-01 for one zone from its networks' observations (pure)."""
    declared = zone_declared(system)
    findings = []
    for obs in observations:
        if not isinstance(obs.facts, DiscoveryFacts):
            msg = Message("discover.error.probe", {"network": obs.target, "reason": obs.reason or obs.error or "no facts"})
            findings.append(Finding(control.id, system.id, obs.target, Verdict.ERROR, control.severity, msg,
                                    references=control.references))
            continue
        for target, out in judge_network(obs.facts, declared):
            findings.append(Finding(control.id, system.id, target, out.verdict, control.severity, out.message,
                                    out.evidence, out.warnings, control.references))
    return findings


def system_result(system: System, findings: Sequence[Finding], notes: Sequence[Message]) -> SystemResult:
    counts = Counter(f.verdict.value for f in findings)
    failed = Counter(f.severity.value for f in findings if f.verdict is Verdict.FAIL)
    # DISC-01 applies from level 1: a zone "achieves" it when something was judged and nothing failed
    if counts.get("fail") or counts.get("error"):
        achieved: int | None = 0
    else:
        achieved = 1 if counts.get("pass") else None
    return SystemResult(system.id, system.name, None, None, 1, achieved, policy_id="discovery",
                        counts=dict(counts), failed_by_severity=dict(failed),
                        notes=(Message("discover.note.zone", {"zone": system.zone or "-"}), *notes))


def results_of(req: DiscoverRequest, run_id: str, started: str, inventory: Inventory,
               zones: Sequence[tuple[System, Sequence[Observation]]], control: Control,
               unresolved: Sequence[str]) -> Results:
    findings, systems, observations = [], [], []
    notes = [Message("discover.note.unresolved", {"names": ", ".join(unresolved)})] if unresolved else []
    for system, obs in zones:
        own = judge(control, system, obs)
        findings += own
        observations += obs
        systems.append(system_result(system, own, notes))
    finished = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    run = RunInfo(id=run_id, started_at=started, finished_at=finished, tool_version=__version__,
                  inventory_file=req.inventory_file, inventory_digest=inventory.digest, regime="-",
                  complete=all(o.status.value == "ok" for o in observations), fail_on=req.fail_on,
                  only=("discover",))
    return Results(run, inventory, tuple(systems), (control,), tuple(findings), tuple(observations))


def run_discovery(req: DiscoverRequest, *, runner=None) -> Results:
    """The whole command: refuses out-of-scope or oversized networks (ScopeError) before nmap starts."""
    # start-up: secaudit.checks loaded only when needed
    from secaudit.load import load_inventory

    inventory = load_inventory(req.inventory_file)
    zones = select_zones(inventory, req.zones, req.inventory_file)
    declared_nets = [n for z in zones for n in z.networks]
    chosen = probe.guard_networks(declared_nets, req.networks, max_prefix=req.max_prefix,
                                  allow_large=req.allow_large)
    control = discovery_control()
    find_nmap()
    ports = nmap_top_ports(req.top_ports)
    declared, unresolved = declared_ports(inventory.systems)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    per_zone = []
    for zone in zones:
        nets = [n for n in chosen if any(ipaddress.ip_network(n).subnet_of(ipaddress.ip_network(d))
                                         for d in zone.networks if ipaddress.ip_network(d).version
                                         == ipaddress.ip_network(n).version)]
        if not nets:
            continue
        probes = plan_probes(nets, ports)
        obs = list(probe.run_probes(probes, declared_nets, deadline_s=req.timeout, runner=runner))
        per_zone.append((zone_system(zone, nets, declared), obs))
    return results_of(req, new_run_id(), started, inventory, per_zone, control, unresolved)
