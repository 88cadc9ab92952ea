"""History outputs: ``runs`` (text, json), ``diff`` (text, md, json, html), ``due`` (text, md, json), ``trend``
(text, json, svg). Each command's formats are an explicit registry here (:data:`RUNS_FORMATS`,
:data:`DIFF_FORMATS`, :data:`DUE_FORMATS`, :data:`TREND_FORMATS`): the CLI's choices are read from them.

Pure functions of the store's records. Every value that may come from a scanned server or an
input file (messages, certificate names, service banners, system names) goes through the
format's escaper: :func:`strip_controls` for text, :func:`markdown_text` for Markdown,
autoescaping for HTML.
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any, Callable, Iterable, Mapping, Sequence

from secaudit.i18n import t
from secaudit.model import level_assessment_message
from secaudit.report.environment import environment
from secaudit.report.escape import markdown_prose, markdown_text, strip_controls
from secaudit.store.diff import CATEGORIES, RunDiff
from secaudit.store.due import DueReport
from secaudit.store.records import RunRecord, SystemRecord

DIFF_SCHEMA = "secaudit/diff/v1"
DUE_SCHEMA = "secaudit/due/v1"
# v2: "systems_compliant" and "compliance" said more than a scan shows; they are the systems passing every
# network control and the share of network checks passed, and a system's status says "network_controls_*".
TREND_SCHEMA = "secaudit/trend/v2"
JSON_STATUS = {"compliant": "network_controls_pass", "non_compliant": "network_controls_fail"}


# ------------------------------------------------------------------------------------- diff: data


def _run(r: RunRecord) -> dict[str, Any]:
    return {"id": r.id, "started_at": r.started_at, "inventory_file": r.inventory_file, "regime": r.regime,
            "scope": r.scope, "complete": r.complete}


def diff_to_dict(d: RunDiff, lang: str) -> dict[str, Any]:
    findings = {}
    for category in CATEGORIES:
        findings[category] = [{
            "system": c.system_id, "control": c.control_id, "target": c.target, "severity": c.severity,
            "severity_before": c.before.severity if c.before else None,
            "verdict_before": c.before.verdict if c.before else None,
            "verdict_after": c.after.verdict if c.after else None,
            "message": c.current.message.render(lang),
        } for c in d.findings.get(category, ())]
    cert = lambda c: {"sha256": c.sha256, "subject": c.subject, "issuer": c.issuer, "key": c.key,  # noqa: E731
                      "not_after": c.not_after, "signature_algorithm": c.signature_algorithm}
    return {
        "schema": DIFF_SCHEMA, "run_a": _run(d.run_a), "run_b": _run(d.run_b), "changed": d.changed,
        "summary": {**{c: d.count(c) for c in CATEGORIES}, "levels": len(d.levels),
                    "ports_opened": sum(1 for p in d.ports if p.change == "opened"),
                    "ports_closed": sum(1 for p in d.ports if p.change == "closed"),
                    "certificates": len(d.certificates)},
        "findings": findings,
        "levels": [{"system": c.system_id, "name": c.name, "field": c.field, "before": c.before, "after": c.after}
                   for c in d.levels],
        "ports": [{"change": p.change, "system": p.system_id, "host": p.host, "port": p.port, "protocol": p.protocol,
                   "service": p.service} for p in d.ports],
        "certificates": [{"system": c.system_id, "target": c.target, "fields": list(c.fields), "before": cert(c.before),
                          "after": cert(c.after)} for c in d.certificates],
    }


# ------------------------------------------------------------------------------------- diff: human


def _level_value(field: str, value: Any, lang: str) -> str:
    if field == "status":
        return t(f"report.status.{value}", lang)
    if field == "system":
        return t("history.diff.present" if value else "history.diff.absent", lang)
    return t("report.level.unknown", lang) if value is None else t("report.level.none", lang) if value == 0 else str(value)


def _diff_lines(d: RunDiff, lang: str, esc: Callable[[Any], str], bullet: str, heading: Callable[[str], str],
                show_still: bool) -> list[str]:
    lines = [heading(t("history.diff.title", lang, a=esc(d.run_a.id), b=esc(d.run_b.id))),
             t("history.diff.runs", lang, a=esc(d.run_a.started_at), b=esc(d.run_b.started_at)), ""]
    if not d.changed:
        lines += [t("history.diff.nothing", lang), ""]
    for category in CATEGORIES:
        items = d.findings.get(category, ())
        if not items or (category == "still_failing" and not show_still):
            continue
        lines.append(heading(t(f"history.diff.cat.{category}", lang) + f" ({len(items)})"))
        for c in items:
            sev = c.severity if category != "severity_changed" else f"{c.before.severity} → {c.after.severity}"
            lines.append(f"{bullet}[{esc(sev)}] {esc(c.system_id)} · {esc(c.control_id)} · {esc(c.target)}: "
                         f"{esc(c.current.message.render(lang))}")
        lines.append("")
    if d.levels:
        lines.append(heading(t("history.diff.levels", lang) + f" ({len(d.levels)})"))
        for c in d.levels:
            lines.append(f"{bullet}{esc(c.system_id)}: {t(f'history.diff.field.{c.field}', lang)} "
                         f"{esc(_level_value(c.field, c.before, lang))} → {esc(_level_value(c.field, c.after, lang))}")
        lines.append("")
    if d.ports:
        lines.append(heading(t("history.diff.ports", lang) + f" ({len(d.ports)})"))
        for p in d.ports:
            lines.append(f"{bullet}{t(f'history.diff.port.{p.change}', lang)} {esc(p.system_id)} · "
                         f"{esc(p.host)} {p.port}/{esc(p.protocol)} {esc(p.service)}".rstrip())
        lines.append("")
    if d.certificates:
        lines.append(heading(t("history.diff.certificates", lang) + f" ({len(d.certificates)})"))
        for c in d.certificates:
            parts = ", ".join(f"{f}: {esc(getattr(c.before, f))} → {esc(getattr(c.after, f))}" for f in c.fields)
            lines.append(f"{bullet}{esc(c.system_id)} · {esc(c.target)}: {parts or t('history.diff.reissued', lang)}")
        lines.append("")
    return lines


def render_diff(d: RunDiff, fmt: str, lang: str, show_still: bool = False) -> str:
    return DIFF_FORMATS[fmt](d, lang, show_still)


def _diff_json(d: RunDiff, lang: str, show_still: bool) -> str:
    return json.dumps(diff_to_dict(d, lang), ensure_ascii=False, indent=2) + "\n"


def _diff_md(d: RunDiff, lang: str, show_still: bool) -> str:
    return "\n".join(_diff_lines(d, lang, markdown_text, "- ", lambda h: "## " + h, show_still)).rstrip() + "\n"


def _diff_text(d: RunDiff, lang: str, show_still: bool) -> str:
    text = lambda v: strip_controls(v, one_line=True)  # noqa: E731
    return "\n".join(_diff_lines(d, lang, text, "  - ", lambda h: h, show_still)).rstrip() + "\n"


def _diff_html(d: RunDiff, lang: str, show_still: bool) -> str:
    data = diff_to_dict(d, lang)
    categories = [c for c in CATEGORIES if data["findings"][c] and (show_still or c != "still_failing")]
    def _(key: str, **args: Any) -> str:
        return t(key, lang, **args)
    return environment("html").get_template("diff.html.j2").render(
        data=data, categories=categories, lang=lang, _=_,
        level_value=lambda f, v: _level_value(f, v, lang))


# `secaudit diff --format`: (diff, lang, show still failing) -> text
DIFF_FORMATS: Mapping[str, Callable[[RunDiff, str, bool], str]] = {
    "text": _diff_text, "md": _diff_md, "json": _diff_json, "html": _diff_html}


# ------------------------------------------------------------------------------------- due


def due_to_dict(report: DueReport, lang: str) -> dict[str, Any]:
    systems = []
    for s in report.systems:
        regimes = {}
        for regime, status, level in zip(report.regimes, s.regimes, s.levels):
            regimes[regime] = None if status is None else {
                "level": level, "duty": status.cadence.kind, "months": status.cadence.months,
                "citation": status.cadence.cite(lang),
                "next_due": status.next_due.isoformat() if status.next_due else None,
                "overdue": status.overdue, "days_left": status.days_left}
        systems.append({"system": s.system_id, "name": s.name, "last_run": s.last_run, "unmeasured": s.unmeasured,
                        "last": s.last.isoformat() if s.last else None, "overdue": s.overdue, "regimes": regimes})
    return {"schema": DUE_SCHEMA, "today": report.today.isoformat(), "horizon_days": report.horizon_days,
            "overdue": len(report.overdue), "systems": systems,
            "certificates": [{"system": c.system_id, "target": c.target, "subject": c.subject, "issuer": c.issuer,
                              "not_after": c.not_after, "days_left": c.days_left, "run": c.run_id}
                             for c in report.certificates],
            "overdue_findings": [{"system": f.system_id, "tool": f.tool, "rule": f.rule, "title": f.title,
                                  "severity": f.severity, "target": f.target, "level": f.level,
                                  "first_seen": f.first_seen.isoformat(), "due": f.due.isoformat(),
                                  "days_over": f.days_over, "run": f.run_id} for f in report.findings],
            "evidence": [{"entry": e.entry.id, "title": e.entry.title, "officer": str(e.entry.officer),
                          "requirements": list(e.entry.requirements), "systems": list(e.systems),
                          "valid_until": e.valid_until.isoformat(), "days_left": e.days_left}
                         for e in report.evidence]}


def _due_cell(status: Any, level: int | None, lang: str, esc: Callable[[str], str]) -> str:
    if status is None:
        return t("history.due.undetermined", lang)
    when = status.next_due.isoformat() if status.next_due else t("history.due.now", lang)
    mark = t("history.due.overdue_mark", lang) if status.overdue else ""
    duty = t(f"history.due.duty.{status.cadence.kind}", lang)
    return t("history.due.cell", lang, level=level, duty=duty, when=when, months=status.cadence.months,
             citation=esc(status.cadence.cite(lang))) + mark


def render_due(report: DueReport, fmt: str, lang: str) -> str:
    return DUE_FORMATS[fmt](report, lang)


def _due_json(report: DueReport, lang: str) -> str:
    return json.dumps(due_to_dict(report, lang), ensure_ascii=False, indent=2) + "\n"


def _due_lines(report: DueReport, lang: str, fmt: str) -> str:
    esc = markdown_text if fmt == "md" else (lambda v: strip_controls(v, one_line=True))
    prose = markdown_prose if fmt == "md" else esc           # the regime's own words (its file is data)
    bullet, head = ("- ", "## ") if fmt == "md" else ("  - ", "")
    lines = [head + t("history.due.title", lang, today=report.today.isoformat(), overdue=len(report.overdue)), ""]
    for s in report.systems:
        last = s.last.isoformat() if s.last else t("history.due.never", lang)
        flag = t("history.due.overdue" if s.overdue else "history.due.unknown" if s.undetermined else "history.due.ok",
                 lang)
        lines.append(f"{bullet}{flag} {esc(s.system_id)} ({esc(s.name)}) — {t('history.due.last', lang, last=last)}"
                     + (t("history.due.unmeasured", lang) if s.unmeasured else ""))
        for label, status, level in zip(report.labels, s.regimes, s.levels):
            lines.append(f"{'  ' if fmt == 'md' else '      '}- {prose(label.get(lang))}: "
                         f"{_due_cell(status, level, lang, prose)}")
    lines += ["", head + t("history.due.certs", lang, days=report.horizon_days, n=len(report.certificates))]
    if not report.certificates:
        lines.append(t("history.due.no_certs", lang))
    for c in report.certificates:
        key = "history.due.cert_expired" if c.days_left < 0 else "history.due.cert_expires"
        lines.append(f"{bullet}{esc(c.system_id)} · {esc(c.target)}: " + t(
            key, lang, date=esc(c.not_after[:10]), days=abs(c.days_left), subject=esc(c.subject),
            issuer=esc(c.issuer)))
    if report.findings:
        lines += ["", head + t("history.due.findings", lang, n=len(report.findings))]
    for f in report.findings:
        lines.append(f"{bullet}{esc(f.system_id)} · {esc(f.target)}: " + t(
            "history.due.finding", lang, severity=t(f"report.severity.{f.severity}", lang),
            first=f.first_seen.isoformat(), due=f.due.isoformat(), days=f.days_over, tool=esc(f.tool),
            rule=esc(f.rule), title=esc(f.title)))
    if report.evidence:
        lines += ["", head + t("history.due.evidence", lang, days=report.horizon_days, n=len(report.evidence))]
    for e in report.evidence:
        key = "history.due.evidence_expired" if e.days_left < 0 else "history.due.evidence_expires"
        lines.append(f"{bullet}{esc(e.entry.id)}: " + t(key, lang, date=e.valid_until.isoformat(),
                                                         days=abs(e.days_left), title=esc(e.entry.title),
                                                         officer=esc(str(e.entry.officer)),
                                                         systems=len(e.systems)))
    return "\n".join(lines).rstrip() + "\n"


# `secaudit due --format`: (report, lang) -> text
DUE_FORMATS: Mapping[str, Callable[[DueReport, str], str]] = {
    "text": partial(_due_lines, fmt="text"), "md": partial(_due_lines, fmt="md"), "json": _due_json}


# ------------------------------------------------------------------------------------- trend


def trend_to_dict(system_id: str | None, runs: Sequence[RunRecord], history: Sequence[SystemRecord]) -> dict:
    return {"schema": TREND_SCHEMA, "system": system_id,
            "runs": [{"run": r.id, "started_at": r.started_at, "systems_total": r.systems_total,
                      "systems_passing_network_controls": r.systems_compliant, "findings_failed": r.findings_failed}
                     for r in runs],
            "system_runs": [{"run": s.run_id, "started_at": s.started_at, "required_level": s.required_level,
                             "network_controls_met_to_level": s.achieved_level,
                             "status": JSON_STATUS.get(s.status, s.status), "failed": s.counts.get("fail", 0),
                             "network_checks_passed": s.compliance} for s in history]}


def render_trend(system_id: str, history: Sequence[SystemRecord], fmt: str, lang: str) -> str:
    return TREND_FORMATS[fmt](system_id, history, lang)


def _trend_json(system_id: str, history: Sequence[SystemRecord], lang: str) -> str:
    return json.dumps(trend_to_dict(system_id, (), history), ensure_ascii=False, indent=2) + "\n"


def _trend_text(system_id: str, history: Sequence[SystemRecord], lang: str) -> str:
    esc = lambda v: strip_controls(v, one_line=True)  # noqa: E731
    lines = [t("history.trend.title", lang, system=esc(system_id), n=len(history))]
    for s in history:
        pct = "–" if s.compliance is None else f"{round(s.compliance * 100)}%"
        lines.append(t("history.trend.row", lang, date=s.started_at[:16].replace("T", " "), run=esc(s.run_id),
                       required=_level_value("required_level", s.required_level, lang),
                       achieved=_level_value("achieved_level", s.achieved_level, lang),
                       status=t(f"report.status.{s.status}", lang), failed=s.counts.get("fail", 0), pct=pct))
    if len(history) >= 2:
        lines.append(sparkline([s.counts.get("fail", 0) for s in history]) + "  " + t("history.trend.failing", lang))
    return "\n".join(lines) + "\n"


# `secaudit trend --format`: (system id, its records, lang) -> text
TREND_FORMATS: Mapping[str, Callable[[str, Sequence[SystemRecord], str], str]] = {
    "text": _trend_text, "json": _trend_json}


# ------------------------------------------------------------------------------------- runs


# system id -> (required level in its latest scan, its latest stored assessment's figures or None)
LevelFigures = Mapping[str, "tuple[int | None, Any]"]


def render_runs(runs: Sequence[RunRecord], fmt: str, lang: str, levels: LevelFigures | None = None) -> str:
    return RUNS_FORMATS[fmt](runs, lang, levels or {})


def _runs_json(runs: Sequence[RunRecord], lang: str, levels: LevelFigures) -> str:
    # v2: "systems_compliant" became "systems_passing_network_controls" (a scan shows no more)
    return json.dumps({"schema": "secaudit/runs/v2", "runs": [
        {"id": r.id, "started_at": r.started_at, "finished_at": r.finished_at, "inventory_file": r.inventory_file,
         "regime": r.regime, "complete": r.complete, "systems": list(r.system_ids),
         "systems_passing_network_controls": r.systems_compliant, "systems_total": r.systems_total,
         "findings_failed": r.findings_failed, "scope": r.scope, "kind": r.kind} for r in runs],
        # what was assessed of each system's level: its latest stored `secaudit assess` (null: none)
        "requirements": [_figures_json(sid, level, a) for sid, (level, a) in levels.items()]},
        ensure_ascii=False, indent=2) + "\n"


def _figures_json(system_id: str, level: int | None, a: Any) -> dict[str, Any]:
    figures = {"assessed_at": None, "rows": None, "applicable": None, "assessed": None, "met": None,
               "not_met": None, "level_met": False}
    if a is not None and a.level == level:
        figures = {"assessed_at": a.assessed_at, "rows": a.rows, "applicable": a.applicable, "assessed": a.assessed,
                   "met": a["met"], "not_met": a["not_met"], "level_met": a.level_met}
    return {"system": system_id, "level": level, **figures}


def _runs_text(runs: Sequence[RunRecord], lang: str, levels: LevelFigures) -> str:
    lines = [t("history.runs.header", lang)] if runs else [t("history.runs.none", lang)]
    for r in runs:
        if r.kind == "import":                 # another tool's report: it judges no level, so no "compliant" count
            lines.append(t("history.runs.import_row", lang, run=r.id, date=r.started_at[:16].replace("T", " "),
                           tool=strip_controls(r.tool_version, one_line=True), failed=r.findings_failed,
                           inventory=strip_controls(r.inventory_file, one_line=True)))
            continue
        lines.append(t("history.runs.row", lang, run=r.id, date=r.started_at[:16].replace("T", " "),
                       compliant=r.systems_compliant, total=r.systems_total, failed=r.findings_failed,
                       inventory=strip_controls(r.inventory_file, one_line=True)))
    if levels:
        lines += ["", t("assess.latest.heading", lang) + ":"]
        lines += [f"  {sid}: {msg.render(lang)}" for sid, (level, a) in levels.items()
                  if (msg := level_assessment_message(level, a)) is not None]
    return "\n".join(lines) + "\n"


# `secaudit runs --format`: (runs, lang, level figures) -> text
RUNS_FORMATS: Mapping[str, Callable[[Sequence[RunRecord], str, LevelFigures], str]] = {
    "text": _runs_text, "json": _runs_json}


def sparkline(values: Iterable[int]) -> str:
    values = list(values)
    top = max(values, default=0) or 1
    bars = "▁▂▃▄▅▆▇█"
    return "".join(bars[min(len(bars) - 1, round(v / top * (len(bars) - 1)))] for v in values)


def trend_chart(runs: Sequence[RunRecord], width: int = 560, height: int = 160, pad: int = 28) -> dict[str, Any]:
    """Geometry of the HTML trend chart (oldest run first): compliant systems and failing findings.

    Two polylines over the runs, each scaled to its own maximum; plain numbers for an inline SVG."""
    n = len(runs)
    def xs(i: int) -> float:
        return round(pad + (width - 2 * pad) * (i / (n - 1) if n > 1 else 0.5), 1)
    def line(values: list[int]) -> tuple[str, int]:
        top = max(values, default=0) or 1
        pts = [(xs(i), round(height - pad - (height - 2 * pad) * v / top, 1)) for i, v in enumerate(values)]
        return " ".join(f"{x},{y}" for x, y in pts), max(values, default=0)
    compliant, ctop = line([r.systems_compliant for r in runs])
    failing, ftop = line([r.findings_failed for r in runs])
    points = [{"x": xs(i), "run": r.id, "date": r.started_at[:10], "compliant": r.systems_compliant,
               "total": r.systems_total, "failed": r.findings_failed} for i, r in enumerate(runs)]
    return {"width": width, "height": height, "pad": pad, "compliant": compliant, "failing": failing,
            "compliant_max": ctop, "failing_max": ftop, "points": points}
