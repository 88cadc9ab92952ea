"""`secaudit import` as a user runs it (the console script in a subprocess): real Lynis and OpenSCAP runs
on this machine, the tests' own files in each tool's shape, re-imports, fixed findings in `diff`,
unmatched hosts, and hostile files (each exit 2, file and position named, nothing stored)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.store import open_store
from tests.support import imports as fx

ROOT = Path(__file__).resolve().parents[2]
ITEMS = [fx.Item("127.24.0.10", "57582", "TLS weak cipher suites", "high", cves=("CVE-2016-2183",)),
         fx.Item("127.24.0.99", "11111", "Host nobody declared", "critical"),
         fx.Item("portal.songlam.example", "22222", "HSTS missing", "low")]


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang, "SECAUDIT_NO_PLUGINS": "1"}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=env)


@pytest.fixture()
def work(tmp_path: Path) -> Path:
    (tmp_path / "inventory.yaml").write_text(fx.INVENTORY, encoding="utf-8")
    return tmp_path


def stored_runs(work: Path) -> list:
    if not (work / "db" / "store.sqlite").exists():
        return []
    with open_store(data_dir=str(work / "db")) as store:
        return store.runs()


def test_reimport_adds_nothing_a_later_import_marks_fixed_and_unmatched_hosts_are_reported(work):
    # Given a Nessus file and a later one without the weak-cipher finding (its host scanned again)
    (work / "week1.nessus").write_text(fx.nessus(ITEMS), encoding="utf-8")
    (work / "week2.nessus").write_text(fx.nessus(ITEMS[1:], start="Mon Dec 14 02:00:00 2026",
                                                 end="Mon Dec 14 02:30:00 2026", hosts=("127.24.0.10",)))
    first = run("import", str(work / "inventory.yaml"), str(work / "week1.nessus"), "--data-dir", str(work / "db"))
    assert first.returncode == 0, first.stderr
    assert "systems covered: cong-dvc" in first.stdout
    assert "host 127.24.0.99 matches no system of the inventory (1 items kept" in first.stdout
    # When the same file is imported again: nothing is added
    again = run("import", str(work / "inventory.yaml"), str(work / "week1.nessus"), "--data-dir", str(work / "db"))
    assert again.returncode == 0 and "already imported" in again.stdout
    assert len(stored_runs(work)) == 1
    # When the later file is imported (JSON output)
    later = run("import", str(work / "inventory.yaml"), str(work / "week2.nessus"), "--data-dir", str(work / "db"),
                "--format", "json")
    assert later.returncode == 0, later.stderr
    doc = json.loads(later.stdout)["imports"][0]
    assert doc["stored"] and doc["fixed"] == 1 and doc["tool"] == "nessus" and doc["tool_version"] == "10.7.2"
    assert doc["scan_started"] == "2026-12-14T02:00:00+00:00"
    assert doc["unmatched_hosts"] == [{"host": "127.24.0.99", "items": 1}]
    # Then diff shows the weak-cipher finding fixed, and trend has both imports
    diff = run("diff", "--data-dir", str(work / "db"), "--format", "json")
    assert diff.returncode == 0, diff.stderr
    fixed = json.loads(diff.stdout)["findings"]["fixed"]
    assert [(f["system"], f["control"], f["target"]) for f in fixed] == [
        ("cong-dvc", "nessus:57582", "127.24.0.10:443/tcp")]
    runs = run("runs", "--data-dir", str(work / "db"))
    assert runs.stdout.count("import of nessus 10.7.2") == 2 and "0/1" not in runs.stdout    # no level claimed
    trend = run("trend", "--system", "cong-dvc", "--data-dir", str(work / "db"), "--format", "json")
    assert trend.returncode == 0 and [r["failed"] for r in json.loads(trend.stdout)["system_runs"]] == [2, 1]
    # And the store keeps the unmatched host's item, not attributed to any system
    with open_store(data_dir=str(work / "db")) as store:
        imports = store.imports()
        assert [i.unmatched_hosts for i in imports] == [("127.24.0.99",), ("127.24.0.99",)]
        items = store.imported_findings(imports[0].run_id)
        assert [(i.rule, i.system_id) for i in items if i.host == "127.24.0.99"] == [("11111", None)]


def test_a_real_lynis_audit_of_this_machine_is_imported(work):
    # Given a real `lynis audit system` on this machine, bounded to two groups of tests
    report = work / "lynis-report.dat"
    r = subprocess.run([shutil.which("lynis") or "/usr/sbin/lynis", "audit", "system", "--quick", "--no-colors",
                        "--no-log", "--tests-from-group", "ssh authentication", "--report-file", str(report)],
                       capture_output=True, text=True, timeout=170, cwd=work)
    assert r.returncode == 0, r.stderr
    host = socket.gethostname().split(".")[0].lower()
    (work / "host.yaml").write_text(fx.INVENTORY.replace("{host: vm,", f"{{host: {host},"), encoding="utf-8")
    # When it is imported with --tool auto
    out = run("import", str(work / "host.yaml"), str(report), "--data-dir", str(work / "db"), "--format", "json")
    # Then it is recognised as Lynis and matched to the system on this host, with executed tests
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)["imports"][0]
    assert doc["tool"] == "lynis" and doc["tool_version"] and doc["systems"] == ["may-chu"]
    with open_store(data_dir=str(work / "db")) as store:
        items = store.imported_findings(doc["run"])
    rules = {i.rule for i in items}
    assert any(rule.startswith("AUTH-") for rule in rules) and all(i.system_id == "may-chu" for i in items)


OVAL = """<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"
    xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5"
    xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix">
  <generator><oval:schema_version>5.11.2</oval:schema_version><oval:timestamp>2026-12-07T00:00:00</oval:timestamp></generator>
  <definitions>
    <definition class="compliance" id="oval:vn.secaudit:def:1" version="1">
      <metadata><title>marker present</title><description>m</description></metadata>
      <criteria><criterion test_ref="oval:vn.secaudit:tst:1"/></criteria></definition>
    <definition class="compliance" id="oval:vn.secaudit:def:2" version="1">
      <metadata><title>forbidden absent</title><description>f</description></metadata>
      <criteria><criterion test_ref="oval:vn.secaudit:tst:2"/></criteria></definition>
  </definitions>
  <tests>
    <unix:file_test id="oval:vn.secaudit:tst:1" version="1" check="all" check_existence="at_least_one_exists"
        comment="marker">
      <unix:object object_ref="oval:vn.secaudit:obj:1"/></unix:file_test>
    <unix:file_test id="oval:vn.secaudit:tst:2" version="1" check="all" check_existence="none_exist"
        comment="forbidden">
      <unix:object object_ref="oval:vn.secaudit:obj:2"/></unix:file_test>
  </tests>
  <objects>
    <unix:file_object id="oval:vn.secaudit:obj:1" version="1"><unix:filepath>{marker}</unix:filepath></unix:file_object>
    <unix:file_object id="oval:vn.secaudit:obj:2" version="1"><unix:filepath>{forbidden}</unix:filepath></unix:file_object>
  </objects>
</oval_definitions>
"""
XCCDF = """<?xml version="1.0" encoding="UTF-8"?>
<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="xccdf_vn.secaudit_benchmark_test" resolved="1" xml:lang="en">
  <status>draft</status><title>secaudit test benchmark</title><version>1</version>
  <Profile id="xccdf_vn.secaudit_profile_test"><title>test</title>
    <select idref="xccdf_vn.secaudit_rule_marker_present" selected="true"/>
    <select idref="xccdf_vn.secaudit_rule_forbidden_absent" selected="true"/></Profile>
  <Rule id="xccdf_vn.secaudit_rule_marker_present" selected="true" severity="medium"><title>Marker file present</title>
    <check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <check-content-ref href="oval.xml" name="oval:vn.secaudit:def:1"/></check></Rule>
  <Rule id="xccdf_vn.secaudit_rule_forbidden_absent" selected="true" severity="high"><title>Forbidden file absent</title>
    <check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <check-content-ref href="oval.xml" name="oval:vn.secaudit:def:2"/></check></Rule>
</Benchmark>
"""


def test_a_real_oscap_evaluation_gives_results_and_arf_that_are_imported(work):
    # Given a small datastream the test writes, evaluated by the real oscap: one rule passes, one fails
    (work / "marker").write_text("x")
    (work / "forbidden").write_text("x")
    (work / "oval.xml").write_text(OVAL.format(marker=work / "marker", forbidden=work / "forbidden"))
    (work / "xccdf.xml").write_text(XCCDF)
    oscap = shutil.which("oscap") or "/usr/bin/oscap"
    subprocess.run([oscap, "ds", "sds-compose", "xccdf.xml", "ds.xml"], cwd=work, check=True, timeout=60,
                   capture_output=True)
    ev = subprocess.run([oscap, "xccdf", "eval", "--profile", "xccdf_vn.secaudit_profile_test", "--results",
                         "results.xml", "--results-arf", "arf.xml", "ds.xml"], cwd=work, timeout=60,
                        capture_output=True, text=True)
    assert ev.returncode == 2, ev.stderr                       # oscap: 2 = some rule failed
    host = socket.gethostname().split(".")[0].lower()
    (work / "host.yaml").write_text(fx.INVENTORY.replace("{host: vm,", f"{{host: {host},"), encoding="utf-8")
    # When both files are imported
    out = run("import", str(work / "host.yaml"), str(work / "results.xml"), str(work / "arf.xml"),
              "--data-dir", str(work / "db"), "--format", "json")
    # Then each is OpenSCAP, for the system on this host, with the pass and the fail
    assert out.returncode == 0, out.stderr
    docs = json.loads(out.stdout)["imports"]
    assert [d["tool"] for d in docs] == ["openscap", "openscap"] and docs[0]["tool_version"]
    assert all(d["systems"] == ["may-chu"] and d["items"] == 2 for d in docs)
    with open_store(data_dir=str(work / "db")) as store:
        results = {(i.rule, i.result) for i in store.imported_findings(docs[1]["run"])}
    assert results == {("xccdf_vn.secaudit_rule_marker_present", "pass"),
                       ("xccdf_vn.secaudit_rule_forbidden_absent", "fail")}


HOSTILE = {
    "xxe.xml": ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                "<NessusClientData_v2>&x;</NessusClientData_v2>\n", "2:"),
    "laughs.xml": ('<?xml version="1.0"?>\n<!DOCTYPE report [<!ENTITY a "PAYLOAD"><!ENTITY b "&a;&a;&a;&a;">]>\n'
                   "<report>&b;</report>\n", "2:"),
    "external-dtd.xml": ('<?xml version="1.0"?>\n<!DOCTYPE Benchmark SYSTEM "http://127.24.0.1:9/PAYLOAD.dtd">\n'
                         '<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2"/>\n', "2:"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_exits_2_naming_file_and_position_and_stores_nothing(name, work):
    text, where = HOSTILE[name]
    (work / name).write_text(text)
    r = run("import", str(work / "inventory.yaml"), str(work / name), "--data-dir", str(work / "db"))
    assert r.returncode == 2
    assert f"{work / name}:{where}" in r.stderr and "DOCTYPE" in r.stderr
    assert "PAYLOAD" not in r.stdout + r.stderr and "root:" not in r.stdout + r.stderr
    assert stored_runs(work) == []


def test_a_truncated_file_a_2_gb_file_and_another_tools_file_each_exit_2_and_a_good_file_beside_them_is_not_stored(work):
    good = work / "good.nessus"
    good.write_text(fx.nessus(ITEMS))
    full = fx.greenbone(ITEMS)
    (work / "cut.xml").write_text(full[: len(full) // 2])
    with open(work / "huge.nessus", "wb") as f:
        f.truncate(2 * 1024 ** 3)
    (work / "lynis.dat").write_text(fx.lynis())
    cases = [(["cut.xml"], [], "cut.xml:"), (["huge.nessus"], [], "--max-size"),
             (["lynis.dat"], ["--tool", "nessus"], "not a Nessus"), (["huge.nessus"], ["--max-size", "4096"], "not a report")]
    for files, options, expected in cases:
        r = run("import", str(work / "inventory.yaml"), str(good), *[str(work / f) for f in files], *options,
                "--data-dir", str(work / "db"))
        assert r.returncode == 2, (files, r.stdout, r.stderr)
        assert str(work / files[0]) in r.stderr and expected in r.stderr, r.stderr
    assert stored_runs(work) == []


def test_nothing_of_a_files_text_reaches_the_terminal_or_html_unescaped(work):
    evil = [fx.Item("127.24.0.10", "x-1", "\x1b[31mRED\x1b[0m <script>alert(1)</script>", "high")]
    (work / "a.jsonl").write_text(fx.nuclei(evil + ITEMS[2:]))
    (work / "b.jsonl").write_text(fx.nuclei(ITEMS[2:], timestamp="2026-12-14T02:10:00Z").replace(
        "portal.songlam.example", "portal.songlam.example").rstrip("\n") + "\n" + fx.nuclei(
        [fx.Item("127.24.0.10", "other", "still \x1b[32mGREEN\x1b[0m | <b>there</b>\n=1+1", "low")],
        timestamp="2026-12-14T02:10:00Z"))
    for f in ("a.jsonl", "b.jsonl"):
        r = run("import", str(work / "inventory.yaml"), str(work / f), "--data-dir", str(work / "db"))
        assert r.returncode == 0, r.stderr
    text = run("diff", "--data-dir", str(work / "db"))
    html = run("diff", "--data-dir", str(work / "db"), "--format", "html")
    assert "RED" in text.stdout and "\x1b" not in text.stdout
    assert "&lt;script&gt;" in html.stdout and "<script>alert" not in html.stdout
    # the low finding still open past its 180 days (level 3): `due` lists it, as text and as Markdown
    due = run("due", str(work / "inventory.yaml"), "--today", "2027-09-01", "--data-dir", str(work / "db"))
    due_md = run("due", str(work / "inventory.yaml"), "--today", "2027-09-01", "--data-dir", str(work / "db"),
                 "--format", "md")
    assert due.returncode == due_md.returncode == 1, due.stderr
    for out in (due.stdout, due_md.stdout):
        assert "GREEN" in out and "\x1b" not in out and "[32m" not in out
        assert not [line for line in out.splitlines() if line.lstrip().startswith("=1+1")]
    assert "<b>" not in due_md.stdout                           # Markdown: the tag is text, not markup


def test_due_lists_imported_findings_past_their_remediation_deadline_and_exits_1(work):
    # Given a critical finding on the level-3 portal, first reported a month ago, still in the newest import
    (work / "nov.nessus").write_text(fx.nessus(ITEMS[:2], start="Sun Nov  1 02:00:00 2026", end="Sun Nov  1 02:30:00 2026"))
    (work / "dec.nessus").write_text(fx.nessus(ITEMS[:2], start="Mon Dec  7 02:00:00 2026", end="Mon Dec  7 02:30:00 2026"))
    for f in ("nov.nessus", "dec.nessus"):
        assert run("import", str(work / "inventory.yaml"), str(work / f), "--data-dir", str(work / "db")).returncode == 0
    # When due is asked on 2026-12-07
    r = run("due", str(work / "inventory.yaml"), "--today", "2026-12-07", "--data-dir", str(work / "db"),
            "--format", "json")
    # Then the high finding (30 days at level 3, from 1 November) is overdue by 6 days; the unmatched host's is not listed
    assert r.returncode == 1, r.stderr
    found = json.loads(r.stdout)["overdue_findings"]
    assert [(f["system"], f["rule"], f["first_seen"], f["due"], f["days_over"]) for f in found] == [
        ("cong-dvc", "57582", "2026-11-01", "2026-12-01", 6)]
    text = run("due", str(work / "inventory.yaml"), "--today", "2026-12-07", "--data-dir", str(work / "db"), lang="vi")
    assert "quá 6 ngày" in text.stdout
    # And status names the system held back by it
    status = run("status", str(work / "inventory.yaml"), "--date", "2026-12-07", "--data-dir", str(work / "db"))
    assert status.returncode == 0, status.stderr
    assert "1 findings of imported scanner reports past their remediation deadline (worst: high, 6 days over" \
        in status.stdout


def test_a_nuclei_json_export_is_imported_once_and_broken_exports_exit_2_storing_nothing(work):
    # Given Nuclei's JSON export of a scan (one JSON array on one line), and broken or foreign versions of it
    export = fx.nuclei_export(ITEMS)
    (work / "scan.json").write_text(export)
    (work / "cut.json").write_text(export[: len(export) // 2])
    (work / "wrapped.json").write_text('{"results": ' + export + "}")
    # When each broken one is imported (beside a good Nessus file): exit 2, the file and position named, nothing stored
    good = work / "good.nessus"
    good.write_text(fx.nessus(ITEMS))
    cases = [("cut.json", [str(good)], f"cut.json:1:{len(export) // 2 + 1}:"),
             ("wrapped.json", [str(good)], "not a report"),
             ("scan.json", ["--tool", "lynis"], "scan.json: not a Lynis (report.dat) report (its content looks like: "
                                                "Nuclei (JSON lines or JSON export))")]
    for name, options, expected in cases:
        r = run("import", str(work / "inventory.yaml"), *options, str(work / name), "--data-dir", str(work / "db"))
        assert r.returncode == 2 and expected in r.stderr and "Traceback" not in r.stderr, (name, r.stderr)
    assert stored_runs(work) == []
    # When the export is imported twice with --tool auto: stored once
    first = run("import", str(work / "inventory.yaml"), str(work / "scan.json"), "--data-dir", str(work / "db"),
                "--format", "json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)["imports"][0]
    assert doc["tool"] == "nuclei" and doc["items"] == 3 and doc["systems"] == ["cong-dvc"]
    again = run("import", str(work / "inventory.yaml"), str(work / "scan.json"), "--data-dir", str(work / "db"))
    assert again.returncode == 0 and "already imported" in again.stdout and len(stored_runs(work)) == 1
    # And the JSON lines of the same scan, imported after it, find the same findings: none is marked fixed
    (work / "scan.jsonl").write_text(fx.nuclei(ITEMS))
    lines = run("import", str(work / "inventory.yaml"), str(work / "scan.jsonl"), "--data-dir", str(work / "db"),
                "--format", "json")
    assert lines.returncode == 0, lines.stderr
    assert json.loads(lines.stdout)["imports"][0]["fixed"] == 0
    with open_store(data_dir=str(work / "db")) as store:
        a, b = (sorted(i.fingerprint for i in store.imported_findings(r.run_id)) for r in store.imports())
    assert a == b and len(a) == 3
