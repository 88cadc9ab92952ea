"""CSV: one finding per row, safe to open in a spreadsheet.

Every cell goes through :func:`secaudit.report.escape.csv_cell`: a value starting with a formula
character (``= + - @``, tab, CR) is prefixed with a single quote (OWASP's recommendation against
CSV injection). Header names are stable English identifiers for tools; titles and messages are
in the reader's language. Like ``system_name``, the last column ``requirements`` is a fact of the row's system
repeated on each of its rows: what its latest stored ``secaudit assess`` found of the level's requirements, or
that they were not assessed (a separate table in the same file would break every CSV reader). The text starts with a UTF-8 byte-order mark so that spreadsheet
programs read Vietnamese correctly.
"""

from __future__ import annotations

import csv
import io

from secaudit.model import Results, Verdict
from secaudit.report.escape import csv_cell, strip_controls
from secaudit.report.interface import ReportFormat
from secaudit.report.view import build_view, level_figures

COLUMNS = ("system", "system_name", "control", "title", "target", "verdict", "severity", "message", "evidence",
           "remediation", "references", "waiver", "requirements")
BOM = "\ufeff"


def _clean(value: object) -> str:
    return strip_controls(value)


def rows(results: Results, lang: str) -> list[list[str]]:
    view = build_view(results, lang)
    figures = {sid: fig.text(lang) for sid, fig in level_figures(results).items()}
    out = [list(COLUMNS)]
    for fv in view.findings:
        f = fv.finding
        evidence = "\n".join(csv_cell(f"{e.label}: {e.value}" if e.label else e.value) for e in fv.evidence)
        out.append([csv_cell(_clean(v)) for v in (
            f.system_id, fv.system_name, f.control_id, fv.title, f.target, Verdict(f.verdict).value, fv.severity,
            fv.message, evidence, fv.remediation, "; ".join(fv.references), fv.waiver_text,
            figures.get(f.system_id, ""),
        )])
    return out


class CsvFormat(ReportFormat):
    name = "csv"
    extension = "csv"
    media_type = "text/csv"

    def render(self, results: Results, lang: str) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        writer.writerows(rows(results, lang))
        return BOM + buf.getvalue()
