"""What the official documents need from the inventory and it does not hold (pure).

The documents ask for each owner body, operating unit and the owner's specialised security unit: its
founding document, representative and title, address, phone and e-mail (Decree 331: Forms 01-03 and 08,
Art. 22.3 a-b, Art. 36.1; Decree 85: Circular 12/2022 Art. 8.3, Art. 14.1). Where the inventory lacks one,
the document shows the form's own blank ("…") and :func:`document_gaps` says what to add, located at
``file:line:col`` of the system or of the body's entry, so the officer completes the inventory rather than
the Word file. Where the regime asks for a fact, and its name for the unit, are the regime's terms
(``unit``, ``unit_gap``, ``operator_gap``, ``regulation_gap``), given to the message in both languages.
"""

from __future__ import annotations

from typing import Iterable

from secaudit.classify.regime import Regime
from secaudit.errors import Diagnostic
from secaudit.model import Inventory, LocalText, SourceRef, System


def _at(src: SourceRef, fallback: SourceRef, key: str, **args: str | LocalText) -> Diagnostic:
    where = src if src.line else fallback
    return Diagnostic(where.file or fallback.file, where.line, where.column, key, dict(args))


def _term(regime: Regime, name: str) -> LocalText:
    return regime.term(name) or LocalText("", "")


def _body(inv: Inventory, name: str, role: str, system: System, seen: set[str], regime: Regime) -> list[Diagnostic]:
    if name in seen:
        return []
    seen.add(name)
    body = inv.organisation.body(name)
    if body is None:
        return [_at(system.source, inv.source, f"documents.gap.no_body.{role}", name=name, system=system.id,
                    unit=_term(regime, "unit"))]
    missing = [k for k, v in body.particulars().items() if not v.strip()]
    if not missing:
        return []
    return [_at(body.source, system.source, "documents.gap.fields", name=name, fields=", ".join(missing))]


def system_gaps(inv: Inventory, system: System, regime: Regime, seen: set[str] | None = None) -> list[Diagnostic]:
    """The facts the documents of ``system`` need under ``regime`` and the inventory lacks (each body reported
    once per ``seen``)."""
    seen = set() if seen is None else seen
    org = inv.organisation
    out: list[Diagnostic] = []
    owner = org.owner_of(system)
    out += _body(inv, owner, "owner", system, seen, regime)
    if system.operator:
        out += _body(inv, system.operator, "operator", system, seen, regime)
    else:
        out.append(_at(system.source, inv.source, "documents.gap.no_operator", system=system.id,
                       basis=_term(regime, "operator_gap")))
    unit = org.unit_of(owner)
    if unit:
        out += _body(inv, unit, "unit", system, seen, regime)
    elif f"unit:{owner}" not in seen:
        seen.add(f"unit:{owner}")
        body = org.body(owner)
        out.append(_at(body.source if body else system.source, system.source, "documents.gap.no_unit", owner=owner,
                       unit=_term(regime, "unit"), basis=_term(regime, "unit_gap")))
    if system.zone and not any(z.id == system.zone and z.description for z in inv.zones):
        out.append(_at(system.source, inv.source, "documents.gap.zone", system=system.id, zone=system.zone))
    a = system.approval
    if a.dossier is not None and a.dossier.value == "approved" and a.regulation is None:
        out.append(_at(system.source, inv.source, "documents.gap.regulation", system=system.id,
                       basis=_term(regime, "regulation_gap")))
    return out


def document_gaps(inv: Inventory, regime: Regime, systems: Iterable[str] | None = None) -> list[Diagnostic]:
    """Every gap of the documents of ``systems`` (all when None) under ``regime``, in file order."""
    wanted = None if systems is None else set(systems)
    out: list[Diagnostic] = []
    if not inv.organisation.place:
        out.append(Diagnostic(inv.source.file, inv.source.line, inv.source.column, "documents.gap.place", {}))
    seen: set[str] = set()
    for s in inv.systems:
        if wanted is None or s.id in wanted:
            out += system_gaps(inv, s, regime, seen)
    return sorted(out, key=lambda d: (d.line, d.column, d.key))
