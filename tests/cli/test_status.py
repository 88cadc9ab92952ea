"""`secaudit status`: the programme at a glance (issue 15), from the example and two stored runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.support.history import example_inventory, store_two_runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'store.sqlite'}"
    store_two_runs(url, example_inventory(ROOT))
    return url


def test_text_status_counts_and_names_what_holds_back(db: str) -> None:
    r = run("status", "examples/inventory.yaml", "--db", db, "--date", "2026-12-01")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    counts = dict((m.group(2), int(m.group(1))) for m in re.finditer(r"^\s+(\d+)/13  (.+)$", out, flags=re.M))
    assert counts == {"classified (level determined)": 13, "with a level dossier (submitted or further)": 9,
                      "appraised": 6, "approved": 5,
                      "scanned on time (latest network scan within the level's scanning cadence; a scan is not "
                      "the periodic assessment)": 5,
                      "passing every network control of their level in the latest scan (the level's other "
                      "requirements: secaudit assess)": 4}
    holding = out.split("hold the organisation back:")[1]
    ids = re.findall(r"^  - ([a-z0-9-]+) ", holding, flags=re.M)
    assert ids[0] == "vb-mat" and ids[1] == "dieu-khien-ho-chua"           # most important level first
    assert "ttdl-tinh" not in ids and "noi-san" not in ids                   # approved, on time, compliant
    lgsp = holding.split("- lgsp ")[1].split("\n  - ")[0]
    assert "network scan overdue since 10/09/2026" in lgsp and "network controls fail in the latest scan (1 failed)" in lgsp


def test_html_status_escapes_and_lists_the_same_systems(db: str, tmp_path) -> None:
    out = tmp_path / "status.html"
    r = run("status", "examples/inventory.yaml", "--db", db, "--date", "2026-12-01", "--format", "html",
            "-o", str(out), lang="vi")
    assert r.returncode == 0, r.stderr
    html = out.read_text(encoding="utf-8")
    assert "<h2>Các hệ thống cần tập trung xử lý</h2>" in html
    assert html.count("<tr><td><strong>") == 11 and "bảo đảm an ninh mạng" in html
