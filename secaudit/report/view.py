"""What every report says, computed once from :class:`Results` (pure, no formatting).

The writers and templates lay this out; they do not decide anything. Human texts are rendered
here in the reader's language; hostile strings stay raw and are escaped by each format.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from secaudit.classify.regime import load_regime
from secaudit.errors import InputError
from secaudit.i18n import catalog, t
from secaudit.model import (
    UNCLASSIFIED, Control, Finding, LevelAssessment, LocalText, Message, Results, Severity, SystemResult, Verdict,
    level_assessment_message,
)
from secaudit.requirements.catalogue import Catalogue, find_catalogue
from secaudit.tally import (
    SEVERITIES, STATUS_COMPLIANT, STATUS_UNDETERMINED, STATUSES, VERDICTS, compliance_ratio, count_failed_by_severity,
    count_verdicts, system_status,
)

_VERDICT_ORDER = {v: i for i, v in enumerate(VERDICTS)}


def label_text(label: str, lang: str) -> str:
    """An evidence label: a catalog key is translated, anything else is shown as it is."""
    return t(label, lang) if label in catalog() else label


def local(text: LocalText | None, lang: str) -> str:
    return text.get(lang) if text is not None else ""


def verdict_label(verdict: Verdict | str, lang: str) -> str:
    return t(f"report.verdict.{Verdict(verdict).value}", lang)


def severity_label(severity: Severity | str, lang: str) -> str:
    return t(f"report.severity.{Severity(severity).value}", lang)


def status_label(status: str, lang: str) -> str:
    return t(f"report.status.{status}", lang)


def level_text(level: int | None, lang: str) -> str:
    if level is None:
        return t("report.level.unknown", lang)
    if level == 0:
        return t("report.level.none", lang)
    return str(level)


def finding_sort_key(f: Finding) -> tuple:
    return (_VERDICT_ORDER.get(f.verdict, 9), -Severity(f.severity).rank, f.system_id, f.control_id, f.target)


@dataclass(frozen=True)
class EvidenceView:
    label: str
    value: str


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    control: Control | None
    system_name: str
    title: str
    message: str
    evidence: tuple[EvidenceView, ...]
    warnings: tuple[str, ...]
    remediation: str
    references: tuple[str, ...]
    waiver_text: str                   # "reason — approved by X, expires D" or ""

    @property
    def verdict(self) -> str:
        return Verdict(self.finding.verdict).value

    @property
    def severity(self) -> str:
        return Severity(self.finding.severity).value


@dataclass(frozen=True)
class FixItem:
    """A failing control, with how many endpoints and systems fail it: what to fix first."""

    control_id: str
    title: str
    severity: str
    count: int
    systems: tuple[str, ...]
    targets: tuple[str, ...]
    remediation: str


@dataclass(frozen=True)
class SystemView:
    result: SystemResult
    status: str
    counts: Mapping[str, int]               # verdict -> findings, every verdict present
    failed_by_severity: Mapping[str, int]   # severity -> failed findings, every severity present
    compliance: float | None                # (pass + waived) / judged findings, None when nothing was judged
    notes: tuple[str, ...]
    top_failures: tuple[FixItem, ...]
    network: "NetworkScope | None" = None   # what the scan covered of the system's level
    na_groups: tuple["NotApplicableGroup", ...] = ()   # its not-applicable findings shown one line per reason
    leveled: bool = True                    # False: a family's own subject (a discovery zone), which has no level


@dataclass(frozen=True)
class NotApplicableGroup:
    """Not-applicable findings of one family of checks on one system that share one reason (e.g. the sixteen host
    checks of a system without ``hosts:``): the human reports show one line for them instead of a row each; the
    machine formats keep every finding. The family is the first part of the checks' name (``host``, ``tls``)."""

    system_id: str
    family: str
    findings: tuple[FindingView, ...]
    text: str                               # the line, in the reader's language

    @property
    def control_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fv.finding.control_id for fv in self.findings))

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(fv.finding.target for fv in self.findings))


@dataclass(frozen=True)
class ReportView:
    results: Results
    lang: str
    systems: tuple[SystemView, ...]
    findings: tuple[FindingView, ...]          # every finding, worst first
    fix_first: tuple[FixItem, ...]             # failing controls, by severity then number of failing endpoints
    counts: Mapping[str, int]
    failed_by_severity: Mapping[str, int]
    overall_status: str
    expired_waivers: tuple[str, ...]
    observation_errors: tuple[tuple[str, str], ...]   # (target, reason) of probes that failed
    compliant_systems: int = 0
    severities: tuple[str, ...] = field(default=tuple(s.value for s in SEVERITIES))
    verdicts: tuple[str, ...] = field(default=tuple(v.value for v in VERDICTS))
    na_groups: tuple[NotApplicableGroup, ...] = ()   # every system's, in the order of the systems

    @property
    def listed(self) -> tuple[FindingView, ...]:
        """The findings a human report lists one by one: every finding but those of a not-applicable group."""
        grouped = {id(fv) for g in self.na_groups for fv in g.findings}
        return tuple(fv for fv in self.findings if id(fv) not in grouped)

    @property
    def rows(self) -> int:
        """Rows of the HTML findings table: each listed finding and each not-applicable group."""
        return len(self.listed) + len(self.na_groups)

    @property
    def failed(self) -> tuple[FindingView, ...]:
        return tuple(f for f in self.findings if f.verdict == Verdict.FAIL)

    @property
    def attention(self) -> tuple[FindingView, ...]:
        """Findings someone must look at: failed, errors, waived."""
        return tuple(f for f in self.findings if f.verdict in (Verdict.FAIL, Verdict.ERROR, Verdict.WAIVED))


@dataclass(frozen=True)
class NetworkScope:
    """What a scan says about a system, and no more: how many of its network controls pass, and how many
    of its level's requirement rows those controls evidence (the rest need ``secaudit assess``)."""

    controls_passed: int                    # every finding passes or is waived (at least one judged)
    controls_total: int                     # network controls with a finding for the system
    controls_na: int                        # controls with nothing to judge (every finding not applicable)
    standard: str = ""
    level: int | None = None
    level_rows: int | None = None           # rows of the level in the standard's catalogue (None: no catalogue)
    rows_evidenced: int = 0                 # rows some judged control evidences
    host_passed: int = 0                    # host-family controls (issue 23), counted apart: not network checks
    host_judged: int = 0
    requirements: Message | None = None     # the latest stored assessment of the level's rows, or "not assessed"

    def lines(self, lang: str) -> tuple[str, ...]:
        out = [t("report.scope.network", lang, passed=self.controls_passed, total=self.controls_total,
                 na=self.controls_na)]
        if self.host_judged:
            out.append(t("report.scope.host", lang, passed=self.host_passed, total=self.host_judged))
        if self.level_rows:
            out.append(t("report.scope.level", lang, level=self.level, rows=self.level_rows, standard=self.standard,
                         evidenced=self.rows_evidenced))
        if self.requirements is not None:
            out.append(self.requirements.render(lang))
        return tuple(out)


def leveled_run(results: Results) -> bool:
    """Whether the run's systems have levels: not when it judged a family's own subjects (discovery's zones are
    judged against their policy through an internal level 1; a zone has no level of its own)."""
    return results.run.regime != UNCLASSIFIED


def judged_level(result: SystemResult, leveled: bool = True) -> int | None:
    """The level whose requirements a system's report speaks of (none for an ad-hoc ``--profile`` run, nor for a
    family's own subject)."""
    return None if not leveled or result.deciding.startswith("--profile") else result.required_level


def assessments_by_system(results: Results) -> dict[str, LevelAssessment]:
    """Each system's latest stored assessment under the run's regime (what ``results`` carries)."""
    return {a.system_id: a for a in results.assessments if a.regime == results.run.regime}


@dataclass(frozen=True)
class LevelFigures:
    """What the machine-readable formats (SARIF, JUnit, CSV) say of one system's level: the figures of its
    latest stored ``secaudit assess`` of that level, or that its rows were not assessed (issue 22)."""

    system_id: str
    level: int
    assessment: LevelAssessment | None      # None: no stored assessment of this level

    def text(self, lang: str) -> str:
        msg = level_assessment_message(self.level, self.assessment)
        return msg.render(lang) if msg is not None else ""

    def fields(self) -> dict[str, object]:
        """The figures as plain data: ``assessed`` is None when the level was not assessed."""
        a = self.assessment
        if a is None:
            return {"level": self.level, "assessed": None}
        return {"level": self.level, "assessed_at": a.assessed_at, "catalogue": a.catalogue, "rows": a.rows,
                "applicable": a.applicable, "assessed": a.assessed, "met": a["met"],
                "partially_met": a["partially_met"], "not_met": a["not_met"], "not_applicable": a["not_applicable"],
                "not_assessed": a["not_assessed"], "level_met": a.level_met}


def level_figures(results: Results) -> dict[str, LevelFigures]:
    """system id -> :class:`LevelFigures`, for every system of the run whose level is known."""
    assessed = assessments_by_system(results)
    out = {}
    leveled = leveled_run(results)
    for sr in results.systems:
        level = judged_level(sr, leveled)
        if level is None:
            continue
        a = assessed.get(sr.system_id)
        out[sr.system_id] = LevelFigures(sr.system_id, level, a if a is not None and a.level == level else None)
    return out


def network_scope(result: SystemResult, findings: Sequence[Finding], controls: Mapping[str, Control],
                  catalogue: Catalogue | None, assessment: LevelAssessment | None = None,
                  leveled: bool = True) -> NetworkScope:
    by_control: dict[str, list[Verdict]] = defaultdict(list)
    for f in findings:
        by_control[f.control_id].append(Verdict(f.verdict))
    good = {Verdict.PASS, Verdict.WAIVED}

    def passing(vs: list[Verdict]) -> bool:
        return any(v in good for v in vs) and all(v in good or v is Verdict.NOT_APPLICABLE for v in vs)

    def is_host(cid: str) -> bool:
        return cid in controls and controls[cid].check.startswith("host.")

    judged = {cid for cid, vs in by_control.items() if any(v is not Verdict.NOT_APPLICABLE for v in vs)}
    network = {cid: vs for cid, vs in by_control.items() if not is_host(cid)}
    host = [vs for cid, vs in by_control.items() if is_host(cid) and cid in judged]
    passed = sum(1 for vs in network.values() if passing(vs))
    na = sum(1 for vs in network.values() if all(v is Verdict.NOT_APPLICABLE for v in vs))
    level = judged_level(result, leveled)
    more = {"host_passed": sum(1 for vs in host if passing(vs)), "host_judged": len(host),
             "requirements": level_assessment_message(level, assessment)}
    if catalogue is None or level is None or not catalogue.rows(level):
        return NetworkScope(passed, len(network), na, **more)
    keys = {k for cid in judged if cid in controls for k in controls[cid].requirements}
    rows = catalogue.rows(level)
    return NetworkScope(passed, len(network), na, catalogue.standard, level, len(rows),
                        sum(1 for r in rows if r.key in keys), **more)


def run_catalogue(regime: str) -> Catalogue | None:
    """The requirement catalogue of the regime a run was classified under (its id or file, as stored): the one
    the regime's file names (``catalogue:``). None for a discovery run ("-"), a regime file no longer there or no
    longer valid, or a regime without a shipped catalogue: the report then names no rows of the level."""
    if not regime or regime == "-":
        return None
    try:
        reg = load_regime(regime)
    except InputError:
        return None
    return find_catalogue(reg.id, reg.catalogue)


def family_of(control: Control | None) -> str | None:
    """The family of a control's check: the first part of its registered name (``host.sshd`` -> ``host``)."""
    return control.check.split(".", 1)[0] if control is not None else None


_OWN_CHECK = "check"       # the argument by which a reason names the control's own check (evaluate.no_target, ...)


def _reason(message: Message) -> tuple[str, str]:
    """What makes two not-applicable findings' reasons the same: the message and its arguments, but the check."""
    return message.key, repr(sorted((k, repr(v)) for k, v in message.args.items() if k != _OWN_CHECK))


def _group_text(family: str, fvs: Sequence[FindingView], lang: str) -> str:
    message = fvs[0].finding.message
    if f"{message.key}.group" in catalog():       # the reason worded for several checks at once
        reason = Message(f"{message.key}.group",
                         {k: v for k, v in message.args.items() if k != _OWN_CHECK}).render(lang)
    else:                                         # else the reason itself, naming every check it concerns
        checks = ", ".join(dict.fromkeys(fv.control.check for fv in fvs if fv.control is not None))
        reason = Message(message.key, {**message.args, _OWN_CHECK: checks}).render(lang)
    label = t(f"report.family.{family}", lang) if f"report.family.{family}" in catalog() else family
    controls = len(dict.fromkeys(fv.finding.control_id for fv in fvs))
    return t("report.na_group", lang, family=label, count=controls, reason=reason)


def not_applicable_groups(findings: Iterable[FindingView], lang: str) -> tuple[NotApplicableGroup, ...]:
    """The not-applicable findings of one system that share a family and a reason, two or more per group, in
    the order their first finding comes."""
    groups: dict[tuple[str, str, tuple[str, str]], list[FindingView]] = {}
    for fv in findings:
        family = family_of(fv.control)
        if fv.verdict != Verdict.NOT_APPLICABLE or family is None:
            continue
        groups.setdefault((fv.finding.system_id, family, _reason(fv.finding.message)), []).append(fv)
    return tuple(NotApplicableGroup(sid, family, tuple(fvs), _group_text(family, fvs, lang))
                 for (sid, family, _), fvs in groups.items() if len(fvs) > 1)


def control_index(results: Results) -> dict[str, Control]:
    return {c.id: c for c in results.controls}


def waiver_text(finding: Finding, lang: str) -> str:
    w = finding.waiver
    if w is None:
        return ""
    return t("report.waiver.text", lang, reason=w.reason, approved_by=w.approved_by, expires=w.expires.isoformat())


def finding_view(f: Finding, controls: Mapping[str, Control], system_names: Mapping[str, str], lang: str) -> FindingView:
    control = controls.get(f.control_id)
    return FindingView(
        finding=f,
        control=control,
        system_name=system_names.get(f.system_id, f.system_id),
        title=local(control.title, lang) if control else f.control_id,
        message=f.message.render(lang),
        evidence=tuple(EvidenceView(label_text(e.label, lang), e.value) for e in f.evidence),
        warnings=tuple(w.render(lang) for w in f.warnings),
        remediation=local(control.remediation, lang) if control else "",
        references=tuple(f.references or (control.references if control else ())),
        waiver_text=waiver_text(f, lang),
    )


def fix_items(findings: Iterable[FindingView]) -> tuple[FixItem, ...]:
    """Failed findings grouped by control, most severe first, then most failing endpoints."""
    groups: dict[str, list[FindingView]] = defaultdict(list)
    for fv in findings:
        if fv.verdict == Verdict.FAIL:
            groups[fv.finding.control_id].append(fv)
    items = []
    for control_id, fvs in groups.items():
        severity = max((Severity(fv.severity) for fv in fvs), key=lambda s: s.rank)
        items.append(FixItem(
            control_id=control_id,
            title=fvs[0].title,
            severity=severity.value,
            count=len(fvs),
            systems=tuple(sorted({fv.finding.system_id for fv in fvs})),
            targets=tuple(sorted({fv.finding.target for fv in fvs})),
            remediation=fvs[0].remediation,
        ))
    items.sort(key=lambda i: (-Severity(i.severity).rank, -i.count, i.control_id))
    return tuple(items)


def build_view(results: Results, lang: str) -> ReportView:
    controls = control_index(results)
    names = {s.id: s.name for s in results.inventory.systems}
    names.update({s.system_id: s.name for s in results.systems if s.name})
    findings = tuple(finding_view(f, controls, names, lang) for f in sorted(results.findings, key=finding_sort_key))

    by_system: dict[str, list[FindingView]] = defaultdict(list)
    for fv in findings:
        by_system[fv.finding.system_id].append(fv)
    systems = []
    catalogue = run_catalogue(results.run.regime)
    assessed = assessments_by_system(results)
    leveled = leveled_run(results)
    for sr in results.systems:
        own = by_system.get(sr.system_id, [])
        counts = count_verdicts(fv.finding for fv in own)
        groups = not_applicable_groups(own, lang)
        systems.append(SystemView(
            result=sr,
            status=system_status(sr, counts),
            counts=counts,
            failed_by_severity=count_failed_by_severity(fv.finding for fv in own),
            compliance=compliance_ratio(counts),
            notes=tuple(n.render(lang) for n in sr.notes),
            top_failures=fix_items(own)[:5],
            network=network_scope(sr, [fv.finding for fv in own], controls, catalogue, assessed.get(sr.system_id),
                                  leveled),
            na_groups=groups,
            leveled=leveled,
        ))

    statuses = [s.status for s in systems]
    overall = next((s for s in STATUSES if s in statuses), STATUS_UNDETERMINED if not systems else STATUS_COMPLIANT)
    expired = tuple(
        t("report.waiver.expired_item", lang, control=w.control, system=w.system,
          endpoint=w.endpoint or t("report.waiver.all_endpoints", lang), expires=w.expires.isoformat(),
          approved_by=w.approved_by, reason=w.reason)
        for w in results.expired_waivers
    )
    obs_errors = tuple((o.target, o.reason_text(lang)) for o in results.observations if o.status == "error")
    return ReportView(
        results=results,
        lang=lang,
        systems=tuple(systems),
        findings=findings,
        fix_first=fix_items(findings),
        counts=count_verdicts(results.findings),
        failed_by_severity=count_failed_by_severity(results.findings),
        overall_status=overall,
        expired_waivers=expired,
        observation_errors=obs_errors,
        compliant_systems=statuses.count(STATUS_COMPLIANT),
        na_groups=tuple(g for sv in systems for g in sv.na_groups),
    )

