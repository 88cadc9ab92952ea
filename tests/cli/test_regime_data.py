"""A regime is one data file (issue 26 item 4): a regime written only by this test classifies the example
inventory, is timed by `secaudit due` with its own cadence and citation, and the annual report uses its words.

Given the example inventory, two stored runs and a made-up regime file in tmp_path (every internal system is
level 4; every level assessed every 9 months, "Made-up Regulation 1/2030 Art. 9.1"; its own words for
security, the report's basis, the appendix headings, the table's fixed values and where a missing fact is
asked for), when `classify`, `due`, `annual-report` and `validate --for documents` are run with
`--regime FILE`, then each output shows what the file says and nothing of the shipped regimes' words; the
requirement catalogue it names (the shipped TCVN 14423:2026 one) is the one `requirements` lists for it and the
one a report of a run classified under it counts the level's rows in.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secaudit.report import get_format
from tests.support.history import example_inventory, run_of, store_two_runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INV = "examples/inventory.yaml"
LABEL = {"en": "Made-up Regulation 1/2030 [draft]", "vi": "Quy định giả định 1/2030 [dự thảo]"}
CITATION = {"en": "Made-up Regulation 1/2030 Art. 9.1", "vi": "Quy định giả định 1/2030 Điều 9 khoản 1"}
TERMS = {
    "label": LABEL,
    "security": {"en": "made-up safety", "vi": "an toàn giả định"},
    "protection": {"en": "made-up protection", "vi": "bảo vệ giả định"},
    "unit": {"en": "made-up safety unit", "vi": "đơn vị an toàn giả định"},
    "law": {"en": "Made-up Law 1/2029", "vi": "Luật giả định 1/2029"},
    "ministry": {"en": "Ministry of Make-Believe", "vi": "Bộ Giả Định"},
    "report_basis": {"en": "Art. 9 of Made-up Regulation 1/2030", "vi": "Điều 9 Quy định giả định 1/2030"},
    "national_list": {"en": "made-up list", "vi": "danh mục giả định"},
    "dossier_title": {"en": "MADE-UP DOSSIER", "vi": "HỒ SƠ GIẢ ĐỊNH"},
    "damage_article": {"en": "Art. 8 of Made-up Law 1/2029", "vi": "Điều 8 Luật giả định 1/2029"},
    "regulation_issued": {"en": "Rulebook {number} of {date} by {body}.", "vi": "Quy chế {number} ngày {date} của {body}."},
    "regulation_missing": {"en": "No {security} rulebook.", "vi": "Chưa có quy chế {security}."},
    "annual_regulation": {"en": "Systems with a {security} rulebook (Art. 9.9)",
                          "vi": "Hệ thống có quy chế {security} (Điều 9.9)"},
    "annual_regulation_note": {"en": "Rulebooks come from the inventory (Art. 9.10).",
                               "vi": "Quy chế lấy từ danh mục hệ thống (Điều 9.10)."},
    "annual_roadmap": {"en": "What is left to do under Art. 9.11", "vi": "Việc còn lại theo Điều 9.11"},
    "regulation_gap": {"en": "Made-up Regulation 1/2030 Art. 7.7: rulebook first",
                       "vi": "Điều 7.7 Quy định giả định 1/2030: có quy chế trước"},
    "unit_gap": {"en": "Made-up Regulation 1/2030 Art. 3.3", "vi": "Điều 3.3 Quy định giả định 1/2030"},
    "operator_gap": {"en": "Made-up Regulation 1/2030 Art. 4.4", "vi": "Điều 4.4 Quy định giả định 1/2030"},
    "dossier_drafting": {"en": "MU drafting", "vi": "GĐ đang soạn"},
    "dossier_submitted": {"en": "MU submitted", "vi": "GĐ đã nộp"},
    "dossier_appraised": {"en": "MU appraised", "vi": "GĐ đã thẩm"},
    "dossier_approved": {"en": "MU approved", "vi": "GĐ đã duyệt"},
    "plan_not_started": {"en": "MU plan not begun", "vi": "GĐ chưa làm"},
    "plan_partial": {"en": "MU plan half done", "vi": "GĐ làm một nửa"},
    "plan_full": {"en": "MU plan done", "vi": "GĐ làm xong"},
    "assessed_before_use": {"en": "MU before launch", "vi": "GĐ trước khi chạy"},
    "assessed_periodic": {"en": "MU regular", "vi": "GĐ thường kỳ"},
}
FORM_08 = {"en": ("Being drafted", "Submitted for appraisal", "Some items implemented", "Fully implemented",
                  "Before going into use"),
           "vi": ("Đang dự thảo", "Đã gửi thẩm định", "Đã triển khai một số hạng mục", "Trước khi đưa vào sử dụng")}
# ("Đã triển khai đầy đủ" starts column 10's heading too: the values are checked in the table's cells)


def run(*args: str, lang: str = "en", home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang, **({"SECAUDIT_HOME": str(home)} if home else {})}
    return subprocess.run([sys.executable, "-m", "secaudit", "--lang", lang, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def regime(tmp_path_factory: pytest.TempPathFactory) -> str:
    data = yaml.safe_load((Path(ROOT) / "policies/regimes/decree-331-2026.yaml").read_text(encoding="utf-8"))
    data.update(id="made-up-2030", title={"en": "Made-up Regulation 1/2030", "vi": "Quy định giả định 1/2030"},
                short={"en": "Made-up Regulation 1/2030", "vi": "Quy định giả định 1/2030"},
                standard="MADE-UP 1:2030", interpretations=[], terms=TERMS, periodic_duty="assessment",
                criteria=[{"id": "mu-4.1", "level": 4, "article": "4.1", "text": {"en": "Any internal system.",
                                                                                    "vi": "Mọi hệ thống nội bộ."},
                           "when": {"fact": "purpose", "eq": "internal"}}],
                periodic_assessment=[{"levels": [1, 2, 3, 4, 5], "months": 9, "article": "9.1",
                                      "citation": CITATION}])
    assert data["catalogue"] == "tcvn-14423-2026"             # it follows the shipped standard's catalogue
    path = tmp_path_factory.mktemp("regime") / "made-up-2030.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'store.sqlite'}"
    store_two_runs(url, example_inventory(ROOT))      # qlvb last scanned 2026-11-20
    return url


def test_the_test_regime_classifies_the_inventory(regime: str) -> None:
    p = run("classify", INV, "--regime", regime, "--format", "json")
    assert p.returncode in (0, 1), p.stderr
    systems = {s["system"]: s for s in json.loads(p.stdout)["systems"]}
    assert json.loads(p.stdout)["regime"]["id"] == "made-up-2030"
    assert systems["qlvb"]["level"] == 4 and systems["qlvb"]["deciding"]["id"] == "mu-4.1"
    assert systems["cong-dvc"]["level"] is None               # no criterion of this regime speaks of it


def test_the_test_regime_names_its_requirement_catalogue(regime: str) -> None:
    p = run("requirements", "--regime", regime, "--level", "3", "--format", "json")
    assert p.returncode == 0, p.stderr
    listing = json.loads(p.stdout)
    assert (listing["regime"], listing["catalogue"]["id"]) == ("made-up-2030", "tcvn-14423-2026")


def test_due_times_the_test_regime_by_its_own_cadence_and_citation(regime: str, db: str) -> None:
    p = run("due", INV, "--regime", regime, "--today", "2026-12-07", "--db", db, "--format", "json")
    assert p.returncode == 1, p.stderr                         # never-scanned internal systems are overdue
    rows = {s["system"]: s["regimes"] for s in json.loads(p.stdout)["systems"]}
    assert set(rows["qlvb"]) == {"made-up-2030"}               # only the regime asked for
    qlvb = rows["qlvb"]["made-up-2030"]
    assert (qlvb["level"], qlvb["duty"], qlvb["months"], qlvb["citation"], qlvb["next_due"], qlvb["overdue"]) == (
        4, "assessment", 9, CITATION["en"], "2027-08-20", False)   # 2026-11-20 + 9 months
    dvc = rows["cong-dvc"]["made-up-2030"]                   # undetermined under it: its declared level 2
    assert (dvc["level"], dvc["months"], dvc["next_due"]) == (2, 9, "2026-12-10")    # 2026-03-10 + 9 months
    text = run("due", INV, "--regime", regime, "--today", "2026-12-07", "--db", db, lang="vi").stdout
    assert (f"- {LABEL['vi']}: cấp độ 4, kiểm tra, đánh giá an toàn thông tin 9 tháng một lần, hạn tiếp theo "
            f"2027-08-20 ({CITATION['vi']})") in text
    md = run("due", INV, "--regime", regime, "--today", "2026-12-07", "--db", db, "--format", "md").stdout
    assert "Made-up Regulation 1/2030 \\[draft\\]: level 4" in md     # the file's words are data: escaped
    assert "Decree 331" not in text + md and "TCVN 14423" not in text + md


def test_the_annual_report_names_the_test_regimes_terms(regime: str, db: str) -> None:
    p = run("annual-report", INV, "--regime", regime, "--year", "2026", "--db", db, "--format", "md")
    assert p.returncode == 0, p.stderr
    doc = p.stdout
    assert "Systems with a made-up safety rulebook (Art. 9.9)" in doc
    assert "Rulebooks come from the inventory (Art. 9.10)." in doc
    assert "What is left to do under Art. 9.11" in doc
    assert "Art. 9 of Made-up Regulation 1/2030" in doc and "Ministry of Make-Believe" in doc
    assert CITATION["en"] in doc                               # the cadence the report's notes cite
    assert "cybersecurity quy chế" not in doc and "Articles 35 and 36 of Decree 331/2026/ND-CP" not in doc
    vi = run("annual-report", INV, "--regime", regime, "--year", "2026", "--db", db, "--format", "md",
             lang="vi").stdout
    assert "Hệ thống có quy chế an toàn giả định (Điều 9.9)" in vi and "Bộ Giả Định" in vi
    # the table's fixed values (columns 6, 10, 12) are the regime's, not Form 08's
    qlvb = {"en": next(line for line in doc.splitlines() if "| Hệ thống quản lý văn bản và điều hành |" in line),
            "vi": next(line for line in vi.splitlines() if "| Hệ thống quản lý văn bản và điều hành |" in line)}
    for lang in ("en", "vi"):
        cells = [c.strip() for c in qlvb[lang].split("|")]
        assert (cells[6], cells[10], cells[12]) == (TERMS["dossier_approved"][lang], TERMS["plan_partial"][lang],
                                                   TERMS["assessed_before_use"][lang])
    assert not [v for lang, text in (("en", doc), ("vi", vi)) for v in FORM_08[lang] if v in text]


def test_status_names_the_test_regimes_fixed_values(regime: str, db: str) -> None:
    for lang in ("en", "vi"):
        p = run("status", INV, "--regime", regime, "--date", "2026-12-07", "--db", db, lang=lang)
        assert p.returncode in (0, 1), p.stderr
        assert TERMS["dossier_submitted"][lang] in p.stdout and TERMS["plan_partial"][lang] in p.stdout
        assert not [v for v in FORM_08[lang] if v in p.stdout]


def test_validate_for_documents_says_where_the_test_regime_asks_for_a_missing_fact(regime: str) -> None:
    # lgsp and thu-dien-tu are approved without a quy chế decision in the example
    for lang, gap in (("en", "add approval.regulation: {number, date, body} "),
                      ("vi", "bổ sung approval.regulation: {number, date, body} ")):
        p = run("validate", "--for", "documents", "--regime", regime, INV, lang=lang)
        assert p.returncode == 1, p.stdout + p.stderr
        lgsp = [line for line in p.stderr.splitlines() if "lgsp" in line and "approval.regulation" in line]
        assert len(lgsp) == 1 and lgsp[0].endswith(gap + f"({TERMS['regulation_gap'][lang]})")
        assert "331" not in p.stderr and "Mẫu số 08" not in p.stderr and "Form 08" not in p.stderr


def test_a_report_of_a_run_under_the_test_regime_counts_the_rows_of_the_catalogue_it_names(
        regime: str, tmp_path: Path) -> None:
    # Given a stored run whose systems were classified under the regime file (the run records the file's path)
    results = run_of(example_inventory(ROOT), "20261201T080000Z-cccc",
                     dt.datetime(2026, 12, 1, 8, tzinfo=dt.timezone.utc), {}, ("qlvb",), regime_id=regime)
    assert results.run.regime == regime
    path = tmp_path / "report.json"
    path.write_text(get_format("json").render(results, "en"), encoding="utf-8")
    # When it is rendered again, then each system's level is counted in the rows of TCVN 14423:2026, the
    # catalogue the file names (a regime id alone would find none for a file's path)
    for lang, line in (("en", "level 4 has 273 requirements in TCVN 14423:2026"),
                       ("vi", "cấp độ 4 có 273 yêu cầu theo TCVN 14423:2026")):
        p = run("report", str(path), "--as-is", "--format", "text", "--out", str(tmp_path / lang), lang=lang)
        assert p.returncode == 0, p.stdout + p.stderr
        assert line in " ".join(p.stdout.split())


def test_a_regime_file_dropped_into_policies_is_timed_by_default(regime: str, db: str, tmp_path: Path) -> None:
    # Given a policies directory (SECAUDIT_HOME) holding the shipped regimes and the test's
    home = tmp_path / "home"
    shutil.copytree(Path(ROOT) / "policies", home / "policies")
    shutil.copy(regime, home / "policies" / "regimes" / "made-up-2030.yaml")
    # When due runs without --regime, then every regime of the directory is timed, in its order
    p = run("due", INV, "--today", "2026-12-07", "--db", db, "--format", "json", home=home)
    assert p.returncode == 1, p.stderr
    qlvb = {s["system"]: s["regimes"] for s in json.loads(p.stdout)["systems"]}["qlvb"]
    assert list(qlvb) == ["decree-331-2026", "decree-85-2016", "made-up-2030"]
    assert [(r["level"], r["months"]) for r in qlvb.values()] == [(2, 12), (2, 24), (4, 9)]
