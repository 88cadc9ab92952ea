"""The one seam every report format implements (after pip-audit's ``_format/interface.py``).

A format is a class with a ``name`` (what ``--format`` says), a file ``extension`` and a pure
``render(results, lang) -> str``. It never writes files or prints: the CLI decides where the
text goes. Formats keep no state, so one instance may render any number of runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Iterator

from secaudit.model import Results


class ReportFormat(ABC):
    name: ClassVar[str]
    extension: ClassVar[str]          # without the dot: "sarif", "html", ...
    media_type: ClassVar[str] = "text/plain"

    @abstractmethod
    def render(self, results: Results, lang: str) -> str:
        """The whole report as text, in ``lang`` (``vi`` or ``en``) where the format has human text."""

    def render_chunks(self, results: Results, lang: str) -> Iterator[str]:
        """The same text in pieces, for writing large reports without holding them whole.

        Formats whose output grows with the number of endpoints override this to stream."""
        yield self.render(results, lang)


class ClassificationFormat(ABC):
    """A rendering of classification results (``secaudit classify --format``), registered like the scan formats.

    ``render`` is pure; ``doc`` is a :class:`secaudit.report.classification.ClassificationDoc`
    (results, inventory and regime)."""

    name: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str] = "text/plain"

    @abstractmethod
    def render(self, doc: Any, lang: str) -> str:
        """The whole output as text in ``lang``."""


class DocumentFormat(ABC):
    """A rendering of an official document (dossier, cover letter, annual report) in one format.

    Text formats return ``str``; binary formats (``docx``, ``pdf``) return ``bytes``: ``binary``
    tells the CLI how to write it. ``render`` is pure: it never writes files or prints."""

    name: ClassVar[str]
    extension: ClassVar[str]
    media_type: ClassVar[str] = "text/plain"
    binary: ClassVar[bool] = False

    @abstractmethod
    def render(self, document: Any, lang: str) -> "str | bytes":
        """The document built from ``document`` (its context object) in ``lang``."""
