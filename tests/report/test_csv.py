"""CSV: one finding per row, and no cell a spreadsheet would evaluate."""

from __future__ import annotations

import csv
import io

import pytest

from secaudit.report.csv_report import BOM, COLUMNS, CsvFormat
from secaudit.report.escape import csv_cell

from .conftest import FORMULA


def _rows(results, lang="en"):
    text = CsvFormat().render(results, lang)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):], newline="")))


def test_one_row_per_finding_with_the_documented_columns(results):
    rows = _rows(results)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1 + len(results.findings)
    keyed = {(r[0], r[2], r[4]): dict(zip(COLUMNS, r)) for r in rows[1:]}
    waived = keyed[("mail", "TLS-PROTO-01", "127.0.0.12:465")]
    assert waived["verdict"] == "waived" and "Giám đốc Sở" in waived["waiver"]
    assert keyed[("portal", "CERT-VALID-01", "127.0.0.11:443")]["severity"] == "critical"


def test_given_a_formula_in_evidence_then_every_cell_is_neutralised(results):
    rows = _rows(results)
    cells = [c for r in rows for c in r]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
        for line in cell.splitlines():
            assert not line.startswith(("=", "+", "-", "@")), cell
    assert any("'" + FORMULA in c for c in cells)
    assert any(c.startswith("'" + FORMULA) for c in cells)   # the evidence cell of the lab finding


@pytest.mark.parametrize("value", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "＝1"])
def test_csv_cell_prefixes_formula_starts(value):
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["TLS 1.0", "127.0.0.1:443", "", "a=b"])
def test_csv_cell_leaves_other_values(value):
    assert csv_cell(value) == value


def test_vietnamese_titles(results):
    rows = _rows(results, "vi")
    assert any("Tắt các phiên bản TLS lỗi thời" in r for r in rows)
