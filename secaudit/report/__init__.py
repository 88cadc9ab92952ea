"""Reports: pure functions of :class:`secaudit.model.Results`, one module per format.

Registration is explicit (:data:`FORMATS`, in :mod:`secaudit.report.formats`, loaded at first use), nothing
registers itself on import. Format modules import their heavy dependencies (Jinja2) inside ``render``, so
importing this package is cheap.

    >>> from secaudit.report import get_format
    >>> text = get_format("sarif").render(results, "en")
"""

from __future__ import annotations

from typing import Any

from secaudit.report.interface import ReportFormat


def __getattr__(name: str) -> Any:
    """``FORMATS`` (:mod:`secaudit.report.formats`) is loaded at first use: a submodule (the classification
    outputs) can be imported without loading every scan report format."""
    if name == "FORMATS":
        # start-up: every scan report format (~0.1 s) loaded only when a report is written or its names listed
        from secaudit.report.formats import FORMATS

        globals()["FORMATS"] = FORMATS
        return FORMATS
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
