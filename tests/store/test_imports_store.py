"""Imports in the store, on SQLite and PostgreSQL: one transaction, the same file once, fixed findings,
first seen carried over, and imports kept out of the scans' per-system verdicts."""

from __future__ import annotations

import dataclasses
import datetime as dt

from secaudit.importers.match import match
from secaudit.importers.model import ImportedFinding, ImportedReport
from secaudit.load import load_inventory_text
from secaudit.store.diff import diff_stored
from tests.support import imports as fx

INVENTORY = load_inventory_text(fx.INVENTORY, "inventory.yaml")
DAY1 = dt.datetime(2026, 12, 7, 2, 30, tzinfo=dt.timezone.utc)


def finding(rule: str, host: str = "127.24.0.10", severity: str = "high", port: int | None = 443) -> ImportedFinding:
    return ImportedFinding("greenbone", rule, f"title {rule}", severity, "High 7.5", host, port, "tcp" if port else "",
                           cves=("CVE-2024-0001",), first_seen=DAY1, last_seen=DAY1)


def report(findings: list[ImportedFinding], when: dt.datetime, sha: str,
           hosts: tuple[str, ...] = ("127.24.0.10", "127.24.0.20")) -> ImportedReport:
    return ImportedReport("greenbone", "GMP 22.4", "vulnerability-scanner", when - dt.timedelta(minutes=30), when,
                          hosts, tuple(dataclasses.replace(f, last_seen=when) for f in findings), {},
                          "/tmp/r.xml", sha * 64, 1234)


def save(store, rep: ImportedReport):
    return store.save_import(rep, match(rep, INVENTORY), INVENTORY, "inventory.yaml")


def test_the_same_file_is_stored_once_and_a_later_import_marks_a_finding_fixed_on_a_covered_host(store):
    first = report([finding("1.3.6.1.4.1.25623.1.0.1"), finding("1.3.6.1.4.1.25623.1.0.2", "127.24.0.20"),
                    finding("9", "127.24.0.99")], DAY1, "a")
    s1 = save(store, first)
    assert s1.stored and save(store, first) == dataclasses.replace(s1, stored=False, fixed=0, previous=None)
    assert len(store.runs()) == 1 and store.runs()[0].kind == "import"
    # A week later: finding .1 gone (its host scanned), .2's host not scanned at all
    later = report([finding("9", "127.24.0.99")], DAY1 + dt.timedelta(days=7), "b", hosts=("127.24.0.10",))
    s2 = save(store, later)
    assert (s2.stored, s2.fixed, s2.previous) == (True, 1, s1.run_id)
    d = diff_stored(store, store.run(s1.run_id), store.run(s2.run_id))
    assert [c.control_id for c in d.findings["fixed"]] == ["greenbone:1.3.6.1.4.1.25623.1.0.1"]
    assert [c.control_id for c in d.findings["unverified"]] == ["greenbone:1.3.6.1.4.1.25623.1.0.2"]
    # The unmatched host's item is stored without a system, its first sighting carried over
    items = store.imported_findings(s2.run_id)
    assert [(i.host, i.system_id, i.first_seen[:10]) for i in items] == [("127.24.0.99", None, "2026-12-07")]
    assert [i.unmatched_hosts for i in store.imports()] == [("127.24.0.99",), ("127.24.0.99",)]
    # Imports claim no level: they are not a system's latest verdict, and `report RUN` refuses them
    assert store.latest_per_system() == {}
    assert [r.status for r in store.system_history("cong-dvc")] == ["imported", "imported"]


def test_evidence_for_reads_the_stored_imports(store):
    from secaudit.importers.evidence import SCANNER_SOURCE, evidence_for

    s = save(store, report([finding("7")], DAY1, "c"))
    got = evidence_for(store, ["cong-dvc", "mail"], DAY1 + dt.timedelta(days=1))
    scan = sorted((e.system, e.requirement) for e in got if e.source == SCANNER_SOURCE)
    assert scan == [("cong-dvc", "vuln.scan"), ("cong-dvc", "vuln.scan-cadence"), ("mail", "vuln.scan"),
                    ("mail", "vuln.scan-cadence")]
    assert {e.ref for e in got} == {s.run_id} and {e.date for e in got} == {DAY1}
    assert evidence_for(store, ["cong-dvc"], DAY1 - dt.timedelta(days=1)) == []     # not yet made on that day


def test_the_newest_import_on_a_day_is_not_hidden_by_a_later_one(store):
    # Given a December import and a January one of the same tool and inventory
    s1 = save(store, report([finding("7")], DAY1, "d"))
    s2 = save(store, report([], DAY1 + dt.timedelta(days=40), "e"))
    # Then on a day between them the December import is the newest; without a day, January's is
    assert [r.run_id for r in store.latest_imports(DAY1.date() + dt.timedelta(days=7))] == [s1.run_id]
    assert [r.run_id for r in store.latest_imports()] == [s2.run_id]
    assert store.latest_imports(DAY1.date() - dt.timedelta(days=1)) == []
