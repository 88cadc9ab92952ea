"""The assessment's rules (pure): each row's result derived from scan findings, imports and the register."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.requirements.assessment import add_months, assess_system, index_evidence
from secaudit.requirements.catalogue import load_catalogue
from secaudit.requirements.model import (
    ControlFinding, EntryKind, EntryStatus, EvidenceItem, Officer, Register, RegisterEntry, Result,
)
from secaudit.status import ExitStatus, assess_status

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CATALOGUE = load_catalogue(Path(__file__).resolve().parents[1] / "data" / "requirements" / "mini-catalogue.yaml")
RECENT = NOW - dt.timedelta(days=3)


def finding(control: str, verdict: str, system: str = "s", when: dt.datetime = RECENT, waiver: str = "") -> ControlFinding:
    return ControlFinding(system, control, "web.example:443", verdict, when, "run-1", waiver)


def entry(eid: str, keys: tuple[str, ...], status: EntryStatus = EntryStatus.IN_PLACE, date: dt.date = dt.date(2026, 10, 1),
          systems: tuple[str, ...] | None = None, reason: str = "", valid_until: dt.date | None = None) -> RegisterEntry:
    return RegisterEntry(eid, keys, systems, EntryKind.DOCUMENT, f"title {eid}", Officer("Nguyễn Văn An", "CISO"), date,
                         status, valid_until, reason=reason)


def judge(level: int, findings=(), entries=(), imported=(), now: dt.datetime = NOW):
    s = assess_system("s", "System S", level, "decree-331-2026", CATALOGUE,
                      index_evidence(findings, Register(tuple(entries)), imported), now)
    return s, {r.row.key: r for r in s.rows}


def test_every_row_of_the_level_is_judged_in_clause_order():
    s, _ = judge(3)
    assert [r.row.clause for r in s.rows] == ["5.1.1.1", "5.5.2.1 c", "5.5.2.4", "5.6.2.3", "5.7.2.1"]
    assert s.overall["not_assessed"] == 5 and s.overall.assessed == 0 and not s.compliant
    assert assess_status([s], fail_on_not_met=True) is ExitStatus.SCAN_ERRORS


def test_a_system_with_only_a_scan_is_never_met_overall():
    # Given every scanned control passing and the management row declared not applicable
    s, rows = judge(1, [finding("PORT-LEGACY-01", "pass")],
                    [entry("na", ("policy.security-policy",), EntryStatus.NOT_APPLICABLE, reason="no staff")])
    assert rows["network.insecure-services"].result is Result.MET
    assert rows["policy.security-policy"].result is Result.NOT_APPLICABLE
    # Then the level is still not claimed: scans alone never show a whole level
    assert not s.compliant
    assert "assess.note.scan_only" in [n.key for n in s.notes]
    # and without the register the management row is simply not assessed
    s2, rows2 = judge(1, [finding("PORT-LEGACY-01", "pass")])
    assert rows2["policy.security-policy"].result is Result.NOT_ASSESSED and not s2.compliant
    assert s2.overall.ratio == 0.5


def test_scan_and_attestation_together_make_the_level_compliant():
    s, rows = judge(1, [finding("PORT-LEGACY-01", "pass")], [entry("pol", ("policy.security-policy",))])
    assert all(r.result is Result.MET for r in rows.values())
    assert s.compliant and s.overall.ratio == 1.0
    assert rows["policy.security-policy"].officer == "Nguyễn Văn An (CISO)"
    assert assess_status([s], fail_on_not_met=True) is ExitStatus.OK


def test_a_scan_fail_beats_an_attestation_and_the_conflict_is_shown():
    s, rows = judge(3, [finding("HOST-ACCT-02", "fail")], [entry("acct", ("account.inactive-disabled",))])
    r = rows["account.inactive-disabled"]
    assert r.result is Result.NOT_MET
    assert [n.key for n in r.notes] == ["assess.note.conflict_attest"]
    assert {e.source for e in r.evidence} == {"host", "register"}
    assert assess_status([s], fail_on_not_met=True) is ExitStatus.FINDINGS
    assert assess_status([s], fail_on_not_met=False) is ExitStatus.OK


def test_an_expired_attestation_makes_its_rows_not_assessed():
    # review_months 12 at level 3: an entry of 2025-11-30 expired on 2026-11-30
    _, rows = judge(3, entries=[entry("old", ("policy.security-policy",), date=dt.date(2025, 11, 30))])
    r = rows["policy.security-policy"]
    assert r.result is Result.NOT_ASSESSED
    assert "assess.note.expired" in [n.key for n in r.notes]
    # an explicit valid_until in the past expires it too, whatever the review period
    _, rows = judge(3, entries=[entry("cut", ("policy.security-policy",), valid_until=dt.date(2026, 12, 1))])
    assert rows["policy.security-policy"].result is Result.NOT_ASSESSED
    # and the same entry is valid the day before
    _, rows = judge(3, entries=[entry("cut", ("policy.security-policy",), valid_until=dt.date(2026, 12, 1))],
                    now=dt.datetime(2026, 12, 1, 12, tzinfo=UTC))
    assert rows["policy.security-policy"].result is Result.MET


def test_attest_max_age_months_beats_the_review_period():
    # account.inactive-disabled: attest max_age_months 6 → an entry of 2026-05-01 expired on 2026-11-01
    _, rows = judge(3, [finding("HOST-ACCT-02", "pass")], [entry("acct", ("account.inactive-disabled",),
                                                                  date=dt.date(2026, 5, 1))])
    r = rows["account.inactive-disabled"]
    assert r.result is Result.PARTIALLY_MET
    assert [m.outcome for m in r.means] == ["pass", "expired"]


def test_a_waived_fail_is_not_a_pass_and_the_waiver_is_shown():
    _, rows = judge(3, [finding("TLS-PROTO-01", "waived", waiver="waived until 2027-01-31 by CIO: migration")])
    r = rows["network.tls"]
    assert r.result is Result.PARTIALLY_MET
    assert "assess.note.waived" in [n.key for n in r.notes]
    assert "migration" in r.notes[0].args["evidence"]


def test_a_control_that_applies_to_no_endpoint_is_not_a_pass():
    _, rows = judge(3, [finding("TLS-PROTO-01", "not_applicable")])
    r = rows["network.tls"]
    assert r.result is Result.NOT_ASSESSED
    assert [n.key for n in r.notes] == ["assess.note.no_endpoint"]


def test_old_scans_expire_but_old_failures_stand():
    old = NOW - dt.timedelta(days=200)              # network.tls: scan_months 6
    _, rows = judge(3, [finding("TLS-PROTO-01", "pass", when=old)])
    assert rows["network.tls"].result is Result.NOT_ASSESSED
    _, rows = judge(3, [finding("TLS-PROTO-01", "fail", when=old)])
    assert rows["network.tls"].result is Result.NOT_MET


def test_not_applicable_rows_leave_the_ratio():
    s, rows = judge(3, [finding("PORT-LEGACY-01", "pass")],
                    [entry("na", ("network.tls",), EntryStatus.NOT_APPLICABLE, reason="no web service")])
    assert rows["network.tls"].result is Result.NOT_APPLICABLE and rows["network.tls"].reason == "no web service"
    assert s.overall.applicable == 4 and s.overall.ratio == 0.25
    # a failing scan beats a register "not applicable"
    _, rows = judge(3, [finding("TLS-PROTO-01", "fail")],
                    [entry("na", ("network.tls",), EntryStatus.NOT_APPLICABLE, reason="no web service")])
    assert rows["network.tls"].result is Result.NOT_MET
    assert [n.key for n in rows["network.tls"].notes] == ["assess.note.conflict_na"]


def test_the_newest_register_entry_states_the_position_and_systems_scope_entries():
    older = entry("a", ("policy.security-policy",), date=dt.date(2026, 3, 1))
    newer = entry("b", ("policy.security-policy",), EntryStatus.PARTIAL, date=dt.date(2026, 9, 1))
    _, rows = judge(3, entries=[newer, older])
    assert rows["policy.security-policy"].result is Result.PARTIALLY_MET
    other = entry("c", ("policy.security-policy",), systems=("other",))
    _, rows = judge(3, entries=[other])
    assert rows["policy.security-policy"].result is Result.NOT_ASSESSED


@pytest.mark.parametrize("outcome, days, expected", [
    ("pass", 10, Result.MET), ("fail", 10, Result.NOT_MET), ("partial", 10, Result.PARTIALLY_MET),
    ("pass", 200, Result.NOT_ASSESSED),              # scan_months 6
])
def test_imported_evidence(outcome, days, expected):
    item = EvidenceItem("import:vulnerability-scanner", "network.vuln-scan", "s", outcome,
                        NOW - dt.timedelta(days=days), "Greenbone scan", "imp-1")
    _, rows = judge(3, imported=[item])
    assert rows["network.vuln-scan"].result is expected
    other_tool = EvidenceItem("import:lynis", "network.vuln-scan", "s", "pass", NOW, "Lynis", "imp-2")
    _, rows = judge(3, imported=[other_tool])
    assert rows["network.vuln-scan"].result is Result.NOT_ASSESSED


def test_undetermined_level_assesses_nothing():
    s = assess_system("s", "S", None, "decree-331-2026", CATALOGUE, index_evidence(), NOW)
    assert s.rows == () and not s.compliant
    assert "assess.note.level_undetermined" in [n.key for n in s.notes]


def test_add_months_keeps_month_ends():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 1, 15), 12) == dt.date(2027, 1, 15)


def test_due_lists_entries_that_expire_at_the_level_of_each_system():
    from secaudit.requirements.assessment import expiring_entries

    policy = entry("pol", ("policy.security-policy",), date=dt.date(2026, 1, 10))       # 24 months at level 1, 12 at 3
    old = entry("old", ("policy.security-policy",), date=dt.date(2025, 1, 10), systems=("l1",))  # superseded
    na = entry("na", ("network.tls",), EntryStatus.NOT_APPLICABLE, reason="no web")
    reg = Register((old, policy, na))
    found = expiring_entries(reg, CATALOGUE, {"l1": 1, "l3": 3, "none": None}, dt.date(2026, 12, 7), 60)
    assert [(x.entry.id, x.valid_until, x.days_left, x.systems) for x in found] == [
        ("pol", dt.date(2027, 1, 10), 34, ("l1", "l3"))]
    assert expiring_entries(reg, CATALOGUE, {"l1": 1}, dt.date(2026, 12, 7), 60) == ()


def test_a_host_check_without_a_host_to_log_in_to_is_missing_not_inapplicable():
    # Given the system declares no `hosts:`: the scan records HOST-ACCT-02 as not applicable (no target)
    _, rows = judge(3, [finding("HOST-ACCT-02", "not_applicable")], [entry("acct", ("account.inactive-disabled",))])
    r = rows["account.inactive-disabled"]
    # Then nobody looked at the accounts: the row is not met on the attestation alone, and says what it lacks
    assert r.result is Result.PARTIALLY_MET
    assert [m.outcome for m in r.means if m.means == "host:HOST-ACCT-02"] == ["missing"]


@pytest.mark.parametrize("engine_outcome, result", [("pass", Result.MET), ("fail", Result.NOT_MET)])
def test_a_host_engine_import_stands_in_for_a_host_check_secaudit_did_not_make(engine_outcome, result):
    # Given no SSH login, but a Lynis report whose mapped test speaks to the row
    lynis = EvidenceItem("import:lynis", "account.inactive-disabled", "s", engine_outcome, RECENT,
                         "lynis AUTH-9284: " + engine_outcome, "fp-1")
    _, rows = judge(3, [finding("HOST-ACCT-02", "not_applicable")], [entry("acct", ("account.inactive-disabled",))],
                    [lynis])
    r = rows["account.inactive-disabled"]
    assert r.result is result
    assert [m.means for m in r.means][0] == "host:HOST-ACCT-02 (import:lynis)"
    # and a host check secaudit did make is not overridden by the engine
    _, rows = judge(3, [finding("HOST-ACCT-02", "pass")], [entry("acct", ("account.inactive-disabled",))], [lynis])
    assert rows["account.inactive-disabled"].result is Result.MET
