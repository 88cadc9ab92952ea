"""Classification outputs (``secaudit classify --format``): text, Markdown, HTML, JSON, CSV.

Registered like the scan formats (:data:`CLASSIFICATION_FORMATS`, one class per format with a pure
``render``). Strings from the inventory are data, escaped by :mod:`secaudit.report.escape` as in the
scan reports: Markdown through ``markdown_text``, HTML through the autoescaping environment, text
and the terminal table without control characters, CSV cells without formula starts.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from secaudit.classify.citation import cite
from secaudit.classify.regime import Regime
from secaudit.classify.result import Classification
from secaudit.i18n import t
from secaudit.model import Inventory
from secaudit.report.classification_view import SystemView, summary_line, views
from secaudit.report.environment import environment
from secaudit.report.escape import csv_cell, markdown_text, strip_controls
from secaudit.report.interface import ClassificationFormat

JSON_SCHEMA_ID = "secaudit/classification/v1"


@dataclass(frozen=True)
class ClassificationDoc:
    results: Sequence[Classification]
    inventory: Inventory
    regime: Regime


def _one(value: Any) -> str:
    return strip_controls(value, one_line=True)


def _printable(cells: Sequence[str]) -> list[str]:
    """``cells`` through :func:`_one`, at the cost of one check when none has anything to strip."""
    return list(cells) if "".join(cells).isprintable() else [_one(c) for c in cells]


@lru_cache(maxsize=None)
def _label(key: str, lang: str) -> str:
    """A catalog text without arguments (the same for every system of an output)."""
    return t(key, lang)


def _table_headers(lang: str) -> list[str]:
    return [t(k, lang) for k in ("classify.col.system", "classify.col.level", "classify.col.declared",
                                  "classify.col.deciding", "classify.col.approver", "classify.col.periodic")]


def _table_row(v: SystemView) -> list[str]:
    declared = f"{v.declared} ({v.declared_label})" if v.declared else v.declared_label
    return [v.id, v.level_label, declared, v.deciding_short or "-", v.approver or "-",
            v.periodic.split(" (")[0] if v.periodic else "-"]


def _max_rule(regime: Regime, lang: str) -> str:
    return t("classify.detail.max_rule", lang, citation=cite(regime.max_rule_article, regime, lang),
             components=component_rule(regime, lang))


def component_rule(regime: Regime, lang: str) -> str:
    """The component rule where the regime's regulation states it (Decree 85 Art. 5.2); otherwise secaudit's
    own convention, said as such (Decree 331 has no component rule)."""
    if regime.component_rule_article:
        return t("classify.components.rule", lang, citation=cite(regime.component_rule_article, regime, lang))
    return t("classify.components.convention", lang)


def _detail_lines(v: SystemView, lang: str) -> list[str]:
    """The details of one system as plain lines (inventory strings on one line, without controls)."""
    out = [f"{v.id} — {_one(v.name)}: {v.level_label}"]
    if v.deciding:
        out.append(f"  {_label('classify.col.deciding', lang)}: {v.deciding}")
        if v.deciding_text:
            out.append(f"    {v.deciding_text}")
    if v.missing:
        out.append(f"  {_label('classify.col.missing', lang)}: " + "; ".join(v.missing_labels))
    out.append(f"  {_label('classify.detail.matched', lang)}:")
    if v.matched:
        out += [f"    - {m.id} ({m.citation}): {m.text}" for m in v.matched]
    else:
        out.append(f"    {_label('classify.detail.none_matched', lang)}")
    if v.components:
        out.append(f"  {_label('classify.detail.components', lang)}: " + "; ".join(v.components))
    if v.interpretations:
        out.append(f"  {_label('classify.detail.interpretations', lang)}:")
        for i in v.interpretations:
            out.append(f"    - {i.id}: {i.text}" + (f" [{i.flag}]" if i.flag else ""))
    if v.level is not None:
        out.append("  " + t("classify.detail.authority", lang, appraiser=v.appraiser,
                            appraisal_deadline=v.appraisal_deadline, approver=v.approver,
                            approval_deadline=v.approval_deadline, citation=v.authority_citation))
        out.append(f"  {_label('classify.col.periodic', lang)}: {v.periodic}")
    out += [f"  ! {_one(w)}" for w in v.warnings]
    out += [f"  * {_one(n)}" for n in v.notes]
    return out


class TextClassification(ClassificationFormat):
    """Plain text: an aligned table, then the details of each system."""

    name = "text"
    extension = "txt"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        vs = views(doc.results, doc.inventory, doc.regime, lang)
        headers = _table_headers(lang)
        rows = [_printable(_table_row(v)) for v in vs]
        widths = [max(len(r[i]) for r in [headers] + rows) for i in range(len(headers))]
        fmt = "  ".join("{:<%d}" % w for w in widths)
        lines = [t("classify.heading.table", lang, regime=doc.regime.short.get(lang)), "",
                 fmt.format(*headers).rstrip(), fmt.format(*["-" * w for w in widths]).rstrip()]
        lines += [fmt.format(*r).rstrip() for r in rows]
        lines += ["", t("classify.heading.details", lang), ""]
        for v in vs:
            lines += _detail_lines(v, lang) + [""]
        lines.append(_max_rule(doc.regime, lang))
        lines.append(summary_line(doc.results, lang))
        if "".join(lines).isprintable():              # nothing to strip on any line: one check
            return "\n".join(lines) + "\n"
        return "\n".join(strip_controls(line) for line in lines) + "\n"


def render_rich(doc: ClassificationDoc, lang: str, console: Any) -> None:
    """The text format for a terminal, through rich (markup in data is not interpreted: ``Text``)."""
    from rich.table import Table
    from rich.text import Text

    vs = views(doc.results, doc.inventory, doc.regime, lang)
    table = Table(title=t("classify.heading.table", lang, regime=doc.regime.short.get(lang)))
    for h in _table_headers(lang):
        table.add_column(h)
    for v in vs:
        row = [Text(_one(cell)) for cell in _table_row(v)]
        if v.declared_status == "lower":
            row[2].stylize("bold red")
        if v.level is None:
            row[1].stylize("yellow")
        table.add_row(*row)
    console.print(table)
    console.print(Text(t("classify.heading.details", lang), style="bold"))
    for v in vs:
        for line in _detail_lines(v, lang):
            console.print(Text(strip_controls(line)))
        console.print()
    console.print(Text(_max_rule(doc.regime, lang)))
    console.print(Text(summary_line(doc.results, lang)))


def _md_system(v: SystemView, lang: str) -> list[str]:
    md = markdown_text
    lines = [f"### {md(v.id)} — {md(v.name)}: {md(v.level_label)}", ""]
    if v.deciding:
        lines.append(f"- **{t('classify.col.deciding', lang)}:** {md(v.deciding)}"
                     + (f" — {md(v.deciding_text)}" if v.deciding_text else ""))
    if v.missing:
        lines.append(f"- **{t('classify.col.missing', lang)}:** " + "; ".join(map(md, v.missing_labels)))
    if v.components:
        lines.append(f"- **{t('classify.detail.components', lang)}:** " + "; ".join(map(md, v.components)))
    if v.level is not None:
        lines.append("- " + md(t("classify.detail.authority", lang, appraiser=v.appraiser,
                                 appraisal_deadline=v.appraisal_deadline, approver=v.approver,
                                 approval_deadline=v.approval_deadline, citation=v.authority_citation)))
        lines.append(f"- **{t('classify.col.periodic', lang)}:** {md(v.periodic)}")
    for i in v.interpretations:
        lines.append(f"- *{t('classify.detail.interpretations', lang)}:* {md(i.text)}"
                     + (f" **{md(i.flag)}**" if i.flag else ""))
    lines += [f"- ⚠ {md(w)}" for w in v.warnings]
    lines += [f"- {md(n)}" for n in v.notes]
    lines += ["", f"| {t('classify.col.criterion', lang)} | {t('classify.col.level', lang)} | "
                  f"{t('classify.col.citation', lang)} | {t('classify.col.status', lang)} |", "|---|---|---|---|"]
    lines += [f"| {md(cv.text)} | {cv.level} | {md(cv.citation)} | {md(cv.status_label)} |" for cv in v.criteria]
    return lines + [""]


class MarkdownClassification(ClassificationFormat):
    name = "md"
    extension = "md"
    media_type = "text/markdown"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        vs = views(doc.results, doc.inventory, doc.regime, lang)
        headers = _table_headers(lang)
        lines = [f"# {markdown_text(t('classify.heading.table', lang, regime=doc.regime.short.get(lang)))}", "",
                 "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(markdown_text(c) for c in _table_row(v)) + " |" for v in vs]
        lines += ["", f"## {t('classify.heading.details', lang)}", ""]
        for v in vs:
            lines += _md_system(v, lang)
        lines += [markdown_text(_max_rule(doc.regime, lang)), "", markdown_text(summary_line(doc.results, lang))]
        return "\n".join(lines) + "\n"


class HtmlClassification(ClassificationFormat):
    name = "html"
    extension = "html"
    media_type = "text/html"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        vs = views(doc.results, doc.inventory, doc.regime, lang)
        regime = doc.regime
        tpl = environment("html").get_template("classify.html.j2")
        return tpl.render(lang=lang, views=vs, regime=regime, organisation=doc.inventory.organisation,
                          title=t("classify.heading.table", lang, regime=regime.short.get(lang)),
                          headers=_table_headers(lang), rows=[_table_row(v) for v in vs],
                          max_rule=_max_rule(regime, lang), summary=summary_line(doc.results, lang),
                          t=lambda key, **a: t(key, lang, **a))


class JsonClassification(ClassificationFormat):
    """The classification as data (``secaudit/classification/v1``, schema in ``secaudit/schemas/``)."""

    name = "json"
    extension = "json"
    media_type = "application/json"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        results, inventory, regime = doc.results, doc.inventory, doc.regime
        systems = [self._system(v, c) for v, c in zip(views(results, inventory, regime, lang), results)]
        out = {"schema": JSON_SCHEMA_ID, "lang": lang,
               "regime": {"id": regime.id, "title": regime.title.get(lang), "standard": regime.standard},
               "inventory": {"file": inventory.source.file, "digest": inventory.digest,
                             "organisation": inventory.organisation.name},
               "summary": {"systems": len(results),
                           "undetermined": sum(1 for c in results if c.level is None),
                           "underclassified": sum(1 for c in results if c.underclassified)},
               "systems": systems}
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"

    @staticmethod
    def _system(v: SystemView, c: Classification) -> dict[str, Any]:
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
        return d


class CsvClassification(ClassificationFormat):
    """One system per row; every cell one line, without controls, and never a spreadsheet formula."""

    name = "csv"
    extension = "csv"
    media_type = "text/csv"
    COLUMNS = ("system", "name", "regime", "level", "lower_bound", "declared_level", "declared_status",
               "deciding", "approver", "appraiser", "periodic_assessment_months", "missing", "matched")

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.COLUMNS)
        for v, c in zip(views(doc.results, doc.inventory, doc.regime, lang), doc.results):
            w.writerow([csv_cell(_one(x)) for x in (
                v.id, v.name, doc.regime.id, "" if c.level is None else c.level, c.lower_bound, v.declared,
                c.declared_status.value, v.deciding, v.approver, v.appraiser,
                "" if v.periodic_months is None else v.periodic_months, " ".join(c.missing),
                " ".join(m.id for m in v.matched))])
        return buf.getvalue()


CLASSIFICATION_FORMATS: dict[str, type[ClassificationFormat]] = {
    cls.name: cls for cls in (TextClassification, MarkdownClassification, HtmlClassification,
                              JsonClassification, CsvClassification)
}


def render_classification(fmt: str, results: Sequence[Classification], inventory: Inventory, regime: Regime,
                          lang: str) -> str:
    """Render ``results`` in the registered format ``fmt`` (``KeyError`` for an unknown one)."""
    return CLASSIFICATION_FORMATS[fmt]().render(ClassificationDoc(results, inventory, regime), lang)
