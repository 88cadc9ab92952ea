"""SARIF, JUnit and CSV say what was assessed of each system's level (issue 22 item 5).

Given the canned run carrying a stored assessment of the portal's level 3 and one of the mail server at a
level it no longer requires, each machine-readable format gives the portal's figures and the sentence the
text report prints, says of the mail and HR systems that their level was not assessed, and says nothing of
the lab (its level is unknown). The figures are data of our own, yet they pass through each format's escaping.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import xml.etree.ElementTree as ET

import pytest

from secaudit.model import LevelAssessment
from secaudit.report.csv_report import BOM, COLUMNS, CsvFormat
from secaudit.report.junit import JunitFormat
from secaudit.report.sarif import SarifFormat

PORTAL = LevelAssessment("portal", "2026-12-02T09:00:00+00:00", "decree-331-2026", "tcvn-14423-2026", 3,
                         {"met": 30, "partially_met": 4, "not_met": 7, "not_applicable": 5, "not_assessed": 149})
STALE = LevelAssessment("mail", "2026-12-02T09:00:00+00:00", "decree-331-2026", "tcvn-14423-2026", 3,
                        {"met": 129})           # an assessment of level 3; mail now requires level 2
PORTAL_LINE = {"en": "requirements assessed: 41/190 (22%), met 30, not met 7 (level 3, secaudit assess of 2026-12-02)",
               "vi": "yêu cầu đã đánh giá: 41/190 (22%), đáp ứng 30, không đáp ứng 7 (cấp độ 3, secaudit assess "
                     "ngày 02/12/2026)"}
NONE_LINE = {"en": "requirements of level 2: not assessed — run `secaudit assess`",
             "vi": "yêu cầu của cấp độ 2: chưa đánh giá — chạy `secaudit assess`"}


@pytest.fixture(scope="module")
def assessed(results):
    return dataclasses.replace(results, assessments=(PORTAL, STALE))


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_sarif_run_properties_give_each_systems_level_figures(assessed, lang):
    props = json.loads(SarifFormat().render(assessed, lang))["runs"][0]["properties"]["levelRequirements"]
    assert set(props) == {"portal", "mail", "hr"}
    assert props["portal"] == {"level": 3, "assessedAt": "2026-12-02T09:00:00+00:00", "catalogue": "tcvn-14423-2026",
                               "rows": 195, "applicable": 190, "assessed": 41, "met": 30, "partiallyMet": 4,
                               "notMet": 7, "notApplicable": 5, "notAssessed": 149, "levelMet": False,
                               "text": PORTAL_LINE[lang]}
    assert props["mail"] == props["hr"] == {"level": 2, "assessed": None, "text": NONE_LINE[lang]}


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_junit_suite_properties_give_the_systems_level_figures(assessed, lang):
    root = ET.fromstring(JunitFormat().render(assessed, lang).encode("utf-8"))
    props = {s.get("name"): {p.get("name"): p.get("value") for p in s.iter("property")} for s in root.iter("testsuite")}
    assert props["portal"]["requirements"] == PORTAL_LINE[lang]
    assert {k: v for k, v in props["portal"].items() if k.startswith("requirements.")} == {
        "requirements.assessed_at": "2026-12-02T09:00:00+00:00", "requirements.catalogue": "tcvn-14423-2026",
        "requirements.rows": "195", "requirements.applicable": "190", "requirements.assessed": "41",
        "requirements.met": "30", "requirements.partially_met": "4", "requirements.not_met": "7",
        "requirements.not_applicable": "5", "requirements.not_assessed": "149", "requirements.level_met": "false"}
    for sid in ("mail", "hr"):
        assert props[sid]["requirements"] == NONE_LINE[lang]
        assert not any(k.startswith("requirements.") for k in props[sid]), sid
    assert not any(k.startswith("requirements") for k in props["lab"])


def test_junit_escapes_the_figures(results):
    hostile = dataclasses.replace(PORTAL, catalogue="<x>&\x1b[31m\x00")
    text = JunitFormat().render(dataclasses.replace(results, assessments=(hostile,)), "en")
    root = ET.fromstring(text.encode("utf-8"))           # still well-formed XML
    values = {p.get("name"): p.get("value") for s in root.iter("testsuite") if s.get("name") == "portal"
              for p in s.iter("property")}
    assert values["requirements.catalogue"] == "<x>&"
    assert "<x>" not in text and "\x1b" not in text


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_csv_rows_carry_their_systems_level_figures_in_the_last_column(assessed, lang):
    text = CsvFormat().render(assessed, lang)
    assert text.startswith(BOM)
    rows = list(csv.reader(io.StringIO(text[len(BOM):])))
    assert rows[0] == list(COLUMNS) and COLUMNS[-1] == "requirements"
    by_system = {}
    for row in rows[1:]:
        assert len(row) == len(COLUMNS)
        by_system.setdefault(row[0], set()).add(row[-1])
    assert by_system["portal"] == {PORTAL_LINE[lang]}
    assert by_system["mail"] == by_system["hr"] == {NONE_LINE[lang]}
    assert by_system["lab"] == {""}
