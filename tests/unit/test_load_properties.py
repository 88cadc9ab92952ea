"""Property: whatever text or YAML structure the loader is fed, it returns a model or raises InputError."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit.errors import InputError
from secaudit.load import load_inventory_text
from secaudit.model import Inventory

KEYS = ["kind", "systems", "id", "name", "purpose", "information", "endpoints", "host", "port", "service",
        "components", "personal_data", "users", "declared_level", "starttls", "organisation", "x"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-70000, 70000), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(["internal", "public", "https", "127.0.0.1", "-oN",
                                                            "https://127.0.0.1:1", "inventory", "a"]))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.sampled_from(KEYS), children, max_size=5)),
    max_leaves=25,
)


def _check(text: str) -> None:
    try:
        result = load_inventory_text(text)
    except InputError as e:
        assert e.diagnostics, "an InputError always says why"
        for d in e.diagnostics:
            assert d.render("en") and d.render("vi")
    else:
        assert isinstance(result, Inventory)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text(text):
    _check(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
def test_arbitrary_yaml_structures(value):
    _check(yaml.safe_dump(value, allow_unicode=True))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({"id": st.text(max_size=8), "name": st.text(max_size=5),
                                       "purpose": st.sampled_from(["internal", "other", "bogus"])},
                                      optional={"components": st.lists(st.text(max_size=3), max_size=3),
                                                "endpoints": st.lists(st.one_of(st.text(max_size=30), st.dictionaries(
                                                    st.sampled_from(["host", "port", "service"]), scalars)), max_size=3)}),
                max_size=5))
def test_inventory_shaped_documents(systems):
    _check(yaml.safe_dump({"kind": "inventory", "systems": systems}, allow_unicode=True))
