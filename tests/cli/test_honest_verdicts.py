"""No output says a system is compliant with, or đạt, its level from a scan (issue 22 item 5).

Given a run of the example inventory in which every system passes every network control of its level — the
case most tempting to call "compliant" — when it is rendered in every report format and language, stored,
and read back by `report`, `runs`, `trend`, `status`, `dossier` and `annual-report`, then no text claims
the level: only `secaudit assess`, over every requirement row, may say that. Where an assessment of two
systems is stored, the scan reports, `runs`, `status` and the dossier give its figures ("requirements
assessed: N/M (x%), met K"), and say plainly of every other system that its level was not assessed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmlmod
import json
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
ASSESSED = ("qlvb", "dieu-khien-ho-chua")           # a stored `secaudit assess` of these two (example evidence)
ASSESSED_LINE = {"en": "requirements assessed: {assessed}/{applicable} ({pct}%), met {met}",
                 "vi": "yêu cầu đã đánh giá: {assessed}/{applicable} ({pct}%), đáp ứng {met}"}
NOT_ASSESSED_LINE = {"en": "requirements of level {level}: not assessed — run `secaudit assess`",
                     "vi": "yêu cầu của cấp độ {level}: chưa đánh giá — chạy `secaudit assess`"}
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
def stored(tmp_path_factory, clean_run) -> tuple[str, Path, dict]:
    """The run stored, with a real assessment of two systems from the run and the example register; the
    results file carries the figures as a scan writes them."""
    from secaudit.requirements.pipeline import Sources, run_assessment
    from secaudit.store import open_store

    d = tmp_path_factory.mktemp("honest")
    url = f"sqlite:///{d / 'store.sqlite'}"
    with open_store(url) as store:
        store.save(clean_run)
        assessment, register = run_assessment(str(ROOT / "examples/inventory.yaml"), ASSESSED,
                                              str(ROOT / "examples/evidence.yaml"), sources=Sources(db=url),
                                              now=dt.datetime(2026, 12, 2, 9, tzinfo=dt.timezone.utc), store=store)
        store.save_assessment(assessment, store.save_register(register))
        figures = {sid: rec.figures() for sid, rec in store.latest_assessments().items()}
    assert sorted(figures) == sorted(ASSESSED) and not any(a.level_met for a in figures.values())
    results = d / "report.json"
    results.write_text(JsonFormat().render(dataclasses.replace(clean_run, assessments=tuple(figures.values())), "en"),
                       encoding="utf-8")
    return url, results, figures


def assessed_line(a, lang: str) -> str:
    return ASSESSED_LINE[lang].format(assessed=a.assessed, applicable=a.applicable, met=a["met"],
                                      pct=round(100 * a.assessed / a.applicable))


def run(*args: str, lang: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=env)


def test_the_run_passes_every_network_control(clean_run):
    network = [f for f in clean_run.findings if not f.control_id.startswith("HOST-")]
    assert {f.verdict.value for f in network} == {"pass"}
    # the example declares no `hosts:`: host checks had nothing to log in to
    assert {f.verdict.value for f in clean_run.findings if f.control_id.startswith("HOST-")} == {"not_applicable"}
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
    url, results, _ = stored
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


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_scan_reports_give_the_latest_assessment_of_each_level_or_say_there_is_none(clean_run, stored, lang):
    from secaudit.cli.store_options import with_assessments

    url, _, figures = stored
    results = with_assessments(clean_run, url, None)
    assert {a.system_id for a in results.assessments} == set(ASSESSED)
    levels = {s.system_id: s.required_level for s in clean_run.systems}
    for name in ("text", "md", "html"):
        text = visible(FORMATS[name]().render(results, lang), name)
        if name == "md":
            text = text.replace("\\", "")               # Markdown escapes of ( ) and `
        flat = " ".join(text.split())                       # the text summary wraps at 80 columns
        for sid in ASSESSED:
            assert assessed_line(figures[sid], lang) in flat, (name, sid)
        assert NOT_ASSESSED_LINE[lang].format(level=levels["ttdl-tinh"]) in flat, name
        assert claims(text) == [], name
    data = json.loads(FORMATS["json"]().render(results, lang))
    by_system = {a["system_id"]: a for a in data["assessments"]}
    assert {sid: (a["level"], a["counts"]["met"]) for sid, a in by_system.items()} == {
        sid: (figures[sid].level, figures[sid]["met"]) for sid in ASSESSED}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_runs_status_and_dossier_give_the_latest_assessment_of_each_level(stored, lang):
    url, _, figures = stored
    runs = run("runs", "--db", url, lang=lang).stdout
    runs_json = json.loads(run("runs", "--db", url, "--format", "json", lang=lang).stdout)
    status = run("status", "examples/inventory.yaml", "--db", url, "--date", "2026-12-05", lang=lang).stdout
    status_html = visible(run("status", "examples/inventory.yaml", "--db", url, "--date", "2026-12-05",
                              "--format", "html", lang=lang).stdout, "html")
    dossier = run("dossier", "examples/inventory.yaml", "--system", "dieu-khien-ho-chua", "--db", url,
                  lang=lang).stdout.replace("\\", "")
    for sid in ASSESSED:
        line = assessed_line(figures[sid], lang)
        assert line in runs and line in status and line in " ".join(status_html.split()), sid
    assert assessed_line(figures["dieu-khien-ho-chua"], lang) in dossier
    assert NOT_ASSESSED_LINE[lang].format(level=3) in runs and NOT_ASSESSED_LINE[lang].format(level=3) in status
    rows = {r["system"]: r for r in runs_json["requirements"]}
    assert set(rows) == set(SYSTEMS)
    a = figures["qlvb"]
    assert (rows["qlvb"]["assessed"], rows["qlvb"]["applicable"], rows["qlvb"]["met"]) == (a.assessed, a.applicable,
                                                                                             a["met"])
    assert rows["ttdl-tinh"]["assessed"] is None and rows["ttdl-tinh"]["assessed_at"] is None
    dossier_none = run("dossier", "examples/inventory.yaml", "--system", "lgsp", "--db", url, lang=lang).stdout
    assert NOT_ASSESSED_LINE[lang].format(level=3) in dossier_none.replace("\\", "")


@pytest.fixture(scope="module")
def journal_of_qlvb(tmp_path_factory) -> tuple[Path, str]:
    """A real run of qlvb (the example inventory moved to 127.22.0.x, nothing listening: a quick --only http
    scan), kept in its journal only (--no-store), for `report RUN_ID`."""
    d = tmp_path_factory.mktemp("journal")
    inventory = d / "inventory.yaml"
    inventory.write_text((ROOT / "examples/inventory.yaml").read_text(encoding="utf-8").replace("127.0.0.", "127.22.0."),
                         encoding="utf-8")
    r = run("scan", str(inventory), "--system", "qlvb", "--only", "http", "--runs-dir", str(d / "runs"), "--no-store",
            "--out", str(d / "out"), "--format", "json", "-q", lang="en")
    assert r.returncode == 3, r.stderr           # nothing listens: the http controls are left without a verdict
    run_id = json.loads((d / "out/report.json").read_text(encoding="utf-8"))["run"]["id"]
    return d / "runs", run_id


def test_report_of_a_run_id_gives_the_stored_assessment_from_the_store(stored, journal_of_qlvb, tmp_path):
    url, _, figures = stored
    runs_dir, run_id = journal_of_qlvb
    data_dir = url.removeprefix("sqlite:///").rsplit("/", 1)[0]      # the store is <data dir>/store.sqlite
    args = ("report", run_id, "--runs-dir", str(runs_dir), "--format", "text", "--format", "sarif",
            "--format", "junit")
    r = run(*args, "--data-dir", data_dir, "--out", str(tmp_path / "a"), lang="en")
    assert r.returncode == 3, r.stderr
    line = assessed_line(figures["qlvb"], "en")
    assert line in " ".join(r.stdout.split()) and claims(r.stdout) == []
    sarif = json.loads((tmp_path / "a/report.sarif").read_text(encoding="utf-8"))
    qlvb = sarif["runs"][0]["properties"]["levelRequirements"]["qlvb"]
    assert (qlvb["level"], qlvb["assessed"], qlvb["met"]) == (figures["qlvb"].level, figures["qlvb"].assessed,
                                                              figures["qlvb"]["met"])
    assert line in qlvb["text"]
    assert f'name="requirements.met" value="{figures["qlvb"]["met"]}"' in (tmp_path / "a/report.xml").read_text(
        encoding="utf-8")
    empty = tmp_path / "no-store"                # no store: the level's rows are said to be not assessed
    r = run(*args, "--data-dir", str(empty), "--out", str(tmp_path / "b"), lang="en")
    assert r.returncode == 3, r.stderr
    assert NOT_ASSESSED_LINE["en"].format(level=figures["qlvb"].level) in " ".join(r.stdout.split())
    assert line not in " ".join(r.stdout.split()) and not empty.exists()
