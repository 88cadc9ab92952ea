"""``secaudit assess`` end to end: inventory → levels → catalogue → evidence (store, results, register,
imports) → :class:`Assessment`. Reads files and the store; the judging itself is
:mod:`secaudit.requirements.assessment` (pure)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from secaudit.assess import assess_inventory
from secaudit.classify.regime import load_regime
from secaudit.errors import Diagnostic, InputError
from secaudit.importers.evidence import evidence_for
from secaudit.load import load_inventory
from secaudit.model import Inventory
from secaudit.policy import default_library
from secaudit.requirements.assessment import assess_all, index_evidence
from secaudit.requirements.catalogue import Catalogue, catalogue_for_regime
from secaudit.requirements.gather import findings_from_results, findings_from_store
from secaudit.requirements.model import Assessment, ControlFinding, EvidenceItem, Register
from secaudit.requirements.register import load_register
from secaudit.schemacheck import suggest
from secaudit.results_file import load_results_file


@dataclass(frozen=True)
class Sources:
    """Where the findings come from: a results file, a stored run, or each system's newest stored run."""

    results_file: str | None = None
    run_id: str | None = None
    db: str | None = None
    data_dir: str | None = None


def check_systems(inventory: Inventory, wanted: Sequence[str]) -> list[str]:
    known = [s.id for s in inventory.systems]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        raise InputError([Diagnostic("--system", 0, 0, "evidence.unknown_system_suggest" if suggest(u, known)
                                     else "evidence.unknown_system", {"id": u, "suggestion": suggest(u, known) or ""})
                          for u in unknown])
    return list(wanted) or known


def required_levels(inventory: Inventory, regime_id: str | None, systems: Sequence[str]) -> list[tuple[str, str, int | None]]:
    """(id, name, required level) of each system: the higher of the computed and the declared level."""
    done = assess_inventory(inventory, default_library(), regime_id, list(systems))
    return [(a.system.id, a.system.name, a.required_level) for a in done]


def gather_findings(sources: Sources, systems: Sequence[str], store: Any | None,
                    until: dt.date | None = None) -> list[ControlFinding]:
    if sources.results_file:
        return findings_from_results(load_results_file(sources.results_file), set(systems))
    if store is None:
        return []
    return findings_from_store(store, set(systems), sources.run_id, until)


def run_assessment(inventory_path: str, systems: Sequence[str] = (), evidence: str | None = None,
                   regime: str | None = None, sources: Sources = Sources(),
                   imported: Iterable[EvidenceItem] | None = None, now: dt.datetime | None = None,
                   store: Any | None = None) -> tuple[Assessment, Register | None]:
    """The whole assessment; ``store`` (an open :class:`~secaudit.store.Store`) is read for findings and, unless
    ``imported`` is given, for the evidence of stored imports (:func:`secaudit.importers.evidence.evidence_for`)."""
    until = now.date() if now else None
    now = now or dt.datetime.now(dt.timezone.utc)
    inventory = load_inventory(inventory_path)
    reg = load_regime(regime)
    catalogue: Catalogue = catalogue_for_regime(reg.id, reg.catalogue)
    ids = check_systems(inventory, systems)
    register = load_register(evidence, catalogue.keys(), [s.id for s in inventory.systems]) if evidence else None
    findings = gather_findings(sources, ids, store, until)
    if imported is None:
        imported = evidence_for(store, ids, now) if store is not None and not sources.results_file else ()
    index = index_evidence(findings, register, imported)
    results = assess_all(required_levels(inventory, regime, ids), reg.id, catalogue, index, now)
    return Assessment(results, now, inventory.source.file, inventory.digest,
                      register.file if register else "", register.digest if register else "",
                      inventory.organisation.name), register
