"""The HTML report in a real browser (headless Chromium, when installed): the filter script runs under
the report's Content-Security-Policy, and markup planted in scanned data does not execute."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess

import pytest

from secaudit.model import Evidence, Message
from secaudit.report.templated import HtmlFormat

BROWSER = next((b for b in ("chromium-headless-shell", "chromium", "chromium-browser") if shutil.which(b)), None)
PWN = "document.documentElement.setAttribute('data-pwned','1')"
PAYLOADS = (f"<script>{PWN}</script>", f"<img src=x onerror=\"{PWN}\">", f"\"><svg onload=\"{PWN}\">")

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install chromium-headless-shell)")]


def _dump_dom(path) -> str:
    out = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
                          "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_given_planted_markup_when_opened_in_a_browser_then_nothing_executes_and_the_filter_runs(results, tmp_path):
    f = results.findings[1]
    hostile = dataclasses.replace(f, message=Message("cert.valid.untrusted", {"subject": PAYLOADS[0]}),
                                  evidence=tuple(Evidence("Subject CN", p) for p in PAYLOADS))
    planted = dataclasses.replace(results, findings=(hostile,) + results.findings[2:])
    path = tmp_path / "report.html"
    path.write_text(HtmlFormat().render(planted, "en"), encoding="utf-8")
    dom = _dump_dom(path)
    assert 'data-pwned="1"' not in dom          # the payloads are in the page, as text only
    assert "setAttribute('data-pwned','1')" in dom
    assert '<span id="f-shown">%d</span>' % len(planted.findings) in dom
    assert '<div id="filters">' in dom          # the script un-hid the filters: CSP let it run
