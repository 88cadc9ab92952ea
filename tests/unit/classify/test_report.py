"""Report writers: every format on the same canned classification; injection-safe cells."""

from __future__ import annotations

import json

import pytest

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.report.classification import CLASSIFICATION_FORMATS, ClassificationDoc, render_classification
from secaudit.report.escape import csv_cell, markdown_text

from .helpers import inventory, system

INV = inventory(
    system("public_service", "dvc", name="Cổng DVC", information=["public", "personal"],
           administrative_procedures=True, declared=2),
    system("industrial_control", "ics", name="SCADA", information=["private"]),
)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cell_neutralises_formula_prefixes(value: str) -> None:
    assert csv_cell(value) == "'" + value


def test_csv_cell_leaves_ordinary_text() -> None:
    assert csv_cell("Cổng dịch vụ công") == "Cổng dịch vụ công" and csv_cell(None) == "" and csv_cell(3) == "3"


def test_md_escape_removes_markup() -> None:
    # the one Markdown escaper of report/ (it escapes the parentheses of a link target too)
    assert markdown_text("a|b <i>x</i> *y* [z](u)") == "a\\|b &lt;i&gt;x&lt;/i&gt; \\*y\\* \\[z\\]\\(u\\)"


@pytest.mark.parametrize("fmt", list(CLASSIFICATION_FORMATS))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_format_states_level_warning_and_missing_fact(fmt: str, lang: str) -> None:
    regime = load_regime("decree-331-2026")
    results = classify_inventory(INV, regime)
    out = render_classification(fmt, results, INV, regime, lang)
    assert "dvc" in out and "ics" in out
    if fmt == "json":
        doc = json.loads(out)
        _validate_against_published_schema(doc)
        assert doc["summary"] == {"systems": 2, "undetermined": 1, "underclassified": 1}
        assert doc["systems"][1]["missing"] == ["works_grade"]
    elif fmt == "csv":
        assert ",3,3,2,lower," in out and "works_grade" in out
    else:
        assert "13.2.b" in out or "Điều 13" in out
        assert ("works\\_grade" if fmt == "md" else "works_grade") in out
        assert ("THẤP HƠN QUY ĐỊNH" if lang == "vi" else "TOO LOW") in out


def test_terminal_table_does_not_interpret_markup_in_inventory_strings() -> None:
    import io

    from rich.console import Console

    from secaudit.report.classification import render_rich

    inv = inventory(system("internal", "x", name="[bold red]injected[/bold red]", information=["public"]))
    regime = load_regime("decree-85-2016")
    results = classify_inventory(inv, regime)
    buf = io.StringIO()
    render_rich(ClassificationDoc(results, inv, regime), "en",
                Console(file=buf, force_terminal=True, width=200, highlight=False))
    out = buf.getvalue()
    assert "[bold red]injected[/bold red]" in out and "level 1" in out


def _validate_against_published_schema(doc: dict) -> None:
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("secaudit").joinpath("schemas/classification.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)
