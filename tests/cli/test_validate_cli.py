"""`secaudit validate` as a user runs it: the real console script in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


def test_valid_example_exits_0():
    r = run("validate", "examples/inventory.yaml")
    assert r.returncode == 0, r.stderr
    assert "valid inventory" in r.stdout


def test_invalid_example_lists_every_problem_and_exits_2():
    r = run("validate", "examples/invalid-inventory.yaml")
    assert r.returncode == 2
    lines = [line for line in r.stderr.splitlines() if line.startswith("examples/invalid-inventory.yaml:")]
    assert len(lines) >= 8
    assert "examples/invalid-inventory.yaml:11:14: 'public_servce' is not allowed here; did you mean 'public_service'?" \
        in r.stderr
    assert "Traceback" not in r.stderr


def test_messages_in_vietnamese():
    r = run("validate", "examples/invalid-inventory.yaml", lang="vi")
    assert "có phải ý bạn là 'public_service'" in r.stderr
    r = run("--lang", "vi", "validate", "examples/invalid-inventory.yaml", lang="en")
    assert "khoá 'works_grade' bị lặp" in r.stderr


@pytest.mark.parametrize("setup,expected", [
    ("none", "no file given"),
    ("dir", "is a directory"),
    ("empty", "the file is empty"),
    ("garbage", "binary file"),
    ("missing", "no such file"),
])
def test_bad_inputs_give_a_clear_message_and_exit_2(tmp_path, setup, expected):
    args = {"none": [], "dir": [str(tmp_path)], "missing": [str(tmp_path / "nope.yaml")]}.get(setup)
    if args is None:
        f = tmp_path / "f.yaml"
        f.write_bytes(b"" if setup == "empty" else os.urandom(64) + b"\x00" + os.urandom(64))
        args = [str(f)]
    r = run("validate", *args)
    assert r.returncode == 2
    assert expected in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_version_and_help():
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("secaudit ")
    r = run("validate", "--help")
    assert r.returncode == 0 and "Example" in r.stdout


def test_unknown_option_is_a_usage_error():
    r = run("validate", "--bogus")
    assert r.returncode == 2 and "No such option" in r.stderr


def test_policy_explain_accepts_the_qualified_ids_reports_show():
    r = run("policy", "explain", "TLS-PROTO-01@level-3")
    assert r.returncode == 0 and "level-3" in r.stdout and "TLSv1.1" in r.stdout and "level-2.yaml" not in r.stdout
    r = run("policy", "explain", "TLS-PROTO-1")
    assert r.returncode == 2 and "TLS-PROTO-01" in r.stderr


def test_an_inventory_without_systems_is_a_warning_for_validate_and_nothing_verified_for_scan(tmp_path):
    inv = tmp_path / "empty.yaml"
    inv.write_text("kind: inventory\norganisation: {name: X}\nsystems: []\n", encoding="utf-8")
    r = run("validate", str(inv))
    assert r.returncode == 0, r.stderr
    assert f"{inv}:3:1: warning: the inventory lists no system" in r.stderr
    r = run("scan", str(inv), "--out", str(tmp_path / "out"))
    assert r.returncode == 3, r.stdout + r.stderr
    assert "lists no system: there is nothing to check" in r.stderr
    assert not (tmp_path / "out").exists()
    r = run("scan", str(inv), "--out", str(tmp_path / "out"), lang="vi")
    assert r.returncode == 3 and "không có gì để kiểm tra" in r.stderr
