"""JUnit XML: suite = system, case = control x endpoint; parsed by junitparser and ElementTree."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from secaudit.model import Verdict
from secaudit.report.junit import JunitFormat

from .conftest import XSS


@pytest.fixture(scope="module")
def xml_text(results, tmp_path_factory):
    return JunitFormat().render(results, "en")


def _parse_with_junitparser(text, tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text(text, encoding="utf-8")
    return JUnitXml.fromfile(str(path))


def test_given_the_canned_run_then_junitparser_reads_one_suite_per_system_with_correct_totals(results, xml_text, tmp_path):
    xml = _parse_with_junitparser(xml_text, tmp_path)
    suites = {s.name: s for s in xml}
    assert list(suites) == [s.system_id for s in results.systems]
    for system_id, suite in suites.items():
        mine = [f for f in results.findings if f.system_id == system_id]
        assert suite.tests == len(mine)
        assert suite.failures == sum(f.verdict == Verdict.FAIL for f in mine)
        assert suite.errors == sum(f.verdict == Verdict.ERROR for f in mine)
        assert suite.skipped == sum(f.verdict in (Verdict.WAIVED, Verdict.NOT_APPLICABLE) for f in mine)
        assert len(list(suite)) == len(mine)
    root = ET.fromstring(xml_text.encode("utf-8"))
    assert int(root.get("tests")) == len(results.findings)
    assert int(root.get("failures")) == 4 and int(root.get("errors")) == 1 and int(root.get("skipped")) == 2


def test_each_verdict_maps_to_its_junit_result(xml_text, tmp_path):
    xml = _parse_with_junitparser(xml_text, tmp_path)
    cases = {(s.name, c.name.split(" ")[0], c.name.split(" ")[1]): c for s in xml for c in s}
    kinds = {k: type(c.result[0]).__name__ if c.result else "pass" for k, c in cases.items()}
    assert kinds[("portal", "TLS-PROTO-01", "127.0.0.11:443")] == Failure.__name__
    assert kinds[("hr", "TLS-PROTO-01", "127.0.0.13:443")] == Error.__name__
    assert kinds[("mail", "TLS-PROTO-01", "127.0.0.12:465")] == Skipped.__name__
    assert kinds[("mail", "HTTP-HSTS-01", "127.0.0.12:465")] == Skipped.__name__
    assert kinds[("mail", "CERT-VALID-01", "127.0.0.12:465")] == "pass"
    waived = cases[("mail", "TLS-PROTO-01", "127.0.0.12:465")].result[0]
    assert "Legacy clients" in waived.message and "Giám đốc Sở" in waived.message
    failure = cases[("portal", "TLS-PROTO-01", "127.0.0.11:443")].result[0]
    assert failure.type == "high"


def test_hostile_strings_are_escaped_and_control_characters_removed(xml_text):
    assert "<script>" not in xml_text
    assert "&lt;script&gt;" in xml_text
    assert "\x1b" not in xml_text and "\x07" not in xml_text
    root = ET.fromstring(xml_text.encode("utf-8"))
    texts = " ".join(el.text or "" for el in root.iter("failure"))
    assert XSS in texts      # the value survives as text, not as markup


def test_vietnamese_render_parses_too(results, tmp_path):
    text = JunitFormat().render(results, "vi")
    xml = _parse_with_junitparser(text, tmp_path)
    assert sum(s.tests for s in xml) == len(results.findings)
    assert "Tắt TLS 1.0 và 1.1." in text


def test_given_an_incomplete_run_then_junit_has_a_run_error_so_ci_is_not_green(results, incomplete_results, tmp_path):
    xml = _parse_with_junitparser(JunitFormat().render(incomplete_results, "en"), tmp_path)
    suites = {s.name: s for s in xml}
    assert suites["secaudit.run"].errors == 1
    (case,) = list(suites["secaudit.run"])
    assert isinstance(case.result[0], Error) and "Incomplete run" in case.result[0].message
    root = ET.fromstring(JunitFormat().render(incomplete_results, "en").encode())
    assert int(root.get("tests")) == len(results.findings) + 1 and int(root.get("errors")) == 2


def test_expired_waiver_is_reported_in_its_systems_suite(xml_text):
    root = ET.fromstring(xml_text.encode("utf-8"))
    (portal,) = [s for s in root.iter("testsuite") if s.get("name") == "portal"]
    assert "HTTP-HSTS-01" in portal.find("system-err").text and "2026-01-01" in portal.find("system-err").text
