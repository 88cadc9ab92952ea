"""JSON: the results document ``secaudit/results/v1`` (schema in ``secaudit/schemas/results-v1.schema.json``).

Language-neutral: messages stay catalog keys with their arguments, so ``secaudit report`` can
re-read the document (:func:`secaudit.serialize.results_from_dict`) and render it in any language.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from secaudit.model import Results
from secaudit.report.interface import ReportFormat

SCHEMA_FILE = "results-v1.schema.json"


def results_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the results document."""
    return json.loads(resources.files("secaudit").joinpath("schemas", SCHEMA_FILE).read_text(encoding="utf-8"))


class JsonFormat(ReportFormat):
    name = "json"
    extension = "json"
    media_type = "application/json"

    def render(self, results: Results, lang: str) -> str:
        from secaudit.serialize import results_to_dict

        return json.dumps(results_to_dict(results), ensure_ascii=False, indent=2) + "\n"
