"""SARIF 2.1.0: validated against the official OASIS schema, rules-first, GitHub-ready locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from secaudit.model import Severity, Verdict
from secaudit.report.sarif import SarifFormat, artifact_location, fingerprint

from .conftest import INVENTORY_FILE, XSS

SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def _sarif(results, lang="en"):
    return json.loads(SarifFormat().render(results, lang))


def _validate(doc):
    cls = validator_for(SCHEMA)
    cls.check_schema(SCHEMA)
    errors = sorted(cls(SCHEMA, format_checker=FormatChecker()).iter_errors(doc), key=lambda e: list(e.path))
    assert errors == [], "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_given_the_official_schema_then_it_is_the_oasis_2_1_0_errata_file():
    assert SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    assert "sarif-schema-2.1.0.json" in SCHEMA["id"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_given_the_canned_run_when_rendered_then_it_validates_against_the_official_schema(results, lang):
    _validate(_sarif(results, lang))


def test_given_an_incomplete_run_then_it_validates_and_execution_is_not_successful(results, incomplete_results):
    doc = _sarif(incomplete_results)
    _validate(doc)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert _sarif(results)["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_rules_come_first_and_results_refer_to_them_by_index(results):
    run = _sarif(results)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in results.controls]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_rule_carries_title_help_references_tags_and_security_severity(results):
    rules = {r["id"]: r for r in _sarif(results, "vi")["runs"][0]["tool"]["driver"]["rules"]}
    rule = rules["TLS-PROTO-01"]
    assert rule["shortDescription"]["text"] == "Tắt các phiên bản TLS lỗi thời"
    assert "Tắt TLS 1.0 và 1.1." in rule["help"]["text"]
    assert "**Biện pháp khắc phục**" in rule["help"]["markdown"]
    assert "- TCVN 11930:2017 §7.2.1" in rule["help"]["markdown"]
    assert rule["name"] == "TlsProtocolsForbidden"
    assert {"security", "tls", "high"} <= set(rule["properties"]["tags"])
    assert rule["properties"]["security-severity"] == "8.0"
    assert rules["CERT-VALID-01"]["properties"]["security-severity"] == "9.5"
    assert rules["CERT-VALID-01"]["defaultConfiguration"]["level"] == "error"


def test_only_fail_waived_and_error_findings_are_results(results):
    run = _sarif(results)["runs"][0]
    got = sorted((r["ruleId"], r["properties"]["target"], r["properties"]["verdict"]) for r in run["results"])
    want = sorted((f.control_id, f.target, f.verdict.value) for f in results.findings
                  if f.verdict in (Verdict.FAIL, Verdict.WAIVED, Verdict.ERROR))
    assert got == want
    assert not any(r["properties"]["verdict"] in ("pass", "not_applicable") for r in run["results"])
    assert run["properties"]["verdictCounts"]["pass"] == 2


@pytest.mark.parametrize("severity, level", [(Severity.CRITICAL, "error"), (Severity.HIGH, "error"),
                                             (Severity.MEDIUM, "warning"), (Severity.LOW, "note"),
                                             (Severity.INFO, "note")])
def test_level_follows_severity(results, severity, level):
    import dataclasses

    changed = dataclasses.replace(results, findings=tuple(dataclasses.replace(f, severity=severity)
                                                          for f in results.findings))
    levels = {r["level"] for r in _sarif(changed)["runs"][0]["results"]}
    assert levels == {level}


def test_waived_finding_carries_an_accepted_external_suppression_with_its_justification(results):
    run = _sarif(results)["runs"][0]
    (waived,) = [r for r in run["results"] if r["properties"]["verdict"] == "waived"]
    (suppression,) = waived["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert "Legacy clients" in suppression["justification"]
    assert "Giám đốc Sở" in suppression["justification"] and "2027-06-30" in suppression["justification"]
    assert all("suppressions" not in r for r in run["results"] if r["properties"]["verdict"] != "waived")


def test_each_result_is_located_at_the_inventory_line_of_its_system_with_host_port_logically(results):
    run = _sarif(results)["runs"][0]
    lines = {s.id: s.source.line for s in results.inventory.systems}
    for r in run["results"]:
        (loc,) = r["locations"]
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uri"] == INVENTORY_FILE
        assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert phys["region"]["startLine"] == lines[r["properties"]["system"]] >= 1
        assert phys["region"]["startColumn"] == 5
        target = r["properties"]["target"]
        assert loc["logicalLocations"][0]["name"] == target
        assert r["message"]["text"].startswith(target + ":")
    assert run["artifacts"][0]["hashes"]["sha-256"] == "ab" * 32


def test_unknown_system_line_falls_back_to_line_1(results):
    import dataclasses

    from secaudit.model import SourceRef

    systems = tuple(dataclasses.replace(s, source=SourceRef()) for s in results.inventory.systems)
    changed = dataclasses.replace(results, inventory=dataclasses.replace(results.inventory, systems=systems))
    lines = {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in _sarif(changed)["runs"][0]["results"]}
    assert lines == {1}


def test_fingerprints_are_stable_and_distinct(results, incomplete_results):
    a = [r["partialFingerprints"] for r in _sarif(results)["runs"][0]["results"]]
    b = [r["partialFingerprints"] for r in _sarif(incomplete_results, "vi")["runs"][0]["results"]]
    assert a == b
    assert len({json.dumps(x) for x in a}) == len(a)
    f = results.findings[0]
    assert fingerprint(f) == fingerprint(f) and len(fingerprint(f)) == 64


def test_tool_driver_and_invocation(results):
    run = _sarif(results)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "secaudit" and driver["version"] == "0.1.0"
    from secaudit.report.sarif import information_uri

    assert driver.get("informationUri") == information_uri()   # from setup.cfg `url` once the project has one
    inv = run["invocations"][0]
    assert inv["startTimeUtc"] == results.run.started_at
    ids = [n["descriptor"]["id"] for n in inv["toolExecutionNotifications"]]
    assert ids.count("probe-error") == 1 and ids.count("waiver-expired") == 1


def test_hostile_strings_stay_data_in_json(results):
    text = SarifFormat().render(results, "en")
    doc = json.loads(text)
    values = [e["value"] for r in doc["runs"][0]["results"] for e in r["properties"]["evidence"]]
    assert XSS in values


def test_artifact_location_is_relative_under_srcroot_or_an_absolute_file_uri():
    assert artifact_location("examples/inventory.yaml") == {"uri": "examples/inventory.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("./a b/inv.yaml") == {"uri": "a%20b/inv.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact_location("/srv/inv.yaml") == {"uri": "file:///srv/inv.yaml"}
    assert artifact_location("") is None
    assert artifact_location("--target") is None       # ad-hoc run: no inventory file


@pytest.mark.parametrize("inventory_file", ["", "--target"])
def test_without_an_inventory_file_results_have_only_logical_locations_and_still_validate(results, inventory_file):
    import dataclasses

    adhoc = dataclasses.replace(results, run=dataclasses.replace(results.run, inventory_file=inventory_file))
    doc = _sarif(adhoc)
    _validate(doc)
    assert all("physicalLocation" not in r["locations"][0] for r in doc["runs"][0]["results"])


def test_hostile_brackets_cannot_form_an_embedded_link_in_message_text(results):
    from .conftest import MD_LINK

    texts = [r["message"]["text"] for r in _sarif(results)["runs"][0]["results"]]
    joined = "\n".join(texts)
    assert MD_LINK not in joined
    assert r"\[x\](javascript:alert(1))" in joined
    assert "\x1b" not in joined


def test_information_uri_comes_from_package_metadata(monkeypatch, results):
    import importlib.metadata
    from email.message import Message as Meta

    meta = Meta()
    meta["Home-page"] = "https://example.org/secaudit"
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: meta)
    assert _sarif(results)["runs"][0]["tool"]["driver"]["informationUri"] == "https://example.org/secaudit"
    meta.replace_header("Home-page", "javascript:alert(1)")
    assert "informationUri" not in _sarif(results)["runs"][0]["tool"]["driver"]
