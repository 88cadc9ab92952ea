"""Reading a results file (``report.json`` written by ``secaudit scan --format json``).

Whatever the file holds, the outcome is a :class:`~secaudit.model.Results` or an
:class:`~secaudit.errors.InputError` naming the file and saying what was expected: not JSON,
JSON of the wrong shape (``[]``), another schema, or a document the published results schema
(``secaudit/schemas/results-v2.schema.json``) refuses.
"""

from __future__ import annotations

import json
import os
from typing import Any

from secaudit.errors import Diagnostic, InputError
from secaudit.inputfile import read_regular_file
from secaudit.model import Results
from secaudit.schemacheck import type_name, validator
from secaudit.serialize import READABLE_SCHEMAS, RESULTS_SCHEMA, results_from_dict
from secaudit.i18n import t

MAX_RESULTS_BYTES = int(os.environ.get("SECAUDIT_MAX_RESULTS_BYTES", 512 * 1024 * 1024))


def load_results_file(path: str) -> Results:
    """The results stored in ``path``; raises InputError naming the file otherwise."""
    data = _parse(path, read_regular_file(path, MAX_RESULTS_BYTES))
    _check_shape(path, data)
    try:
        return results_from_dict(data)
    except (ValueError, KeyError, TypeError, AttributeError) as e:   # schema-valid yet not buildable
        raise InputError([Diagnostic(path, 0, 0, "report.not_results", {"reason": str(e)[:200]})]) from None


def _parse(path: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as e:
        raise InputError([Diagnostic(path, 0, 0, "results.not_json", {"reason": f"not UTF-8 (byte {e.start})"})]) \
            from None
    except json.JSONDecodeError as e:
        raise InputError([Diagnostic(path, e.lineno, e.colno, "results.not_json", {"reason": e.msg})]) from None
    except RecursionError:
        raise InputError([Diagnostic(path, 0, 0, "results.not_json", {"reason": "nested too deeply"})]) from None


def _check_shape(path: str, data: Any) -> None:
    if not isinstance(data, dict):
        raise InputError([Diagnostic(path, 0, 0, "results.not_object", {"actual": t(type_name(data))})])
    if data.get("schema") not in READABLE_SCHEMAS:
        raise InputError([Diagnostic(path, 0, 0, "results.wrong_schema",
                                     {"actual": json.dumps(data.get("schema"), ensure_ascii=False)[:80],
                                      "expected": RESULTS_SCHEMA})])
    errors = sorted(validator(READABLE_SCHEMAS[data["schema"]]).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise InputError([Diagnostic(path, 0, 0, "results.invalid",
                                     {"where": "/" + "/".join(str(p) for p in e.absolute_path),
                                      "reason": e.message[:200]}) for e in errors[:5]])
