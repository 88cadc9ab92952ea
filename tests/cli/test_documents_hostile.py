"""Hostile strings in an inventory (a system's name and description are user input too) get the same
protection in classification and dossier outputs as strings from scanned servers (issue 11).

The strings: a fullwidth equals sign (a formula start for spreadsheets), ``=1`` after a newline (a
formula on the next line, a Markdown setext heading), an ANSI colour sequence and U+202E (the bidi
override behind "Trojan Source" spoofing).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INVENTORY = """\
kind: inventory
version: 1
organisation: {name: "Sở Thông tin và Truyền thông tỉnh X", security_unit: "Phòng CNTT", owner_body: "UBND tỉnh X"}
systems:
  - id: hostile
    name: "\\uff1dcmd|' /C calc'!A0\\n=1+1 \\e[31mred\\e[0m \\u202egnp.exe"
    description: "\\uff1dHYPERLINK(1)\\n=1+2 \\e[31mred\\e[0m \\u202ecod.exe"
    purpose: internal
    information: [public, private]
    declared_level: 2
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "vi"}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture()
def inventory(tmp_path: Path) -> str:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return str(path)


def _no_controls(out: str) -> None:
    assert "\x1b" not in out and "[31m" not in out, "ANSI escape left in the output"
    assert "\u202e" not in out, "bidi override left in the output"


def _no_formula_line(out: str) -> None:
    # the value's "=1+1" must not start a line of its own (Markdown heading, a formula in a pasted table)
    assert not re.search(r"^\s*[=\uff1d]1\+[12]", out, flags=re.M), out


@pytest.mark.parametrize("fmt", ["csv", "md", "html", "text", "json"])
def test_classify_output_neutralises_hostile_system_strings(inventory: str, fmt: str) -> None:
    r = run("classify", inventory, "--format", fmt)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "cmd" in out                                    # the name is shown, as data
    if fmt == "json":                  # data for tools: the exact value, C0 controls JSON-escaped
        assert "\x1b" not in out                           # JSON escapes it (\\u001b)
        assert json.loads(out)["systems"][0]["name"].startswith("\uff1dcmd|' /C calc'!A0\n=1+1 \x1b[31m")
        return
    _no_controls(out)
    _no_formula_line(out)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        name = rows[1][1]
        assert name.startswith("'\uff1dcmd"), name         # a spreadsheet reads text, not a formula
        for row in rows:
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\uff1d", "\t", "\r", "\n")), cell
                assert "\n" not in cell and "\r" not in cell
    if fmt == "md":
        assert "\\|" in out and "<" not in out.split("cmd")[1].split("\n")[0]


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_dossier_neutralises_hostile_name_and_description(inventory: str, fmt: str) -> None:
    r = run("dossier", inventory, "--system", "hostile", "--format", fmt)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "cmd" in out and "HYPERLINK" in out
    _no_controls(out)
    _no_formula_line(out)


@pytest.mark.parametrize("command", [("dossier", "--system", "hostile"), ("annual-report", "--year", "2026"),
                                     ("cover-letter", "--system", "hostile")])
def test_word_documents_carry_no_control_characters(inventory: str, tmp_path: Path, command: tuple) -> None:
    import zipfile

    out = tmp_path / "doc.docx"
    r = run(command[0], inventory, *command[1:], "--format", "docx", "-o", str(out),
            *(["--data-dir", str(tmp_path / "d")] if command[0] == "annual-report" else []))
    assert r.returncode == 0, r.stderr
    xml = zipfile.ZipFile(out).read("word/document.xml").decode("utf-8")
    assert "cmd" in xml and "\x1b" not in xml and "[31m" not in xml and "\u202e" not in xml


@pytest.mark.parametrize("command", [("annual-report", "--year", "2026"), ("cover-letter", "--system", "hostile")])
def test_markdown_documents_neutralise_hostile_strings(inventory: str, tmp_path: Path, command: tuple) -> None:
    r = run(command[0], inventory, *command[1:],
            *(["--data-dir", str(tmp_path / "d")] if command[0] == "annual-report" else []))
    assert r.returncode == 0, r.stderr
    _no_controls(r.stdout)
    _no_formula_line(r.stdout)
    assert "\\|" in r.stdout                     # the name's pipe cannot split a table cell
