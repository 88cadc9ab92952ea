"""Imports as evidence for the catalogue's rows (pure, over records): the scanning rows of each covered
system on the scan's date, host-engine rules through the mapping data, and the mapping files themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from secaudit.errors import InputError
from secaudit.importers.evidence import SCANNER_SOURCE, evidence_for, load_mapping, load_mappings
from secaudit.resources import policies_dir
from secaudit.store.cadence import add_months
from secaudit.store.records import ImportedFindingRecord, ImportRecord

UTC = dt.timezone.utc
CATALOGUE = policies_dir() / "requirements" / "tcvn-14423-2026.yaml"


def record(tool: str, category: str, finished: str, systems: tuple[str, ...], run_id: str = "r1") -> ImportRecord:
    return ImportRecord(run_id, tool, "1.0", category, "/x", "0" * 64, 10, None, finished, finished, "inv.yaml",
                        ("h",), ("127.24.0.99",), systems, 3)


def item(rule: str, result: str, system: str | None = "may-chu", severity: str = "medium",
         tool: str = "lynis") -> ImportedFindingRecord:
    return ImportedFindingRecord("r1", f"fp-{rule}", system, tool, rule, f"title {rule}", severity, "", result, "vm",
                                 None, "", (), "", "", "", None, "2026-12-07T02:01:10+00:00")


def catalogue_rows() -> dict[str, dict]:
    return {r["key"]: r for r in yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["requirements"]}


def test_every_key_a_shipped_mapping_names_is_a_row_of_the_catalogue():
    mappings = load_mappings()
    assert {m.id for m in mappings} == {"vulnerability-scanners", "lynis", "openscap-ssg-debian"}
    rows = catalogue_rows()
    for m in mappings:
        assert m.all_keys() and m.all_keys() <= rows.keys(), (m.id, sorted(m.all_keys() - rows.keys()))
    # the scanners' rows are those the catalogue verifies with a vulnerability-scanner import
    scanners = next(m for m in mappings if m.category == "vulnerability-scanner")
    for key in scanners.requirements:
        means = [v for v in rows[key].get("verify", []) if "import" in v]
        assert means and means[0]["import"]["tool"] == "vulnerability-scanner"


def test_a_scanner_import_is_the_scanning_rows_evidence_of_each_covered_system_on_its_date():
    now = dt.datetime(2026, 12, 10, tzinfo=UTC)
    nessus = record("nessus", "vulnerability-scanner", "2026-12-07T02:30:00+00:00", ("cong-dvc", "mail"))
    later = record("greenbone", "vulnerability-scanner", "2027-01-07T02:30:00+00:00", ("cong-dvc",), "r2")
    items = [item("57582", "fail", "cong-dvc", "high", "nessus"), item("1", "fail", None, "critical", "nessus")]
    got = evidence_for([(nessus, items), (later, [])], ["cong-dvc"], now)
    # Then: one pass per scanning row and source, for the covered system asked for, dated by the file
    assert sorted((e.source, e.requirement, e.system, e.outcome) for e in got) == [
        ("import:nessus", "vuln.scan", "cong-dvc", "pass"), ("import:nessus", "vuln.scan-cadence", "cong-dvc", "pass"),
        (SCANNER_SOURCE, "vuln.scan", "cong-dvc", "pass"), (SCANNER_SOURCE, "vuln.scan-cadence", "cong-dvc", "pass")]
    assert {e.date for e in got} == {dt.datetime(2026, 12, 7, 2, 30, tzinfo=UTC)} and {e.ref for e in got} == {"r1"}
    assert "high 1" in got[0].summary and "critical" not in got[0].summary     # the unmatched host's is not its


@pytest.mark.parametrize("months_ago, inside", [(2, True), (8, False)])
def test_the_scan_row_of_a_level_3_system_is_in_its_window_only_within_the_catalogue_period(months_ago, inside):
    # The window is the catalogue's: vuln.scan at level 3 (5.7.2.1 b) is verified by a scanner import
    # no older than max_age_months (6); assess applies it to the item's date.
    row = catalogue_rows()["vuln.scan"]
    assert row["levels"][3]["clause"] == "5.7.2.1 b"
    max_age = next(v["import"]["max_age_months"] for v in row["verify"] if "import" in v)
    now = dt.datetime(2026, 12, 7, tzinfo=UTC)
    scanned = add_months(now.date(), -months_ago)
    rec = record("nessus", "vulnerability-scanner", f"{scanned.isoformat()}T02:30:00+00:00", ("cong-dvc",))
    got = [e for e in evidence_for([(rec, [])], ["cong-dvc"], now)
           if e.source == SCANNER_SOURCE and e.requirement == "vuln.scan"]
    assert len(got) == 1 and got[0].outcome == "pass"
    assert (add_months(got[0].date.date(), max_age) >= now.date()) is inside


def test_host_engine_results_reach_the_rows_their_mapping_names_and_nothing_else():
    lynis = record("lynis", "host-engine", "2026-12-07T02:01:10+00:00", ("may-chu",))
    items = [item("AUTH-9286", "partial"), item("SSH-7408", "fail"), item("FIRE-4590", "pass"),
             item("KRNL-5820", "fail"), item("TIME-3104", "info")]
    got = evidence_for([(lynis, items)], ["may-chu"], dt.datetime(2026, 12, 8, tzinfo=UTC))
    assert sorted((e.requirement, e.outcome) for e in got) == [
        ("account.password-policy", "partial"), ("config.baseline", "pass"), ("monitoring.host-firewall", "pass"),
        ("network.secure-connections", "fail")]
    assert {e.source for e in got} == {"import:lynis"} and {e.ref for e in got} >= {"fp-SSH-7408"}


def test_openscap_rule_ids_are_mapped_with_their_ssg_prefix():
    scap = record("openscap", "host-engine", "2026-12-07T02:00:05+00:00", ("may-chu",))
    items = [item("xccdf_org.ssgproject.content_rule_sshd_disable_root_login", "pass", tool="openscap"),
             item("xccdf_org.ssgproject.content_rule_accounts_tmout", "not_applicable", tool="openscap")]
    got = evidence_for([(scap, items)], ["may-chu"], dt.datetime(2026, 12, 8, tzinfo=UTC))
    assert sorted((e.requirement, e.outcome) for e in got) == [("config.session-lock", "not_applicable"),
                                                              ("network.secure-connections", "pass")]


def test_a_mistake_in_a_mapping_file_is_named_at_its_line_and_column(tmp_path: Path):
    bad = tmp_path / "m.yaml"
    bad.write_text("kind: mapping\nversion: 1\ntool: lynis\nrules:\n  AUTH-9286: [Not A Key]\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_mapping(bad)
    d = e.value.diagnostics[0]
    assert (d.file, d.line, d.key) == (str(bad), 5, "mapping.bad_keys")
