"""JSON results document: valid against its published schema (draft 2020-12) and re-readable."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest
from jsonschema import Draft202012Validator

from secaudit.model import LevelAssessment
from secaudit.report.json_report import JsonFormat, results_schema
from secaudit.serialize import results_from_dict


@pytest.fixture(scope="module")
def validator():
    schema = results_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator, doc):
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_given_the_canned_run_then_the_json_validates_and_reads_back_identical(results, validator):
    doc = json.loads(JsonFormat().render(results, "en"))
    assert doc["schema"] == "secaudit/results/v2"
    assert _errors(validator, doc) == []
    assert results_from_dict(doc) == results


def test_incomplete_run_validates(incomplete_results, validator):
    doc = json.loads(JsonFormat().render(incomplete_results, "vi"))
    assert _errors(validator, doc) == [] and doc["run"]["complete"] is False


def test_the_latest_assessment_of_each_level_is_data_that_validates_and_reads_back(results, validator):
    figures = LevelAssessment("portal", "2026-12-05T10:00:00+00:00", "decree-331-2026", "tcvn-14423-2026", 3,
                              {"met": 30, "partially_met": 3, "not_met": 8, "not_applicable": 0, "not_assessed": 154})
    with_figures = dataclasses.replace(results, assessments=(figures,))
    doc = json.loads(JsonFormat().render(with_figures, "en"))
    assert _errors(validator, doc) == [] and doc["assessments"][0]["counts"]["met"] == 30
    assert results_from_dict(doc) == with_figures
    doc["assessments"][0]["compliant"] = True                 # the flag is level_met: nothing else says it
    assert _errors(validator, doc)


def test_json_is_language_neutral(results):
    assert JsonFormat().render(results, "en") == JsonFormat().render(results, "vi")


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d["findings"][0].update(verdict="passed"), "verdict"),
    (lambda d: d["findings"][0].update(severity="urgent"), "severity"),
    (lambda d: d.update(schema="secaudit/results/v1"), "schema"),
    (lambda d: d["findings"][4].update(waiver=None), "waived without waiver"),
    (lambda d: d["systems"][0].update(required_level=7), "level"),
    (lambda d: d["run"].update(unexpected=1), "unknown key"),
    (lambda d: d.pop("observations"), "missing observations"),
])
def test_schema_rejects_bad_documents(results, validator, mutate, where):
    doc = json.loads(JsonFormat().render(results, "en"))
    bad = copy.deepcopy(doc)
    mutate(bad)
    assert _errors(validator, bad), where


def test_observation_facts_are_an_open_object(results, validator):
    doc = json.loads(JsonFormat().render(results, "en"))
    doc["observations"][0]["facts"] = {"protocols": {"tls1.0": True}, "anything": [1, 2]}
    assert _errors(validator, doc) == []


def test_the_example_inventory_fits_the_schema(results, validator):
    """Real inventory shapes (components, STARTTLS, SNI, allowed ports, facts) from examples/inventory.yaml."""
    import dataclasses
    from pathlib import Path

    from secaudit.load import load_inventory

    inventory = load_inventory(str(Path(__file__).parents[2] / "examples" / "inventory.yaml"))
    doc = json.loads(JsonFormat().render(dataclasses.replace(results, inventory=inventory), "en"))
    assert _errors(validator, doc) == []
    assert any(e["starttls"] for s in doc["inventory"]["systems"] for e in s["endpoints"])
