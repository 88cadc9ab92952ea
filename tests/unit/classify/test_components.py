"""Components: a system is at least the level of its highest component; bad references are input errors."""

from __future__ import annotations

import pytest

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.errors import InputError

from .helpers import inventory, system

R331 = load_regime("decree-331-2026")
R85 = load_regime("decree-85-2016")


def test_given_a_high_component_when_classified_then_the_parent_takes_its_level() -> None:
    inv = inventory(
        system("internal", "portal", components=("scada",), information=["public"]),
        system("industrial_control", "scada", information=["private"], works_grade="I"),
    )
    portal, scada = classify_inventory(inv, R85)
    assert scada.level == 4
    assert portal.level == 4
    assert portal.deciding.kind == "component" and portal.deciding.id == "scada"
    # its own criterion is still listed as met
    assert [c.id for c in portal.matched] == ["d85-7"]


def test_given_a_lower_component_then_the_parent_keeps_its_own_level() -> None:
    inv = inventory(
        system("public_service", "egov", components=("cms",), information=["personal"],
               administrative_procedures=True),
        system("internal", "cms", information=["public"]),
    )
    egov, _ = classify_inventory(inv, R331)
    assert egov.level == 3 and egov.deciding.id == "d331-13.2.b"
    assert [(c.id, c.level) for c in egov.components] == [("cms", 1)]


def test_given_an_undetermined_component_then_the_parent_is_undetermined() -> None:
    inv = inventory(
        system("internal", "plant", components=("ics",), information=["private"]),
        system("industrial_control", "ics", information=["private"]),
    )
    plant, ics = classify_inventory(inv, R331)
    assert ics.level is None and ics.missing == ("works_grade",)
    assert plant.level is None
    assert plant.lower_bound == 2
    assert plant.undetermined_components == ("ics",)


def test_given_a_level_5_parent_then_an_undetermined_component_cannot_change_it() -> None:
    inv = inventory(
        system("internal", "core", components=("ics",), information=["private"], national_data_store=True),
        system("industrial_control", "ics", information=["private"]),
    )
    core, _ = classify_inventory(inv, R331)
    assert core.level == 5 and core.undetermined_components == ()


def test_nested_components_propagate_upwards() -> None:
    inv = inventory(
        system("internal", "a", components=("b",), information=["public"]),
        system("internal", "b", components=("c",), information=["public"]),
        system("internal", "c", information=["public"], designated_level=5),
    )
    a, b, c = classify_inventory(inv, R85)
    assert (a.level, b.level, c.level) == (5, 5, 5)


def test_unknown_component_is_an_input_error_at_the_system_line() -> None:
    inv = inventory(system("internal", "a", components=("ghost",), information=["public"], line=12))
    with pytest.raises(InputError) as e:
        classify_inventory(inv, R331)
    (d,) = e.value.diagnostics
    assert (d.file, d.line, d.key) == ("inventory.yaml", 12, "classify.error.unknown_component")
    assert "ghost" in d.render("en")


def test_component_cycle_is_an_input_error_naming_the_cycle() -> None:
    inv = inventory(
        system("internal", "a", components=("b",), information=["public"], line=3),
        system("internal", "b", components=("c",), information=["public"], line=8),
        system("internal", "c", components=("a",), information=["public"], line=13),
    )
    with pytest.raises(InputError) as e:
        classify_inventory(inv, R331)
    (d,) = e.value.diagnostics
    assert d.key == "classify.error.component_cycle"
    assert "a → b → c → a" in d.render("en")
    assert d.line == 13


def test_a_system_cannot_be_its_own_component() -> None:
    inv = inventory(system("internal", "a", components=("a",), information=["public"], line=3))
    with pytest.raises(InputError, match="a → a"):
        classify_inventory(inv, R331)


def test_only_selected_systems_are_returned_but_their_components_count() -> None:
    inv = inventory(
        system("internal", "x", information=["public"]),
        system("internal", "p", components=("q",), information=["public"]),
        system("internal", "q", information=["private"]),
    )
    (p,) = classify_inventory(inv, R331, only=["p"])
    assert p.system_id == "p" and p.level == 2


def test_unknown_selected_system_is_an_input_error() -> None:
    inv = inventory(system("internal", "x", information=["public"]))
    with pytest.raises(InputError) as e:
        classify_inventory(inv, R331, only=["nope"])
    assert e.value.diagnostics[0].key == "classify.error.unknown_system"
    assert "x" in e.value.diagnostics[0].render("en")
