"""`secaudit requirements` as a user runs it: the real console entry point in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from secaudit.schemacheck import schema

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "data" / "requirements" / "fixture-std.yaml"


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", "requirements", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """The fixture catalogue with texts that try formulas, markup and terminal escapes."""
    path = tmp_path_factory.mktemp("cat") / "fixture-std.yaml"
    text = FIXTURE.read_text(encoding="utf-8").replace(
        'text: {en: "Turn off or rename default accounts."',
        'text: {en: "=HYPERLINK(\\"http://x\\") <b>| **x** \\e[31m"')
    path.write_text(text, encoding="utf-8")
    return path


def test_given_a_level_when_listed_as_json_then_every_row_has_clause_key_kind_texts_and_means():
    r = run("--catalogue", str(FIXTURE), "--level", "4", "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(Draft202012Validator(schema("requirements-list-v1")).iter_errors(doc)) == []
    assert doc["schema"] == "secaudit/requirements-list/v1" and doc["regime"] == "fixture-regime"
    (level,) = doc["levels"]
    assert (level["level"], level["section"], level["counts"]) == (
        4, "6", {"rows": 4, "technical": 3, "management": 1})
    assert [row["clause"] for row in level["rows"]] == ["6.1.2.1", "6.6.2.2", "6.6.2.3", "6.12.2.3"]
    row = level["rows"][2]
    assert row["text"]["en"] == "Disable accounts unused for more than 30 days." and row["params"] == {
        "inactive_days": 30}
    assert row["verify"][0] == {"kind": "host", "control": "HOST-ACCT-02"}


def test_given_every_level_as_text_then_lines_fit_100_columns_in_both_languages():
    for lang in ("en", "vi"):
        r = run("--catalogue", str(FIXTURE), lang=lang)
        assert r.returncode == 0, r.stderr
        assert max(len(line) for line in r.stdout.splitlines()) <= 100
        assert ("level 3 (section 5): 5 requirements" if lang == "en" else "cấp độ 3 (mục 5): 5 yêu cầu") in r.stdout
        assert "5.12.2.4 a" in r.stdout and "6.12.2.3" in r.stdout and "3.6.2.1" in r.stdout


def test_given_hostile_texts_then_csv_md_and_text_carry_no_formula_markup_or_escape(hostile, tmp_path):
    out = tmp_path / "l.csv"
    r = run("--catalogue", str(hostile), "--format", "csv", "-o", str(out))
    assert r.returncode == 0 and str(out) in r.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["standard", "level", "clause", "key", "group", "kind", "text", "params", "verify"]
    assert len(rows) == 1 + 2 + 5 + 4
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert any(cell.startswith("'=HYPERLINK") for row in rows for cell in row)
    md = run("--catalogue", str(hostile), "--format", "md").stdout
    assert "<b>" not in md and "\x1b" not in md and "&lt;b&gt;" in md and "\\| \\*\\*x" in md
    assert "\x1b" not in run("--catalogue", str(hostile)).stdout


def test_given_a_broken_catalogue_or_unknown_regime_then_exit_2_naming_the_place(tmp_path):
    bad = tmp_path / "fixture-std.yaml"
    bad.write_text(FIXTURE.read_text(encoding="utf-8").replace('"6.6.2.3"', '"5.6.2.3"'), encoding="utf-8")
    r = run("--catalogue", str(bad))
    line = next(i for i, text in enumerate(bad.read_text().splitlines(), 1) if '"5.6.2.3", params: {inactive_days: 30' in text)
    assert r.returncode == 2 and f"{bad}:{line}:19: clause 5.6.2.3 is not in section 6" in r.stderr
    r = run("--regime", "decree-99")
    assert r.returncode == 2 and "decree-99" in r.stderr and "Traceback" not in r.stderr


def test_given_the_shipped_tcvn_14423_catalogue_then_every_level_has_its_row_count_and_section():
    r = run("--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["regime"] == "decree-331-2026" and doc["catalogue"]["standard"] == "TCVN 14423:2026"
    counts = {lvl["level"]: lvl["counts"]["rows"] for lvl in doc["levels"]}
    assert counts == {1: 111, 2: 129, 3: 195, 4: 273, 5: 288}
    for lvl in doc["levels"]:
        section = str(lvl["level"] + 2)
        assert lvl["section"] == section
        for row in lvl["rows"]:
            assert row["clause"].startswith(section + ".") and row["text"]["en"] and row["text"]["vi"]
            assert row["kind"] in ("technical", "management") and row["verify"] and row["key"]
