"""Reports: pure functions of :class:`secaudit.model.Results`, one module per format.

Registration is explicit (:data:`FORMATS`), nothing registers itself on import. Format modules
import their heavy dependencies (Jinja2) inside ``render``, so importing this package is cheap.

    >>> from secaudit.report import get_format
    >>> text = get_format("sarif").render(results, "en")
"""

from __future__ import annotations

from typing import Any

from secaudit.report.interface import ReportFormat


def _formats() -> dict[str, type[ReportFormat]]:
    from secaudit.report.csv_report import CsvFormat
    from secaudit.report.json_report import JsonFormat
    from secaudit.report.junit import JunitFormat
    from secaudit.report.sarif import SarifFormat
    from secaudit.report.templated import HtmlFormat, MarkdownFormat, TextSummaryFormat

    return {cls.name: cls
            for cls in (HtmlFormat, MarkdownFormat, TextSummaryFormat, JsonFormat, SarifFormat, JunitFormat, CsvFormat)}


def __getattr__(name: str) -> Any:
    """``FORMATS`` is built at first use: a submodule (the classification outputs) can be imported
    without loading every scan report format."""
    if name == "FORMATS":
        globals()["FORMATS"] = formats = _formats()
        return formats
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Other spellings users type for the same format.
ALIASES: dict[str, str] = {"markdown": "md", "txt": "text", "summary": "text", "xml": "junit"}


def _registry() -> dict[str, type[ReportFormat]]:
    return globals().get("FORMATS") or __getattr__("FORMATS")


def format_names() -> tuple[str, ...]:
    return tuple(_registry())


def get_format(name: str) -> ReportFormat:
    """An instance of the format called ``name``; ``KeyError`` for an unknown name (the CLI validates choices)."""
    return _registry()[ALIASES.get(name, name)]()


__all__ = ["ALIASES", "FORMATS", "ReportFormat", "format_names", "get_format"]
