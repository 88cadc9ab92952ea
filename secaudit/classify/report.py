"""Rendering classifications for people (text, Markdown, HTML) and tools (JSON, CSV).

Pure: every function takes results and returns a string; the CLI decides where it goes. The view
built by :func:`system_view` is shared by every format (and by the dossier), so all of them say the
same thing. Strings from the inventory are data: Markdown and HTML escape them, CSV neutralises
formula prefixes.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from secaudit.classify.citation import article_ref, cite
from secaudit.classify.regime import Regime
from secaudit.classify.result import Classification, Status
from secaudit.i18n import t
from secaudit.model import Inventory, System

JSON_SCHEMA_ID = "secaudit/classification/v1"


@dataclass(frozen=True)
class CriterionView:
    id: str
    level: int
    citation: str
    text: str
    status: str                 # Status value
    status_label: str


@dataclass(frozen=True)
class InterpretationView:
    id: str
    text: str
    flag: str                   # "" when the reading needs no confirmation
    assumed: str                # "damage = serious" ...


@dataclass(frozen=True)
class SystemView:
    id: str
    name: str
    level: int | None
    level_label: str
    lower_bound: int
    declared: str
    declared_status: str
    declared_label: str
    deciding: str               # "d331-13.2.b (điểm b khoản 2 Điều 13 ...)" or component/interpretation
    deciding_text: str
    deciding_short: str         # for tables: "d331-13.2.b (điểm b khoản 2 Điều 13)"
    appraiser: str
    approver: str
    appraisal_deadline: str
    approval_deadline: str
    authority_citation: str
    periodic: str
    periodic_months: int | None
    missing: tuple[str, ...]
    missing_labels: tuple[str, ...]
    matched: tuple[CriterionView, ...]
    criteria: tuple[CriterionView, ...]
    interpretations: tuple[InterpretationView, ...]
    components: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def level_label(c: Classification, lang: str) -> str:
    if c.level is not None:
        return t("classify.level.value", lang, level=c.level)
    if c.lower_bound:
        return t("classify.level.at_least", lang, level=c.lower_bound)
    return t("classify.level.undetermined", lang)


def _deadline(d: Any, lang: str) -> str:
    if d is None:
        return t("classify.deadline.none", lang)
    key = "classify.deadline.working_days" if d.working else "classify.deadline.days"
    return t(key, lang, days=d.days)


def system_view(c: Classification, system: System, regime: Regime, lang: str) -> SystemView:
    def crit_view(r: Any) -> CriterionView:
        crit = regime.criterion(r.id)
        if r.status is Status.UNKNOWN:
            label = t("classify.status.unknown", lang, missing=", ".join(r.missing))
        else:
            label = t(f"classify.status.{r.status.value}", lang)
        return CriterionView(r.id, r.level, cite(r.article, regime, lang), crit.text.get(lang), r.status.value,
                             label)

    criteria = tuple(crit_view(r) for r in c.criteria)
    deciding = deciding_text = deciding_short = ""
    if c.deciding is not None:
        d = c.deciding
        if d.kind == "criterion":
            deciding = f"{d.id} ({cite(d.article, regime, lang)})"
            deciding_short = f"{d.id} ({article_ref(d.article, lang)})"
            deciding_text = regime.criterion(d.id).text.get(lang)
        elif d.kind == "interpretation":
            deciding = t("classify.deciding.interpretation", lang, id=d.id)
            deciding_text = regime.interpretation(d.id).text.get(lang)
            deciding_short = deciding
        else:
            deciding = deciding_short = t("classify.deciding.component", lang, id=d.id, level=d.level)

    appraiser = approver = appraisal = approval = authority_cite = periodic = ""
    months = None
    if c.level is not None:
        a = regime.authority(c.level)
        appraiser, approver = a.appraiser.get(lang), a.approver.get(lang)
        appraisal, approval = _deadline(a.appraisal, lang), _deadline(a.approval, lang)
        authority_cite = cite(a.article, regime, lang)
        p = regime.periodic_for(c.level)
        months = p.months
        periodic = t("classify.periodic.months", lang, months=p.months)
        if p.note:
            periodic += f" ({p.note.get(lang)})"

    interps = []
    for ai in c.interpretations:
        it = regime.interpretation(ai.id)
        interps.append(InterpretationView(ai.id, it.text.get(lang), it.flag.get(lang) if it.flag else "",
                                          ", ".join(f"{k} = {v}" for k, v in ai.assumed.items())))
    comps = tuple(f"{cl.id}: " + (t("classify.level.value", lang, level=cl.level) if cl.level is not None
                                  else t("classify.level.at_least", lang, level=cl.lower_bound))
                  for cl in c.components)
    return SystemView(
        id=c.system_id, name=system.name, level=c.level, level_label=level_label(c, lang),
        lower_bound=c.lower_bound,
        declared=str(c.declared_level) if c.declared_level is not None else "",
        declared_status=c.declared_status.value,
        declared_label=t(f"classify.declared.{c.declared_status.value}", lang),
        deciding=deciding, deciding_text=deciding_text, deciding_short=deciding_short,
        appraiser=appraiser, approver=approver,
        appraisal_deadline=appraisal, approval_deadline=approval, authority_citation=authority_cite,
        periodic=periodic, periodic_months=months, missing=c.missing,
        missing_labels=tuple(t(f"classify.fact.{m}", lang) for m in c.missing),
        matched=tuple(v for v in criteria if v.status == Status.MET.value), criteria=criteria,
        interpretations=tuple(interps), components=comps,
        warnings=tuple(m.render(lang) for m in c.warnings), notes=tuple(m.render(lang) for m in c.notes))


def views(results: Sequence[Classification], inventory: Inventory, regime: Regime, lang: str) -> list[SystemView]:
    return [system_view(c, inventory.system(c.system_id), regime, lang) for c in results]


def summary_line(results: Sequence[Classification], lang: str) -> str:
    return t("classify.summary", lang, count=len(results),
             undetermined=sum(1 for c in results if c.level is None),
             underclassified=sum(1 for c in results if c.underclassified))


# --------------------------------------------------------------------------- table columns


def _table_headers(lang: str) -> list[str]:
    return [t(k, lang) for k in ("classify.col.system", "classify.col.level", "classify.col.declared",
                                  "classify.col.deciding", "classify.col.approver", "classify.col.periodic")]


def _table_row(v: SystemView) -> list[str]:
    declared = f"{v.declared} ({v.declared_label})" if v.declared else v.declared_label
    return [v.id, v.level_label, declared, v.deciding_short or "-", v.approver or "-",
            v.periodic.split(" (")[0] if v.periodic else "-"]


def _detail_lines(v: SystemView, regime: Regime, lang: str) -> list[str]:
    out = [f"{v.id} — {v.name}: {v.level_label}"]
    if v.deciding:
        out.append(f"  {t('classify.col.deciding', lang)}: {v.deciding}")
        if v.deciding_text:
            out.append(f"    {v.deciding_text}")
    if v.missing:
        out.append(f"  {t('classify.col.missing', lang)}: " + "; ".join(v.missing_labels))
    out.append(f"  {t('classify.detail.matched', lang)}:")
    if v.matched:
        out += [f"    - {m.id} ({m.citation}): {m.text}" for m in v.matched]
    else:
        out.append(f"    {t('classify.detail.none_matched', lang)}")
    if v.components:
        out.append(f"  {t('classify.detail.components', lang)}: " + "; ".join(v.components))
    if v.interpretations:
        out.append(f"  {t('classify.detail.interpretations', lang)}:")
        for i in v.interpretations:
            out.append(f"    - {i.id}: {i.text}" + (f" [{i.flag}]" if i.flag else ""))
    if v.level is not None:
        out.append("  " + t("classify.detail.authority", lang, appraiser=v.appraiser,
                            appraisal_deadline=v.appraisal_deadline, approver=v.approver,
                            approval_deadline=v.approval_deadline, citation=v.authority_citation))
        out.append(f"  {t('classify.col.periodic', lang)}: {v.periodic}")
    for w in v.warnings:
        out.append(f"  ! {w}")
    for n in v.notes:
        out.append(f"  * {n}")
    return out


# --------------------------------------------------------------------------- formats


def render_text(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str) -> str:
    """Plain text: an aligned table, then the details of each system."""
    headers = _table_headers(lang)
    rows = [_table_row(v) for v in vs]
    widths = [max(len(r[i]) for r in [headers] + rows) for i in range(len(headers))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [t("classify.heading.table", lang, regime=regime.short.get(lang)), "",
             fmt.format(*headers).rstrip(), fmt.format(*["-" * w for w in widths]).rstrip()]
    lines += [fmt.format(*r).rstrip() for r in rows]
    lines += ["", t("classify.heading.details", lang), ""]
    for v in vs:
        lines += _detail_lines(v, regime, lang) + [""]
    lines.append(t("classify.detail.max_rule", lang, citation=cite(regime.max_rule_article, regime, lang)))
    lines.append(summary_line(results, lang))
    return "\n".join(lines) + "\n"


def render_rich(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str,
                console: Any) -> None:
    """The same content for a terminal, through rich (markup in data is not interpreted)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=t("classify.heading.table", lang, regime=regime.short.get(lang)))
    for h in _table_headers(lang):
        table.add_column(h)
    for v in vs:
        row = [Text(cell) for cell in _table_row(v)]
        if v.declared_status == "lower":
            row[2].stylize("bold red")
        if v.level is None:
            row[1].stylize("yellow")
        table.add_row(*row)
    console.print(table)
    console.print(Text(t("classify.heading.details", lang), style="bold"))
    for v in vs:
        for line in _detail_lines(v, regime, lang):
            console.print(Text(line))
        console.print()
    console.print(Text(t("classify.detail.max_rule", lang, citation=cite(regime.max_rule_article, regime, lang))))
    console.print(Text(summary_line(results, lang)))


def md_escape(text: Any) -> str:
    """Escape inventory text for a Markdown document (tables included): no markup, no raw HTML."""
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "\\`*_[]|#":
        s = s.replace(ch, "\\" + ch)
    return s.replace("\r", " ").replace("\n", " ")


def render_md(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str) -> str:
    headers = _table_headers(lang)
    lines = [f"# {md_escape(t('classify.heading.table', lang, regime=regime.short.get(lang)))}", "",
             "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md_escape(c) for c in _table_row(v)) + " |" for v in vs]
    lines += ["", f"## {t('classify.heading.details', lang)}", ""]
    for v in vs:
        lines.append(f"### {md_escape(v.id)} — {md_escape(v.name)}: {md_escape(v.level_label)}")
        lines.append("")
        if v.deciding:
            lines.append(f"- **{t('classify.col.deciding', lang)}:** {md_escape(v.deciding)}"
                         + (f" — {md_escape(v.deciding_text)}" if v.deciding_text else ""))
        if v.missing:
            lines.append(f"- **{t('classify.col.missing', lang)}:** " + "; ".join(map(md_escape, v.missing_labels)))
        if v.components:
            lines.append(f"- **{t('classify.detail.components', lang)}:** " + "; ".join(map(md_escape, v.components)))
        if v.level is not None:
            lines.append("- " + md_escape(t("classify.detail.authority", lang, appraiser=v.appraiser,
                                              appraisal_deadline=v.appraisal_deadline, approver=v.approver,
                                              approval_deadline=v.approval_deadline,
                                              citation=v.authority_citation)))
            lines.append(f"- **{t('classify.col.periodic', lang)}:** {md_escape(v.periodic)}")
        for i in v.interpretations:
            lines.append(f"- *{t('classify.detail.interpretations', lang)}:* {md_escape(i.text)}"
                         + (f" **{md_escape(i.flag)}**" if i.flag else ""))
        for w in v.warnings:
            lines.append(f"- ⚠ {md_escape(w)}")
        for n in v.notes:
            lines.append(f"- {md_escape(n)}")
        lines += ["", f"| {t('classify.col.criterion', lang)} | {t('classify.col.level', lang)} | "
                      f"{t('classify.col.citation', lang)} | {t('classify.col.status', lang)} |", "|---|---|---|---|"]
        lines += [f"| {md_escape(cv.text)} | {cv.level} | {md_escape(cv.citation)} | {md_escape(cv.status_label)} |"
                  for cv in v.criteria]
        lines.append("")
    lines.append(md_escape(t("classify.detail.max_rule", lang,
                             citation=cite(regime.max_rule_article, regime, lang))))
    lines.append("")
    lines.append(md_escape(summary_line(results, lang)))
    return "\n".join(lines) + "\n"


def render_html(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str,
                inventory: Inventory) -> str:
    from secaudit.classify.templating import environment

    tpl = environment().get_template("classify.html.j2")
    return tpl.render(lang=lang, views=vs, regime=regime, organisation=inventory.organisation,
                      title=t("classify.heading.table", lang, regime=regime.short.get(lang)),
                      headers=_table_headers(lang), rows=[_table_row(v) for v in vs],
                      max_rule=t("classify.detail.max_rule", lang,
                                 citation=cite(regime.max_rule_article, regime, lang)),
                      summary=summary_line(results, lang), t=lambda key, **a: t(key, lang, **a))


def render_json(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str,
                inventory: Inventory) -> str:
    systems = []
    for v, c in zip(vs, results):
        d = c.to_dict()
        d["name"] = v.name
        d["deciding_citation"] = v.deciding
        d["authority"] = ({"appraiser": v.appraiser, "approver": v.approver,
                           "appraisal_deadline": v.appraisal_deadline, "approval_deadline": v.approval_deadline,
                           "citation": v.authority_citation} if v.level is not None else None)
        d["periodic_assessment_months"] = v.periodic_months
        d["messages"] = {"warnings": list(v.warnings), "notes": list(v.notes)}
        for cd, cv in zip(d["criteria"], v.criteria):
            cd["citation"], cd["text"] = cv.citation, cv.text
        for idict, iv in zip(d["interpretations"], v.interpretations):
            idict["text"], idict["flag"] = iv.text, iv.flag
        systems.append(d)
    doc = {"schema": JSON_SCHEMA_ID, "lang": lang,
           "regime": {"id": regime.id, "title": regime.title.get(lang), "standard": regime.standard},
           "inventory": {"file": inventory.source.file, "digest": inventory.digest,
                         "organisation": inventory.organisation.name},
           "summary": {"systems": len(results),
                       "undetermined": sum(1 for c in results if c.level is None),
                       "underclassified": sum(1 for c in results if c.underclassified)},
           "systems": systems}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not execute: formula prefixes get a leading quote."""
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(_FORMULA_PREFIXES) else s


def render_csv(vs: Sequence[SystemView], results: Sequence[Classification], regime: Regime, lang: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["system", "name", "regime", "level", "lower_bound", "declared_level", "declared_status",
                "deciding", "approver", "appraiser", "periodic_assessment_months", "missing", "matched"])
    for v, c in zip(vs, results):
        w.writerow([csv_cell(x) for x in (
            v.id, v.name, regime.id, "" if c.level is None else c.level, c.lower_bound, v.declared,
            c.declared_status.value, v.deciding, v.approver, v.appraiser,
            "" if v.periodic_months is None else v.periodic_months, " ".join(c.missing),
            " ".join(m.id for m in v.matched))])
    return buf.getvalue()


FORMATS = ("text", "md", "html", "json", "csv")


def render(fmt: str, results: Sequence[Classification], inventory: Inventory, regime: Regime, lang: str) -> str:
    vs = views(results, inventory, regime, lang)
    if fmt == "text":
        return render_text(vs, results, regime, lang)
    if fmt == "md":
        return render_md(vs, results, regime, lang)
    if fmt == "html":
        return render_html(vs, results, regime, lang, inventory)
    if fmt == "json":
        return render_json(vs, results, regime, lang, inventory)
    if fmt == "csv":
        return render_csv(vs, results, regime, lang)
    raise ValueError(fmt)


def iter_warnings(results: Iterable[Classification]) -> Iterable[Classification]:
    return (c for c in results if c.underclassified)
