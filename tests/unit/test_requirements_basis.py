"""Catalogue rows with a basis instead of a clause (a duty the regime sets with no clause of the standard):
exactly one of the two per level entry, an error at file:line:col otherwise; the basis printed, in the
document's language, wherever a clause is (requirements list, assessment writers, citations), after the clause
rows of its group."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from secaudit.errors import InputError
from secaudit.report import assessment as assess_report
from secaudit.report import catalogue as list_report
from secaudit.requirements.assessment import assess_all, index_evidence
from secaudit.requirements.catalogue import parse_catalogue
from secaudit.requirements.citation import Citer
from secaudit.requirements.model import Assessment, EntryKind, EntryStatus, Officer, Register, RegisterEntry

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "requirements" / "fixture-std.yaml"
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
EN3, VI3 = "Circular 9/2099 Annex III, item 1.6", "Thông tư 9/2099 Phụ lục III, mục 1.6"
ROWS = """
  - key: risk.plan
    group: risk
    kind: management
    text: {en: "Have a risk plan.", vi: "Có phương án quản lý rủi ro."}
    verify: [{attest: {hint: {en: "Risk plan", vi: "Phương án rủi ro"}}}]
    levels:
      3: {basis: {en: "%s", vi: "%s"}}
      4: {basis: {en: "Circular 9/2099 Annex IV, item 1.6", vi: "Thông tư 9/2099 Phụ lục IV, mục 1.6"}}
  - key: design.backup-site
    group: design
    kind: technical
    text: {en: "Keep a backup site {distance_km} km away.", vi: "Có địa điểm dự phòng cách {distance_km} km."}
    verify: [{attest: {hint: {en: "Site addresses", vi: "Địa chỉ các địa điểm"}}}]
    levels:
      3: {basis: {en: "Circular 9/2099 Annex III, item II.1 b", vi: "Thông tư 9/2099 Phụ lục III, mục II.1 điểm b"},
          params: {distance_km: 30}}
""" % (EN3, VI3)
GROUP = '  - {id: design, number: 20, title: {en: "System design", vi: "Thiết kế hệ thống"}}\n'


def with_basis(extra: str = "") -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    text = text.replace("requirements:\n", GROUP + "requirements:\n", 1)
    return text.rstrip("\n") + "\n" + ROWS + extra


@pytest.fixture(scope="module")
def cat():
    return parse_catalogue(with_basis(), "<t>")


def test_a_basis_row_comes_after_the_clause_rows_of_its_group_or_after_all_when_its_group_has_none(cat):
    assert [(r.clause or r.key) for r in cat.rows(3)] == [
        "5.1.2.9", "5.1.2.10", "risk.plan", "5.6.2.2", "5.6.2.3", "5.12.2.4 a", "design.backup-site"]
    assert [(r.clause or r.key) for r in cat.rows(4)] == ["6.1.2.1", "risk.plan", "6.6.2.2", "6.6.2.3", "6.12.2.3"]
    row = cat.row("risk.plan", 3)
    assert (row.clause, row.basis.en, row.basis.vi) == ("", EN3, VI3)
    assert (row.cited("en"), row.cited("vi")) == (EN3, VI3)
    assert cat.row("risk.review", 3).cited("vi") == "5.1.2.10"
    assert cat.row("design.backup-site", 3).text.vi == "Có địa điểm dự phòng cách 30 km."


@pytest.mark.parametrize("entry, given", [
    ('{clause: "5.9.9.9", basis: {en: "Circular 9/2099 Annex III", vi: "Thông tư 9/2099 Phụ lục III"}}', "clause, basis"),
    ("{params: {n: 1}}", "-"),
])
def test_a_level_entry_with_both_or_neither_of_clause_and_basis_is_an_error_at_its_position(entry, given):
    extra = f"""  - key: risk.extra
    group: risk
    kind: management
    text: {{en: "Extra.", vi: "Thêm."}}
    verify: [{{attest: {{hint: {{en: "x", vi: "y"}}}}}}]
    levels:
      3: {entry}
"""
    text = with_basis(extra)
    with pytest.raises(InputError) as e:
        parse_catalogue(text, "fixture-std.yaml")
    line = len(text.splitlines())
    assert [(d.file, d.line, d.column, d.key) for d in e.value.diagnostics] == [
        ("fixture-std.yaml", line, 7, "catalogue.clause_or_basis")]
    assert e.value.diagnostics[0].args["given"] == given
    assert e.value.diagnostics[0].render("vi").startswith(f"fixture-std.yaml:{line}:7: cấp độ 3 phải ghi đúng một trong")


def test_a_basis_must_give_both_languages_like_any_text():
    text = with_basis().replace(f'vi: "{VI3}"', "", 1).replace(f'"{EN3}", ', f'"{EN3}"', 1)
    with pytest.raises(InputError) as e:
        parse_catalogue(text, "<t>")
    (d,) = e.value.diagnostics
    assert d.line == next(i for i, t in enumerate(text.splitlines(), 1) if EN3 in t)


def test_citations_give_the_basis_in_the_language_asked_and_the_clause_with_the_standard(cat):
    citer = Citer("FIXTURE 1:2026", cat)
    assert citer.cite("risk.plan", 3) == EN3 and citer.cite("risk.plan", 3, "vi") == VI3
    assert citer.citations(["risk.review", "risk.plan"], 3, "vi") == ("FIXTURE 1:2026 5.1.2.10", VI3)
    assert citer.cite("design.backup-site", 4) == "FIXTURE 1:2026 [design.backup-site]"


@pytest.mark.parametrize("lang, basis", [("en", EN3), ("vi", VI3)])
def test_the_requirements_list_prints_the_basis_where_the_clause_goes(cat, lang, basis):
    text = list_report.render_text(cat, "fixture-regime", [3], lang)
    assert f"  {basis} risk.plan" in text and "  5.1.2.10" in text
    assert f"| {basis} | risk.plan |" in list_report.render_md(cat, "fixture-regime", [3], lang)
    rows = list(csv.reader(io.StringIO(list_report.render_csv(cat, "fixture-regime", [3], lang).lstrip("\ufeff"))))
    assert [r[2] for r in rows[1:]] == ["5.1.2.9", "5.1.2.10", basis, "5.6.2.2", "5.6.2.3", "5.12.2.4 a",
                                        rows[-1][2]] and rows[-1][3] == "design.backup-site"
    doc = json.loads(list_report.render_json(cat, "fixture-regime", [3], lang))
    by_key = {r["key"]: r for r in doc["levels"][0]["rows"]}
    assert (by_key["risk.plan"]["clause"], by_key["risk.plan"]["basis"]) == (None, basis)
    assert (by_key["risk.review"]["clause"], by_key["risk.review"]["basis"]) == ("5.1.2.10", None)


@pytest.mark.parametrize("lang, basis", [("en", EN3), ("vi", VI3)])
def test_every_assessment_writer_prints_the_basis_where_the_clause_goes(cat, lang, basis):
    partial = RegisterEntry("e1", ("risk.plan",), None, EntryKind.DOCUMENT, "Draft risk plan", Officer("An"),
                            dt.date(2026, 11, 2), EntryStatus.PARTIAL)       # partly met: the text report lists it
    index = index_evidence((), Register((partial,)), ())
    systems = assess_all([("s", "System S", 3)], "fixture-regime", cat, index, NOW)
    assert [r.result.value for r in systems[0].rows if r.row.key == "risk.plan"] == ["partially_met"]
    a = Assessment(systems, NOW, "inv.yaml", "sha256:x")
    for fmt in ("text", "md", "html"):
        out = assess_report.render(a, fmt, lang)
        assert basis in out, fmt
        assert "5.1.2.10" in out or fmt == "text", fmt        # the text report lists the rows not (fully) met
    rows = json.loads(assess_report.render_json(a, lang))["systems"][0]["rows"]
    assert [(r["clause"], r["basis"]) for r in rows if r["key"] == "risk.plan"] == [(None, basis)]
    table = list(csv.reader(io.StringIO(assess_report.render_csv(a, lang).lstrip("\ufeff"))))
    assert [r[4] for r in table if r[5] == "risk.plan"] == [basis]
    ws = load_workbook(io.BytesIO(assess_report.render_xlsx(a, lang))).worksheets[1]
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)][:3] == ["5.1.2.9", "5.1.2.10", basis]
