"""`secaudit status`: the classification programme at a glance, for a director (text and HTML).

Pure view of a :class:`~secaudit.programme.Programme`: the counts of the annual report's section 1
as of a day, and the systems that hold the organisation back with what each one lacks (most
important level first). Text goes through ``strip_controls``; HTML through the shared autoescaping
environment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from secaudit.classify.regime import Regime
from secaudit.i18n import t
from secaudit.model import Inventory, LevelAssessment, Severity, level_assessment_message
from secaudit.programme import Programme, SystemStanding
from secaudit.report.annual import Words
from secaudit.report.environment import environment
from secaudit.report.escape import strip_controls

LINES = ("classified", "dossier_built", "appraised", "approved", "on_time", "compliant")


@dataclass(frozen=True)
class Holding:
    id: str
    name: str
    level: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class StatusView:
    title: str
    total: int
    counts: tuple[tuple[str, int], ...]           # (label, count) in LINES order
    holding: tuple[Holding, ...]
    footer: str
    requirements: tuple[tuple[str, str, str], ...] = ()   # (id, name, what its latest `secaudit assess` found)


def _date(day: dt.date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def reasons(s: SystemStanding, lang: str, regime: Regime) -> tuple[str, ...]:
    """What keeps one system from being done, in the order a director acts on it (in ``regime``'s terms)."""
    w = Words(lang, regime)
    out = []
    if not s.classified:
        missing = [t(f"classify.fact.{m}", lang) for m in s.classification.missing]
        out.append(t("status.reason.unclassified", lang, missing=", ".join(missing) or "-"))
    a = s.approval
    if a.dossier is None:
        out.append(t("status.reason.no_dossier", lang))
    elif not s.approved:
        out.append(t("status.reason.dossier", lang, status=w.term(f"dossier_{a.dossier.value}")))
    if a.plan is not None and a.plan.value != "full":
        out.append(w("status.reason.plan", plan=w.term(f"plan_{a.plan.value}")))
    if s.latest is None:
        out.append(t("status.reason.never", lang))
    elif not s.periodic and s.next_due is not None:
        out.append(t("status.reason.overdue", lang, date=_date(s.next_due)))
    if s.compliant is False:
        failed = sum(getattr(s.latest, "failed_by_severity", {}).values())
        out.append(t("status.reason.non_compliant", lang, failed=failed))
    elif s.latest is not None and s.compliant is None:
        out.append(t("status.reason.unverified", lang))
    return tuple(out)


def overdue_reason(findings: Sequence[Any], lang: str) -> tuple[str, ...]:
    """Imported findings past their remediation deadline (secaudit import, policies/remediation.yaml)."""
    if not findings:
        return ()
    worst = max(findings, key=lambda f: (Severity(f.severity).rank, f.days_over))
    return (t("status.reason.overdue_findings", lang, n=len(findings),
              severity=t(f"report.severity.{worst.severity}", lang), days=worst.days_over),)


def requirement_lines(p: Programme, assessments: Mapping[str, LevelAssessment], lang: str
                      ) -> tuple[tuple[str, str, str], ...]:
    """Per system of known level: the figures of its latest stored assessment of that level, or "not assessed"."""
    out = []
    for s in p.systems:
        msg = level_assessment_message(s.level, assessments.get(s.system.id))
        if msg is not None:
            out.append((s.system.id, s.system.name, msg.render(lang)))
    return tuple(out)


def build_status(inventory: Inventory, regime: Regime, p: Programme, lang: str, store: str,
                 overdue: Mapping[str, Sequence[Any]] | None = None,
                 assessments: Mapping[str, LevelAssessment] | None = None) -> StatusView:
    """``assessments``: each system's latest stored ``secaudit assess`` under ``regime``."""
    counts = {"classified": p.count("classified"), "dossier_built": p.count("dossier_built"),
              "appraised": p.count("appraised"), "approved": p.count("approved"),
              "on_time": p.count("periodic"), "compliant": sum(1 for s in p.systems if s.compliant)}
    holding = []
    for s in sorted(p.systems, key=lambda s: (-(s.level or 6), s.system.id)):
        why = reasons(s, lang, regime) + overdue_reason((overdue or {}).get(s.system.id, ()), lang)
        if why:
            holding.append(Holding(s.system.id, s.system.name, str(s.level) if s.level else "?", why))
    title = Words(lang, regime)("status.title", organisation=inventory.organisation.name, date=_date(p.as_of),
                                   regime=regime.short.get(lang))
    return StatusView(
        title, len(p.systems),
        tuple((t(f"status.line.{k}", lang), counts[k]) for k in LINES), tuple(holding),
        t("status.generated", lang, file=inventory.source.file, store=store),
        requirement_lines(p, assessments or {}, lang))


def render_text(v: StatusView, lang: str) -> str:
    width = len(str(v.total))
    lines = [v.title, "", t("status.of", lang, total=v.total)]
    lines += [f"  {n:>{width}}/{v.total}  {label}" for label, n in v.counts]
    lines += ["", t("status.holding", lang) + ":"]
    if not v.holding:
        lines.append("  " + t("status.none_holding", lang))
    for h in v.holding:
        level = f"({t('status.col.level', lang).lower()} {h.level})"
        # Vietnamese is the official text: systems by their names, never the inventory's ids
        lines.append(f"  - {h.name} {level}" if lang == "vi" else f"  - {h.id} {level} {h.name}")
        lines += [f"      · {r}" for r in h.reasons]
    if v.requirements:
        lines += ["", t("assess.latest.heading", lang) + ":"]
        lines += [f"  {name}: {line}" if lang == "vi" else f"  {sid}: {line}" for sid, name, line in v.requirements]
    lines += ["", v.footer]
    return "\n".join(strip_controls(line, one_line=True) for line in lines) + "\n"


def render_html(v: StatusView, lang: str) -> str:
    return environment("html").get_template("status.html.j2").render(
        v=v, lang=lang, t=lambda key, **a: t(key, lang, **a))


# `secaudit status --format`: (view, lang) -> text
STATUS_FORMATS: Mapping[str, Callable[[StatusView, str], str]] = {"text": render_text, "html": render_html}


def render_status(v: StatusView, fmt: str, lang: str) -> str:
    return STATUS_FORMATS[fmt](v, lang)
