"""Honest input refused, bad input accepted (issue 12, items 5-10), as a user meets them:
the real console script in a subprocess, exit 2 naming the file, never a hang or a traceback.

Scans here target a closed port on 127.5.0.1 (this suite's own loopback range): a refused
connection fails in well under a second, so a check that is missing shows up as exit 3, not 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLOSED = "127.5.0.1:9"

WAIVER = """\
kind: waivers
waivers:
  - control: {control}
    system: {system}
    reason: legacy client until migration
    approved_by: Giám đốc Sở
    expires: 2099-01-01
"""


def run(*args: str, cwd: str | Path = ROOT, lang: str = "en", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang, "SECAUDIT_RUNS_DIR": str(Path(cwd) / ".runs"),
           "SECAUDIT_DATA_DIR": str(Path(cwd) / ".data")}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env, stdin=subprocess.DEVNULL)


def adhoc_scan(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run("scan", "--target", CLOSED, "--level", "3", "--only", "tls", "--timeout", "5",
               "--out", str(tmp_path / "out"), "--format", "json", *extra, cwd=tmp_path)


def assert_input_error(r: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout[-1500:], r.stderr[-1500:])
    for text in expected:
        assert text in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr


# --------------------------------------------------------------------------- item 6: named pipes


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yaml"
    os.mkfifo(path)
    return path


def test_a_named_pipe_is_refused_as_every_kind_of_input_file(tmp_path, fifo):
    # Given a FIFO nobody writes to, every command refuses it at once, naming it (it used to hang)
    pipe_json = tmp_path / "pipe.json"
    os.mkfifo(pipe_json)
    for args in (["validate", str(fifo)],
                 ["classify", str(fifo)],
                 ["classify", "examples/inventory.yaml", "--regime", str(fifo)],
                 ["report", str(pipe_json)],
                 ["scan", "--target", CLOSED, "--level", "1", "--waivers", str(fifo), "--out", str(tmp_path / "o")],
                 ["scan", "--target", CLOSED, "--level", "1", "--ca-file", str(fifo), "--out", str(tmp_path / "o")]):
        r = run(*args, timeout=60)
        name = str(pipe_json) if args[0] == "report" else str(fifo)
        assert_input_error(r, f"{name}: is not a regular file")


def test_a_named_pipe_policy_is_refused_in_vietnamese_too(fifo):
    r = run("validate", str(fifo), lang="vi")
    assert_input_error(r, f"{fifo}: không phải tệp thông thường")


# --------------------------------------------------------------------------- item 7: waivers that match nothing


def test_scan_refuses_a_waiver_for_an_unknown_system(tmp_path):
    (tmp_path / "w.yaml").write_text(WAIVER.format(control="TLS-PROTO-01", system="targte"), encoding="utf-8")
    r = adhoc_scan(tmp_path, "--waivers", "w.yaml")
    assert_input_error(r, "w.yaml:4:13: waiver names system 'targte'", "did you mean 'target'?")
    assert not (tmp_path / "out").exists()


def test_report_refuses_a_waiver_for_an_unknown_control(tmp_path):
    # Given a real results file of a scan of a closed port
    r = adhoc_scan(tmp_path)
    assert r.returncode == 3, r.stderr[-1500:]
    (tmp_path / "w.yaml").write_text(WAIVER.format(control="CERT-TRUTS-01", system="target"), encoding="utf-8")
    # When it is re-evaluated with a waiver for a control no policy defines
    r = run("report", "out/report.json", "--waivers", "w.yaml", "--out", "again", cwd=tmp_path)
    # Then that is an input error at the control, with the control meant
    assert_input_error(r, "w.yaml:3:14: waiver names control 'CERT-TRUTS-01'", "did you mean 'CERT-TRUST-01'?")
    r = run("--lang", "vi", "report", "out/report.json", "--waivers", "w.yaml", "--out", "again", cwd=tmp_path)
    assert_input_error(r, "w.yaml:3:14:", "có phải ý bạn là 'CERT-TRUST-01'?")
    # And a waiver naming what exists is accepted
    (tmp_path / "w.yaml").write_text(WAIVER.format(control="CERT-TRUST-01", system="target"), encoding="utf-8")
    r = run("report", "out/report.json", "--waivers", "w.yaml", "--out", "again", cwd=tmp_path)
    assert r.returncode == 3, r.stderr[-1500:]


def test_validate_refuses_a_waiver_for_an_unknown_control(tmp_path):
    (tmp_path / "w.yaml").write_text(WAIVER.format(control="CERT-TRUTS-01", system="qlvb"), encoding="utf-8")
    r = run("validate", "examples/inventory.yaml", str(tmp_path / "w.yaml"))
    assert_input_error(r, f"{tmp_path / 'w.yaml'}:3:14: waiver names control 'CERT-TRUTS-01'")


# --------------------------------------------------------------------------- item 8: results of the wrong shape


@pytest.mark.parametrize("content,expected", [
    ("[]", "r.json: holds a list, not a results object"),
    ("{}", 'r.json: is not a secaudit results document: "schema" is null'),
    ('{"schema": "secaudit/results/v1", "run": []}', "r.json: does not match the published results schema at"),
    ('{"schema": ', "r.json:1:12: is not JSON"),
    ("\xff\xfe", "r.json: is not JSON (not UTF-8"),
])
def test_report_on_a_file_of_the_wrong_shape_names_it_and_what_was_expected(tmp_path, content, expected):
    (tmp_path / "r.json").write_bytes(content.encode("latin-1"))
    r = run("report", "r.json", "--out", "o", cwd=tmp_path)
    assert_input_error(r, expected)


# --------------------------------------------------------------------------- item 9: regime files


def test_unknown_key_in_a_regime_file_is_located_with_a_suggestion_and_the_path_as_given(tmp_path):
    text = (Path(ROOT) / "policies/regimes/decree-85-2016.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("criteria:"))
    at = next(i for i, line in enumerate(lines) if i > start and line.startswith("  - id:"))
    lines.insert(at + 1, "    artcle: '7'\n")
    (tmp_path / "mine.yaml").write_text("".join(lines), encoding="utf-8")
    inventory = str(Path(ROOT) / "examples/inventory.yaml")
    r = run("classify", inventory, "--regime", "mine.yaml", cwd=tmp_path)
    assert_input_error(r, f"mine.yaml:{at + 2}:5: unknown key 'artcle'; did you mean 'article'?")
    assert str(tmp_path) not in r.stderr                      # the path as given, not made absolute
    r = run("validate", "mine.yaml", cwd=tmp_path, lang="vi")
    assert_input_error(r, f"mine.yaml:{at + 2}:5: khoá không hợp lệ 'artcle'; có phải ý bạn là 'article'?")


# --------------------------------------------------------------------------- item 10: --ca-file


@pytest.mark.parametrize("command", ["scan", "tls"])
def test_a_ca_file_that_is_not_pem_is_refused_before_scanning(tmp_path, command):
    (tmp_path / "ca.txt").write_text("not a certificate\n", encoding="utf-8")
    args = (["scan", "--target", CLOSED, "--level", "3", "--out", "o"] if command == "scan" else ["tls", CLOSED])
    r = run(*args, "--ca-file", "ca.txt", cwd=tmp_path)
    assert_input_error(r, "ca.txt: --ca-file: not a PEM bundle of CA certificates")
    assert not (tmp_path / "o").exists()
