"""Reports: pure functions of :class:`secaudit.model.Results`, one module per format.

Registration is explicit (:data:`FORMATS`), nothing registers itself on import. Format modules
import their heavy dependencies (Jinja2) inside ``render``, so importing this package is cheap.

    >>> from secaudit.report import get_format
    >>> text = get_format("sarif").render(results, "en")
"""

from __future__ import annotations

from secaudit.report.csv_report import CsvFormat
from secaudit.report.interface import ReportFormat
from secaudit.report.json_report import JsonFormat
from secaudit.report.junit import JunitFormat
from secaudit.report.sarif import SarifFormat
from secaudit.report.templated import HtmlFormat, MarkdownFormat, TextSummaryFormat

FORMATS: dict[str, type[ReportFormat]] = {
    cls.name: cls
    for cls in (HtmlFormat, MarkdownFormat, TextSummaryFormat, JsonFormat, SarifFormat, JunitFormat, CsvFormat)
}


# Other spellings users type for the same format.
ALIASES: dict[str, str] = {"markdown": "md", "txt": "text", "summary": "text", "xml": "junit"}


def format_names() -> tuple[str, ...]:
    return tuple(FORMATS)


def get_format(name: str) -> ReportFormat:
    """An instance of the format called ``name``; ``KeyError`` for an unknown name (the CLI validates choices)."""
    return FORMATS[ALIASES.get(name, name)]()


__all__ = ["ALIASES", "FORMATS", "ReportFormat", "format_names", "get_format"]
