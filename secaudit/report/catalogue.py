"""`secaudit requirements`: a requirement catalogue listed level by level, as text, Markdown, JSON or CSV.

Every string from the catalogue goes through the escaper of its format (a catalogue can come from a
plug-in or a user's file). JSON carries ``"schema": "secaudit/requirements-list/v1"``, published in
``secaudit/schemas/requirements-list-v1.schema.json``.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from typing import Any, Callable, Mapping, Sequence

from secaudit.i18n import t
from secaudit.report.escape import csv_cell, markdown_text, strip_controls
from secaudit.requirements.catalogue import Catalogue, Means, Row

JSON_SCHEMA_ID = "secaudit/requirements-list/v1"
FORMATS = ("text", "json", "md", "csv")
WIDTH = 100
CSV_COLUMNS = ("standard", "level", "clause", "key", "group", "kind", "text", "params", "verify")
BOM = "\ufeff"


def means_text(m: Means, lang: str) -> str:
    """One verification means in words: "scan TLS-PROTO-01", "attest: Risk register (≤ 12 months)"."""
    if m.kind in ("scan", "host"):
        text = f"{t('catalogue.means.' + m.kind, lang)} {m.control}"
    elif m.kind == "import":
        text = f"{t('catalogue.means.import', lang)} {m.tool}" + (f" {m.rule}" if m.rule else "")
    else:
        text = f"{t('catalogue.means.attest', lang)}: {m.hint.get(lang) if m.hint else ''}"
    if m.max_age_months:
        text += " " + t("catalogue.means.max_age", lang, months=m.max_age_months)
    return text


def means_json(m: Means) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind}
    for name in ("control", "tool", "rule", "max_age_months"):
        if getattr(m, name) is not None:
            out[name] = getattr(m, name)
    if m.hint is not None:
        out["hint"] = {"en": m.hint.en, "vi": m.hint.vi}
    return out


def _counts(rows: Sequence[Row]) -> dict[str, int]:
    return {"rows": len(rows), "technical": sum(r.kind == "technical" for r in rows),
            "management": sum(r.kind == "management" for r in rows)}


def render_json(cat: Catalogue, regime: str, levels: Sequence[int], lang: str) -> str:
    out = {
        "schema": JSON_SCHEMA_ID, "lang": lang, "regime": regime,
        "catalogue": {"id": cat.id, "standard": cat.standard, "title": {"en": cat.title.en, "vi": cat.title.vi},
                      "sources": [dict(s) for s in cat.sources]},
        "levels": [{
            "level": lvl, "section": cat.sections.get(lvl, ""), "counts": _counts(cat.rows(lvl)),
            "rows": [{"key": r.key, "clause": r.clause or None,
                      "basis": r.basis.get(lang) if r.basis is not None else None, "group": r.group,
                      "kind": r.kind, "text": {"en": r.text.en, "vi": r.text.vi}, "params": dict(r.params),
                      "verify": [means_json(m) for m in r.verify]} for r in cat.rows(lvl)],
        } for lvl in levels],
    }
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def _sources(cat: Catalogue, levels: Sequence[int]) -> list[Mapping[str, Any]]:
    """The sources of the levels listed."""
    return [s for s in cat.sources if set(s.get("levels") or ()) & set(levels)]


def _heading(cat: Catalogue, lvl: int, lang: str) -> str:
    c = _counts(cat.rows(lvl))
    return t("catalogue.list.level", lang, standard=cat.standard, level=lvl, section=cat.sections.get(lvl, "?"),
             rows=c["rows"], technical=c["technical"], management=c["management"])


def render_text(cat: Catalogue, regime: str, levels: Sequence[int], lang: str) -> str:
    clean: Callable[[object], str] = lambda v: strip_controls(v, one_line=True)   # noqa: E731
    lines = textwrap.wrap(clean(cat.title.get(lang)), WIDTH)
    lines += textwrap.wrap(clean(t("catalogue.list.regime", lang, regime=regime)), WIDTH)
    for s in _sources(cat, levels):
        lines += textwrap.wrap(clean(t("catalogue.list.source", lang, levels=", ".join(map(str, s["levels"])),
                                       source=s["source"])), WIDTH, subsequent_indent="    ")
    indent = " " * 13
    for lvl in levels:
        lines += [""] + textwrap.wrap(clean(_heading(cat, lvl, lang)), WIDTH, subsequent_indent="    ")
        group = None
        for r in cat.rows(lvl):
            if r.group != group:
                group = r.group
                g = cat.group(group)
                name = g.title.get(lang) if g else group        # its number is in each row's clause
                lines += [""] + textwrap.wrap(clean(name), WIDTH)
            kind = t("catalogue.kind." + r.kind, lang)
            lines += textwrap.wrap(clean(f"  {r.cited(lang):<10} {r.key}  [{kind}]"), WIDTH, subsequent_indent=indent)
            lines += textwrap.wrap(clean(r.text.get(lang)), WIDTH, initial_indent=indent, subsequent_indent=indent)
            verify = t("catalogue.list.verify", lang) + " " + " · ".join(means_text(m, lang) for m in r.verify)
            lines += textwrap.wrap(clean(verify), WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")
    return "\n".join(lines) + "\n"


def render_md(cat: Catalogue, regime: str, levels: Sequence[int], lang: str) -> str:
    md = markdown_text
    out = [f"# {md(cat.title.get(lang))}", "", md(t("catalogue.list.regime", lang, regime=regime))]
    for s in _sources(cat, levels):
        out += ["", "- " + md(t("catalogue.list.source", lang, levels=", ".join(map(str, s["levels"])),
                                source=s["source"]))]
    head = [t(f"catalogue.column.{c}", lang) for c in ("clause", "key", "kind", "text", "verify")]
    for lvl in levels:
        out += ["", f"## {md(_heading(cat, lvl, lang))}", "", "| " + " | ".join(head) + " |",
                "|" + "---|" * len(head)]
        for r in cat.rows(lvl):
            cells = (r.cited(lang), r.key, t("catalogue.kind." + r.kind, lang), r.text.get(lang),
                     "; ".join(means_text(m, lang) for m in r.verify))
            out.append("| " + " | ".join(md(c) for c in cells) + " |")
    return "\n".join(out) + "\n"


def render_csv(cat: Catalogue, regime: str, levels: Sequence[int], lang: str) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for lvl in levels:
        for r in cat.rows(lvl):
            params = "; ".join(f"{k}={v}" for k, v in r.params.items())
            verify = "; ".join(means_text(m, lang) for m in r.verify)
            writer.writerow([csv_cell(strip_controls(v)) for v in (
                cat.standard, lvl, r.cited(lang), r.key, r.group, r.kind, r.text.get(lang), params, verify)])
    return BOM + buf.getvalue()


RENDERERS: dict[str, Callable[[Catalogue, str, Sequence[int], str], str]] = {
    "text": render_text, "json": render_json, "md": render_md, "csv": render_csv,
}


def render_catalogue(fmt: str, cat: Catalogue, regime: str, levels: Sequence[int], lang: str) -> str:
    return RENDERERS[fmt](cat, regime, levels, lang)
