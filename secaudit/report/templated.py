"""Human reports rendered from Jinja2 templates in ``templates/``: HTML, Markdown, terminal summary.

Escaping is decided by the environment (:mod:`secaudit.report.environment`, shared with the
classification and document outputs), never left to the template author:

- HTML: ``autoescape=True``; on top of it a Content-Security-Policy allows only the one inline
  script shipped with the template (by hash), so even a missed escape could not run a script.
- Markdown: every ``{{ expression }}`` goes through :func:`markdown_text` (``finalize``), unless
  it was already escaped by the ``md`` filter (a ``Markup`` value); renderers pass raw HTML
  through, so ``< > &`` become entities.
- Text: every expression is stripped of control characters and ANSI escape sequences.

Templates receive a :class:`~secaudit.report.view.ReportView` and ``_`` (translate in the report's
language); they lay things out and decide nothing.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from secaudit import __version__
from secaudit.i18n import t
from secaudit.model import Results
from secaudit.report.context import current_history
from secaudit.report.environment import environment as _environment
from secaudit.report.history import trend_chart
from secaudit.report.interface import ReportFormat
from secaudit.report.view import (
    ReportView, build_view, level_text, severity_label, status_label, verdict_label,
)
from secaudit.resources import templates_dir

FILTER_SCRIPT = "report-filter.js"

# Chart colours, shared with the stylesheet of report.html.j2.
VERDICT_COLOURS = {"pass": "#2e7d32", "waived": "#8e7cc3", "fail": "#c62828", "error": "#ef6c00"}
SEVERITY_COLOURS = {"critical": "#7b1fa2", "high": "#c62828", "medium": "#ef6c00", "low": "#f9a825", "info": "#607d8b"}


@lru_cache(maxsize=1)
def _filter_script() -> tuple[str, str]:
    """The inline script of the HTML report and its CSP hash."""
    script = (templates_dir() / FILTER_SCRIPT).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return script, f"sha256-{digest}"


def _context(view: ReportView, lang: str) -> dict[str, Any]:
    def _(key: str, **args: Any) -> str:
        return t(key, lang, **args)

    return {
        "view": view,
        "run": view.results.run,
        "inventory": view.results.inventory,
        "lang": lang,
        "version": __version__,
        "_": _,
        "severity_label": lambda s: severity_label(s, lang),
        "verdict_label": lambda v: verdict_label(v, lang),
        "status_label": lambda s: status_label(s, lang),
        "level_text": lambda lvl: level_text(lvl, lang),
    }


def compliance_bars(view: ReportView, width: int = 360, bar: int = 22, gap: int = 10) -> dict[str, Any]:
    """Geometry of the stacked bars "pass / waived / fail / error" per system (SVG user units)."""
    rows = []
    for i, sv in enumerate(view.systems):
        judged = sum(sv.counts.get(v, 0) for v in VERDICT_COLOURS)
        x = 0.0
        segments = []
        for verdict, colour in VERDICT_COLOURS.items():
            n = sv.counts.get(verdict, 0)
            if judged and n:
                w = width * n / judged
                segments.append({"verdict": verdict, "x": round(x, 2), "w": round(w, 2), "n": n, "colour": colour})
                x += w
        rows.append({"system": sv, "y": i * (bar + gap), "segments": segments, "judged": judged})
    return {"rows": rows, "width": width, "bar": bar, "height": max(1, len(rows) * (bar + gap))}


def severity_bars(view: ReportView, width: int = 300, bar: int = 20, gap: int = 8) -> dict[str, Any]:
    top = max(view.failed_by_severity.values(), default=0)
    rows = []
    for i, sev in enumerate(view.severities):
        n = view.failed_by_severity.get(sev, 0)
        rows.append({"severity": sev, "y": i * (bar + gap), "n": n, "colour": SEVERITY_COLOURS[sev],
                     "w": round(width * n / top, 2) if top else 0})
    return {"rows": rows, "width": width, "bar": bar, "height": len(rows) * (bar + gap), "total": top}


class _TemplatedFormat(ReportFormat):
    template: str
    kind: str

    def extra(self, view: ReportView, lang: str) -> dict[str, Any]:
        return {}

    def render(self, results: Results, lang: str) -> str:
        view = build_view(results, lang)
        context = _context(view, lang)
        context.update(self.extra(view, lang))
        return _environment(self.kind).get_template(self.template).render(**context)


class HtmlFormat(_TemplatedFormat):
    name = "html"
    extension = "html"
    media_type = "text/html"
    template = "report.html.j2"
    kind = "html"

    def extra(self, view: ReportView, lang: str) -> dict[str, Any]:
        script, script_hash = _filter_script()
        return {
            "script": Markup(script),   # a shipped file, not data: trusted as-is
            "script_hash": script_hash,
            "compliance_chart": compliance_bars(view),
            "severity_chart": severity_bars(view),
            "verdict_colours": VERDICT_COLOURS,
            "severity_colours": SEVERITY_COLOURS,
            "trend": _trend_chart(),
        }


def _trend_chart() -> dict[str, Any] | None:
    """The trend section's geometry when the run's history is known (secaudit.report.context), else None."""
    history = current_history()
    return trend_chart(history.trend) if history is not None and len(history.trend) >= 2 else None


class MarkdownFormat(_TemplatedFormat):
    name = "md"
    extension = "md"
    media_type = "text/markdown"
    template = "report.md.j2"
    kind = "md"
    # Findings listed per severity: merge-request comments are limited (GitHub: 65,536 characters).
    limit = 25

    def extra(self, view: ReportView, lang: str) -> dict[str, Any]:
        return {"md_limit": self.limit}


class TextSummaryFormat(_TemplatedFormat):
    name = "text"
    extension = "txt"
    template = "summary.txt.j2"
    kind = "txt"

    def render(self, results: Results, lang: str) -> str:
        return strip_trailing(super().render(results, lang))


def strip_trailing(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()) + "\n"

