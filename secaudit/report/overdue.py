"""The annual report's part on other tools' findings past their remediation deadline (issue 24), as
document blocks: where the findings and the deadlines come from, counts per system and severity, the
days allowed at each level concerned, and the findings themselves, most overdue first.

Everything a tool's report put in a finding (rule id, host, title) is data: the document writers escape
it like any other value. A finding's title is English text from a third-party file, so the Vietnamese
document leaves it out and says where to read it; the English one quotes it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from secaudit.report.document import Paragraph, Table
from secaudit.store.remediation import DEADLINE_SEVERITIES, OverdueFinding, Sla

MAX_ROWS = 200                       # findings listed one by one; the counts cover all of them
TOOL_NAMES = {"greenbone": "Greenbone/OpenVAS", "nessus": "Nessus", "nuclei": "Nuclei", "openscap": "OpenSCAP",
              "lynis": "Lynis"}      # proper names; a plug-in's tool shows as its id


@dataclass(frozen=True)
class OverdueInput:
    """What the store says on ``day``: the overdue findings of the newest import of each scope, how many
    such imports there were, and the deadlines used (None: no import, so no deadline was read)."""

    day: dt.date
    imports: int = 0
    findings: tuple[OverdueFinding, ...] = ()
    sla: Sla | None = None
    standard: str = ""
    systems: Mapping[str, tuple[str, int | None]] = field(default_factory=dict)   # id -> (name, level)


def _basis(inp: OverdueInput, w: Any) -> str:
    sla = inp.sla
    assert sla is not None
    file = "policies/remediation.yaml" if sla.file.endswith("policies/remediation.yaml") else sla.file
    if sla.defaults:
        return w("annual.overdue.basis_defaults", file=file, standard=inp.standard)
    if sla.set_by:
        return w("annual.overdue.basis_set", set_by=sla.set_by, file=file)
    return w("annual.overdue.basis_unstated", file=file)


def _counts(findings: Sequence[OverdueFinding], inp: OverdueInput, w: Any) -> Table:
    by_system: dict[str, dict[str, int]] = {}
    for f in findings:
        row = by_system.setdefault(f.system_id, dict.fromkeys(DEADLINE_SEVERITIES, 0))
        row[f.severity] = row.get(f.severity, 0) + 1
    rows = []
    for n, (sid, counts) in enumerate(by_system.items(), 1):
        rows.append((w.lit(str(n)), inp.systems[sid][0], *(w.lit(str(counts[s])) for s in DEADLINE_SEVERITIES),
                     w.lit(str(sum(counts.values())))))
    totals = [sum(c[s] for c in by_system.values()) for s in DEADLINE_SEVERITIES]
    rows.append(("", w("annual.overdue.total_row"), *(w.lit(str(t)) for t in totals), w.lit(str(sum(totals)))))
    headers = (w("annual.col.no"), w("annual.col.name"), *(w(f"annual.overdue.sev.{s}") for s in DEADLINE_SEVERITIES),
               w("annual.overdue.col.total"))
    return Table(headers, tuple(rows), widths=(3, 20, 6, 6, 6, 6, 6), id="overdue-counts")


def _deadlines(findings: Sequence[OverdueFinding], sla: Sla, w: Any) -> Table:
    levels = sorted({f.level for f in findings}, key=lambda lv: (lv is None, lv or 0))
    rows = tuple((w.lit(str(lv)) if lv is not None else w("annual.overdue.level_unknown"),
                  *(w.lit(str(sla.days(s, lv))) if sla.days(s, lv) is not None else "" for s in DEADLINE_SEVERITIES))
                 for lv in levels)
    headers = (w("annual.overdue.col.level"), *(w(f"annual.overdue.sev.{s}") for s in DEADLINE_SEVERITIES))
    return Table(headers, rows, widths=(10, 6, 6, 6, 6), id="overdue-deadlines")


def _list(findings: Sequence[OverdueFinding], inp: OverdueInput, w: Any) -> Table:
    english = w.lang == "en"
    rows = []
    for n, f in enumerate(findings[:MAX_ROWS], 1):
        title = (f.title,) if english else ()
        rows.append((w.lit(str(n)), inp.systems[f.system_id][0], TOOL_NAMES.get(f.tool, f.tool), f.rule, *title,
                     w(f"report.severity.{f.severity}"), f.target, w.date(f.first_seen), w.date(f.due),
                     w.lit(str(f.days_over))))
    title_col = (w("annual.overdue.col.title"),) if english else ()
    headers = (w("annual.col.no"), w("annual.col.name"), w("annual.overdue.col.tool"), w("annual.overdue.col.rule"),
               *title_col, w("annual.overdue.col.severity"), w("annual.overdue.col.target"),
               w("annual.overdue.col.first"), w("annual.overdue.col.due"), w("annual.overdue.col.days"))
    widths = (3, 12, 8, 10, *((14,) if english else ()), 6, 10, 7, 7, 5)
    return Table(headers, tuple(rows), widths=widths, id="overdue-findings")


def overdue_blocks(inp: OverdueInput, w: Any) -> list[Any]:
    """The blocks after the part's heading; ``w`` is the annual report's :class:`~secaudit.report.annual.Words`.
    Only findings of systems in the report count (a finding of a system no longer in the inventory is not
    this report's)."""
    day = w.date(inp.day)
    if not inp.imports or inp.sla is None:
        return [Paragraph(w("annual.overdue.none_imported", date=day))]
    findings = [f for f in inp.findings if f.system_id in inp.systems]
    blocks: list[Any] = [Paragraph(w("annual.overdue.source", date=day, basis=_basis(inp, w)), "note")]
    if not findings:
        return blocks + [Paragraph(w("annual.overdue.none", n=inp.imports, date=day))]
    blocks += [Paragraph(w("annual.overdue.counts")), _counts(findings, inp, w),
               Paragraph(w("annual.overdue.deadlines")), _deadlines(findings, inp.sla, w),
               Paragraph(w("annual.overdue.list")), _list(findings, inp, w),
               Paragraph(w("annual.overdue.title_note"), "note")]
    if len(findings) > MAX_ROWS:
        blocks.append(Paragraph(w("annual.overdue.more", n=len(findings) - MAX_ROWS), "note"))
    return blocks
