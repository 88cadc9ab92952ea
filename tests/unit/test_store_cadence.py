"""The periodic cadence per regime and level (pure): intervals, citations, month arithmetic."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.store.cadence import add_months, cadence, due_status, next_due

DECREE_331, DECREE_85 = "decree-331-2026", "decree-85-2016"      # regimes are data: named by their file ids

D = dt.date


@pytest.mark.parametrize("level,months,clause", [(1, 12, "3.7.2.1"), (2, 12, "4.7.2.1"), (3, 6, "5.7.2.1"),
                                                 (4, 3, "6.7.2.1"), (5, 1, "7.7.2.1")])
def test_tcvn_14423_vulnerability_scanning_cadence(level, months, clause):
    c = cadence(DECREE_331, level)
    assert c.months == months and c.citation == f"TCVN 14423:2026 {clause}" and c.kind == "vulnerability_scan"
    assert clause in c.cite("vi")


def test_tcvn_14423_standard_interval_for_non_critical_assets():
    assert cadence(DECREE_331, 4, critical=False).months == 6
    assert cadence(DECREE_331, 5, critical=False).months == 3
    assert cadence(DECREE_331, 4).critical_assets and not cadence(DECREE_331, 3).critical_assets


@pytest.mark.parametrize("level,months", [(1, 24), (2, 24), (3, 12), (4, 12), (5, 6)])
def test_decree_85_art_20_2_c_assessment_cadence(level, months):
    c = cadence(DECREE_85, level)
    assert c.months == months and c.citation == "Decree 85/2016 Art. 20.2.c" and c.kind == "assessment"
    assert "Điều 20" in c.cite("vi")


def test_unknown_regime_or_level_is_refused():
    with pytest.raises(ValueError):
        cadence("decree-1-1999", 3)
    with pytest.raises(ValueError):
        cadence(DECREE_85, 6)


def test_months_are_calendar_months_clamped_to_the_month_end():
    assert add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert add_months(D(2026, 8, 19), 6) == D(2027, 2, 19)
    assert add_months(D(2026, 12, 15), 1) == D(2027, 1, 15)
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)


def test_next_due_and_overdue():
    assert next_due(D(2026, 1, 10), DECREE_331, 3) == D(2026, 7, 10)
    assert next_due(D(2026, 1, 10), DECREE_85, 3) == D(2027, 1, 10)
    s = due_status(D(2026, 1, 10), DECREE_331, 3, today=D(2026, 7, 11))
    assert s.overdue and s.days_left == -1 and s.next_due == D(2026, 7, 10)
    s = due_status(D(2026, 1, 10), DECREE_331, 3, today=D(2026, 7, 10))
    assert not s.overdue and s.days_left == 0


def test_never_assessed_is_overdue():
    s = due_status(None, DECREE_85, 4, today=D(2026, 1, 1))
    assert s.overdue and s.next_due is None and s.days_left is None
