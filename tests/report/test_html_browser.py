"""The HTML report in a real browser: Debian's headless Chromium (chromium-headless-shell, installed by
scripts/ensure-sysdeps.sh), driven by Playwright.

Given the report of a real scan (real nginx, sslyze and nmap on loopback), when a person opens it, then the
page runs without console errors under its Content-Security-Policy, the first screen shows the overall
status, the findings filter shows exactly the matching rows, and the print stylesheet hides the controls.
Markup planted in scanned data never executes."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from secaudit.model import Evidence, Message
from secaudit.report.templated import HtmlFormat

pytestmark = pytest.mark.integration

BROWSER = shutil.which("chromium-headless-shell")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
PWN = "document.documentElement.setAttribute('data-pwned','1')"
PAYLOADS = (f"<script>{PWN}</script>", f"<img src=x onerror=\"{PWN}\">", f"\"><svg onload=\"{PWN}\">")
GOOD, WEAK = "127.9.1.11", "127.9.1.12"


def _browser() -> str:
    assert BROWSER, "headless Chromium is missing: run scripts/ensure-sysdeps.sh (apt-get install chromium-headless-shell)"
    return BROWSER


@pytest.fixture(scope="module")
def scanned(tmp_path_factory) -> Path:
    """A real scan of a compliant and a weak server; the folder holding report.html and report.json."""
    w = tmp_path_factory.mktemp("browser")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    sites = [Site("good", *pki.write_leaf(pki.leaf(names=(GOOD,)), w, "good"), host=GOOD, port=8443,
                  hsts="max-age=31536000"),
             Site("weak", *pki.write_leaf(pki.leaf(names=(WEAK,)), w, "weak"), host=WEAK, port=8443,
                  protocols="TLSv1 TLSv1.1 TLSv1.2", ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0")]
    inventory = w / "inventory.yaml"
    inventory.write_text(textwrap.dedent(f"""\
        kind: inventory
        organisation: {{name: "Browser test agency"}}
        systems:
          - {{id: good, name: Good portal, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://{GOOD}:8443"]}}
          - {{id: weak, name: Weak portal, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://{WEAK}:8443"]}}
        """), encoding="utf-8")
    (w / "nginx").mkdir()
    env = {**os.environ, "SECAUDIT_LANG": "en", "CI": "1"}
    with NginxFarm(sites, w / "nginx"):
        r = subprocess.run([sys.executable, "-m", "secaudit", "scan", str(inventory), "--ca-file", str(ca),
                            "--runs-dir", str(w / "runs"), "--out", str(w / "out"), "--format", "html",
                            "--format", "json", "--timeout", "20", "--ports-timeout", "60"],
                           capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 1, r.stdout + r.stderr          # the weak server fails high-severity controls
    return w / "out"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=_browser(), args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser, scanned):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    problems: list[str] = []
    pg.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    pg.on("pageerror", lambda e: problems.append(str(e)))
    pg.goto((scanned / "report.html").as_uri())
    pg.wait_for_selector("#filters:not([hidden])")
    yield pg, problems
    context.close()


def _findings(scanned: Path) -> list[dict]:
    return json.loads((scanned / "report.json").read_text(encoding="utf-8"))["findings"]


def _rows(scanned: Path) -> list[dict]:
    """The findings table's rows, from report.json: a row per finding, except that the not-applicable findings of
    one system, check family and reason (the message and its arguments but the check it names) are one row when
    there are two or more (e.g. the host checks of a system without `hosts:`)."""
    data = json.loads((scanned / "report.json").read_text(encoding="utf-8"))
    family = {c["id"]: c["check"].split(".")[0] for c in data["controls"]}
    groups: dict[tuple, list[dict]] = {}
    rows = []
    for f in data["findings"]:
        if f["verdict"] == "not_applicable" and f["control_id"] in family:
            args = {k: v for k, v in f["message"]["args"].items() if k != "check"}
            key = (f["system_id"], family[f["control_id"]], f["message"]["key"], json.dumps(args, sort_keys=True))
            groups.setdefault(key, []).append(f)
        else:
            rows.append({"system": f["system_id"], "verdict": f["verdict"], "controls": [f["control_id"]]})
    for (system, *_), fs in groups.items():          # a group of one is its finding's own row
        rows.append({"system": system, "verdict": "not_applicable", "controls": [f["control_id"] for f in fs]})
    return rows


def _visible_rows(pg) -> int:
    return pg.locator("tr.finding:visible").count()


def test_given_a_real_report_when_opened_then_no_console_errors_and_the_first_screen_shows_the_status(page, tmp_path):
    pg, problems = page
    status = pg.locator("#overview .status.big")
    assert status.inner_text() == "Network controls fail"
    box = status.bounding_box()
    assert box is not None and 0 <= box["y"] and box["y"] + box["height"] <= 800      # above the fold
    shot = tmp_path / "first-screen.png"
    pg.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert problems == []                                  # no script error, no CSP violation


def test_given_the_filter_when_typing_or_choosing_then_exactly_the_matching_rows_stay_visible(page, scanned):
    pg, problems = page
    rows = _rows(scanned)
    assert _visible_rows(pg) == len(rows) > 0
    assert len(rows) < len(_findings(scanned))     # the host checks of each system without `hosts:` are one row
    pg.locator("#f-text").press_sequentially("TLS-PROTO")
    expected = [r for r in rows if any("TLS-PROTO" in c for c in r["controls"])]
    assert 0 < len(expected) < len(rows)
    assert _visible_rows(pg) == len(expected)
    assert pg.locator("#f-shown").inner_text() == str(len(expected))
    pg.locator("#f-text").fill("")
    pg.locator("#f-system").select_option("weak")
    assert _visible_rows(pg) == len([r for r in rows if r["system"] == "weak"])
    pg.locator("#f-verdict").select_option("fail")
    assert _visible_rows(pg) == len([r for r in rows if r["system"] == "weak" and r["verdict"] == "fail"]) > 0
    assert problems == []


def test_given_print_media_then_the_controls_are_hidden_and_filtered_rows_are_printed(page, scanned):
    pg, _ = page
    pg.locator("#f-text").fill("no finding has this text")
    assert _visible_rows(pg) == 0
    pg.emulate_media(media="print")
    assert pg.locator("#filters").evaluate("e => getComputedStyle(e).display") == "none"
    assert _visible_rows(pg) == len(_rows(scanned))      # a printed report is the whole report


def _dump_dom(path: Path) -> str:
    out = subprocess.run([_browser(), *FLAGS, "--headless", "--virtual-time-budget=3000", "--dump-dom",
                          path.as_uri()], capture_output=True, text=True, timeout=60)
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
