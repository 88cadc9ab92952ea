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
from secaudit.model import Control, Endpoint, Message, Probe, System
from secaudit.probes import registry as families
from secaudit.probes.interface import Target

__all__ = ["Plan", "SystemAssessment", "Target", "applies", "build_plan", "kind_of_need", "needs_of", "probe_id",
           "probe_target", "spec_kinds", "targets_for"]

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
    # a family's own subject (``ProbeFamily.subjects``: discovery's zones), not a system against its level:
    # it is not classified (a zone holds systems of several levels), so findings cite the requirement, not
    # one level's clause, and it is judged by that family alone
    family_subject: bool = False

    @property
    def required_policy(self) -> "ResolvedPolicy | None":
        return self.policies.get(self.required_level) if self.required_level else None


@dataclass(frozen=True)
class Plan:
    assessments: tuple[SystemAssessment, ...]
    probes: tuple[Probe, ...]


def kind_of_need(need: str) -> str:
    """The probe family that provides a measurement: "tls:protocols" -> "tls", "nse:..." -> "ports"."""
    return families.kind_of_need(need)


def needs_of(controls: Iterable[Control], registry: Mapping[str, CheckSpec]) -> frozenset[str]:
    """Every measurement the checks of ``controls`` need (unknown checks need nothing)."""
    return frozenset(n for c in controls if c.check in registry for n in registry[c.check].needs_for(c.params))


def spec_kinds(spec: CheckSpec) -> frozenset[str]:
    return frozenset(kind_of_need(n) for n in spec.needs)


def targets_for(control: Control, spec: CheckSpec, system: System) -> list[Target]:
    """Where a control applies on a system; the same rule serves plan and evaluate.

    The check's ``scope`` says what it judges (endpoints, hosts, ...); every family it needs must be
    able to measure the target (e.g. tls: a TLS endpoint), and the control's ``applies_to`` and the
    check's services narrow endpoints further."""
    kinds = sorted(spec_kinds(spec)) or [""]          # a check needing nothing: the generic target rules
    candidates = list(families.family_or_generic(kinds[0]).targets(system, spec.scope))
    for kind in kinds[1:]:
        measurable = set(families.family_or_generic(kind).targets(system, spec.scope))
        candidates = [t for t in candidates if t in measurable]
    return [t for t in candidates if t.endpoint is None or _wanted(control, spec, t.endpoint)]


def _wanted(control: Control, spec: CheckSpec, endpoint: Endpoint) -> bool:
    if control.applies_to and endpoint.service not in control.applies_to:
        return False
    return not spec.services or endpoint.service in spec.services


def applies(control: Control, spec: CheckSpec, endpoint: Endpoint) -> bool:
    """Whether ``control`` is judged on ``endpoint`` (services, and every needed family can measure it)."""
    return _wanted(control, spec, endpoint) and all(families.family_or_generic(k).applies(endpoint)
                                                     for k in spec_kinds(spec))


def probe_target(kind: str, target: Target) -> str:
    """The target of the ``kind`` probe serving ``target`` (ports: its host)."""
    return families.family_or_generic(kind).probe_target(target)


def probe_id(kind: str, target: str, params: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{kind}|{target}|{digest}"


# kind -> function(needs, targets, systems, controls) -> probe params: each family's ``params``.
# `controls` are the controls that asked for the probe: their params may widen it (e.g. a port watch list).
ParamsFor = Callable[[frozenset[str], Sequence[Target], Sequence[System], Sequence[Control]], Mapping[str, Any]]

_Key = tuple[str, str]          # (kind, probe target)


@dataclass
class _Wants:
    """What the controls of a plan ask of one probe."""

    needs: set[str] = field(default_factory=set)
    targets: list[Target] = field(default_factory=list)
    systems: list[System] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)

    def add(self, need: str, target: Target, system: System, control: Control) -> None:
        self.needs.add(need)
        for items, item in ((self.targets, target), (self.systems, system), (self.controls, control)):
            if item not in items:
                items.append(item)


def collect_wants(assessments: Sequence[SystemAssessment], registry: Mapping[str, CheckSpec],
                  only: Iterable[str] | None = None) -> dict[_Key, _Wants]:
    """(kind, probe target) -> the needs, targets, systems and controls that ask for that probe."""
    only_kinds = set(only) if only else None
    wants: dict[_Key, _Wants] = {}
    for a in assessments:
        for policy in a.policies.values():
            for control in policy.controls:
                spec = registry.get(control.check)
                if spec is None:
                    continue
                for target in targets_for(control, spec, a.system):
                    for need in spec.needs_for(control.params):
                        kind = kind_of_need(need)
                        if only_kinds is None or kind in only_kinds:
                            key = (kind, probe_target(kind, target))
                            wants.setdefault(key, _Wants()).add(need, target, a.system, control)
    return wants


def build_plan(assessments: Sequence[SystemAssessment], registry: Mapping[str, CheckSpec],
               params_for: Mapping[str, ParamsFor] | None = None, only: Iterable[str] | None = None) -> Plan:
    """Every probe needed by every applicable control of every assessed system.

    ``params_for`` defaults to the registered families' ``params``; a kind without one gets no probe
    (its controls are then judged "not measured")."""
    makers = params_for if params_for is not None else families.params_makers()
    probes = []
    for (kind, target), w in sorted(collect_wants(assessments, registry, only).items()):
        maker = makers.get(kind)
        if maker is None:
            continue
        params = dict(maker(frozenset(w.needs), w.targets, w.systems, w.controls))
        probes.append(Probe(id=probe_id(kind, target, params), kind=kind, target=target, params=params))
    return Plan(tuple(assessments), tuple(probes))
