"""Regime files: shipped ones load; broken ones fail with located, readable errors; a new regime is a new file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secaudit.classify.citation import cite
from secaudit.classify.engine import classify_system
from secaudit.classify.regime import DEFAULT_REGIME, available_regimes, load_regime, parse_regime, regimes_dir
from secaudit.errors import InputError

from .helpers import system

SHIPPED = ("decree-331-2026", "decree-85-2016")


def test_shipped_regimes_load_and_default_is_decree_331() -> None:
    assert set(SHIPPED) <= set(available_regimes())
    assert DEFAULT_REGIME == "decree-331-2026"
    assert load_regime().id == "decree-331-2026"
    for rid in SHIPPED:
        r = load_regime(rid)
        assert r.id == rid
        assert {c.level for c in r.criteria} == {1, 2, 3, 4, 5}
        for level in range(1, 6):
            assert r.authority(level).approver.vi and r.periodic_for(level).months > 0


def test_deadlines_and_intervals_follow_the_regulation() -> None:
    r85, r331 = load_regime("decree-85-2016"), load_regime("decree-331-2026")
    assert (r85.authority(3).appraisal.days, r85.authority(3).appraisal.working) == (15, False)
    assert r85.authority(4).appraisal.days == 30 and r85.authority(5).approval.days == 7
    assert (r331.authority(3).appraisal.days, r331.authority(3).appraisal.working) == (15, True)
    assert r331.authority(5).appraisal.days == 25
    assert "Bộ Công an" in r331.authority(4).appraiser.vi
    assert [r85.periodic_for(n).months for n in (3, 4, 5)] == [12, 12, 6]


def test_citations_in_both_languages() -> None:
    r = load_regime("decree-85-2016")
    assert cite("8.2.a", r, "vi") == "điểm a khoản 2 Điều 8 Nghị định số 85/2016/NĐ-CP"
    assert cite("8.2.a", r, "en") == "Art. 8(2)(a) of Decree 85/2016/ND-CP"
    assert cite("7", r, "vi") == "Điều 7 Nghị định số 85/2016/NĐ-CP"


def _shipped_data() -> dict:
    return yaml.safe_load((regimes_dir() / "decree-85-2016.yaml").read_text(encoding="utf-8"))


def _errors(text: str) -> list:
    with pytest.raises(InputError) as e:
        parse_regime(text, "bad.yaml")
    return list(e.value.diagnostics)


def test_unknown_fact_in_a_condition_is_located() -> None:
    text = (regimes_dir() / "decree-85-2016.yaml").read_text(encoding="utf-8")
    bad = text.replace("{fact: works_grade, eq: I}", "{fact: work_grade, eq: I}")
    (d,) = _errors(bad)
    assert d.key == "classify.regime.unknown_fact" and d.file == "bad.yaml"
    assert "work_grade" in bad.splitlines()[d.line - 1]


def test_bad_enum_value_is_rejected() -> None:
    text = (regimes_dir() / "decree-331-2026.yaml").read_text(encoding="utf-8")
    bad = text.replace("{fact: scope, eq: organisation}", "{fact: scope, eq: organization}", 1)
    (d,) = _errors(bad)
    assert d.key == "classify.regime.bad_value"
    assert "organization" in d.render("en") and "organisation" in d.render("en")


def test_operator_must_suit_the_fact() -> None:
    data = _shipped_data()
    data["criteria"][0]["when"] = {"fact": "personal_data.users", "contains": "x"}
    (d,) = _errors(yaml.safe_dump(data, allow_unicode=True))
    assert d.key == "classify.regime.operator_for_fact"


def test_schema_errors_are_reported_with_line_and_path() -> None:
    data = _shipped_data()
    del data["criteria"][2]["text"]["vi"]
    data["criteria"][3]["level"] = 7
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    errors = _errors(text)
    assert {d.key for d in errors} == {"schema.required", "schema.range"}
    lines = text.splitlines()
    assert all(d.line > 0 and d.file == "bad.yaml" for d in errors)
    [level] = [d for d in errors if d.key == "schema.range"]
    assert lines[level.line - 1].strip() == "level: 7"


def test_unknown_key_in_a_criterion_is_located_at_the_key_with_a_suggestion() -> None:
    # issue 12 item 9: was "criteria/1: Additional properties are not allowed ('weight' was unexpected)"
    # at the criterion's line
    text = (regimes_dir() / "decree-85-2016.yaml").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("article:") and i > 20)
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())]
    lines.insert(at + 1, f"{indent}levle: 3\n")
    (d,) = _errors("".join(lines))
    assert (d.key, d.line, d.column) == ("schema.unknown_key_suggest", at + 2, len(indent) + 1)
    assert d.args["suggestion"] == "level"
    assert "unknown key 'levle'; did you mean 'level'?" in d.render("en")
    assert "có phải ý bạn là 'level'" in d.render("vi")


def test_duplicate_ids_and_level_coverage() -> None:
    data = _shipped_data()
    data["criteria"][1]["id"] = data["criteria"][0]["id"]
    data["authorities"][0]["levels"] = [1]
    keys = sorted(d.key for d in _errors(yaml.safe_dump(data, allow_unicode=True)))
    assert keys == ["classify.regime.duplicate_id", "classify.regime.level_coverage"]


def test_not_yaml_is_a_located_error() -> None:
    (d,) = _errors("kind: regime\ncriteria: [\n")
    assert d.key == "yaml.syntax" and d.line > 0


def test_duplicate_keys_in_a_regime_are_reported() -> None:
    text = (regimes_dir() / "decree-85-2016.yaml").read_text(encoding="utf-8")
    bad = text.replace("    level: 1\n", "    level: 1\n    level: 2\n", 1)
    errors = _errors(bad)
    assert errors and all(d.file == "bad.yaml" and d.line > 0 for d in errors)


def test_unknown_regime_name_lists_the_available_ones() -> None:
    with pytest.raises(InputError) as e:
        load_regime("decree-99-2030")
    text = e.value.diagnostics[0].render("en")
    assert "decree-99-2030" in text and "decree-85-2016" in text
    with pytest.raises(InputError):
        load_regime("../regimes/decree-85-2016")


def test_a_new_regime_is_a_new_file(tmp_path: Path) -> None:
    # Given a regime whose only criterion gives level 4 to any internal system holding personal data
    data = _shipped_data()
    data["id"] = "made-up-2030"
    data["criteria"] = [{"id": "x-1", "level": 4, "article": "1.2.b", "text": {"vi": "Thử", "en": "Test"},
                         "when": {"all": [{"fact": "purpose", "eq": "internal"},
                                          {"fact": "information", "contains": "personal"}]}}]
    data["interpretations"] = []
    path = tmp_path / "made-up-2030.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    # When loaded by path and used
    r = load_regime(str(path))
    result = classify_system(system("internal", information=["personal"]), r)
    # Then the engine applies it without knowing anything of it
    assert (r.id, result.level, result.deciding.article) == ("made-up-2030", 4, "1.2.b")


def test_a_regimes_terms_cadence_and_catalogue_are_checked_where_written() -> None:
    # Given the shipped Decree 85 file with a misspelt placeholder in a sentence, an important-assets interval
    # longer than the standard one, and a catalogue that is not in policies/requirements/
    text = (regimes_dir() / "decree-85-2016.yaml").read_text(encoding="utf-8")
    bad = (text.replace("Systems with an information-security quy chế", "Systems with an {secuirty} quy chế", 1)
           .replace("    months: 6\n", "    months: 6\n    critical_months: 12\n", 1)
           .replace("catalogue: tcvn-11930-2017", "catalogue: tcvn-0000-1999", 1))
    # When it is parsed, then each problem is reported at its line, in words an editor can act on
    errors = {d.key: d for d in _errors(bad)}
    lines = bad.splitlines()
    assert set(errors) == {"classify.regime.unknown_placeholder", "classify.regime.critical_longer",
                           "classify.regime.unknown_catalogue"}
    assert "{secuirty}" in lines[errors["classify.regime.unknown_placeholder"].line - 1]
    assert "security, protection, unit" in errors["classify.regime.unknown_placeholder"].render("en")
    assert lines[errors["classify.regime.critical_longer"].line - 1].strip() == "critical_months: 12"
    assert "tcvn-0000-1999" in lines[errors["classify.regime.unknown_catalogue"].line - 1]
    assert "tcvn-11930-2017" in errors["classify.regime.unknown_catalogue"].render("vi")
    # and a regime without the words its documents need is refused by the schema
    data = _shipped_data()
    del data["terms"]["dossier_title"]
    assert [d.key for d in _errors(yaml.safe_dump(data, allow_unicode=True))] == ["schema.required"]
