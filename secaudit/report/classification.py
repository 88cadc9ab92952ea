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
import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from markupsafe import Markup, escape

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


TEXT_WIDTH = 100          # the text format fits this many columns: cells and long lines wrap at words
_GAP = 2


@lru_cache(maxsize=4096)
def _wrapped(text: str, width: int, indent: str = "") -> tuple[str, ...]:
    """``text`` wrapped at words into lines of at most ``width`` (remembered: the same approver, criterion
    or deadline text recurs in every system of a large inventory)."""
    if len(text) <= width:
        return (text,)
    return tuple(textwrap.wrap(text, width=width, subsequent_indent=indent, break_long_words=True,
                               break_on_hyphens=True)) or ("",)


_WRAPPING_COLUMNS = (2, 3, 4, 5)   # declared, deciding criterion, approver, periodic assessment: may wrap
_MIN_COLUMN = 10


def _column_widths(natural: list[int], soft: list[int], floors: list[int], width: int) -> list[int]:
    """Narrow the widest wrapping column, a character at a time, until the table fits ``width``: first down to
    ``soft`` (a column's longest word; the periodic column keeps its values on one line), then down to
    ``floors`` (hyphenated words may then break after a hyphen): wrapped, never cut."""
    widths = list(natural)
    excess = sum(widths) + _GAP * (len(widths) - 1) - width
    for limits in (soft, floors):
        while excess > 0:
            room = [i for i in _WRAPPING_COLUMNS if widths[i] > max(limits[i], _MIN_COLUMN)]
            if not room:
                break
            widths[max(room, key=lambda i: widths[i])] -= 1
            excess -= 1
    return widths


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split()) or ("",)


@lru_cache(maxsize=4096)
def _pieces(text: str) -> tuple[str, ...]:
    """The words of ``text`` and the parts of its hyphenated words (a line may end after a hyphen)."""
    return tuple(p for w in text.split() for p in re.findall(r"[^-]*-|[^-]+", w)) or ("",)


def _table_lines(headers: list[str], rows: list[list[str]], width: int) -> list[str]:
    columns = [set(column) for column in zip(headers, *rows)]          # distinct values: a few per column
    values = [set(column) for column in zip(*rows)] if rows else [{h} for h in headers]
    natural = [max(map(len, c)) for c in columns]
    words = [max(len(w) for v in c for w in _words(v)) if i in _WRAPPING_COLUMNS else natural[i]
             for i, c in enumerate(columns)]
    floors = [max(len(p) for v in c for p in _pieces(v)) if i in _WRAPPING_COLUMNS else natural[i]
              for i, c in enumerate(columns)]
    soft = list(words)
    for i in (2, 5):                      # short values (declared, periodic): one line while anything else can wrap
        soft[i] = max(map(len, values[i]))
    widths = _column_widths(natural, soft, floors, width)
    fmt = (" " * _GAP).join("{:<%d}" % w for w in widths)
    out = []
    for row in [headers, ["-" * w for w in widths]] + rows:
        if all(len(c) <= w for c, w in zip(row, widths)):        # most rows: one line, no wrapping
            out.append(fmt.format(*row).rstrip())
            continue
        cells = [_wrapped(c, w) for c, w in zip(row, widths)]
        for i in range(max(len(c) for c in cells)):
            out.append(fmt.format(*(c[i] if i < len(c) else "" for c in cells)).rstrip())
    return out


def _fit(line: str, width: int = TEXT_WIDTH) -> tuple[str, ...]:
    """A detail line wrapped at words, continuation lines indented under its text."""
    if len(line) <= width:
        return (line,)
    body = line.lstrip(" ")
    lead = line[: len(line) - len(body)]
    marker = body[:2] if body[:2] in ("- ", "! ", "* ") else ""
    return tuple(lead + part for part in _wrapped(body, width - len(lead), " " * (len(marker) + 2)))


class TextClassification(ClassificationFormat):
    """Plain text: an aligned table, then the details of each system, in at most 100 columns."""

    name = "text"
    extension = "txt"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        vs = views(doc.results, doc.inventory, doc.regime, lang)
        headers = _table_headers(lang)
        rows = [_printable(_table_row(v)) for v in vs]
        lines = [t("classify.heading.table", lang, regime=doc.regime.short.get(lang)), ""]
        lines += _table_lines(headers, rows, TEXT_WIDTH)
        lines += ["", t("classify.heading.details", lang), ""]
        for v in vs:
            for line in _detail_lines(v, lang):
                lines += _fit(line)
            lines.append("")
        lines += _fit(_max_rule(doc.regime, lang))
        lines += _fit(summary_line(doc.results, lang))
        if "".join(lines).isprintable():              # nothing to strip on any line: one check
            return "\n".join(lines) + "\n"
        return "\n".join(strip_controls(line) for line in lines) + "\n"


def render_rich(doc: ClassificationDoc, lang: str, console: Any) -> None:
    """The text format for a terminal, through rich (markup in data is not interpreted: ``Text``)."""
    # start-up: rich (~0.3 s) loaded only for a terminal's table
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


@lru_cache(maxsize=65536)
def _md(value: str) -> str:
    """:func:`markdown_text`, remembered: criteria, citations, labels and authorities recur in every system."""
    return markdown_text(value)


@lru_cache(maxsize=65536)
def _md_criterion_row(text: str, level: object, citation: str, status: str) -> str:
    return f"| {_md(text)} | {level} | {_md(citation)} | {_md(status)} |"


class _MarkdownSystems:
    """The details of each system in Markdown. What systems classified alike show alike (the decision, the
    authority, the criteria table) is written once per distinct value for the length of one output."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._decisions: dict[Any, list[str]] = {}
        self._tables: dict[int, tuple[Any, str]] = {}      # id of a views' criteria tuple -> (it, its table)

    def _decision(self, v: SystemView) -> list[str]:
        key = (v.deciding, v.deciding_text, v.missing_labels, v.components, v.level, v.appraiser,
               v.appraisal_deadline, v.approver, v.approval_deadline, v.authority_citation, v.periodic,
               v.interpretations)
        lines = self._decisions.get(key)
        if lines is None:
            lines = self._decisions[key] = self._decision_lines(v)
        return lines

    def _decision_lines(self, v: SystemView) -> list[str]:
        md, lang = _md, self.lang
        lines = []
        if v.deciding:
            lines.append(f"- **{t('classify.col.deciding', lang)}:** {md(v.deciding)}"
                         + (f" — {md(v.deciding_text)}" if v.deciding_text else ""))
        if v.missing_labels:
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
        return lines

    def _table(self, v: SystemView) -> str:
        """The criteria table, its lines joined (the document's lines are joined the same way)."""
        entry = self._tables.get(id(v.criteria))
        if entry is None or entry[0] is not v.criteria:
            lang = self.lang
            lines = ["", f"| {t('classify.col.criterion', lang)} | {t('classify.col.level', lang)} | "
                         f"{t('classify.col.citation', lang)} | {t('classify.col.status', lang)} |",
                     "|---|---|---|---|"]
            lines += [_md_criterion_row(cv.text, cv.level, cv.citation, cv.status_label) for cv in v.criteria]
            entry = self._tables[id(v.criteria)] = (v.criteria, "\n".join(lines))
        return entry[1]

    def lines(self, v: SystemView) -> list[str]:
        md = _md
        lines = [f"### {md(v.id)} — {md(v.name)}: {md(v.level_label)}", ""]
        lines += self._decision(v)
        lines += [f"- ⚠ {md(w)}" for w in v.warnings]
        lines += [f"- {md(n)}" for n in v.notes]
        lines += [self._table(v), ""]
        return lines


class MarkdownClassification(ClassificationFormat):
    name = "md"
    extension = "md"
    media_type = "text/markdown"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        vs = views(doc.results, doc.inventory, doc.regime, lang)
        headers = _table_headers(lang)
        lines = [f"# {markdown_text(t('classify.heading.table', lang, regime=doc.regime.short.get(lang)))}", "",
                 "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(_md(c) for c in _table_row(v)) + " |" for v in vs]
        lines += ["", f"## {t('classify.heading.details', lang)}", ""]
        details = _MarkdownSystems(lang)
        for v in vs:
            lines += details.lines(v)
        lines += [markdown_text(_max_rule(doc.regime, lang)), "", markdown_text(summary_line(doc.results, lang))]
        return "\n".join(lines) + "\n"


def _h(value: object) -> str:
    return str(escape(strip_controls(value, one_line=True)))


@lru_cache(maxsize=65536)
def _html_criterion_row(text: str, level: object, citation: str, status: str, status_label: str) -> str:
    """One row of a system's criteria table, escaped as the template would (control characters stripped,
    then HTML-escaped), and remembered: 10,000 systems share a few dozen distinct rows."""
    return (f"<tr><td>{_h(text)}</td><td>{_h(level)}</td><td>{_h(citation)}</td>"
            f'<td class="{_h(status)}">{_h(status_label)}</td></tr>')


def _html_criteria() -> Callable[[SystemView], Markup]:
    """A system's criteria rows; systems judged alike share one tuple of criterion views, and their rows."""
    done: dict[int, tuple[Any, Markup]] = {}

    def rows(v: SystemView) -> Markup:
        entry = done.get(id(v.criteria))
        if entry is None or entry[0] is not v.criteria:
            entry = done[id(v.criteria)] = (v.criteria, Markup("\n      ".join(
                _html_criterion_row(c.text, c.level, c.citation, c.status, c.status_label) for c in v.criteria)))
        return entry[1]

    return rows


def _shared_macro() -> Callable[..., Markup]:
    """``shared(macro, *args)`` for a template: ``macro(*args)``, rendered once per distinct ``args`` in one
    output (a macro sees only its arguments and the catalog, so equal arguments give equal markup)."""
    done: dict[Any, Markup] = {}

    def shared(macro: Any, *args: Any) -> Markup:
        key = (macro.name, args)
        out = done.get(key)
        if out is None:
            out = done[key] = macro(*args)
        return out

    return shared


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
                          headers=_table_headers(lang), rows=[(v, _table_row(v)) for v in vs],
                          max_rule=_max_rule(regime, lang), summary=summary_line(doc.results, lang),
                          criteria_rows=_html_criteria(), shared=_shared_macro(),
                          t=lambda key, **a: t(key, lang, **a) if a else _label(key, lang))


class JsonClassification(ClassificationFormat):
    """The classification as data (``secaudit/classification/v1``, schema in ``secaudit/schemas/``)."""

    name = "json"
    extension = "json"
    media_type = "application/json"

    def render(self, doc: ClassificationDoc, lang: str) -> str:
        results, inventory, regime = doc.results, doc.inventory, doc.regime
        out = {"schema": JSON_SCHEMA_ID, "lang": lang,
               "regime": {"id": regime.id, "title": regime.title.get(lang), "standard": regime.standard},
               "inventory": {"file": inventory.source.file, "digest": inventory.digest,
                             "organisation": inventory.organisation.name},
               "summary": {"systems": len(results),
                           "undetermined": sum(1 for c in results if c.level is None),
                           "underclassified": sum(1 for c in results if c.underclassified)},
               }
        # Indented, json.dumps runs its pure-Python encoder (5 s for 10,000 systems); compact, the C one. So
        # the document is indented around the systems, and each system is one compact line, put together from
        # parts encoded once per distinct value: what equal facts decide (bounds, deciding, criteria, readings,
        # authority) is shared by identity between the systems judged alike; only the system's own values
        # (id, name, components, declared level, messages) are encoded for each system.
        head = json.dumps(out, ensure_ascii=False, indent=2)[:-2]          # without the closing "\n}"
        if not results:
            return head + ',\n  "systems": []\n}\n'
        parts = _JsonParts()
        pieces = [head, ',\n  "systems": [\n']
        for v, c in zip(views(results, inventory, regime, lang), results):
            pieces += parts.line(v, c)
            pieces.append(",\n")
        pieces[-1] = "\n  ]\n}\n"
        return "".join(pieces)



_encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _members(d: dict[str, Any]) -> str:
    """The members of ``d`` as in its compact encoding, without the braces (a part of a larger object)."""
    return _encode(d)[1:-1]


class _JsonParts:
    """One system of the JSON classification as one compact line, key for key as ``Classification.to_dict``
    with the view's texts added, from parts remembered per distinct value for the length of one output."""

    _NO_MESSAGES = _members({"warnings": [], "notes": []})
    _NO_MESSAGE_TEXTS = _members({"messages": {"warnings": [], "notes": []}})

    def __init__(self) -> None:
        self._criteria: dict[int, tuple[Any, Any, str]] = {}      # id of c.criteria -> (it, its views, JSON)
        self._readings: dict[int, tuple[Any, Any, str]] = {}      # id of c.interpretations -> likewise
        self._shared: dict[Any, str] = {}

    def _once(self, key: Any, make: Any) -> str:
        text = self._shared.get(key)
        if text is None:
            text = self._shared[key] = make()
        return text

    def _criteria_part(self, v: SystemView, c: Classification) -> str:
        """``"matched": [...], "criteria": [...]``: the views share one tuple between systems judged alike."""
        entry = self._criteria.get(id(c.criteria))
        if entry is None or entry[0] is not c.criteria or entry[1] is not v.criteria:
            crit = []
            for cr, cv in zip(c.criteria, v.criteria):
                crit.append(self._once(("criterion", cr, cv.citation, cv.text),
                                       lambda: _encode({**cr.to_dict(), "citation": cv.citation, "text": cv.text})))
            text = _members({"matched": [m.id for m in c.matched]}) + ', "criteria": [' + ", ".join(crit) + "]"
            entry = self._criteria[id(c.criteria)] = (c.criteria, v.criteria, text)
        return entry[2]

    def _readings_part(self, v: SystemView, c: Classification) -> str:
        if not c.interpretations:
            return '"interpretations": []'
        entry = self._readings.get(id(c.interpretations))
        if entry is None or entry[0] is not c.interpretations or entry[1] is not v.interpretations:
            items = [{**i.to_dict(), "text": iv.text, "flag": iv.flag}
                     for i, iv in zip(c.interpretations, v.interpretations)]
            entry = self._readings[id(c.interpretations)] = (c.interpretations, v.interpretations,
                                                               _members({"interpretations": items}))
        return entry[2]

    def line(self, v: SystemView, c: Classification) -> tuple[str, ...]:
        """The line's pieces (joined once, with every other line: 10,000 lines are 70 MB)."""
        core = self._once(("core", c.regime_id, c.level, c.lower_bound, c.upper_bound, c.missing,
                           c.undetermined_components, c.deciding),
                          lambda: _members({"regime": c.regime_id, "level": c.level, "determined": c.determined,
                                            "lower_bound": c.lower_bound, "upper_bound": c.upper_bound,
                                            "missing": list(c.missing),
                                            "undetermined_components": list(c.undetermined_components),
                                            "deciding": c.deciding.to_dict() if c.deciding else None}))
        components = (_members({"components": [x.to_dict() for x in c.components]}) if c.components
                      else '"components": []')
        declared = self._once(("declared", c.declared_level, c.declared_status),
                              lambda: _members({"declared_level": c.declared_level,
                                                "declared_status": c.declared_status.value}))
        messages = _members({"warnings": [{"key": m.key, "args": dict(m.args)} for m in c.warnings],
                             "notes": [{"key": m.key, "args": dict(m.args)} for m in c.notes]}) \
            if c.warnings or c.notes else self._NO_MESSAGES
        authority = self._once(("authority", v.deciding, v.level is not None, v.appraiser, v.approver,
                                v.appraisal_deadline, v.approval_deadline, v.authority_citation, v.periodic_months),
                               lambda: _members({
                                   "deciding_citation": v.deciding,
                                   "authority": ({"appraiser": v.appraiser, "approver": v.approver,
                                                  "appraisal_deadline": v.appraisal_deadline,
                                                  "approval_deadline": v.approval_deadline,
                                                  "citation": v.authority_citation} if v.level is not None else None),
                                   "periodic_assessment_months": v.periodic_months}))
        texts = _members({"messages": {"warnings": list(v.warnings), "notes": list(v.notes)}}) \
            if v.warnings or v.notes else self._NO_MESSAGE_TEXTS
        return ('    {"system": ', _encode(c.system_id), ", ", core, ", ", self._criteria_part(v, c), ", ",
                self._readings_part(v, c), ", ", components, ", ", declared, ", ", messages, ', "name": ',
                _encode(v.name), ", ", authority, ", ", texts, "}")


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
