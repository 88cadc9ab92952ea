"""Controls -> probes (design §2 "plan"): measure only what the required controls need.

For every system, the controls of every level up to its required level are considered
(the lower levels are needed to compute the achieved level). Each control's check names
the measurements it needs; the needs of every control that applies to a target are
merged, so each endpoint gets at most one TLS probe with exactly the sslyze commands
required, and each host one port probe with the union of its ports and scripts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from secaudit.checks.base import CheckSpec
from secaudit.model import Control, Endpoint, Message, Probe, Service, System

if False:  # pragma: no cover - typing only
    from secaudit.policy import ResolvedPolicy


@dataclass(frozen=True)
class SystemAssessment:
    """What classification and policy resolution decided for one system."""

    system: System
    computed_level: int | None
    declared_level: int | None
    required_level: int | None
    deciding: str = ""
    policies: Mapping[int, "ResolvedPolicy"] = field(default_factory=dict)   # level -> resolved policy, 1..required
    notes: tuple[Message, ...] = ()

    @property
    def required_policy(self) -> "ResolvedPolicy | None":
        return self.policies.get(self.required_level) if self.required_level else None


@dataclass(frozen=True)
class Target:
    """One place a control is judged: an endpoint (host:port) or a host."""

    name: str
    host: str
    endpoint: Endpoint | None


@dataclass(frozen=True)
class Plan:
    assessments: tuple[SystemAssessment, ...]
    probes: tuple[Probe, ...]


def kind_of_need(need: str) -> str:
    """The probe family that provides a measurement: "tls:protocols" -> "tls", "nse:..." -> "ports"."""
    prefix = need.split(":", 1)[0]
    return "ports" if prefix == "nse" else prefix


def spec_kinds(spec: CheckSpec) -> frozenset[str]:
    return frozenset(kind_of_need(n) for n in spec.needs)


def targets_for(control: Control, spec: CheckSpec, system: System) -> list[Target]:
    """Where a control applies on a system; the same rule serves plan and evaluate."""
    if spec.scope == "host":
        hosts: list[str] = []
        for e in system.endpoints:
            if e.host not in hosts:
                hosts.append(e.host)
        return [Target(h, h, None) for h in hosts]
    return [Target(e.address, e.host, e) for e in system.endpoints if applies(control, spec, e)]


def applies(control: Control, spec: CheckSpec, endpoint: Endpoint) -> bool:
    if control.applies_to and endpoint.service not in control.applies_to:
        return False
    if spec.services and endpoint.service not in spec.services:
        return False
    kinds = spec_kinds(spec)
    if "tls" in kinds and not endpoint.tls:
        return False
    if "http" in kinds and endpoint.service is not Service.HTTP:
        return False
    return True


def probe_target(kind: str, target: Target) -> str:
    return target.host if kind == "ports" else target.name


def probe_id(kind: str, target: str, params: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{kind}|{target}|{digest}"


# kind -> function(needs, targets, systems, controls) -> probe params. Each probe family provides one.
# `controls` are the controls that asked for the probe: their params may widen it (e.g. a port watch list).
ParamsFor = Callable[[frozenset[str], Sequence[Target], Sequence[System], Sequence[Control]], Mapping[str, Any]]


def build_plan(assessments: Sequence[SystemAssessment], registry: Mapping[str, CheckSpec],
               params_for: Mapping[str, ParamsFor], only: Iterable[str] | None = None) -> Plan:
    """Every probe needed by every applicable control of every assessed system."""
    only_kinds = set(only) if only else None
    needs: dict[tuple[str, str], set[str]] = {}
    where: dict[tuple[str, str], list[Target]] = {}
    systems: dict[tuple[str, str], list[System]] = {}
    asked_by: dict[tuple[str, str], list[Control]] = {}
    for a in assessments:
        for policy in a.policies.values():
            for control in policy.controls:
                spec = registry.get(control.check)
                if spec is None:
                    continue
                for target in targets_for(control, spec, a.system):
                    for need in spec.needs:
                        kind = kind_of_need(need)
                        if only_kinds is not None and kind not in only_kinds:
                            continue
                        key = (kind, probe_target(kind, target))
                        needs.setdefault(key, set()).add(need)
                        if target not in where.setdefault(key, []):
                            where[key].append(target)
                        if a.system not in systems.setdefault(key, []):
                            systems[key].append(a.system)
                        if control not in asked_by.setdefault(key, []):
                            asked_by[key].append(control)
    probes = []
    for (kind, target), wanted in sorted(needs.items()):
        maker = params_for.get(kind)
        if maker is None:
            continue
        params = dict(maker(frozenset(wanted), where[(kind, target)], systems[(kind, target)],
                            asked_by[(kind, target)]))
        probes.append(Probe(id=probe_id(kind, target, params), kind=kind, target=target, params=params))
    return Plan(tuple(assessments), tuple(probes))
