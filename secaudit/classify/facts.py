"""The facts a regime's conditions may name, and how they are read off a System (design §8.2).

Facts are flattened into a plain dict once per system: ``personal_data`` becomes
``personal_data.users``, ``.basic`` and ``.sensitive``; an empty ``information`` list means "not
declared" (``None``), like every other absent fact.
"""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.classify.conditions import FactSpec
from secaudit.model import Damage, InfoClass, Purpose, Scope, SecretGrade, System, WorksGrade


def _enum(e: Any) -> FactSpec:
    return FactSpec("enum", frozenset(m.value for m in e))


FACTS: Mapping[str, FactSpec] = {
    "purpose": _enum(Purpose),
    "information": FactSpec("set", frozenset(m.value for m in InfoClass)),
    "secret_grade": _enum(SecretGrade),
    "defence_security": FactSpec("bool"),
    "damage": _enum(Damage),
    "strategic": FactSpec("bool"),
    "online_service_level": FactSpec("int"),
    "administrative_procedures": FactSpec("bool"),
    "conditional_business": FactSpec("bool"),
    "personal_data.users": FactSpec("int"),
    "personal_data.basic": FactSpec("int"),
    "personal_data.sensitive": FactSpec("int"),
    "scope": _enum(Scope),
    "continuous_operation": FactSpec("bool"),
    "national_egov": FactSpec("bool"),
    "national_data_store": FactSpec("bool"),
    "works_grade": _enum(WorksGrade),
    "works_national_security": FactSpec("bool"),
    "designated_level": FactSpec("int"),
    "risk_assessed_level": FactSpec("int"),
}


def _plain(v: Any) -> Any:
    """Enum members become their plain value, so facts compare and serialise as data."""
    return getattr(v, "value", v)


def system_facts(system: System) -> dict[str, Any]:
    """The system's declared facts as a flat dict; undeclared facts are ``None``."""
    f = system.facts
    pd = f.personal_data
    return {
        "purpose": _plain(system.purpose),
        "information": frozenset(_plain(i) for i in f.information) or None,
        "secret_grade": _plain(f.secret_grade),
        "defence_security": f.defence_security,
        "damage": _plain(f.damage),
        "strategic": f.strategic,
        "online_service_level": f.online_service_level,
        "administrative_procedures": f.administrative_procedures,
        "conditional_business": f.conditional_business,
        "personal_data.users": pd.users,
        "personal_data.basic": pd.basic,
        "personal_data.sensitive": pd.sensitive,
        "scope": _plain(f.scope),
        "continuous_operation": f.continuous_operation,
        "national_egov": f.national_egov,
        "national_data_store": f.national_data_store,
        "works_grade": _plain(f.works_grade),
        "works_national_security": f.works_national_security,
        "designated_level": f.designated_level,
        "risk_assessed_level": f.risk_assessed_level,
    }
