"""JSON: the results document ``secaudit/results/v2`` (schema in ``secaudit/schemas/results-v2.schema.json``).

Language-neutral: messages stay catalog keys with their arguments, so ``secaudit report`` can
re-read the document (:func:`secaudit.serialize.results_from_dict`) and render it in any language.
"""

from __future__ import annotations

from typing import Any, Iterator

from secaudit import serialize
from secaudit.model import Results
from secaudit.report.interface import ReportFormat

def results_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the results document (see :func:`secaudit.serialize.results_schema`)."""
    return serialize.results_schema()


class JsonFormat(ReportFormat):
    name = "json"
    extension = "json"
    media_type = "application/json"

    def render(self, results: Results, lang: str) -> str:
        return "".join(self.render_chunks(results, lang))

    def render_chunks(self, results: Results, lang: str) -> Iterator[str]:
        """Stream the document: one finding or observation at a time, one per line.

        Building the whole run as one nested dict costs about ten times its JSON size in Python
        objects (hundreds of MB for 1,000 endpoints); encoding item by item keeps memory flat."""
        return serialize.results_chunks(results)
