"""Inventory facts for the new families: `domains` per system and `zones` with `networks` (schema, validator)."""

from __future__ import annotations

import pytest

from secaudit.errors import InputError
from secaudit.load import load_inventory_text

BASE = """\
organisation: {name: X}
zones:
  - {id: lan, networks: ["127.1.0.0/24", "::1/128"]}
systems:
  - id: a
    name: A
    purpose: internal
    information: [public]
    zone: lan
    domains: [Agency.Example, mail.agency.example.]
"""


def diags(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(InputError) as e:
        load_inventory_text(text, "inv.yaml")
    return [(d.line, d.column, d.key) for d in e.value.diagnostics]


def test_domains_and_zones_load():
    inv = load_inventory_text(BASE, "inv.yaml")
    assert inv.systems[0].domains == ("agency.example", "mail.agency.example")
    assert inv.zone("lan").networks == ("127.1.0.0/24", "::1/128")
    assert inv.zones[0].source.line == 3


@pytest.mark.parametrize("bad,key,line", [
    ('"127.1.0.5/24"', "target.scope_network", 3),       # host bits set
    ('"127.1.0.0"', "target.scope_network", 3),          # an address is not a network
    ('"-127.0.0.0/8"', "target.scope_network", 3),
])
def test_bad_network_is_located(bad, key, line):
    found = diags(BASE.replace('"::1/128"', bad))
    assert (line, found[0][1], key) == found[0] and found[0][1] > 20


@pytest.mark.parametrize("bad", ['"127.0.0.1"', '"-x.example"', '"a b.example"', '"localhost"'])
def test_bad_domain_is_located(bad):
    found = diags(BASE.replace("mail.agency.example.", bad))
    assert found and found[0][0] == 10 and found[0][2] == "inventory.domain_invalid"


def test_duplicate_zone_and_unknown_keys():
    dup = BASE.replace('zones:\n', 'zones:\n  - {id: lan, networks: ["127.9.0.0/16"]}\n')
    assert any(k == "inventory.duplicate_zone" for _, _, k in diags(dup))
    assert diags(BASE.replace("networks:", "netwroks:"))
    assert diags(BASE.replace("domains:", "domain:"))
