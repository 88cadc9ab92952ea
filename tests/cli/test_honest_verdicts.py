"""No output says a system is compliant with, or đạt, its level from a scan (issue 22 item 5).

Given a run of the example inventory in which every system passes every network control of its level — the
case most tempting to call "compliant" — when it is rendered in every report format and language, stored,
and read back by `report`, `runs`, `trend`, `status`, `dossier` and `annual-report`, then no text claims
the level: only `secaudit assess`, over every requirement row, may say that.
"""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.report import FORMATS
from secaudit.report.json_report import JsonFormat
from tests.support.history import example_inventory, run_of

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = ("ttdl-tinh", "cong-ttdt", "qlvb", "dieu-khien-ho-chua", "noi-san", "lgsp")
CLAIMS = re.compile(r"compliant|compliance|đạt yêu cầu|đạt cấp độ|tuân thủ|reaches the security level|đều đạt cấp|"
                    r"đạt được cấp", re.IGNORECASE)


def visible(text: str, fmt: str) -> str:
    """What a reader sees: for HTML the text without tags, styles and scripts (class names are not words)."""
    if fmt != "html":
        return text
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", text, flags=re.S)
    return htmlmod.unescape(re.sub(r"<[^>]+>", " ", text))


def claims(text: str, fmt: str = "text") -> list[str]:
    shown = visible(text, fmt)
    return [shown[max(0, m.start() - 60): m.end() + 20] for m in CLAIMS.finditer(shown)]


@pytest.fixture(scope="module")
def clean_run():
    inv = example_inventory(str(ROOT))
    return run_of(inv, "20261201T080000Z-good", dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc), {}, SYSTEMS)


@pytest.fixture(scope="module")
def stored(tmp_path_factory, clean_run) -> tuple[str, Path]:
    from secaudit.store import open_store

    d = tmp_path_factory.mktemp("honest")
    url = f"sqlite:///{d / 'store.sqlite'}"
    with open_store(url) as store:
        store.save(clean_run)
    results = d / "report.json"
    results.write_text(JsonFormat().render(clean_run, "en"), encoding="utf-8")
    return url, results


def run(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=env)


def test_the_run_passes_every_network_control(clean_run):
    assert {f.verdict.value for f in clean_run.findings} == {"pass"}
    assert all(s.achieved_level == s.required_level for s in clean_run.systems)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_no_scan_report_format_claims_the_level(clean_run, lang):
    rendered = {name: fmt().render(clean_run, lang) for name, fmt in FORMATS.items()}
    assert set(rendered) >= {"html", "md", "text", "json", "sarif", "junit", "csv"}
    for name, text in rendered.items():
        assert claims(text, name) == [], name
    said = {"en": "network controls: ", "vi": "biện pháp kiểm tra qua mạng: "}[lang]
    assert said in rendered["text"] and said in visible(rendered["html"], "html") and said in rendered["md"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_no_history_or_document_command_claims_the_level(stored, tmp_path, lang):
    url, results = stored
    outputs = {
        "report": run("report", str(results), "--as-is", "--out", str(tmp_path / "out"), *[
            x for f in ("html", "md", "text", "json", "sarif", "junit", "csv") for x in ("--format", f)], lang=lang),
        "runs": run("runs", "--db", url, lang=lang),
        "runs-json": run("runs", "--db", url, "--format", "json", lang=lang),
        "trend": run("trend", "--system", "ttdl-tinh", "--db", url, lang=lang),
        "status": run("status", "examples/inventory.yaml", "--db", url, "--date", "2026-12-05", lang=lang),
        "annual": run("annual-report", "examples/inventory.yaml", "--year", "2026", "--db", url, lang=lang),
        "dossier": run("dossier", "examples/inventory.yaml", "--system", "dieu-khien-ho-chua", "--db", url,
                       lang=lang),
    }
    for name, r in outputs.items():
        assert r.returncode in (0, 1), (name, r.stderr)
        assert claims(r.stdout) == [], (name, claims(r.stdout))
    written = sorted((tmp_path / "out").iterdir())
    assert len(written) == 7
    for path in written:
        fmt = path.suffix.lstrip(".")
        assert claims(path.read_text(encoding="utf-8-sig"), fmt) == [], path.name
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in outputs["annual"].stdout.splitlines()
            if line.startswith("| ") and line.count("|") == 13]
    rows = [r for r in rows if r[0].isdigit()]
    assert len(rows) == 13                          # Form 08 column 12: a scan on time is not "Periodic"
    assert all("Định kỳ" not in r[11] and "Periodic" not in r[11] for r in rows)
