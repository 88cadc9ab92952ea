"""The assessment's JSON (written a system at a time) and workbook (body rows put into openpyxl's sheets): same
document as rendered whole, every cell escaped."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from openpyxl import load_workbook

from secaudit.report.assessment import SHEET_COLUMNS, render_json, render_xlsx, write_json
from secaudit.requirements.assessment import assess_all, index_evidence
from secaudit.requirements.catalogue import load_catalogue
from secaudit.requirements.model import (
    Assessment, ControlFinding, EntryKind, EntryStatus, Officer, Register, RegisterEntry,
)

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CATALOGUE = load_catalogue(Path(__file__).resolve().parents[1] / "data" / "requirements" / "mini-catalogue.yaml")
HOSTILE = "=HYPERLINK(\"x\") <b>&amp;</b> \ufffe"


def assessment() -> Assessment:
    entries = (RegisterEntry("e1", ("account.inactive-disabled", "policy.security-policy"), None, EntryKind.DOCUMENT,
                             HOSTILE, Officer(HOSTILE, " CISO "), dt.date(2026, 10, 1), EntryStatus.IN_PLACE),
               RegisterEntry("e2", ("network.insecure-services",), ("b",), EntryKind.RECORD, "t", Officer("An"),
                             dt.date(2026, 10, 1), EntryStatus.NOT_APPLICABLE, reason="@no TLS <here>"))
    findings = (ControlFinding("a", "PORT-LEGACY-01", "h:443", "pass", NOW - dt.timedelta(days=2), "run-1"),)
    index = index_evidence(findings, Register(entries), ())
    systems = assess_all([("a", "=A", 3), ("b", "B", 1), ("c", "C", None)], "decree-331-2026", CATALOGUE, index, NOW)
    return Assessment(systems, NOW, "inv.yaml", "sha256:x", "ev.yaml", "sha256:y", "Org")


def test_json_is_written_a_system_at_a_time_and_is_the_rendered_document():
    a, pieces = assessment(), []
    write_json(a, "vi", pieces.append)
    assert len(pieces) == len(a.systems) + 2                 # head, one piece per system, tail
    assert "".join(pieces) == render_json(a, "vi")
    doc = json.loads("".join(pieces))
    assert [s["id"] for s in doc["systems"]] == ["a", "b", "c"]
    assert doc["systems"][0]["rows"][0]["clause"] == "5.1.1.1"
    empty: list[str] = []
    write_json(Assessment((), NOW), "en", empty.append)
    assert json.loads("".join(empty))["systems"] == []


def test_workbook_body_rows_are_escaped_styled_and_complete():
    a = assessment()
    for lang in ("vi", "en"):
        wb = load_workbook(io.BytesIO(render_xlsx(a, lang)))
        assert len(wb.worksheets) == 4
        for s, ws in zip(a.systems, wb.worksheets[1:]):
            rows = list(ws.iter_rows(values_only=True))
            assert len(rows) == len(s.rows) + 1 and ws.freeze_panes == "C2"
            assert [r[0] for r in rows[1:]] == [r.row.clause for r in s.rows]
            assert [r[-1] for r in rows[1:]] == [r.row.key for r in s.rows]
        ws = wb.worksheets[1]
        officer = SHEET_COLUMNS.index("officer") + 1
        evidence = SHEET_COLUMNS.index("evidence") + 1
        row = next(r for r in ws.iter_rows(min_row=2) if r[officer - 1].value)
        # a formula start gets a quote, markup stays text, a character XML cannot hold is dropped, blanks kept
        assert row[officer - 1].value == "'=HYPERLINK(\"x\") <b>&amp;</b>  ( CISO )"
        assert "<b>&amp;</b>" in row[evidence - 1].value and row[evidence - 1].alignment.wrap_text
        assert not row[officer - 1].alignment.wrap_text
        reason = [c.value for r in wb.worksheets[2].iter_rows(min_row=2) for c in r if c.value and "no TLS" in c.value]
        assert reason and all("<here>" in v for v in reason)
        assert wb.worksheets[3].max_row == 1                  # undetermined level: the header alone
