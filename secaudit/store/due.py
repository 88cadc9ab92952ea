"""When each system's next periodic assessment is due, and which certificates expire soon (pure).

Input: each system's level under each regime (from classifying the inventory, or the level its
last stored run required), its newest stored run, and that run's certificates. Output: one row
per system with the cadence of each regime (every regime of policies/regimes/ unless named), overdue systems first; and the certificates whose
expiry falls within ``horizon_days`` (expired ones included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping, Sequence

from secaudit.classify.regime import Regime
from secaudit.model import LocalText
from secaudit.requirements.assessment import EntryExpiry
from secaudit.store.cadence import DueStatus, due_status, regimes as load_regimes
from secaudit.store.records import CertificateRecord, SystemRecord
from secaudit.store.remediation import OverdueFinding


@dataclass(frozen=True)
class SystemDue:
    system_id: str
    name: str
    last_run: str | None                      # id of the newest stored run with this system
    last: dt.date | None                      # the day of that run
    regimes: tuple[DueStatus | None, ...]     # one per regime of the report, in its order; None: level undetermined
    levels: tuple[int | None, ...]            # the level used under each regime
    unmeasured: bool = False                  # its newest run measured nothing (e.g. air-gapped): not an assessment

    @property
    def overdue(self) -> bool:
        return any(s is not None and s.overdue for s in self.regimes)

    @property
    def undetermined(self) -> bool:
        return all(s is None for s in self.regimes)

    @property
    def earliest(self) -> dt.date | None:
        dates = [s.next_due for s in self.regimes if s is not None and s.next_due is not None]
        return min(dates) if dates else None


@dataclass(frozen=True)
class CertificateDue:
    system_id: str
    target: str
    subject: str
    issuer: str
    not_after: str
    days_left: int                            # negative: already expired
    run_id: str


@dataclass(frozen=True)
class DueReport:
    today: dt.date
    horizon_days: int
    regimes: tuple[str, ...]
    systems: tuple[SystemDue, ...]
    certificates: tuple[CertificateDue, ...]
    findings: tuple[OverdueFinding, ...] = ()     # imported findings past their remediation deadline
    evidence: tuple[EntryExpiry, ...] = ()         # register entries expiring within the horizon, or expired
    labels: tuple[LocalText, ...] = ()             # how each regime is named (its terms' label), as `regimes`

    @property
    def expired_evidence(self) -> tuple[EntryExpiry, ...]:
        return tuple(e for e in self.evidence if e.days_left < 0)

    @property
    def overdue(self) -> tuple[SystemDue, ...]:
        return tuple(s for s in self.systems if s.overdue)


def _sort_key(s: SystemDue) -> tuple:
    never = s.last is None
    return (not s.overdue, s.undetermined, not never, s.earliest or dt.date.max, s.system_id)


def measured(record: SystemRecord) -> bool:
    """A run assessed a system when it judged something there (a pass, fail or waiver), or reached an
    achieved level through its components; not when every control had no verdict or did not apply: an
    air-gapped system scanned from outside is not assessed."""
    return record.achieved_level is not None or any(record.counts.get(v, 0) for v in ("pass", "fail", "waived"))


def compute_due(systems: Mapping[str, tuple[str, Mapping[str, int | None]]], latest: Mapping[str, SystemRecord],
                certificates: Sequence[CertificateRecord], today: dt.date, horizon_days: int = 30,
                critical: bool = True, unmeasured: frozenset[str] = frozenset(),
                regimes: Sequence[Regime] = ()) -> DueReport:
    """``systems``: system id -> (name, regime id -> level); ``latest``: system id -> its newest stored verdict
    that measured something (see :func:`measured`); ``unmeasured``: systems whose newest run measured
    nothing; ``certificates``: the certificates of the newest runs; ``regimes``: the regimes to time (default:
    every regime of policies/regimes/)."""
    timed = tuple(regimes) or load_regimes()
    rows = []
    for sid, (name, levels) in systems.items():
        last = latest.get(sid)
        day = last.date if last else None
        statuses = tuple(due_status(day, r, levels[r.id], today, critical) if levels.get(r.id) else None
                         for r in timed)
        rows.append(SystemDue(sid, name, last.run_id if last else None, day, statuses,
                              tuple(levels.get(r.id) for r in timed), sid in unmeasured))
    rows.sort(key=_sort_key)
    return DueReport(today, horizon_days, tuple(r.id for r in timed), tuple(rows),
                     expiring(certificates, latest, today, horizon_days), labels=tuple(_label(r) for r in timed))


def _label(regime: Regime) -> LocalText:
    return regime.term("label") or regime.short


def expiring(certificates: Sequence[CertificateRecord], latest: Mapping[str, SystemRecord], today: dt.date,
             horizon_days: int) -> tuple[CertificateDue, ...]:
    """Certificates of each system's newest run expiring within ``horizon_days`` of ``today`` (or expired)."""
    now = dt.datetime.combine(today, dt.time(0, 0), tzinfo=dt.timezone.utc)
    out = []
    seen = set()
    for c in certificates:
        last = latest.get(c.system_id)
        if last is None or c.run_id != last.run_id or (c.system_id, c.target) in seen:
            continue
        seen.add((c.system_id, c.target))
        days = (c.expires - now).days
        if days <= horizon_days:
            out.append(CertificateDue(c.system_id, c.target, c.subject, c.issuer, c.not_after, days, c.run_id))
    out.sort(key=lambda d: (d.days_left, d.system_id, d.target))
    return tuple(out)


def levels_from_store(latest: Mapping[str, SystemRecord],
                      regimes: Sequence[Regime] = ()) -> dict[str, tuple[str, dict[str, int | None]]]:
    """Without an inventory: each system's required level of its last run, used under every regime timed."""
    ids = tuple(r.id for r in (tuple(regimes) or load_regimes()))
    return {sid: (rec.name, {regime: rec.required_level for regime in ids}) for sid, rec in latest.items()}
