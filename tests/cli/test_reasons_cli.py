"""A probe that failed says why in the report's language: a real scan of a port that accepts TCP and
never speaks TLS, reported in Vietnamese and in English (the journal keeps the English text)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from secaudit.lab.servers import silent_port

pytestmark = pytest.mark.integration


def scan(port: int, out, lang: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CI": "1", "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", "--lang", lang, "scan", "--target", f"127.0.0.1:{port}",
                           "--level", "2", "--only", "tls", "--timeout", "10", "--no-store", "--runs-dir",
                           str(out / "runs"), "--out", str(out / lang), "--format", "text", "--format", "json",
                           "--format", "html"], capture_output=True, text=True, timeout=180, env=env)


def test_given_a_silent_port_when_reported_in_vietnamese_then_the_reason_is_vietnamese_and_english_in_english(tmp_path):
    with silent_port() as port:
        vi, en = scan(port, tmp_path, "vi"), scan(port, tmp_path, "en")
    assert vi.returncode == 3 and en.returncode == 3, vi.stdout + vi.stderr     # controls left without a verdict
    assert "không trả lời ClientHello TLS" in (tmp_path / "vi" / "report.html").read_text(encoding="utf-8")
    assert "did not answer a TLS ClientHello" in (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    assert "did not answer a TLS ClientHello" not in (tmp_path / "vi" / "report.txt").read_text(encoding="utf-8")
    stored = json.loads((tmp_path / "vi" / "report.json").read_text(encoding="utf-8"))
    (obs,) = [o for o in stored["observations"] if o["status"] == "error"]
    assert obs["reason"]["key"] == "tls.probe.no_tls_answer"
    assert "did not answer a TLS ClientHello" in obs["error"]          # logs and journals keep the English text
