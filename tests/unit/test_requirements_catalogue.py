"""Requirement catalogues: rows per level with their clause and filled text; every mistake at file:line:col."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.errors import InputError
from secaudit.requirements.catalogue import (
    Means, available_catalogues, catalogue_for_regime, clause_order, find_catalogue, load_catalogue,
    parse_catalogue,
)

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "requirements" / "fixture-std.yaml"


@pytest.fixture(scope="module")
def cat():
    return load_catalogue(FIXTURE)


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(InputError) as e:
        parse_catalogue(text, "<t>")
    return [(d.line, d.column, d.key) for d in e.value.diagnostics]


def edited(old: str, new: str) -> str:
    text = FIXTURE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_rows_of_a_level_are_in_clause_order_with_texts_filled(cat):
    assert cat.id == "fixture-std" and cat.regimes == ("fixture-regime",)
    assert [r.clause for r in cat.rows(3)] == ["5.1.2.9", "5.1.2.10", "5.6.2.2", "5.6.2.3", "5.12.2.4 a"]
    row = cat.row("account.inactive-disabled", 4)
    assert (row.clause, row.level, row.group, row.kind) == ("6.6.2.3", 4, "account", "technical")
    assert row.text.en == "Disable accounts unused for more than 30 days."
    assert row.text.vi == "Vô hiệu hoá tài khoản không dùng quá 30 ngày."
    assert cat.row("account.inactive-disabled", 3).params == {"inactive_days": 45}
    assert row.verify[0] == Means("host", control="HOST-ACCT-02")
    assert row.verify[1].kind == "attest" and row.verify[1].max_age_months == 6
    assert row.verify[1].hint.get("vi") == "Báo cáo tài khoản không hoạt động"


def test_a_level_overrides_text_and_a_row_applies_only_where_listed(cat):
    assert cat.row("network.secure-admin", 4).text.en.endswith("from the management network.")
    assert cat.row("network.secure-admin", 3).text.en == "Administer remotely only over encrypted channels."
    imp = cat.row("network.secure-admin", 3).verify[1]
    assert (imp.kind, imp.tool, imp.rule, imp.max_age_months) == ("import", "openscap", "xccdf_sshd", 12)
    assert cat.row("risk.register", 4) is None and cat.row("risk.register", 3) is not None
    assert cat.rows(2) == ()
    assert [r.key for r in cat.rows(1)] == ["risk.review", "account.default-disabled"]
    assert cat.keys() == {"account.inactive-disabled", "account.default-disabled", "network.secure-admin",
                          "risk.review", "risk.register"}
    assert cat.group("account").number == 6 and cat.group("nope") is None


def test_clause_order_is_numeric_then_by_letter():
    clauses = ["5.12.2.4 b", "5.2.2.10", "5.12.2.4", "5.2.2.9", "5.12.2.4 a"]
    assert sorted(clauses, key=clause_order) == ["5.2.2.9", "5.2.2.10", "5.12.2.4", "5.12.2.4 a", "5.12.2.4 b"]


def test_a_clause_outside_its_levels_section_is_an_error_at_its_position():
    text = edited('4: {clause: "6.6.2.3"', '4: {clause: "5.6.2.3"')
    assert problems(text) == [(line_of(text, '4: {clause: "5.6.2.3"'), 19, "catalogue.clause_section")]


def test_a_placeholder_without_its_parameter_names_the_text_and_the_level():
    text = edited("4: {clause: \"6.6.2.3\", params: {inactive_days: 30}}", "4: {clause: \"6.6.2.3\"}")
    with pytest.raises(InputError) as e:
        parse_catalogue(text, "<t>")
    (d, d_vi) = e.value.diagnostics                      # both languages use it: one problem each
    assert d_vi.line == d.line + 1
    assert d.key == "catalogue.missing_param" and d.args["param"] == "inactive_days" and d.args["level"] == 4
    # The shared text is where the placeholder is written, in the language that uses it.
    assert d.line == line_of(text, "text: {en: \"Disable accounts") and d.column == 16
    assert "{inactive_days}" in d.render("en") and "4" in d.render("vi")


def test_unknown_group_duplicate_key_and_key_outside_its_group_are_all_reported():
    text = edited("group: network", "group: netwrok")
    text = text.replace("key: risk.register", "key: risk.review")
    text = text.replace("key: account.default-disabled", "key: risk.default-disabled")
    got = problems(text)
    assert (line_of(text, "group: netwrok"), 12, "catalogue.unknown_group") in got
    assert (line_of(text, "key: risk.default-disabled"), 10, "catalogue.key_not_in_group") in got
    dup_line = [i for i, line in enumerate(text.splitlines(), 1) if "key: risk.review" in line][1]
    assert (dup_line, 10, "catalogue.duplicate_key") in got
    with pytest.raises(InputError) as e:
        parse_catalogue(text, "<t>")
    assert "network" in next(d for d in e.value.diagnostics if d.key == "catalogue.unknown_group").render("en")


def test_a_level_that_is_not_1_to_5_or_not_declared_is_an_error():
    text = edited("      1: {clause: \"3.1.2.1\"", "      6: {clause: \"3.1.2.1\"")
    assert problems(text) == [(line_of(text, '6: {clause: "3.1.2.1"'), 7, "catalogue.bad_level")]
    text = edited("      3: {clause: \"5.1.2.9\"}", "      2: {clause: \"4.1.2.9\"}")
    assert problems(text) == [(line_of(text, '2: {clause: "4.1.2.9"}'), 7, "catalogue.level_undeclared")]


def test_a_duplicate_level_in_a_row_is_reported_by_the_yaml_reader():
    text = edited("      3: {clause: \"5.1.2.9\"}", "      3: {clause: \"5.1.2.9\"}\n      3: {clause: \"5.1.2.8\"}")
    assert problems(text)[0][0] == line_of(text, '3: {clause: "5.1.2.8"}')


def test_two_keys_may_share_a_clause_at_one_level():
    cat = parse_catalogue(edited('3: {clause: "5.1.2.9"}', '3: {clause: "5.6.2.2"}'), "<t>")
    assert [r.key for r in cat.rows(3) if r.clause == "5.6.2.2"] == ["account.default-disabled", "risk.register"]


def test_schema_errors_carry_positions_and_suggestions():
    text = edited("kind: management\n", "kind: managment\n")
    text = text.replace("verify: [{scan: SSH-ALG-01}", "verify: [{scn: SSH-ALG-01}")
    text = text.replace('"5.12.2.4 a"', '"5.12.2.4a"')
    got = problems(text)
    assert (line_of(text, "kind: managment"), 11, "schema.enum_suggest") in got
    assert (line_of(text, "{scn: SSH-ALG-01}"), 15, "schema.unknown_key_suggest") in got
    assert (line_of(text, '"5.12.2.4a"'), 19, "catalogue.bad_clause") in got


def test_a_means_naming_two_ways_is_an_error():
    text = edited("verify: [{scan: PORT-NOAUTH-01}]", "verify: [{scan: PORT-NOAUTH-01, host: HOST-ACCT-01}]")
    assert problems(text) == [(line_of(text, "HOST-ACCT-01}]"), 14, "catalogue.means_one")]


def test_the_id_must_be_the_file_stem(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_catalogue(path)
    (d,) = e.value.diagnostics
    assert (d.file, d.line, d.key) == (str(path), 4, "catalogue.id_not_stem")


def test_shipped_catalogues_load_and_a_regime_without_one_is_a_clear_error():
    for path in available_catalogues():
        cat = load_catalogue(path)
        assert cat.id == path.stem
        for regime in cat.regimes:
            assert find_catalogue(regime) is cat or find_catalogue(regime).id == cat.id
    assert find_catalogue("no-such-regime") is None
    with pytest.raises(InputError) as e:
        catalogue_for_regime("no-such-regime")
    assert e.value.diagnostics[0].key == "catalogue.none_for_regime"


def test_validate_checks_catalogues_with_the_loader_and_their_keys_name_register_entries(tmp_path):
    """`secaudit validate` recognises `kind: requirements`: the loader's own errors at file:line:col, a summary
    of rows per level, a mistyped kind with the right suggestion, and an evidence register validated beside a
    catalogue may name that catalogue's keys."""
    from secaudit.validation import validate_files

    good = tmp_path / "fixture-std.yaml"
    good.write_text(FIXTURE.read_text(encoding="utf-8"), encoding="utf-8")
    broken = tmp_path / "broken" / "fixture-std.yaml"
    broken.parent.mkdir()
    text = edited('4: {clause: "6.6.2.3"', '4: {clause: "5.6.2.3"')
    broken.write_text(text, encoding="utf-8")
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("kind: requirements", "kind: requirments"), encoding="utf-8")
    register = tmp_path / "evidence.yaml"
    register.write_text("kind: evidence\nentries:\n  - {id: e1, requirements: [risk.register], kind: attestation,\n"
                        "     title: Risk register, officer: {name: An}, date: 2026-06-15, status: in_place}\n",
                        encoding="utf-8")
    report = validate_files([str(good), str(broken), str(typo), str(register)])
    ok, bad, mistyped, evidence = report.files
    assert (ok.kind, ok.diagnostics, ok.summary["rows"]) == ("requirements", [], "1: 2, 3: 5, 4: 4")
    assert [(d.line, d.column, d.key) for d in bad.diagnostics] == [
        (line_of(text, '4: {clause: "5.6.2.3"'), 19, "catalogue.clause_section")]
    (d,) = mistyped.diagnostics
    assert (d.key, d.args["suggestion"]) == ("load.bad_kind", "requirements")
    assert evidence.kind == "evidence" and evidence.diagnostics == []
    alone = validate_files([str(register)]).files[0].diagnostics            # without the catalogue: unknown key
    assert [x.key for x in alone] and all(x.key.startswith("evidence.unknown_requirement") for x in alone)
