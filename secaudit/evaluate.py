"""Observations -> findings (design §2 "evaluate"). Pure: no I/O, the clock is a parameter.

control × target -> pass | fail | error | not_applicable | waived, with evidence and
references. Per system: counts, the required level and the achieved level (the highest
level L such that every control of levels 1..L passes, is waived or does not apply).
Achieved is never above the required level: secaudit measures what the required level
needs, not more.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import (
    Control, Evidence, Finding, Message, Observation, ObservationStatus, Outcome, Severity, SystemResult, Verdict,
    Waiver,
)
from secaudit.plan import SystemAssessment, probe_target, spec_kinds, targets_for

_OK = {Verdict.PASS, Verdict.WAIVED, Verdict.NOT_APPLICABLE}


@dataclass(frozen=True)
class Evaluation:
    systems: tuple[SystemResult, ...]
    findings: tuple[Finding, ...]
    controls: tuple[Control, ...]
    expired_waivers: tuple[Waiver, ...]


def index_observations(observations: Iterable[Observation]) -> dict[tuple[str, str], Observation]:
    """(kind, target) -> observation; a later observation of the same probe replaces an earlier one."""
    return {(o.kind, o.target): o for o in observations}


def judge(control: Control, spec: CheckSpec, ctx: CheckContext) -> Outcome:
    """Run one check, turning a missing measurement or a crashing check into an ERROR, never a pass."""
    for kind in sorted(spec_kinds(spec)):
        if kind not in ctx.observations:
            return Outcome(Verdict.ERROR, Message("evaluate.not_measured", {"kind": kind, "target": ctx.target}))
    try:
        outcome = spec.func(control.params, ctx)
    except Exception as e:  # a bug in one check must not sink the run, nor pass silently
        return Outcome(Verdict.ERROR, Message("evaluate.check_crashed", {"check": spec.name,
                                                                         "error": f"{type(e).__name__}: {e}"}))
    if not isinstance(outcome, Outcome) or outcome.verdict is Verdict.WAIVED:
        return Outcome(Verdict.ERROR, Message("evaluate.check_crashed", {"check": spec.name,
                                                                         "error": "invalid outcome"}))
    return outcome


def _waiver_for(waivers: Sequence[Waiver], control_id: str, system_id: str, target: str) -> list[Waiver]:
    return [w for w in waivers if w.control == control_id and w.system == system_id
            and (w.endpoint is None or w.endpoint == target)]


def evaluate_policy(a: SystemAssessment, controls: Sequence[Control], registry: Mapping[str, CheckSpec],
                    obs: Mapping[tuple[str, str], Observation], waivers: Sequence[Waiver], now: dt.datetime,
                    expired: dict[tuple, Waiver]) -> list[Finding]:
    findings: list[Finding] = []
    today = now.date()
    for control in controls:
        spec = registry.get(control.check)
        if spec is None:
            findings.append(Finding(control.id, a.system.id, a.system.id, Verdict.ERROR, control.severity,
                                    Message("evaluate.unknown_check", {"check": control.check}),
                                    references=control.references))
            continue
        targets = targets_for(control, spec, a.system)
        if not targets:
            findings.append(Finding(control.id, a.system.id, a.system.id, Verdict.NOT_APPLICABLE, control.severity,
                                    Message("evaluate.no_target", {"check": control.check}),
                                    references=control.references))
            continue
        for target in targets:
            seen = {}
            for kind in spec_kinds(spec):
                o = obs.get((kind, probe_target(kind, target)))
                if o is not None:
                    seen[kind] = o
            ctx = CheckContext(system=a.system, target=target.name, endpoint=target.endpoint, observations=seen,
                               now=now)
            outcome = judge(control, spec, ctx)
            verdict, waiver = outcome.verdict, None
            if verdict is Verdict.FAIL:
                for w in _waiver_for(waivers, control.id, a.system.id, target.name):
                    if w.active_on(today):
                        verdict, waiver = Verdict.WAIVED, w
                        break
                    expired[(w.control, w.system, w.endpoint, w.expires)] = w
            findings.append(Finding(
                control_id=control.id, system_id=a.system.id, target=target.name, verdict=verdict,
                severity=control.severity, message=outcome.message, evidence=outcome.evidence,
                warnings=outcome.warnings, references=control.references, waiver=waiver,
            ))
    return findings


def evaluate(assessments: Sequence[SystemAssessment], observations: Iterable[Observation],
             registry: Mapping[str, CheckSpec], waivers: Sequence[Waiver] = (),
             now: dt.datetime | None = None) -> Evaluation:
    now = now or dt.datetime.now(dt.timezone.utc)
    obs = index_observations(observations)
    expired: dict[tuple, Waiver] = {}
    all_findings: list[Finding] = []
    controls: dict[str, Control] = {}
    results: list[SystemResult] = []
    for a in assessments:
        notes = list(a.notes)
        required = a.required_policy
        findings: list[Finding] = []
        achieved: int | None = None
        if required is not None and a.required_level:
            findings = evaluate_policy(a, required.controls, registry, obs, waivers, now, expired)
            for c in required.controls:
                controls.setdefault(c.id, c)
            achieved = 0
            for level in range(1, a.required_level + 1):
                policy = a.policies.get(level)
                if policy is None:
                    break
                level_findings = findings if level == a.required_level else evaluate_policy(
                    a, policy.controls, registry, obs, waivers, now, {})
                if all(f.verdict in _OK for f in level_findings):
                    achieved = level
                else:
                    break
        else:
            notes.append(Message("evaluate.no_required_level", {"system": a.system.id}))
        counts = Counter(f.verdict.value for f in findings)
        failed = Counter(f.severity.value for f in findings if f.verdict is Verdict.FAIL)
        results.append(SystemResult(
            system_id=a.system.id, name=a.system.name, computed_level=a.computed_level,
            declared_level=a.declared_level, required_level=a.required_level, achieved_level=achieved,
            deciding=a.deciding, policy_id=required.id if required else None,
            counts=dict(sorted(counts.items())), failed_by_severity=dict(sorted(failed.items())), notes=tuple(notes),
        ))
        all_findings += findings
    for w in expired.values():
        all_findings_note = Message("evaluate.waiver_expired", {"control": w.control, "system": w.system,
                                                                "expires": w.expires.isoformat()})
        for r_i, r in enumerate(results):
            if r.system_id == w.system:
                results[r_i] = SystemResult(**{**r.__dict__, "notes": r.notes + (all_findings_note,)})
    return Evaluation(tuple(results), tuple(all_findings), tuple(controls.values()),
                      tuple(sorted(expired.values(), key=lambda w: (w.system, w.control))))


def failing(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.verdict is Verdict.FAIL and f.severity.rank >= threshold.rank]


def errored(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.verdict is Verdict.ERROR]


def observation_error_outcome(o: Observation) -> Outcome | None:
    """The ERROR outcome a check should return for a failed probe (helper for check families)."""
    if o.status is ObservationStatus.ERROR:
        return Outcome(Verdict.ERROR, Message("evaluate.probe_error", {"target": o.target, "error": o.error or "?"}),
                       (Evidence("evidence.probe_error", o.error or "?"),))
    return None
