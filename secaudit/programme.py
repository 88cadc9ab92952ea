"""The organisation's classification programme at a glance: per system, where its level dossier
stands, whether it was assessed on time, and how compliant its latest run was (pure).

The annual report (Form 08) and ``secaudit status`` are two views of the same
:class:`Programme`, so they cannot disagree. The audit history enters through one small
interface, :class:`LatestRun` (the store's ``SystemRecord`` is one): the latest stored run of
each system, and the periodic cadence comes from :mod:`secaudit.store.cadence`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Protocol, Sequence

from secaudit.classify.result import Classification
from secaudit.model import Approval, DossierStatus, Inventory, System
from secaudit.store import open_store
from secaudit.store.cadence import REGIMES, cadence, next_due
import os

BUILT = (DossierStatus.SUBMITTED, DossierStatus.APPRAISED, DossierStatus.APPROVED)
APPRAISED = (DossierStatus.APPRAISED, DossierStatus.APPROVED)


class LatestRun(Protocol):
    """What the programme needs of a system's latest stored run (``store.records.SystemRecord``)."""

    run_id: str
    status: str                          # compliant | non_compliant | unverified | undetermined
    compliance: float | None
    required_level: int | None
    achieved_level: int | None

    @property
    def date(self) -> dt.date: ...


@dataclass(frozen=True)
class SystemStanding:
    system: System
    classification: Classification
    level: int | None                    # the proposed level: computed, or the higher declared one
    latest: LatestRun | None
    cadence_months: int | None
    cadence_citation: str
    next_due: dt.date | None
    periodic: bool                       # the latest run falls within the level's cadence on `as_of`

    @property
    def approval(self) -> Approval:
        return self.system.approval

    @property
    def classified(self) -> bool:
        return self.classification.level is not None

    @property
    def dossier_built(self) -> bool:
        return self.approval.dossier in BUILT

    @property
    def appraised(self) -> bool:
        return self.approval.dossier in APPRAISED

    @property
    def approved(self) -> bool:
        return self.approval.dossier is DossierStatus.APPROVED

    @property
    def compliant(self) -> bool | None:
        """True/False from the latest run; None when never scanned or nothing could be verified."""
        if self.latest is None or self.latest.status in ("unverified", "undetermined"):
            return None
        return self.latest.status == "compliant"


@dataclass(frozen=True)
class Programme:
    regime_id: str
    as_of: dt.date
    systems: tuple[SystemStanding, ...]

    def count(self, attr: str) -> int:
        return sum(1 for s in self.systems if getattr(s, attr))

    @property
    def approved_periodic(self) -> int:
        return sum(1 for s in self.systems if s.approved and s.periodic)

    @property
    def expected_completion(self) -> dt.date | None:
        """When every system should be approved: the latest planned date (None when one is missing)."""
        pending = [s for s in self.systems if not s.approved]
        if not pending:
            return max((s.approval.decision.date for s in self.systems
                        if s.approval.decision and s.approval.decision.date), default=None)
        dates = [s.approval.planned_approval for s in pending]
        return None if any(d is None for d in dates) else max(d for d in dates if d is not None)

    @property
    def missing_planned_dates(self) -> tuple[str, ...]:
        return tuple(s.system.id for s in self.systems if not s.approved and s.approval.planned_approval is None)


def proposed_level(c: Classification) -> int | None:
    """The level a dossier proposes: the computed one, or the declared one when the owner chose higher."""
    if c.level is None:
        return None
    return max(c.level, c.declared_level or 0)


def standing(system: System, c: Classification, latest: LatestRun | None, regime_id: str,
             as_of: dt.date) -> SystemStanding:
    level = proposed_level(c)
    months = due = None
    citation = ""
    periodic = False
    if level is not None and regime_id in REGIMES:
        cad = cadence(regime_id, level)
        months, citation = cad.months, cad.citation
        if latest is not None and latest.date <= as_of:
            due = next_due(latest.date, regime_id, level)
            periodic = due >= as_of
    return SystemStanding(system, c, level, latest, months, citation, due, periodic)


def build_programme(inventory: Inventory, classifications: Sequence[Classification],
                    latest: Mapping[str, LatestRun], regime_id: str, as_of: dt.date) -> Programme:
    """Every classified system's standing on ``as_of`` (``latest``: system id -> its latest run)."""
    by_id = {c.system_id: c for c in classifications}
    rows = tuple(standing(s, by_id[s.id], latest.get(s.id), regime_id, as_of)
                 for s in inventory.systems if s.id in by_id)
    return Programme(regime_id, as_of, rows)


def report_period(year: int) -> tuple[dt.date, dt.date]:
    """The period Form 08 covers (Decree 331 Art. 35.3): 15 December of the previous year to 14 December."""
    return dt.date(year - 1, 12, 15), dt.date(year, 12, 14)


def latest_runs(db: str | None, until: dt.date, data_dir: str | None = None) -> dict[str, LatestRun]:
    """Each system's latest complete stored run started on or before ``until`` (the store at ``db``)."""
    with open_store(db, data_dir) as store:
        return dict(store.latest_per_system(until=until, complete_only=True))


def has_history(db: str | None, data_dir: str | None = None) -> bool:
    """Whether there is a store to read: one named, or the default SQLite file exists (never created here)."""
    # start-up: sqlalchemy loaded only when needed
    from secaudit.store.engine import STORE_FILE, data_dir as default_dir

    return bool(db or os.environ.get("SECAUDIT_DB")) or (default_dir(data_dir) / STORE_FILE).is_file()


_SEVERITY_OF_VERDICT = {"fail": 0, "error": 1, "waived": 2, "pass": 3, "not_applicable": 4}


def failed_controls(db: str | None, latest: Mapping[str, LatestRun], data_dir: str | None = None
                    ) -> dict[str, tuple[str, ...]]:
    """The controls each system failed in its ``latest`` run (a control once, in the order found)."""
    if not latest or not has_history(db, data_dir):
        return {}
    out: dict[str, tuple[str, ...]] = {}
    with open_store(db, data_dir) as store:
        for system_id, run in latest.items():
            failed = [f.control_id for f in store.findings(run.run_id, system=system_id) if f.verdict == "fail"]
            if failed:
                out[system_id] = tuple(dict.fromkeys(failed))
    return out


def control_verdicts(db: str | None, system_id: str, data_dir: str | None = None) -> dict[str, object]:
    """The latest complete run of one system from the store: ``verdicts`` (control id -> worst verdict
    over its targets), ``failed`` ((control, target) pairs) and a ``run_label``; empty without history."""
    if not has_history(db, data_dir):
        return {}
    with open_store(db, data_dir) as store:
        latest = store.latest_per_system(complete_only=True).get(system_id)
        if latest is None:
            return {}
        findings = store.findings(latest.run_id, system=system_id)
    verdicts: dict[str, str] = {}
    for f in findings:
        old = verdicts.get(f.control_id)
        if old is None or _SEVERITY_OF_VERDICT.get(f.verdict, 9) < _SEVERITY_OF_VERDICT.get(old, 9):
            verdicts[f.control_id] = f.verdict
    failed = [(f.control_id, f.target) for f in findings if f.verdict == "fail"]
    day = latest.date
    return {"verdicts": verdicts, "failed": failed,
            "run_label": f"{latest.run_id}, {day.day:02d}/{day.month:02d}/{day.year}"}
