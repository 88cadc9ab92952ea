"""`secaudit classify` and `secaudit dossier` as a user runs them: the real console script in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = "examples/inventory.yaml"

# An inventory whose strings try to inject formulas and markup into reports.
HOSTILE = """\
kind: inventory
version: 1
organisation: {name: "Sở Thông tin và Truyền thông tỉnh X", security_unit: "Phòng CNTT", owner_body: "UBND tỉnh X"}
systems:
  - id: egov-portal
    name: "=HYPERLINK(\\"http://evil.example\\",\\"x\\") <script>alert(1)</script> | **bold**"
    owner: "UBND tỉnh X"
    purpose: public_service
    information: [public, personal]
    online_service_level: 4
    administrative_procedures: true
    conditional_business: false
    personal_data: {users: 120000, basic: 120000, sensitive: 500}
    declared_level: 3
    endpoints: [{host: 127.0.0.2, port: 443, service: https}]
  - id: plant
    name: "-2+3 SCADA"
    purpose: industrial_control
    information: [private]
    declared_level: 2
"""


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


def test_given_the_example_when_classified_then_table_and_details_and_exit_0() -> None:
    r = run("classify", EXAMPLE)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Security levels of information systems (Decree 331/2026/ND-CP)"
    row = next(line for line in lines if line.startswith("cong-dvc "))
    assert "level 3" in row and "2 (TOO LOW)" in row and "d331-13.2.b" in row and "every 6 months" in row
    assert "Details" in lines
    assert "13 systems; 0 undetermined; 1 declared too low." in r.stdout


def test_fail_on_underclassified_exits_1_and_names_the_system() -> None:
    r = run("classify", EXAMPLE, "--fail-on-underclassified", "--format", "csv")
    assert r.returncode == 1
    assert "cong-dvc: declared level 2 is lower than the computed level 3" in r.stderr


def test_example_covers_all_five_levels_under_both_regimes() -> None:
    for regime in ("decree-331-2026", "decree-85-2016"):
        r = run("classify", EXAMPLE, "--regime", regime, "--format", "json")
        assert r.returncode == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["schema"] == "secaudit/classification/v1" and doc["regime"]["id"] == regime
        assert {s["level"] for s in doc["systems"]} - {None} == {1, 2, 3, 4, 5}


def test_regime_difference_shows_in_the_cli() -> None:
    old = json.loads(run("classify", EXAMPLE, "--regime", "decree-85-2016", "--format", "json").stdout)
    new = json.loads(run("classify", EXAMPLE, "--format", "json").stdout)
    cam_old = next(s for s in old["systems"] if s["system"] == "camera-giao-thong")
    cam_new = next(s for s in new["systems"] if s["system"] == "camera-giao-thong")
    # Decree 85 has no risk-assessment route and no criterion for purpose "other": undetermined, never a guess
    assert cam_old["level"] is None and cam_old["missing"] == ["purpose"]
    # purpose "other": Art. 13.5 decides (another system, placed by a risk assessment under the framework)
    assert cam_new["level"] == 3 and cam_new["deciding"]["id"] == "d331-13.5"


def test_csv_neutralises_formulas_and_json_keeps_raw_strings(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(HOSTILE, encoding="utf-8")
    r = run("classify", str(inv), "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["name"].startswith("'=HYPERLINK(")
    assert rows[1]["name"] == "'-2+3 SCADA"
    assert rows[1]["level"] == "" and rows[1]["missing"] == "works_grade"
    doc = json.loads(run("classify", str(inv), "--format", "json").stdout)
    assert doc["systems"][0]["name"].startswith("=HYPERLINK(")


def test_html_and_markdown_escape_inventory_strings(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(HOSTILE, encoding="utf-8")
    out = tmp_path / "levels.html"
    r = run("classify", str(inv), "--format", "html", "-o", str(out))
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    md = run("classify", str(inv), "--format", "md").stdout
    assert "<script>" not in md and "\\| \\*\\*bold\\*\\*" in md


def test_selected_system_only() -> None:
    r = run("classify", EXAMPLE, "--system", "scada-nuoc", "--format", "json")
    doc = json.loads(r.stdout)
    assert [s["system"] for s in doc["systems"]] == ["scada-nuoc"]


def test_unknown_system_or_regime_is_exit_2_with_a_clear_message() -> None:
    r = run("classify", EXAMPLE, "--system", "nope")
    assert r.returncode == 2 and 'no system "nope" in the inventory' in r.stderr
    assert "Traceback" not in r.stderr
    r = run("classify", EXAMPLE, "--regime", "decree-1-1990", lang="vi")
    assert r.returncode == 2 and 'không có bộ tiêu chí "decree-1-1990"' in r.stderr


def test_bad_inventory_is_exit_2() -> None:
    r = run("classify", "examples/invalid-inventory.yaml")
    assert r.returncode == 2 and "examples/invalid-inventory.yaml:" in r.stderr
    assert "Traceback" not in r.stderr


def test_dossier_in_vietnamese_under_decree_85() -> None:
    r = run("dossier", EXAMPLE, "--system", "cong-dvc", "--regime", "decree-85-2016", lang="vi")
    assert r.returncode == 0, r.stderr
    assert "# HỒ SƠ ĐỀ XUẤT CẤP ĐỘ AN TOÀN HỆ THỐNG THÔNG TIN" in r.stdout
    assert "*Căn cứ Nghị định số 85/2016/NĐ-CP ngày 01 tháng 7 năm 2016" in r.stdout
    assert "## 3. Thuyết minh đề xuất cấp độ" in r.stdout
    assert "Thời hạn thẩm định: 15 ngày (Điều 16 Nghị định số 85/2016/NĐ-CP)" in r.stdout


def test_dossier_needs_a_known_system(tmp_path: Path) -> None:
    r = run("dossier", EXAMPLE, "--system", "ghost")
    assert r.returncode == 2 and "ghost" in r.stderr
    out = tmp_path / "d.html"
    r = run("dossier", EXAMPLE, "--system", "vb-mat", "--format", "html", "-o", str(out))
    assert r.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_fail_on_undetermined_exits_1_and_says_what_to_declare(tmp_path: Path) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(HOSTILE, encoding="utf-8")
    r = run("classify", str(inv), "--fail-on-undetermined", "--format", "json", lang="vi")
    assert r.returncode == 1
    assert "plant: chưa xác định được cấp độ; cần khai báo: works_grade" in r.stderr
    assert run("classify", EXAMPLE, "--fail-on-undetermined", "--format", "csv").returncode == 0


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_given_a_pipe_then_the_text_fits_100_columns_wrapped_at_words_without_escapes(lang: str) -> None:
    r = run("classify", EXAMPLE, lang=lang)
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout
    lines = r.stdout.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    # the approver cell of the level-5 system wraps inside its column: read the column back, word by word
    header = lines[2]
    start = header.index({"en": "Approved", "vi": "Cấp phê"}[lang])
    end = header.index({"en": "Periodic", "vi": "Chu kỳ"}[lang])
    row = next(i for i, line in enumerate(lines) if line.startswith("vb-mat "))
    cell = []
    for line in lines[row:row + 30]:
        if line != lines[row] and not line.startswith(" "):
            break
        cell.append(line[start:end].strip())
    said = {"en": "The Prime Minister approves the list of level-5 (national-security-critical) systems",
            "vi": "Thủ tướng Chính phủ phê duyệt Danh mục hệ thống thông tin cấp độ 5 (Danh mục hệ thống thông tin "
                  "quan trọng về an ninh quốc gia)"}[lang]
    assert " ".join(" ".join(cell).split()).replace("- ", "-").startswith(said), cell
