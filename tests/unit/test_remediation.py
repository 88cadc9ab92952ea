"""Remediation deadlines of imported findings: days per severity and level as data, overdue after that."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.errors import InputError
from secaudit.store.records import ImportedFindingRecord
from secaudit.store.remediation import load_sla, overdue


def item(severity: str, first: str, system: str | None = "cong-dvc", result: str = "fail",
         rule: str = "1") -> ImportedFindingRecord:
    return ImportedFindingRecord("r", f"fp{rule}", system, "nessus", rule, "t", severity, "", result, "h", 443, "tcp",
                                 (), "", "", "", first, first)


def test_the_shipped_deadlines_tighten_with_the_level_and_information_has_none():
    sla = load_sla()
    assert [sla.days("critical", level) for level in range(1, 6)] == [30, 15, 7, 3, 1]
    assert sla.days("high", None) == 30 and sla.days("info", 3) is None
    for level in range(1, 5):
        for sev in ("critical", "high", "medium", "low"):
            assert sla.days(sev, level + 1) <= sla.days(sev, level)


def test_a_finding_open_past_its_deadline_is_overdue_and_one_within_it_is_not():
    sla = load_sla()
    items = [("r2", item("critical", "2026-11-01T02:00:00+00:00", rule="a")),       # level 3: due 11-08
             ("r2", item("medium", "2026-11-01T02:00:00+00:00", rule="b")),         # due 2027-01-30
             ("r2", item("critical", "2026-11-01T02:00:00+00:00", system=None, rule="c")),   # unmatched host
             ("r2", item("info", "2026-01-01T02:00:00+00:00", rule="d")),
             ("r2", item("high", "2026-01-01T02:00:00+00:00", result="pass", rule="e"))]
    got = overdue(items, {"cong-dvc": 3}, sla, dt.date(2026, 12, 7))
    assert [(o.rule, o.due.isoformat(), o.days_over, o.level) for o in got] == [("a", "2026-11-08", 29, 3)]
    assert overdue(items, {"cong-dvc": 5}, sla, dt.date(2026, 11, 3))[0].rule == "a"      # level 5: one day


def test_a_mistake_in_the_deadlines_file_is_named_at_its_line(tmp_path):
    bad = tmp_path / "remediation.yaml"
    bad.write_text("kind: remediation\nversion: 1\ndefault: {critical: 7}\nlevels:\n  3: {critical: soon}\n")
    with pytest.raises(InputError) as e:
        load_sla(bad)
    assert (e.value.diagnostics[0].line, e.value.diagnostics[0].key) == (5, "remediation.bad_table")


def test_the_deadlines_file_says_whose_figures_they_are(tmp_path):
    # the shipped file: secaudit's defaults, labelled so in the annual report
    assert load_sla().defaults and load_sla().set_by == "secaudit"
    own = tmp_path / "remediation.yaml"
    own.write_text('kind: remediation\nversion: 1\nset_by: "Quyết định số 12/QĐ-STTTT ngày 01/3/2026"\n'
                   "default: {critical: 7}\n", encoding="utf-8")
    sla = load_sla(own)
    assert not sla.defaults and sla.set_by == "Quyết định số 12/QĐ-STTTT ngày 01/3/2026"
    own.write_text("kind: remediation\nversion: 1\ndefault: {critical: 7}\n")
    assert load_sla(own).set_by == "" and not load_sla(own).defaults          # not stated: never called defaults
    own.write_text("kind: remediation\nversion: 1\ndefault: {critical: 7}\nset_by: [1]\n")
    with pytest.raises(InputError) as e:
        load_sla(own)
    assert (e.value.diagnostics[0].line, e.value.diagnostics[0].key) == (4, "remediation.bad_set_by")
