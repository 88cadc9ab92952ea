"""The compiled schema check (fastjsonschema) only ever says "valid" when jsonschema would too.

It decides alone only when it accepts a document; so it must never accept what the published
schema (checked by jsonschema, the reference) refuses. Checked on the shipped files and on
mutations of them that each break one rule of the schema.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Callable

import pytest

from secaudit.load import _normalise_inventory
from secaudit.schemacheck import quickly_valid, validator
from secaudit.yamlread import read_yaml_file

ROOT = Path(__file__).resolve().parents[2]


def _load(path: str) -> Any:
    doc, problems = read_yaml_file(str(ROOT / path))      # as the loader reads it (dates stay text)
    assert doc is not None and not problems
    return doc


def _inventory() -> Any:
    doc = _load("examples/inventory.yaml")
    _normalise_inventory(doc)      # URL endpoints become mappings before the schema check
    return doc.value


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Any], None]:
    def apply(doc: Any) -> None:
        for p in path[:-1]:
            doc = doc[p]
        doc[path[-1]] = value
    return apply


MUTATIONS = {
    "inventory": [_set(("systems", 0, "purpose"), "internall"), _set(("systems", 0, "informaton"), ["public"]),
                  _set(("systems", 0, "declared_level"), 6), _set(("systems", 0, "declared_level"), "3"),
                  _set(("systems", 0, "declared_level"), True), _set(("systems", 0, "id"), "Bad Id"),
                  _set(("systems", 0, "information"), []), _set(("systems", 1, "endpoints", 0, "port"), 0),
                  _set(("systems", 1, "endpoints", 0, "service"), "gopher"), _set(("kind",), "inventori"),
                  _set(("systems", 0, "information"), ["public", "public"]), _set(("organisation",), [])],
    "waivers": [_set(("waivers", 0, "expires"), "30/06/2027"), _set(("waivers", 0, "reason"), ""),
                _set(("waivers", 0, "why"), "x"), _set(("waivers", 0, "control"), 12)],
    "regime": [_set(("criteria", 0, "when"), {}), _set(("criteria", 1, "level"), 7),
               _set(("criteria", 0, "applies_to"), ["internal", "internal"]), _set(("criteria", 0, "article"), "7.x1"),
               _set(("title", "vi"), ""), _set(("criteria", 0, "weight"), 1), _set(("criteria", 0, "text"), {"vi": "x"})],
}
SHIPPED = {"inventory": _inventory, "waivers": lambda: _load("examples/waivers.yaml").value,
           "regime": lambda: _load("policies/regimes/decree-85-2016.yaml").value}


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_shipped_files_are_valid_for_both(kind):
    doc = SHIPPED[kind]()
    assert quickly_valid(kind, doc) and not list(validator(kind).iter_errors(doc))


@pytest.mark.parametrize("kind,i", [(k, i) for k, ms in sorted(MUTATIONS.items()) for i in range(len(ms))])
def test_what_jsonschema_refuses_the_compiled_check_refuses(kind, i):
    doc = copy.deepcopy(SHIPPED[kind]())
    MUTATIONS[kind][i](doc)
    assert list(validator(kind).iter_errors(doc)), "mutation should break the schema"
    assert not quickly_valid(kind, doc)


def test_policies_are_valid_for_both():
    for path in sorted((ROOT / "policies").glob("*/*.yaml")):
        doc = _load(str(path.relative_to(ROOT))).value
        if doc.get("kind") == "policy":
            assert quickly_valid("policy", doc) == (not list(validator("policy").iter_errors(doc))), path
