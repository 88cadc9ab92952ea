"""Reports that know the run's history: SARIF baselineState against the previous stored run of the
same scope, the HTML trend section (inline SVG, no external asset), diff and due renderings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from secaudit.model import Message, Severity, Verdict
from secaudit.report.context import Baseline, ReportHistory, report_history
from secaudit.report.sarif import SarifFormat
from secaudit.report.templated import HtmlFormat
from secaudit.store.diff import by_identity
from secaudit.store.records import FindingRecord, RunRecord

from .conftest import XSS

SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))


def record(f, run_id="prev") -> FindingRecord:
    return FindingRecord(run_id, f.system_id, f.control_id.split("@")[0], f.control_id, f.target, str(f.verdict),
                         str(f.severity), f.message, tuple((e.label, e.value) for e in f.evidence))


def run_record(run_id: str, day: str, compliant: int = 1, failed: int = 4) -> RunRecord:
    return RunRecord(run_id, f"{day}T10:00:00+00:00", f"{day}T10:05:00+00:00", f"{day}T10:05:01+00:00", "scope",
                     "examples/inventory.yaml", "sha256:" + "ab" * 32, "Org", "decree-331-2026", "0.1.0", True, 4,
                     compliant, failed)


def baseline_of(results) -> Baseline:
    """A previous run: the same findings, except TLS-PROTO-01 on portal did not fail, the portal certificate
    finding had another severity, and a finding on hr failed that this run no longer reports."""
    prev = []
    for f in results.findings:
        if (f.system_id, f.control_id) == ("portal", "TLS-PROTO-01"):
            f = dataclasses.replace(f, verdict=Verdict.PASS)
        if (f.system_id, f.control_id) == ("portal", "CERT-VALID-01"):
            f = dataclasses.replace(f, severity=Severity.HIGH)
        if (f.system_id, f.control_id) == ("hr", "TLS-PROTO-01"):
            f = dataclasses.replace(f, verdict=Verdict.FAIL, message=Message("tls.protocols.forbidden.fail"))
        prev.append(record(f))
    return Baseline(run_record("prev", "2026-10-01"), by_identity(prev))


def test_sarif_results_carry_their_baseline_state_and_the_absent_ones_are_listed(results):
    with report_history(ReportHistory(baseline_of(results))):
        doc = json.loads(SarifFormat().render(results, "en"))
    cls = validator_for(SARIF_SCHEMA)
    cls(SARIF_SCHEMA, format_checker=FormatChecker()).validate(doc)
    run = doc["runs"][0]
    states = {(r["properties"]["system"], r["ruleId"], r["properties"]["target"]): r["baselineState"]
              for r in run["results"]}
    assert states[("portal", "TLS-PROTO-01", "127.0.0.11:443")] == "new"
    assert states[("portal", "CERT-VALID-01", "127.0.0.11:443")] == "updated"
    assert states[("portal", "PORTS-EXPOSED-01", "127.0.0.11")] == "unchanged"
    assert states[("mail", "TLS-PROTO-01", "127.0.0.12:465")] == "unchanged"      # waived both times
    # hr's finding failed before and is an error now: reported both times, with another verdict
    assert states[("hr", "TLS-PROTO-01", "127.0.0.13:443")] == "updated"
    assert run["properties"]["baselineRunId"] == "prev"


def test_a_finding_reported_before_and_passing_now_is_absent(results):
    base = baseline_of(results)
    gone = dataclasses.replace(results, findings=tuple(f for f in results.findings if f.system_id != "lab"))
    with report_history(ReportHistory(base)):
        doc = json.loads(SarifFormat().render(gone, "en"))
    absent = [r for r in doc["runs"][0]["results"] if r["baselineState"] == "absent"]
    assert [(r["properties"]["system"], r["ruleId"], r["kind"], r["level"]) for r in absent] == [
        ("lab", "PORTS-EXPOSED-01", "pass", "none")]
    validator_for(SARIF_SCHEMA)(SARIF_SCHEMA).validate(doc)


def test_without_history_sarif_has_no_baseline_state(results):
    doc = json.loads(SarifFormat().render(results, "en"))
    assert all("baselineState" not in r for r in doc["runs"][0]["results"])


def test_html_report_has_a_self_contained_trend_section_when_history_is_known(results):
    trend = (run_record("r1", "2026-09-01", 0, 9), run_record("r2", "2026-10-01", 1, 6),
             run_record(f"r3{XSS}", "2026-11-01", 2, 3))
    with report_history(ReportHistory(None, trend)):
        html = HtmlFormat().render(results, "vi")
    section = html[html.index('<section id="trend">'):html.index("</section>", html.index('<section id="trend">'))]
    assert section.count("<polyline") == 2 and "<svg" in section
    assert "Diễn biến qua 3 lượt quét gần nhất" in section
    assert XSS not in html and "&lt;script&gt;" in section
    assert not re.search(r'(src|href)="(https?:)?//', section)       # no external asset
    assert '<section id="trend">' not in HtmlFormat().render(results, "en")   # no history: no section
