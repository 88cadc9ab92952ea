"""`secaudit demo` from the installed wheel (tests/support/wheel.py: built from the sdist, installed into a fresh
virtualenv, once per session): run outside the source tree, it starts the demo targets, scans them and stops
them, and its HTML report prints on a bounded number of pages in either language.

A module of its own, apart from tests/cli/test_wheel.py, so that `--dist loadfile` runs the demo (the slowest
command of the suite) beside the other checks of the install instead of after them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.support.wheel import installed_env, installed_wheel, run, run_installed

# The demo's own bound is its subprocess timeout (420 s): under a loaded CPU the demo (two scans of the examples,
# discovery, host checks, assess) outlasts the suite-wide 180 s hang guard of pytest-timeout while still working.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(480)]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh virtualenv holding secaudit installed from the wheel built from the sdist."""
    return installed_wheel(tmp_path_factory).bin


@pytest.fixture(scope="module")
def demo(installed, tmp_path_factory):
    """One `secaudit demo` of the installed command, in a folder of its own: (the finished process, the folder).

    Its temporary folders (``secaudit-demo-*``, which every demo server's command line names) are made in a
    folder of this test's own ($TMPDIR), so that the servers of this demo can be told from another test run's."""
    where = tmp_path_factory.mktemp("demo")
    (where / "tmp").mkdir()
    env = dict(installed_env(installed), TMPDIR=str(where / "tmp"))
    return run([str(installed / "secaudit"), "demo", "--dir", str(where)], where, 420, env), where


def command_lines_naming(text: str) -> list[str]:
    """The command lines of the running processes that contain ``text`` (from /proc; a process may end meanwhile)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:                          # FileNotFoundError, ProcessLookupError: the process ended
            continue
        if text in argv:
            found.append(f"{cmdline.parent.name}: {argv}")
    return found


def test_given_the_installed_command_then_secaudit_demo_starts_scans_and_stops_its_targets(demo):
    r, where = demo
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert "demo targets stopped." in r.stdout
    assert "\x1b" not in r.stdout + r.stderr                             # a pipe gets no terminal escape codes
    report = json.loads((where / "demo-out" / "report.json").read_text(encoding="utf-8"))
    assert {s["system_id"] for s in report["systems"]} >= {"cong-dvc", "nhan-su", "qlvb"}
    assert any(f["verdict"] == "fail" for f in report["findings"])      # the demo's broken targets are found
    leftover = command_lines_naming(str(where / "tmp" / "secaudit-demo-"))   # this demo's temporary folders
    assert leftover == [], leftover                                 # no demo server outlives the command


def test_given_the_demo_report_then_it_prints_on_at_most_40_pages_in_either_language(installed, demo):
    """The demo's HTML report prints in at most 40 A4 pages in either language (it printed 335 and 811)."""
    r, where = demo
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    vi = run_installed(installed, "report", str(where / "demo-out" / "report.json"), "--lang", "vi", "--format",
                       "html", "--out", str(where / "vi"), cwd=where)
    assert vi.returncode in (0, 1), vi.stderr
    pages = _printed_pages([where / "demo-out" / "report.html", where / "vi" / "report.html"])
    assert all(1 < n <= 40 for n in pages), pages


def _printed_pages(pages: list[Path]) -> list[int]:
    """How many A4 pages headless Chromium prints each HTML file on (its print stylesheet applies)."""
    from playwright.sync_api import sync_playwright

    browser = shutil.which("chromium-headless-shell")
    assert browser, "headless Chromium is missing: run scripts/ensure-sysdeps.sh"
    counts = []
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu",
                                                             "--disable-background-networking", "--no-first-run"])
        try:
            for html in pages:
                page = b.new_page()
                page.goto(html.as_uri())
                pdf = page.pdf(format="A4", prefer_css_page_size=True)
                counts.append(len(re.findall(rb"/Type\s*/Page\b", pdf)))
                page.close()
        finally:
            b.close()
    return counts
