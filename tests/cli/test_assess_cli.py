"""`secaudit assess` on the example inventory with the example evidence register and a canned stored run:
the workbook an officer opens, results derived (never typed), a scan alone never a whole level, documents
checked by sha256, expiry, formula-safe cells, the published JSON schema, exit statuses for CI."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.requirements.catalogue import catalogue_for_regime
from tests.support import imports
from tests.support.history import example_inventory, run_of

ROOT = Path(__file__).resolve().parents[2]
DATE = "2026-12-07"                        # every run below is "as on" this day: the results do not age
SUMMARY_VI = "Tổng hợp"
HEADER_VI = ["Mục TCVN", "Yêu cầu", "Kết quả", "Bằng chứng", "Ghi chú", "Người phụ trách", "Ngày bằng chứng",
             "Hiệu lực đến", "Mã yêu cầu"]
LEVELS = {"noi-san": 1, "qlvb": 2, "nhan-su": 2, "thu-dien-tu": 2, "cong-ttdt": 2, "cong-dvc": 3, "ttdl-tinh": 3,
          "lgsp": 3, "scada-nuoc": 3, "dieu-khien-ho-chua": 4, "vb-mat": 5, "chinh-quyen-so": 3,
          "camera-giao-thong": 3}


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", "assess", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding one complete run of every system (1 December 2026), where cong-dvc fails TLS-PROTO-01,
    and a Greenbone report (7 December 2026) that covered cong-dvc's host, imported with `secaudit import`."""
    from secaudit.store import open_store

    inv = example_inventory(str(ROOT))
    d = tmp_path_factory.mktemp("assess-history")
    results = run_of(inv, "20261201T080000Z-assess", dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc),
                     {"cong-dvc": ("TLS-PROTO-01",)}, tuple(s.id for s in inv.systems))
    with open_store(None, str(d)) as store:
        store.save(results)
    host = inv.system("cong-dvc").endpoints[0].host
    report = d / "greenbone.xml"
    report.write_text(imports.greenbone([imports.Item(host, "57582", "TLS weak cipher suites", "medium")]),
                      encoding="utf-8")
    r = subprocess.run([sys.executable, "-m", "secaudit", "import", "examples/inventory.yaml", str(report),
                        "--data-dir", str(d)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return str(d)


@pytest.fixture(scope="module")
def workbook(data_dir: str, tmp_path_factory: pytest.TempPathFactory):
    import openpyxl

    out = tmp_path_factory.mktemp("xlsx") / "danh-gia.xlsx"
    r = run("examples/inventory.yaml", "--evidence", "examples/evidence.yaml", "--data-dir", data_dir,
            "--date", DATE, "--format", "xlsx", "-o", str(out), lang="vi")
    assert r.returncode == 0, r.stderr
    return openpyxl.load_workbook(out)


def _rows_by_key(ws) -> dict[str, tuple]:
    return {row[8]: row for row in ws.iter_rows(min_row=2, values_only=True)}


def test_the_workbook_has_a_summary_and_one_sheet_per_system_with_every_row_of_its_level(workbook):
    catalogue = catalogue_for_regime("decree-331-2026")
    assert workbook.sheetnames == [SUMMARY_VI, *LEVELS]
    summary = workbook[SUMMARY_VI]
    assert summary.freeze_panes == "C2" and summary.auto_filter.ref == "A1:AA14"
    head = [c.value for c in summary[1]]
    assert head[:4] == ["Hệ thống", "Tên hệ thống", "Cấp độ", "Tiêu chuẩn"] and len(head) == 4 + 18 + 5
    assert [row[0] for row in summary.iter_rows(min_row=2, values_only=True)] == list(LEVELS)
    for sid, level in LEVELS.items():
        ws = workbook[sid]
        assert [c.value for c in ws[1]] == HEADER_VI
        assert ws.freeze_panes == "C2" and ws.auto_filter.ref == f"A1:I{ws.max_row}"
        assert ws.column_dimensions["B"].width >= 50 and ws["B2"].alignment.wrap_text
        clauses = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
        assert clauses == [r.clause for r in catalogue.rows(level)], sid
        results = {row[2] for row in ws.iter_rows(min_row=2, values_only=True)}
        assert results <= {"Đáp ứng", "Đáp ứng một phần", "Không đáp ứng", "Không áp dụng", "Chưa đánh giá"}
    # no system of the example meets its whole level: the reserved words appear nowhere
    text = " ".join(str(c) for ws in workbook for row in ws.iter_rows(values_only=True) for c in row if c)
    assert "Đạt yêu cầu" not in text and "đạt cấp độ" not in text.lower()


def test_results_are_derived_from_the_scan_and_the_register(workbook):
    dvc = _rows_by_key(workbook["cong-dvc"])
    # attested by a register entry only (hw inventory), with its officer, date and expiry (12 months)
    hw = dvc["hw-assets.inventory"]
    assert hw[2] == "Đáp ứng" and hw[5].startswith("Hoàng Văn Em") and hw[6] == "2026-06-30"
    # TLS-PROTO-01 fails in the stored run: the rows it verifies are not met, whatever the register says
    tls = [k for k, r in dvc.items() if "TLS-PROTO-01" in (r[3] or "")]
    assert tls and all(dvc[k][2] == "Không đáp ứng" for k in tls)
    # every scan passes and the attestation is in place: met
    ttdl = _rows_by_key(workbook["ttdl-tinh"])
    assert ttdl["network.traffic-control"][2] == "Đáp ứng"
    assert "[scan] PORT-UNDECL-01" in ttdl["network.traffic-control"][3]
    assert "[register] attestation" in ttdl["network.traffic-control"][3]
    # ... but a row that also needs a host check the run did not make is only partly met, and says so
    assert ttdl["network.secure-connections"][2] == "Đáp ứng một phần"
    assert "còn thiếu: host:HOST-SSHD-01" in ttdl["network.secure-connections"][4]
    # a row the register marks not applicable, with the reason shown
    wifi = _rows_by_key(workbook["ttdl-tinh"])["network.wireless"]
    assert wifi[2] == "Không áp dụng" and "không có mạng không dây" in wifi[4]
    # a partial entry stays partial, and says what is missing
    assert dvc["suppliers.classify"][2] == "Đáp ứng một phần"
    # nothing attested, nothing scanned: not assessed, with what it still needs
    assert dvc["pentest.programme"][2] == "Chưa đánh giá" and "còn thiếu" in dvc["pentest.programme"][4]


def test_an_expired_attestation_makes_its_rows_not_assessed(workbook, data_dir):
    # ra-soat-rui-ro-2025: dated 2025-10-01, review period 12 months
    assert _rows_by_key(workbook["cong-dvc"])["risk.process-review"][2] == "Chưa đánh giá"
    r = run("examples/inventory.yaml", "--evidence", "examples/evidence.yaml", "--data-dir", data_dir,
            "--system", "cong-dvc", "--date", "2026-09-30", "--format", "json")
    rows = {x["key"]: x for x in json.loads(r.stdout)["systems"][0]["rows"]}
    assert rows["risk.process-review"]["result"] == "met"
    assert rows["risk.process-review"]["valid_until"].startswith("2026-10-01")


def test_an_imported_vulnerability_scan_is_evidence_for_the_scanning_rows(workbook):
    # vuln.scan: import:vulnerability-scanner + an attestation; Greenbone covered cong-dvc's host only
    dvc = _rows_by_key(workbook["cong-dvc"])["vuln.scan"]
    assert "[import:vulnerability-scanner]" in dvc[3] and dvc[6] == "2026-12-07"
    assert dvc[2] == "Đáp ứng một phần" and "còn thiếu: mục trong sổ bằng chứng" in dvc[4]
    other = _rows_by_key(workbook["ttdl-tinh"])["vuln.scan"]
    assert other[2] == "Chưa đánh giá" and other[3] is None


def test_a_system_with_only_a_scan_is_never_met(data_dir, tmp_path):
    r = run("examples/inventory.yaml", "--data-dir", data_dir, "--date", DATE, "--format", "json", "--format", "text",
            "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "assessment.json").read_text(encoding="utf-8"))
    for s in doc["systems"]:
        assert s["compliant"] is False and s["run"] == "20261201T080000Z-assess"
        assert s["overall"]["counts"]["met"] == 0          # every row also asks for an attestation
        assert "compliant" not in s["verdict"].lower()
    text = (tmp_path / "assessment.txt").read_text(encoding="utf-8")
    assert "requirements assessed" in text and "compliant" not in text.lower()


def test_json_follows_the_published_schema_and_ci_can_gate_on_rows_not_met(data_dir):
    import jsonschema

    schema = json.loads((ROOT / "secaudit" / "schemas" / "assessment-v1.schema.json").read_text(encoding="utf-8"))
    r = run("examples/inventory.yaml", "--evidence", "examples/evidence.yaml", "--data-dir", data_dir,
            "--date", DATE, "--system", "cong-dvc", "--system", "ttdl-tinh", "--format", "json",
            "--fail-on-not-met")
    assert r.returncode == 1, r.stderr                   # cong-dvc fails TLS-PROTO-01
    doc = json.loads(r.stdout)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert doc["schema"] == "secaudit/assessment/v1" and [s["id"] for s in doc["systems"]] == ["cong-dvc", "ttdl-tinh"]
    assert doc["register"]["digest"].startswith("sha256:")
    dvc = doc["systems"][0]
    assert dvc["overall"]["rows"] == 195 and dvc["overall"]["counts"]["not_met"] > 0
    assert dvc["overall"]["ratio_met"] == dvc["overall"]["counts"]["met"] / (195 - dvc["overall"]["counts"]["not_applicable"])


def test_nothing_assessed_is_status_3(tmp_path):
    r = run("examples/inventory.yaml", "--data-dir", str(tmp_path), "--system", "vb-mat", "--date", DATE)
    assert r.returncode == 3, r.stderr
    assert "requirements assessed 0/288" in r.stdout


def test_a_changed_document_stops_the_assessment_at_the_register_line(tmp_path, data_dir):
    shutil.copytree(ROOT / "examples" / "evidence", tmp_path / "evidence")
    register = tmp_path / "evidence.yaml"
    shutil.copy(ROOT / "examples" / "evidence.yaml", register)
    doc = tmp_path / "evidence" / "quy-che-bao-dam-an-ninh-mang-2026.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("2026", "2027"), encoding="utf-8")
    lines = register.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith("sha256: cb6ceb82"))
    r = run("examples/inventory.yaml", "--evidence", str(register), "--data-dir", data_dir, "--date", DATE)
    assert r.returncode == 2
    assert f"{register}:{line}:5: the evidence file 'evidence/quy-che-bao-dam-an-ninh-mang-2026.txt' has changed" \
        in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


HOSTILE = """kind: evidence
entries:
  - id: hostile
    requirements: [hw-assets.inventory]
    systems: [cong-dvc]
    kind: record
    title: '=HYPERLINK("http://evil.example/","click")'
    officer: {name: "@SUM(A1:A9)", position: "+cmd|' /C calc'!A0"}
    date: 2026-11-01
    status: in_place
    note: "-2+3"
"""


def test_formulas_in_register_text_are_neutralised_in_xlsx_and_csv(tmp_path, data_dir):
    import openpyxl

    register = tmp_path / "evidence.yaml"
    register.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "out"
    r = run("examples/inventory.yaml", "--evidence", str(register), "--data-dir", data_dir, "--date", DATE,
            "--system", "cong-dvc", "--format", "xlsx", "--format", "csv", "--out", str(out))
    assert r.returncode == 0, r.stderr
    wb = openpyxl.load_workbook(out / "assessment.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    row = _rows_by_key(wb["cong-dvc"])["hw-assets.inventory"]
    assert row[5] == "'@SUM(A1:A9) (+cmd|' /C calc'!A0)"
    assert "=HYPERLINK" in row[3] and not row[3].startswith("=")
    text = (out / "assessment.csv").read_text(encoding="utf-8-sig")
    import csv

    for rec in csv.reader(text.splitlines()):
        for cell in rec:
            assert not re.match(r"^[=+\-@\t\r]", cell), cell
    assert "'@SUM(A1:A9)" in text


def test_the_register_is_stored_once_per_revision(tmp_path, data_dir):
    from secaudit.store import open_store

    store_dir = tmp_path / "store"
    shutil.copytree(data_dir, store_dir)
    for _ in range(2):
        assert run("examples/inventory.yaml", "--evidence", "examples/evidence.yaml", "--data-dir", str(store_dir),
                   "--date", DATE, "--system", "qlvb", "--format", "json").returncode == 0
    with open_store(None, str(store_dir)) as store:
        revisions = [r for r in store.register_revisions() if r.file == "examples/evidence.yaml"]
        assert len(revisions) == 1 and revisions[0].entries == 11
        assert store.latest_assessments()["qlvb"].register_id == revisions[0].id


def test_due_lists_the_register_entries_that_expire(data_dir, tmp_path):
    # `due` reads the register revision the newest assessment used
    store_dir = tmp_path / "store"
    shutil.copytree(data_dir, store_dir)
    assert run("examples/inventory.yaml", "--evidence", "examples/evidence.yaml", "--data-dir", str(store_dir),
               "--date", DATE, "--system", "noi-san", "--format", "json").returncode == 0
    r = subprocess.run([sys.executable, "-m", "secaudit", "due", "examples/inventory.yaml", "--data-dir", str(store_dir),
                        "--today", DATE, "--days", "120", "--format", "json"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1, r.stderr
    evidence = {e["entry"]: e for e in json.loads(r.stdout)["evidence"]}
    assert evidence["ra-soat-rui-ro-2025"]["days_left"] < 0
    assert evidence["quy-che-antt-2026"]["valid_until"] == "2027-03-15" and len(evidence["quy-che-antt-2026"]["systems"]) == 13
    assert "khong-wifi-ttdl" not in evidence                       # valid until mid-2027
