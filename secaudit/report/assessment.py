"""Every output of ``secaudit assess``: JSON (``secaudit/assessment/v1``), CSV, xlsx, text, Markdown, HTML.

Pure functions of an :class:`~secaudit.requirements.model.Assessment`. Text that comes from files or
servers (titles, officers, reasons, evidence) is data: CSV and xlsx cells go through
:func:`~secaudit.report.escape.csv_cell` (no formula can start a cell), text/Markdown/HTML through the
project's Jinja2 environments. The words "compliant" / "đạt yêu cầu" / "đạt cấp độ" come only from
``assess.verdict.compliant``, used only when :attr:`SystemAssessment.compliant` is true.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any, Callable, Iterable

from secaudit import __version__
from secaudit.i18n import t
from secaudit.report.environment import environment, translator
from secaudit.report.escape import csv_cell, strip_controls, xml_text
from secaudit.requirements.model import RESULTS, Assessment, EvidenceItem, RowResult, SystemAssessment

SCHEMA_ID = "secaudit/assessment/v1"
FORMATS = ("text", "md", "html", "json", "csv", "xlsx")
BINARY = frozenset({"xlsx"})
EXTENSIONS = {"text": "txt", "md": "md", "html": "html", "json": "json", "csv": "csv", "xlsx": "xlsx"}
BOM = "\ufeff"
MAX_CELL = 32_000          # Excel holds at most 32,767 characters in a cell


def _date(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def verdict_line(s: SystemAssessment, lang: str) -> str:
    """The one sentence that says what was assessed; "compliant" only for a whole level met."""
    if s.level is None:
        return t("assess.verdict.undetermined", lang)
    if not s.rows:
        return t("assess.verdict.no_rows", lang, level=s.level, standard=s.standard)
    if s.compliant:
        return t("assess.verdict.compliant", lang, level=s.level, standard=s.standard)
    o = s.overall
    return t("assess.verdict.assessed", lang, assessed=o.assessed, applicable=o.applicable, rows=o.total,
             pct=_ratio(o.assessed / o.applicable if o.applicable else None), met=o["met"], level=s.level,
             not_met=o["not_met"], standard=s.standard)


def result_label(result: str, lang: str) -> str:
    return t(f"assess.result.{result}", lang)


def evidence_line(e: EvidenceItem, lang: str) -> str:
    until = f", {t('assess.valid_until', lang)} {_date(e.valid_until)}" if e.valid_until else ""
    return f"[{e.source}] {e.summary} ({_date(e.date)}{until})"


def needs(r: RowResult, lang: str) -> str:
    """What the row still needs: each means that did not pass (an attestation with the catalogue's hint)."""
    parts = []
    outcomes = [m.outcome for m in r.means] if len(r.means) == len(r.row.verify) else ["missing"] * len(r.row.verify)
    for m, outcome in zip(r.row.verify, outcomes):
        if outcome in ("pass", "not_applicable"):
            continue
        if m.kind in ("scan", "host"):
            parts.append(f"{m.kind}:{m.control}")
        elif m.kind == "import":
            parts.append(f"import:{m.tool}" + (f" ({m.rule})" if m.rule else ""))
        else:
            hint = m.hint.get(lang) if m.hint else ""
            parts.append(t("assess.attest", lang) + (f" ({hint})" if hint else ""))
    return "; ".join(parts)


def notes_of(r: RowResult, lang: str) -> list[str]:
    out = [m.render(lang) for m in r.notes]
    if r.reason:
        out.insert(0, t("assess.note.reason", lang, reason=r.reason))
    missing = needs(r, lang) if r.result.value in ("not_assessed", "partially_met") else ""
    if missing:
        out.append(t("assess.note.needs", lang, needs=missing))
    return out


# ------------------------------------------------------------------------------------------ JSON


def _evidence_dict(e: EvidenceItem) -> dict[str, Any]:
    return {"source": e.source, "outcome": e.outcome, "date": e.date.isoformat(), "summary": e.summary,
            "ref": e.ref, "valid_until": e.valid_until.isoformat() if e.valid_until else None}


def _score_dict(score: Any) -> dict[str, Any]:
    return {"counts": {r: score[r] for r in RESULTS}, "rows": score.total, "applicable": score.applicable,
            "assessed": score.assessed, "ratio_met": score.ratio}


def _system_dict(s: SystemAssessment, lang: str) -> dict[str, Any]:
    return {
        "id": s.system_id, "name": s.name, "level": s.level, "regime": s.regime, "catalogue": s.catalogue,
        "standard": s.standard, "run": s.run_id, "compliant": s.compliant, "verdict": verdict_line(s, lang),
        "overall": _score_dict(s.overall),
        "groups": [{"id": g.group.id, "number": g.group.number, "title": g.group.title.get(lang),
                    **_score_dict(g.score)} for g in s.groups],
        "notes": [m.render(lang) for m in s.notes],
        "rows": [{
            "key": r.row.key, "clause": r.row.clause or None,
            "basis": r.row.basis.get(lang) if r.row.basis is not None else None, "group": r.row.group, "kind": r.row.kind,
            "text": r.row.text.get(lang), "result": r.result.value, "reason": r.reason or None,
            "means": [{"means": m.means, "outcome": m.outcome} for m in r.means],
            "evidence": [_evidence_dict(e) for e in r.evidence],
            "notes": [m.render(lang) for m in r.notes], "officer": r.officer or None,
            "evidence_date": r.evidence_date.isoformat() if r.evidence_date else None,
            "valid_until": r.valid_until.isoformat() if r.valid_until else None,
        } for r in s.rows],
    }


def _head_dict(a: Assessment, lang: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID,
        "tool_version": __version__,
        "generated_at": a.generated_at.isoformat(),
        "inventory": {"file": a.inventory_file, "digest": a.inventory_digest},
        "register": {"file": a.register_file, "digest": a.register_digest} if a.register_file else None,
        "lang": lang,
    }


def assessment_dict(a: Assessment, lang: str) -> dict[str, Any]:
    return {**_head_dict(a, lang), "systems": [_system_dict(s, lang) for s in a.systems]}


def write_json(a: Assessment, lang: str, write: Callable[[str], Any]) -> None:
    """The document, one system per line (the C encoder: no indentation inside a system), handed to ``write`` a
    system at a time: the whole document is never in memory (1,000 systems make about 120 MB)."""
    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    write("{\n" + ",\n".join(f"  {dumps(k)}: {dumps(v)}" for k, v in _head_dict(a, lang).items()) + ',\n  "systems": [\n')
    for i, s in enumerate(a.systems):
        write((",\n    " if i else "    ") + dumps(_system_dict(s, lang)))
    write(("\n" if a.systems else "") + "  ]\n}\n")


def render_json(a: Assessment, lang: str) -> str:
    """:func:`write_json` into one string."""
    buf = io.StringIO()
    write_json(a, lang, buf.write)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ CSV

CSV_COLUMNS = ("system", "system_name", "level", "standard", "clause", "key", "group", "kind", "requirement",
               "result", "evidence", "notes", "officer", "evidence_date", "valid_until")


def _cell(value: Any) -> str:
    text = strip_controls("" if value is None else value)
    return csv_cell(text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…")


def csv_rows(a: Assessment, lang: str) -> Iterable[list[str]]:
    yield list(CSV_COLUMNS)
    for s in a.systems:
        for r in s.rows:
            yield [_cell(v) for v in (
                s.system_id, s.name, s.level, s.standard, r.row.cited(lang), r.row.key, r.row.group, r.row.kind,
                r.row.text.get(lang), r.result.value, "\n".join(evidence_line(e, lang) for e in r.evidence),
                "\n".join(notes_of(r, lang)), r.officer, _date(r.evidence_date), _date(r.valid_until))]


def render_csv(a: Assessment, lang: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n").writerows(csv_rows(a, lang))
    return BOM + buf.getvalue()


# ------------------------------------------------------------------------------------------ xlsx

SHEET_COLUMNS = ("clause", "requirement", "result", "evidence", "notes", "officer", "evidence_date", "valid_until",
                 "key")
SHEET_WIDTHS = {"clause": 12, "requirement": 60, "result": 16, "evidence": 60, "notes": 45, "officer": 28,
                "evidence_date": 14, "valid_until": 14, "key": 30}
WRAPPED = frozenset({"requirement", "evidence", "notes"})      # long text: wrapped, the other columns one line
_SHEET_BAD = re.compile(r"[\[\]:*?/\\']")


def sheet_title(system_id: str, used: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\') unique in the workbook."""
    base = _SHEET_BAD.sub("_", strip_controls(system_id, one_line=True))[:31] or "system"
    title, n = base, 1
    while title.lower() in used or title.lower() in ("history",):
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    used.add(title.lower())
    return title


def header(lang: str) -> list[str]:
    return [t(f"assess.column.{c}", lang) for c in SHEET_COLUMNS]


def render_xlsx(a: Assessment, lang: str) -> bytes:
    """A workbook: a summary sheet (systems × groups, % met) and one sheet per system, every row of its level.

    openpyxl (write-only) builds the whole workbook: the summary, each system's sheet with its widths, frozen
    header and filter, and the styles. The rows of the system sheets (about 200 per system, a million cells for
    1,000 systems) are serialised here, each cell escaped like any other, with the styles openpyxl registered, and
    put into the sheets openpyxl wrote: openpyxl's per-cell path costs about 16 µs a cell, 20 s for 1,000 systems."""
    # start-up: openpyxl (~0.4 s) loaded only when a workbook is written
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F0")
    head_wrap = Alignment(wrap_text=True, vertical="center")

    def head(ws: Any, names: list[str]) -> list[Any]:
        cells = []
        for name in names:
            c = WriteOnlyCell(ws, _cell(name))
            c.font, c.fill, c.alignment = bold, fill, head_wrap
            cells.append(c)
        return cells

    def pct(ws: Any, ratio: float | None) -> Any:
        c = WriteOnlyCell(ws, None if ratio is None else round(ratio, 4))
        c.number_format = "0%"
        return c

    used: set[str] = set()
    summary = wb.create_sheet(sheet_title(t("assess.sheet.summary", lang), used))
    groups = _summary_groups(a)
    names = [t(f"assess.summary.{c}", lang) for c in ("system", "name", "level", "standard")]
    names += [g[2].get(lang) for g in groups]       # numbered per level in each system's sheet, not here
    names += [t(f"assess.summary.{c}", lang) for c in ("overall", "assessed", "rows", "verdict", "sheet")]
    widths = [18, 36, 8, 18] + [14] * len(groups) + [12, 12, 8, 60, 20]
    for i, w in enumerate(widths, 1):
        summary.column_dimensions[get_column_letter(i)].width = w
    summary.freeze_panes = "C2"
    summary.auto_filter.ref = f"A1:{get_column_letter(len(names))}{len(a.systems) + 1}"
    summary.append(head(summary, names))
    titles = [sheet_title(s.system_id, used) for s in a.systems]
    for s, title in zip(a.systems, titles):
        scores = {g.group.id: g.score.ratio for g in s.groups}
        row: list[Any] = [_cell(s.system_id), _cell(s.name), s.level, _cell(s.standard)]
        row += [pct(summary, scores.get(g[0])) for g in groups]
        row += [pct(summary, s.overall.ratio), f"{s.overall.assessed}/{s.overall.applicable}", s.overall.total,
                _cell(verdict_line(s, lang)), _cell(title)]
        summary.append(row)
    # the styles of the system sheets' cells, registered in the workbook's styles (their index in cellXfs): the
    # header's, the same as the summary's, and the long texts' (wrapped)
    head_style = head(summary, [""])[0].style_id
    wrap_cell = WriteOnlyCell(summary)
    wrap_cell.alignment = Alignment(wrap_text=True, vertical="top")
    wrap_style = wrap_cell.style_id
    sheets = []
    for s, title in zip(a.systems, titles):
        ws = wb.create_sheet(title)
        for i, c in enumerate(SHEET_COLUMNS, 1):
            ws.column_dimensions[get_column_letter(i)].width = SHEET_WIDTHS[c]
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(SHEET_COLUMNS))}{len(s.rows) + 1}"
        sheets.append((ws, s))
    buf = io.BytesIO()
    wb.save(buf)
    cache: dict[Any, Any] = {}
    head_styles = (f' s="{head_style}"',) * len(SHEET_COLUMNS)
    top = "1".join(_row_parts(tuple(_cell(h) for h in header(lang)), head_styles, {})).encode("utf-8")
    bodies = {ws.path.lstrip("/"): s for ws, s in sheets}
    return _fill_sheets(buf.getvalue(), lambda s: top + _body_xml(s, lang, cache, wrap_style), bodies)


_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_COLUMN_LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(SHEET_COLUMNS)])
SHEET_DATA_END = b"</sheetData>"
ZIP_LEVEL = 3        # zlib level: 6 (the default) takes twice the time for a file 12% smaller


def _inline_string(text: str) -> str:
    """A cell's ``<is>`` element for ``text`` (already escaped against formulas): XML-escaped, characters XML
    cannot hold removed, leading or trailing blanks kept."""
    text = xml_text(text).translate(_XML_ESCAPES)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<is><t{space}>{text}</t></is>"


def _body_xml(s: SystemAssessment, lang: str, cache: dict[Any, Any], wrap_style: int) -> bytes:
    """The ``<row>`` elements of a system's sheet after its header (row 1): one per row of its level."""
    wrapped = f' s="{wrap_style}"'
    styles = tuple(wrapped if c in WRAPPED else "" for c in SHEET_COLUMNS)
    templates = cache.setdefault(("row templates",), {})
    inlines = cache.setdefault(("inline strings",), {})
    out: list[str] = []
    for n, values in enumerate(sheet_rows(s, lang, cache), 2):
        parts = templates.get(values)
        if parts is None:
            parts = _row_parts(values, styles, inlines)
            if values[3] is None and len(templates) < 20_000:      # no evidence: the same in many systems
                templates[values] = parts
        out.append(str(n).join(parts))
    return "".join(out).encode("utf-8")


def _row_parts(values: tuple[str | None, ...], styles: tuple[str, ...], cache: dict[str, str]) -> list[str]:
    """A ``<row>`` element cut where its row number goes (``str(n).join(parts)`` makes row ``n``); ``cache``:
    the ``<is>`` element of texts already seen."""
    parts = ['<row r="', '">']
    for letter, style, text in zip(_COLUMN_LETTERS, styles, values):
        if not text:
            continue
        inline = cache.get(text)            # texts many systems share: clause, requirement, result, notes, dates
        if inline is None:
            inline = _inline_string(text)
            if len(cache) < 200_000:
                cache[text] = inline
        parts[-1] += f'<c r="{letter}'
        parts.append(f'"{style} t="inlineStr">{inline}</c>')
    parts[-1] += "</row>"
    return parts


def _fill_sheets(workbook: bytes, body: Callable[[Any], bytes], sheets: dict[str, Any]) -> bytes:
    """``workbook`` (an xlsx) with each part named in ``sheets`` given ``body(sheets[part])`` as its rows, every other
    part copied as it is, in the same order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=ZIP_LEVEL) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in sheets:
                head, tail = data.split(SHEET_DATA_END, 1)
                with dst.open(info.filename, "w") as fh:
                    fh.write(head)
                    fh.write(body(sheets[info.filename]))
                    fh.write(SHEET_DATA_END + tail)
            else:
                dst.writestr(info.filename, data)
    return out.getvalue()


def sheet_rows(s: SystemAssessment, lang: str, cache: dict[Any, Any]) -> Iterable[tuple[str | None, ...]]:
    """The cells of each row of a system's sheet, escaped (None: empty). What is the same for many systems (a
    row's text; every cell of a row with nothing found) is escaped once, in ``cache``."""
    for r in s.rows:
        evidence = r.evidence
        if evidence or r.reason:
            yield _row_cells(r, evidence, lang, cache)
            continue
        # nothing found for the row: its cells depend on the row alone
        key = ("cells", id(r.row), id(r.means), id(r.notes), r.result, r.officer, r.evidence_date, r.valid_until)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = (r, _row_cells(r, evidence, lang, cache))        # r keeps the ids alive
        yield hit[1]


def _row_cells(r: RowResult, evidence: tuple[EvidenceItem, ...], lang: str,
               cache: dict[Any, Any]) -> tuple[str | None, ...]:
    key = ("row", id(r.row))
    fixed = cache.get(key)
    if fixed is None:
        fixed = cache[key] = (_cell(r.row.cited(lang)), _cell(r.row.text.get(lang)), _cell(r.row.key))
    label = cache.get(r.result)
    if label is None:
        label = cache[r.result] = _cell(result_label(r.result.value, lang))
    lines = _cell("\n".join(evidence_line(e, lang) for e in evidence)) if evidence else None
    notes = _cell("\n".join(notes_of(r, lang))) or None
    return (fixed[0], fixed[1], label, lines, notes, _cell(r.officer) if r.officer else None,
            _date(r.evidence_date), _date(r.valid_until), fixed[2])


def _summary_groups(a: Assessment) -> list[tuple[str, int, Any]]:
    """Every group some system has, in the order of its first system that has it."""
    seen: dict[str, tuple[str, int, Any]] = {}
    for s in a.systems:
        for g in s.groups:
            seen.setdefault(g.group.id, (g.group.id, len(seen), g.group.title))
    return list(seen.values())


# ------------------------------------------------------------------------------------------ text, md, html

_TEMPLATES = {"text": ("assess.txt.j2", "txt"), "md": ("assess.md.j2", "md"), "html": ("assess.html.j2", "html")}


def render_templated(a: Assessment, lang: str, fmt: str) -> str:
    name, kind = _TEMPLATES[fmt]
    tr = translator(kind, lang)
    template = environment(kind).get_template(name)
    return template.render(a=a, lang=lang, _=tr, verdict=lambda s: verdict_line(s, lang),
                           result=lambda r: result_label(r, lang), ratio=_ratio, date=_date,
                           evidence=lambda e: evidence_line(e, lang), notes=lambda r: notes_of(r, lang),
                           version=__version__, results=RESULTS)


# formats written a piece at a time (``STREAMED[fmt](assessment, lang, write)``) rather than rendered whole
STREAMED: dict[str, Callable[[Assessment, str, Callable[[str], Any]], None]] = {"json": write_json}

RENDERERS: dict[str, Callable[[Assessment, str], Any]] = {
    "json": render_json, "csv": render_csv, "xlsx": render_xlsx,
    "text": lambda a, lang: render_templated(a, lang, "text"),
    "md": lambda a, lang: render_templated(a, lang, "md"),
    "html": lambda a, lang: render_templated(a, lang, "html"),
}


def render(a: Assessment, fmt: str, lang: str) -> str | bytes:
    return RENDERERS[fmt](a, lang)
