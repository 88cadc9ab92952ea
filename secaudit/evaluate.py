"""Observations -> findings (design §2 "evaluate"). Pure: no I/O, the clock is a parameter.

control × target -> pass | fail | error | not_applicable | waived, with evidence and
references. Per system: counts, the required level and the achieved level (the highest
level L such that every control of levels 1..L passes, is waived or does not apply).
Achieved is never above the required level: secaudit measures what the required level
needs, not more.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import (
    Control, Endpoint, Finding, Message, Observation, Outcome, Purpose, Severity, System, SystemResult, Verdict,
    Waiver,
)
from secaudit.plan import SystemAssessment, probe_target, spec_kinds, targets_for
from secaudit.requirements.citation import NO_CITER, Citer
import json

if TYPE_CHECKING:  # pragma: no cover - typing only
    from secaudit.policy import ResolvedPolicy

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
    return judge_items(control, dataclasses.replace(spec, items=None), ctx)[0][1]


def judge_items(control: Control, spec: CheckSpec, ctx: CheckContext) -> list[tuple[str, Outcome]]:
    """(finding target, outcome) of one check on one target: the target itself with the check's one outcome,
    or, for a check judging items (``spec.items``), one pair per item. A missing measurement or a crashing
    check is one ERROR on the target, never a pass."""
    for kind in sorted(spec_kinds(spec)):
        if kind not in ctx.observations:
            return [(ctx.target, Outcome(Verdict.ERROR, Message("evaluate.not_measured",
                                                                {"kind": kind, "target": ctx.target})))]
    try:
        judged = list(spec.items(control.params, ctx)) if spec.items else [(ctx.target, spec.func(control.params, ctx))]
    except Exception as e:  # a bug in one check must not sink the run, nor pass silently
        return [(ctx.target, Outcome(Verdict.ERROR, Message("evaluate.check_crashed", {
            "check": spec.name, "error": f"{type(e).__name__}: {e}"})))]
    if any(not isinstance(o, Outcome) or o.verdict is Verdict.WAIVED or not isinstance(t, str) for t, o in judged):
        return [(ctx.target, Outcome(Verdict.ERROR, Message("evaluate.check_crashed", {"check": spec.name,
                                                                                     "error": "invalid outcome"})))]
    return judged


def _waiver_for(waivers: Sequence[Waiver], control_id: str, system_id: str, target: str) -> list[Waiver]:
    return [w for w in waivers if w.control == control_id and w.system == system_id
            and (w.endpoint is None or w.endpoint == target)]


def _definition(c: Control) -> str:
    return json.dumps([c.check, dict(c.params), c.severity.value, c.title.en, c.applies_to], sort_keys=True,
                      default=str)


def qualified_ids(assessments: Sequence[SystemAssessment]) -> dict[tuple[str, str], str]:
    """(policy id, control id) -> the id findings carry. A control tightened by a higher level is a different
    control: when one run holds several definitions of an id, each becomes ``ID@policy`` (the policy that
    defined that version), so reports never show one level's title or threshold for another's verdict."""
    versions: dict[str, dict[str, str]] = {}
    for a in assessments:
        p = a.required_policy
        if p is None:
            continue
        for c in p.controls:
            origin = (p.overrides or {}).get(c.id, p.id)
            versions.setdefault(c.id, {})[_definition(c)] = origin
    out: dict[tuple[str, str], str] = {}
    for a in assessments:
        p = a.required_policy
        if p is None:
            continue
        for c in p.controls:
            defs = versions[c.id]
            out[(p.id, c.id)] = c.id if len(defs) == 1 else f"{c.id}@{defs[_definition(c)]}"
    return out


def citation_level(a: SystemAssessment) -> int | None:
    """The level whose clauses a system's findings cite: the level it must meet; none for a ``--profile``
    scan (a profile is not a level, so its findings name the requirement, not a level's clause) or a family's
    own subject (discovery: a zone, whose networks hold systems of several levels)."""
    return None if a.family_subject or a.deciding.startswith("--profile") else a.required_level


def references(control: Control, citer: Citer, level: int | None) -> tuple[str, ...]:
    """What a finding of ``control`` cites: the standard's clauses at ``level`` (from the catalogue through
    the control's requirement keys), then the control's other references."""
    return citer.citations(control.requirements, level) + tuple(control.references)


def evaluate_policy(a: SystemAssessment, controls: Sequence[Control], registry: Mapping[str, CheckSpec],
                    obs: Mapping[tuple[str, str], Observation], waivers: Sequence[Waiver], now: dt.datetime,
                    expired: dict[tuple, Waiver], ids: Mapping[str, str] | None = None,
                    only: frozenset[str] | None = None, citer: Citer = NO_CITER) -> list[Finding]:
    """Findings of ``controls`` on the system's targets. ``ids`` maps a control id to the id findings carry;
    ``only`` (from ``--only``) names the probe families measured: other controls are marked excluded;
    ``citer`` gives the clauses findings cite."""
    findings: list[Finding] = []
    today = now.date()
    ids = ids or {}
    level = citation_level(a)
    for control in controls:
        fid = ids.get(control.id, control.id)
        refs = references(control, citer, level)
        spec_ = registry.get(control.check)
        if only is not None and spec_ is not None and not spec_kinds(spec_) <= only:
            findings.append(Finding(fid, a.system.id, a.system.id, Verdict.NOT_APPLICABLE, control.severity,
                                    Message("evaluate.excluded_by_only", {"kinds": ", ".join(sorted(only))}),
                                    references=refs))
            continue
        spec = registry.get(control.check)
        if spec is None:
            findings.append(Finding(fid, a.system.id, a.system.id, Verdict.ERROR, control.severity,
                                    Message("evaluate.unknown_check", {"check": control.check}),
                                    references=refs))
            continue
        targets = targets_for(control, spec, a.system)
        if not targets:
            findings.append(Finding(fid, a.system.id, a.system.id, Verdict.NOT_APPLICABLE, control.severity,
                                    Message(spec.no_target, {"check": control.check}),
                                    references=refs))
            continue
        for target in targets:
            seen = {}
            for kind in spec_kinds(spec):
                o = obs.get((kind, probe_target(kind, target)))
                if o is not None:
                    seen[kind] = o
            ctx = CheckContext(system=a.system, target=target.name, endpoint=target.endpoint, observations=seen,
                               now=now)
            for name, outcome in judge_items(control, spec, ctx):
                verdict, waiver = outcome.verdict, None
                if verdict is Verdict.FAIL:
                    for w in _waiver_for(waivers, control.id, a.system.id, name):
                        if w.active_on(today):
                            verdict, waiver = Verdict.WAIVED, w
                            break
                        expired[(w.control, w.system, w.endpoint, w.expires)] = w
                findings.append(Finding(
                    control_id=fid, system_id=a.system.id, target=name, verdict=verdict,
                    severity=control.severity, message=outcome.message, evidence=outcome.evidence,
                    warnings=outcome.warnings, references=refs, waiver=waiver,
                ))
    return findings


def coverage_notes(findings: Sequence[Finding]) -> list[Message]:
    """One system note per target whose findings state a coverage (evidence ``*.evidence.coverage``, e.g.
    the ports scanned), so even a summary-only report says how wide its verdicts were."""
    seen: dict[str, str] = {}
    for f in findings:
        for e in f.evidence:
            if e.label.endswith(".evidence.coverage") and f.target not in seen:
                seen[f.target] = e.value
    return [Message("evaluate.coverage", {"target": target, "coverage": value}) for target, value in seen.items()]


def evaluate(assessments: Sequence[SystemAssessment], observations: Iterable[Observation],
             registry: Mapping[str, CheckSpec], waivers: Sequence[Waiver] = (),
             now: dt.datetime | None = None, only: Iterable[str] | None = None,
             citer: Citer = NO_CITER) -> Evaluation:
    now = now or dt.datetime.now(dt.timezone.utc)
    obs = index_observations(observations)
    qids = qualified_ids(assessments)
    only_set = frozenset(only) if only else None
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
            ids = {c.id: qids[(required.id, c.id)] for c in required.controls}
            findings = evaluate_policy(a, required.controls, registry, obs, waivers, now, expired, ids, only_set,
                                       citer)
            if only_set is not None and not a.family_subject:     # judged by its family alone
                notes.append(Message("evaluate.partial_scope", {"kinds": ", ".join(sorted(only_set))}))
            for c in required.controls:
                controls.setdefault(ids[c.id], dataclasses.replace(c, id=ids[c.id]))
            achieved = 0
            for level in range(1, a.required_level + 1):
                policy = a.policies.get(level)
                if policy is None:
                    break
                level_findings = findings if level == a.required_level else evaluate_policy(
                    a, policy.controls, registry, obs, waivers, now, {}, None, only_set)
                if all(f.verdict in _OK for f in level_findings):
                    achieved = level
                else:
                    break
            if not any(f.verdict is not Verdict.NOT_APPLICABLE for f in findings) and not a.system.components:
                achieved = None          # nothing was checked: not verified, never "compliant" by default
                notes.append(Message("evaluate.nothing_checked", {"system": a.system.id}))
        else:
            notes.append(Message("evaluate.no_required_level", {"system": a.system.id}))
        notes += coverage_notes(findings)
        counts = Counter(f.verdict.value for f in findings)
        failed = Counter(f.severity.value for f in findings if f.verdict is Verdict.FAIL)
        results.append(SystemResult(
            system_id=a.system.id, name=a.system.name, computed_level=a.computed_level,
            declared_level=a.declared_level, required_level=a.required_level, achieved_level=achieved,
            deciding=a.deciding, policy_id=required.id if required else None,
            counts=dict(sorted(counts.items())), failed_by_severity=dict(sorted(failed.items())), notes=tuple(notes),
        ))
        all_findings += findings
    results = _bound_by_components(results, assessments)
    for w in expired.values():
        all_findings_note = Message("evaluate.waiver_expired", {"control": w.control, "system": w.system,
                                                                "expires": w.expires.isoformat()})
        for r_i, r in enumerate(results):
            if r.system_id == w.system:
                results[r_i] = SystemResult(**{**r.__dict__, "notes": r.notes + (all_findings_note,)})
    return Evaluation(tuple(results), tuple(all_findings), tuple(controls.values()),
                      tuple(sorted(expired.values(), key=lambda w: (w.system, w.control))))


def _bound_by_components(results: list[SystemResult], assessments: Sequence[SystemAssessment]) -> list[SystemResult]:
    """A system made of components reaches no higher level than its weakest component."""
    by_id = {r.system_id: r for r in results}
    components = {a.system.id: a.system.components for a in assessments}
    resolved: dict[str, int | None] = {}

    def achieved(sid: str, trail: tuple[str, ...] = ()) -> int | None:
        if sid in resolved:
            return resolved[sid]
        r = by_id.get(sid)
        own = r.achieved_level if r else None
        comps = [c for c in components.get(sid, ()) if c in by_id and c not in trail]
        levels = [achieved(c, trail + (sid,)) for c in comps]
        if comps:
            checked_own = r is not None and any(n for v, n in r.counts.items() if v != "not_applicable")
            candidates = levels + ([own] if checked_own else [])
            own = None if any(x is None for x in candidates) else min(x for x in candidates if x is not None)
        resolved[sid] = own
        return own

    out = []
    for r in results:
        level = achieved(r.system_id)
        if level != r.achieved_level:
            notes = r.notes + (Message("evaluate.bounded_by_components",
                                       {"system": r.system_id, "components": ", ".join(components[r.system_id])}),)
            r = dataclasses.replace(r, achieved_level=level, notes=notes)
        out.append(r)
    return out


def failing(findings: Iterable[Finding], threshold: Severity) -> list[Finding]:
    return [f for f in findings if f.verdict is Verdict.FAIL and f.severity.rank >= threshold.rank]


def errored(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.verdict is Verdict.ERROR]


def judge_endpoint(policy: "ResolvedPolicy", endpoint: Endpoint, observations: Iterable[Observation],
                   registry: Mapping[str, CheckSpec], now: dt.datetime | None = None) -> tuple[Finding, ...]:
    """The findings of one resolved policy (a profile) on one endpoint: what ``scan --target HOST:PORT
    --profile P`` decides, for callers that already hold the observations (benchmarks, agreement tests)."""
    system = System(id="target", name=endpoint.address, purpose=Purpose.OTHER, endpoints=(endpoint,))
    assessment = SystemAssessment(system, None, None, 1, "--profile " + policy.id, {1: policy})
    return evaluate([assessment], observations, registry, now=now).findings
