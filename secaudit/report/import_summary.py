"""What ``secaudit import`` says about each file it read: text for a person, JSON (``secaudit/import/v1``)
for tools. :data:`IMPORT_FORMATS` is the command's ``--format`` registry. Values from the imported files
(names, hosts, tool versions) go through :func:`strip_controls` in text."""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping, Sequence

from secaudit.i18n import t
from secaudit.report.escape import strip_controls

Summaries = Sequence[Mapping[str, Any]]


def render_imports(summaries: Summaries, store: str, fmt: str, lang: str) -> str:
    return IMPORT_FORMATS[fmt](summaries, store, lang)


def _json(summaries: Summaries, store: str, lang: str) -> str:
    return json.dumps({"schema": "secaudit/import/v1", "store": store, "imports": list(summaries)},
                      ensure_ascii=False, indent=2) + "\n"


def _text(summaries: Summaries, store: str, lang: str) -> str:
    esc = lambda v: strip_controls(v, one_line=True)  # noqa: E731
    lines = []
    for s in summaries:
        when = (s["scan_finished"] or s["scan_started"] or "-")[:16].replace("T", " ")
        if not s["stored"]:
            lines.append(t("import.already", lang, file=esc(s["file"]), run=esc(s["run"])))
            continue
        sev = ", ".join(f"{t('report.severity.' + k, lang)} {v}" for k, v in s["open_by_severity"].items()) or "-"
        lines.append(t("import.done", lang, file=esc(s["file"]), tool=esc(f"{s['tool']} {s['tool_version']}".strip()),
                       when=when, items=s["items"], open=sev, run=esc(s["run"]), store=esc(store)))
        lines.append("  " + t("import.systems", lang, systems=esc(", ".join(s["systems"]) or "-")))
        for u in s["unmatched_hosts"]:
            lines.append("  " + t("import.unmatched", lang, host=esc(u["host"]), items=u["items"]))
        if s["previous"]:
            lines.append("  " + t("import.fixed_count", lang, n=s["fixed"], previous=esc(s["previous"])))
    return "\n".join(lines) + "\n"


# `secaudit import --format`: (summaries, store URL shown, lang) -> text
IMPORT_FORMATS: Mapping[str, Callable[[Summaries, str, str], str]] = {"text": _text, "json": _json}
