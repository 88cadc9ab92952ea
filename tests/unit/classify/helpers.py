"""Builders of model objects for classification tests (the engine works on model objects)."""

from __future__ import annotations

from typing import Any

from secaudit.model import (Damage, Endpoint, Facts, InfoClass, Inventory, Organisation, PersonalData, Purpose,
                            Scope, SecretGrade, Service, SourceRef, System, WorksGrade)

_ENUMS = {"secret_grade": SecretGrade, "damage": Damage, "scope": Scope, "works_grade": WorksGrade}


def system(purpose: str, id: str = "s", *, declared: int | None = None, components: tuple[str, ...] = (),
           line: int = 0, endpoints: tuple[Endpoint, ...] = (), name: str | None = None, **facts: Any) -> System:
    """A System with the given facts; ``pd_users`` etc. go into personal_data."""
    pd = {k[3:]: facts.pop(k) for k in list(facts) if k.startswith("pd_")}
    info = tuple(InfoClass(i) for i in facts.pop("information", ()))
    for k, enum in _ENUMS.items():
        if facts.get(k) is not None:
            facts[k] = enum(facts[k])
    return System(id=id, name=name or id, purpose=Purpose(purpose),
                  facts=Facts(information=info, personal_data=PersonalData(**pd), **facts),
                  declared_level=declared, components=components, endpoints=endpoints,
                  source=SourceRef("inventory.yaml", line, 5) if line else SourceRef())


def inventory(*systems: System) -> Inventory:
    return Inventory(organisation=Organisation("Sở Thông tin và Truyền thông tỉnh X", "Phòng CNTT",
                                               "UBND tỉnh X"), systems=tuple(systems),
                     source=SourceRef("inventory.yaml", 1, 1))


def endpoint(host: str, port: int, service: str = "https") -> Endpoint:
    return Endpoint(host=host, port=port, service=Service(service), tls=service == "https")
