"""Screenshots of an HTML report for docs/img/ (headless Chromium through Playwright).

    python scripts/report_screenshots.py demo-out/report.html docs/img
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]


def main(report: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium-headless-shell"), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("#filters:not([hidden])")
        page.screenshot(path=str(out / "report-first-screen.png"))
        page.locator("#f-verdict").select_option("fail")
        page.locator("#findings-title").scroll_into_view_if_needed()
        page.screenshot(path=str(out / "report-findings-failed.png"))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
