"""The annual report on Form No. 08 (Decree 331/2026 Art. 35-36), built as a :class:`Document`.

Section 1 counts and section 3's twelve columns come from the inventory's approval facts and the
:class:`~secaudit.programme.Programme` (audit history included); section 2 from the organisation's
particulars. The table's fixed values (columns 6, 10 and 12: "Đang dự thảo" ... "Đã triển khai đầy đủ" ...)
are the regime's terms (``dossier_*``, ``plan_*``, ``assessed_*``): Form 08's under Decree 331. An
appendix carries what Art. 36 asks beyond the form: systems with grounds for the national-security
list, and each system's compliance in its latest run. Under Decree 85/2016 the same report uses
that regime's terms (an toàn thông tin) and basis.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Mapping

from secaudit.classify.regime import Regime
from secaudit.model import Body, Control, Decision, Inventory
from secaudit.programme import Programme, SystemStanding, report_period
from secaudit.requirements.assessment import add_months
from secaudit.requirements.catalogue import Row
from secaudit.requirements.citation import citer_for
from secaudit.report.terms import term, words_of
from secaudit.report.document import MOTTO, Bullets, Document, Header, Heading, Paragraph, Signature, Table
from secaudit.report.environment import MarkdownSafe, joiner, translator
from secaudit.report.overdue import OverdueInput, overdue_blocks

COLUMNS = ("no", "name", "owner", "operator", "level", "status", "decision", "regulation", "planned", "plan",
           "plan_planned", "assessed")
WIDTHS = (4, 13, 11, 11, 5, 9, 13, 12, 10, 10, 10, 10)


@dataclass(frozen=True)
class Words:
    """Catalog text in one language with one regime's terms filled in, for one output kind.

    For Markdown (``kind="md"``) catalog text is trusted and arguments are escaped
    (:func:`secaudit.report.environment.translator`), so the file reads "1. Thông tin chung" rather
    than "1\\. Thông tin chung"; a document built for Markdown is rendered only as Markdown. The regime's
    words and sentences (``terms:`` of its file) are data: escaped by
    :func:`secaudit.report.environment.data_text`."""

    lang: str
    regime: Regime
    kind: str = "txt"

    def term(self, name: str, **args: Any) -> str:
        """The regime's word or sentence ``name``; a sentence gets the three words and ``args`` filled in."""
        return term(self.regime, self.kind, self.lang, name, **args)

    def _t(self, key: str, **args: Any) -> str:
        return translator(self.kind, self.lang)(key, **args)

    def lit(self, text: str) -> str:
        """Text written by secaudit itself (numbers, constants): trusted like catalog text."""
        if self.kind != "md":
            return text
        return MarkdownSafe(text)

    def join(self, sep: str, items: Any) -> str:
        return joiner(self.kind)(sep, list(items))

    def __call__(self, key: str, **args: Any) -> str:
        return self._t(key, **{**words_of(self.regime, self.kind, self.lang), **args})

    def date(self, day: dt.date | None) -> str:
        return "" if day is None else self("doc.date", d=day.day, m=day.month, y=day.year)

    def decision(self, d: Decision | None) -> str:
        if d is None:
            return ""
        date = self.date(d.date) or self("doc.blank")
        if d.body:
            return self("doc.decision", number=d.number, date=date, body=d.body)
        return self("doc.decision_no_body", number=d.number, date=date)


@dataclass(frozen=True)
class AnnualInput:
    inventory: Inventory
    regime: Regime
    programme: Programme
    year: int
    failed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # system id -> controls failed in its latest run
    controls: Mapping[str, Control] = field(default_factory=dict)          # control id -> control (titles, requirement keys)
    assessments: Mapping[str, Any] = field(default_factory=dict)          # system id -> newest stored assessment
    #                                  (store.records.AssessmentRecord: generated_at, level, regime, counts, results)
    overdue: OverdueInput | None = None     # imported findings past their remediation deadline (issue 24)

    def assessment(self, system_id: str) -> Any | None:
        """The system's newest stored requirement assessment under this regime made by the period's end."""
        rec = self.assessments.get(system_id)
        if rec is None or rec.regime != self.regime.id or assessed_on(rec) > report_period(self.year)[1]:
            return None
        return rec

    def periodic(self, s: SystemStanding) -> bool:
        """Assessed periodically: approved, with a stored assessment of every row of its level (none left
        not assessed) made within the level's cadence before the period's end (Art. 27; x.7.2.1 cadence)."""
        rec = self.assessment(s.system.id)
        if rec is None or not s.approved or s.cadence_months is None or rec.counts.get("not_assessed", 0):
            return False
        return add_months(assessed_on(rec), s.cadence_months) >= report_period(self.year)[1]


def assessed_on(rec: Any) -> dt.date:
    return dt.date.fromisoformat(str(rec.generated_at)[:10])


def owner_name(inventory: Inventory) -> str:
    org = inventory.organisation
    details = org.owner_details
    return (details.name if details and details.name else "") or org.owner_body or org.name


def system_row(n: int, s: SystemStanding, inventory: Inventory, w: Words, periodic: bool = False) -> tuple[str, ...]:
    """One row of section 3: the twelve columns of Form 08."""
    a = s.approval
    approved = s.approved
    # "Periodic" is the Art. 27 assessment (compliance, hardening, penetration testing, source code): a network
    # scan within its cadence is not one; a stored assessment of every row of the level is (AnnualInput.periodic).
    assessed = [w.term("assessed_before_use")] if a.assessed_before_use else []
    if periodic:
        assessed.append(w.term("assessed_periodic"))
    level = str(s.level) if s.level is not None else w("annual.level_undetermined")
    return (
        str(n), s.system.name, inventory.organisation.owner_of(s.system), s.system.operator or w("doc.blank"), level,
        w.term(f"dossier_{a.dossier.value}") if a.dossier else "",
        w.decision(a.decision) if approved else "",
        w.decision(a.regulation),
        "" if approved else w.date(a.planned_approval),
        w.term(f"plan_{a.plan.value}") if a.plan else "",
        "" if a.plan and a.plan.value == "full" else w.date(a.plan_planned),
        w.join("; ", assessed),
    )


def _section1(inp: AnnualInput, w: Words) -> list[Any]:
    p = inp.programme
    expected = p.expected_completion
    if p.missing_planned_dates:
        names = [s.system.name for s in p.systems if s.system.id in p.missing_planned_dates]
        when = w("annual.s1.expected_unknown", systems=w.join(", ", names))
    elif all(s.approved for s in p.systems):
        when = w("annual.s1.all_approved", date=w.date(expected) or w("doc.blank"))
    else:
        when = w.date(expected)
    # counted from stored requirement assessments once there are any; a scan never counts (issue 22)
    periodic = (w("annual.s1.periodic_assessed", n=sum(1 for s in p.systems if inp.periodic(s)))
                if any(inp.assessment(s.system.id) for s in p.systems) else w("annual.s1.periodic", n=w("doc.blank")))
    items = (w("annual.s1.total", n=len(p.systems)), w("annual.s1.classified", n=p.count("classified")),
             w("annual.s1.dossiers", n=p.count("dossier_built")), w("annual.s1.appraised", n=p.count("appraised")),
             w("annual.s1.approved", n=p.count("approved")), periodic,
             w("annual.s1.expected", date=when))
    return [Heading(w("annual.s1"), 1, w.lit("1.")), Bullets(items)]


def _body_lines(body: Body | None, name: str, name_key: str, w: Words) -> tuple[str, ...]:
    """Items (1)-(5) of Form 08 section 2 for one body, the form's blank where the inventory has none."""
    b = body or Body(name=name)
    blank = w("doc.blank")
    return (w(name_key, value=name or blank), w("annual.field.founding", value=b.founding_document or blank),
            w("annual.field.head", head=b.head or blank, title=b.head_title or blank),
            w("annual.field.address", value=b.address or blank),
            w("annual.field.contact", phone=b.phone or blank, email=b.email or blank))


def owners(inp: "AnnualInput") -> list[str]:
    """The owner bodies of the systems reported, in the order they first appear."""
    org = inp.inventory.organisation
    found = list(dict.fromkeys(org.owner_of(s.system) for s in inp.programme.systems))
    first = owner_name(inp.inventory)                 # the reporting owner first, the others as they appear
    return sorted(found, key=lambda o: o != first)


def _section2(inp: "AnnualInput", w: Words) -> list[Any]:
    """Section 2 owner by owner, as the form asks when several bodies own systems: (a) the owner, (b) its own
    specialised unit (Art. 3.2), and (c) the operating units of its systems (Art. 36.1 names them too)."""
    org = inp.inventory.organisation
    blocks: list[Any] = [Heading(w("annual.s2"), 1, w.lit("2."))]
    names = owners(inp)
    for i, owner in enumerate(names, 1):
        if len(names) > 1:
            blocks.append(Heading(owner, 2, w.lit(f"2.{i}.")))
        unit = org.unit_of(owner)
        blocks += [Heading(w("annual.s2.owner"), 3, w.lit("a)")),
                   Bullets(_body_lines(org.body(owner), owner, "annual.field.owner_name", w)),
                   Heading(w("annual.s2.unit"), 3, w.lit("b)")),
                   Bullets(_body_lines(org.body(unit), unit, "annual.field.unit_name", w))]
        operators = list(dict.fromkeys(s.system.operator for s in inp.programme.systems
                                       if org.owner_of(s.system) == owner and s.system.operator))
        if operators:
            blocks.append(Heading(w("annual.s2.operator"), 3, w.lit("c)")))
            for op in operators:
                blocks.append(Bullets(_body_lines(org.body(op), op, "annual.field.operator_name", w)))
    return blocks


def _section3(inp: AnnualInput, w: Words) -> list[Any]:
    rows = tuple(system_row(i, s, inp.inventory, w, inp.periodic(s)) for i, s in enumerate(inp.programme.systems, 1))
    headers = tuple(w(f"annual.col.{c}") for c in COLUMNS)
    cadences = sorted({f"{s.cadence_citation}" for s in inp.programme.systems if s.cadence_citation})
    return [Heading(w("annual.s3"), 1, w.lit("3.")),
            Table(headers, rows, tuple(w.lit(f"({i})") for i in range(1, 13)), WIDTHS, id="form08-systems"),
            Paragraph(w("annual.notes", end=w.date(inp.programme.as_of), cadence=w.join("; ", cadences) or "-",
                        before_use=w.term("assessed_before_use"), periodic=w.term("assessed_periodic")), "note")]


def national_grounds(s: SystemStanding) -> list[str]:
    """Facts that may ground a proposal for the national-security list (for the owner to confirm)."""
    f = s.system.facts
    grounds = []
    if s.level == 5:
        grounds.append("level5")
    grounds += [name for name in ("national_data_store", "national_egov", "works_national_security",
                                  "defence_security") if getattr(f, name) is True]
    return grounds


def _appendix(inp: AnnualInput, w: Words) -> list[Any]:
    p = inp.programme
    blocks: list[Any] = [Heading(w("annual.appendix", basis=w.term("report_basis")), 1, ""),
                         Heading(w("annual.appendix.national", list=w.term("national_list")), 2, w.lit("1."))]
    listed = [(s, national_grounds(s)) for s in p.systems]
    listed = [(s, g) for s, g in listed if g]
    if listed:
        blocks.append(Table((w("annual.col.no"), w("annual.col.name"), w("annual.col.level"),
                             w("annual.appendix.col.grounds")),
                            tuple((str(i), s.system.name, str(s.level or ""),
                                   w.join("; ", (w(f"annual.ground.{g}") for g in grounds)))
                                  for i, (s, grounds) in enumerate(listed, 1)), widths=(3, 20, 6, 30),
                            id="national-list"))
    else:
        blocks.append(Paragraph(w("annual.appendix.national_none")))
    blocks.append(Paragraph(w("annual.appendix.national_reading"), "note"))
    blocks += _regulation_compliance(inp, w) + _roadmap(inp, w)
    blocks += [Heading(w("annual.appendix.compliance"), 2, w.lit("4.")), _compliance_table(p, w),
               Paragraph(w("annual.appendix.compliance_note", standard=inp.regime.standard), "note")]
    blocks += _overdue(inp, w)
    return blocks


def _overdue(inp: AnnualInput, w: Words) -> list[Any]:
    """Appendix 5: other tools' findings past their remediation deadline (report/overdue.py)."""
    data = inp.overdue or OverdueInput(min(report_period(inp.year)[1], dt.date.today()))
    return [Heading(w("annual.overdue.title"), 2, w.lit("5.")), *overdue_blocks(data, w)]


def _regulation_compliance(inp: AnnualInput, w: Words) -> list[Any]:
    """Art. 36.6-36.7 and 36.11: each system's quy chế decision and whether operation followed it. The decision
    comes from the inventory; compliance in operation is the owner's finding (Art. 27.2.b), left to fill."""
    rows = tuple((w.lit(str(i)), s.system.name,
                  w.decision(s.approval.regulation) or w("annual.regulation.none"), "", "")
                 for i, s in enumerate(inp.programme.systems, 1))
    return [Heading(w.term("annual_regulation"), 2, w.lit("2.")),
            Table((w("annual.col.no"), w("annual.col.name"), w("annual.col.regulation"),
                   w("annual.appendix.col.followed"), w("annual.appendix.col.remarks")), rows,
                  widths=(3, 16, 16, 14, 10), id="regulation"),
            Paragraph(w.term("annual_regulation_note"), "note")]


def roadmap_rows(inp: AnnualInput, w: Words) -> tuple[tuple[str, ...], ...]:
    """Art. 36.10: one row per requirement a system does not fully meet, with room for the plan and its date.
    Until a requirement assessment is stored, the rows come from the network controls failed in each system's
    latest scan, each cited by the catalogue's clause at the system's level."""
    citer = citer_for(inp.regime.id, inp.regime.standard, inp.regime.catalogue)
    rows: list[tuple[str, ...]] = []
    for s in inp.programme.systems:
        seen: set[str] = set()
        rec = inp.assessment(s.system.id)
        if rec is not None:                         # the stored assessment: every row not (fully) met
            source = w("annual.roadmap.from_assessment", date=w.date(assessed_on(rec)))
            level_rows = citer.catalogue.rows(rec.level) if citer.catalogue and rec.level else ()
            for row in level_rows:                  # in the standard's clause order
                if rec.results.get(row.key) in ("not_met", "partially_met"):
                    rows.append((s.system.name, _requirement(w, inp.regime.standard, row), source))
            continue
        source = w("annual.roadmap.from_scan")
        for cid in inp.failed.get(s.system.id, ()):
            ctl = inp.controls.get(cid)
            if ctl is None:
                continue
            found = [(k, citer.row(k, s.level)) for k in ctl.requirements]
            found = [(k, r) for k, r in found if r is not None]
            if not found:
                label = ctl.title.get(w.lang)
                if label not in seen:
                    seen.add(label)
                    rows.append((s.system.name, label, source))
                continue
            for key, row in found:
                if key not in seen:
                    seen.add(key)
                    rows.append((s.system.name, _requirement(w, inp.regime.standard, row), source))
    return tuple((w.lit(str(i)), name, req, w("annual.roadmap.not_met"), source, "", "")
                 for i, (name, req, source) in enumerate(rows, 1))


def _requirement(w: Words, standard: str, row: Row) -> str:
    """A roadmap row's requirement: the standard's clause and the text, or the row's basis when the standard has
    no clause for it."""
    if row.basis is not None:
        return w("annual.roadmap.requirement_basis", basis=row.basis.get(w.lang), text=row.text.get(w.lang))
    return w("annual.roadmap.requirement", standard=standard, clause=row.clause, text=row.text.get(w.lang))


def _roadmap(inp: AnnualInput, w: Words) -> list[Any]:
    rows = roadmap_rows(inp, w)
    blocks: list[Any] = [Heading(w.term("annual_roadmap"), 2, w.lit("3.")),
                         Paragraph(w("annual.roadmap.source"), "note")]
    if rows:
        blocks.append(Table((w("annual.col.no"), w("annual.col.name"), w("annual.roadmap.col.requirement"),
                             w("annual.roadmap.col.status"), w("annual.roadmap.col.source"),
                             w("annual.roadmap.col.plan"), w("annual.roadmap.col.due")), rows,
                            widths=(3, 11, 22, 7, 9, 12, 6), id="roadmap"))
    else:
        blocks.append(Paragraph(w("annual.roadmap.none")))
    return blocks


def compliance_row(n: int, s: SystemStanding, w: Words) -> tuple[str, ...]:
    r = s.latest
    if r is None:
        return (str(n), s.system.name, str(s.level or ""), "", "", "", w("annual.result.never"), "")
    ratio = "" if r.compliance is None else f"{round(r.compliance * 100)}%"
    return (str(n), s.system.name, str(r.required_level or s.level or ""), str(r.achieved_level or "-"),
            w.date(r.date), ratio, w(f"annual.result.{r.status}"), w.date(s.next_due))


def _compliance_table(p: Programme, w: Words) -> Table:
    headers = (w("annual.col.no"), w("annual.col.name"), w("annual.col.required"), w("annual.col.achieved"),
               w("annual.col.run_date"), w("annual.col.compliance"), w("annual.col.result"),
               w("annual.col.next_due"))
    rows = tuple(compliance_row(i, s, w) for i, s in enumerate(p.systems, 1))
    return Table(headers, rows, widths=(3, 18, 6, 6, 8, 6, 14, 8), id="compliance")


def build_annual_report(inp: AnnualInput, lang: str, kind: str = "txt") -> Document:
    """Form 08 for ``lang``; ``kind="md"`` when it will be rendered as Markdown (see :class:`Words`)."""
    w = Words(lang, inp.regime, kind)
    start, end = report_period(inp.year)
    org = inp.inventory.organisation
    owner = owner_name(inp.inventory)
    header = Header(superior="", issuer=owner.upper(), number=w("annual.number"), subject=w("annual.subject"),
                    place_date=w("doc.place_date", place=org.place or w("doc.place_blank"), year=inp.year),
                    motto=(w.lit(MOTTO[0]), w.lit(MOTTO[1])),
                    recipient=w("annual.recipient", recipient=w.term("ministry")))
    blocks: list[Any] = [Paragraph(w("annual.intro", basis=w.term("report_basis"), owner=owner,
                                     start=w.date(start), end=w.date(end)))]
    blocks += _section1(inp, w) + _section2(inp, w) + _section3(inp, w)
    blocks.append(Signature((w("doc.recipients"), w("doc.as_above"), w("doc.archive")), w("annual.sign_title"),
                            w("doc.sign_hint")))
    blocks += _appendix(inp, w)
    blocks.append(Paragraph(w("doc.generated", file=inp.inventory.source.file), "note"))
    return Document("annual_report", w("annual.title", year=inp.year), header, tuple(blocks), lang, landscape=True)

