"""Where ``assess`` finds the control findings: a results document or the history store.

By default each system's newest stored run (``Store.latest_per_system``); with a run id, that run; with
a results file, its findings. Findings become :class:`ControlFinding` (control id without ``@policy``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Collection, Iterable

from secaudit.model import Results, Verdict
from secaudit.requirements.model import ControlFinding
from secaudit.store.records import FindingRecord, base_control_id


def _waiver_text(reason: str, approved_by: str, expires: str) -> str:
    return f"waived until {expires} by {approved_by}: {reason}"


def _when(iso: str) -> dt.datetime:
    when = dt.datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def findings_from_results(results: Results, systems: Collection[str] | None = None) -> list[ControlFinding]:
    """The findings of one run (of ``systems`` when given)."""
    when = _when(results.run.started_at)
    out = []
    for f in results.findings:
        if systems is not None and f.system_id not in systems:
            continue
        waiver = (_waiver_text(f.waiver.reason, f.waiver.approved_by, f.waiver.expires.isoformat())
                  if f.waiver is not None and f.verdict is Verdict.WAIVED else "")
        out.append(ControlFinding(f.system_id, base_control_id(f.control_id), f.target, Verdict(f.verdict).value,
                                  when, results.run.id, waiver))
    return out


def _from_record(r: FindingRecord, when: dt.datetime) -> ControlFinding:
    waiver = ""
    if r.waiver and r.verdict == "waived":
        waiver = _waiver_text(str(r.waiver.get("reason", "")), str(r.waiver.get("approved_by", "")),
                              str(r.waiver.get("expires", "")))
    return ControlFinding(r.system_id, r.control_id, r.target, r.verdict, when, r.run_id, waiver)


def findings_from_store(store: Any, systems: Collection[str], run_id: str | None = None,
                        until: dt.date | None = None) -> list[ControlFinding]:
    """Findings of ``systems`` in the run ``run_id``, or in each system's newest stored run (started on or
    before ``until``)."""
    if run_id is not None:
        run = store.run(run_id)
        when = _when(run.started_at)
        return [_from_record(r, when) for r in store.findings(run_id) if r.system_id in systems]
    latest = store.latest_per_system(until=until)
    per_run: dict[str, set[str]] = {}
    started: dict[str, str] = {}
    for sid in systems:
        rec = latest.get(sid)
        if rec is not None:
            per_run.setdefault(rec.run_id, set()).add(sid)
            started[rec.run_id] = rec.started_at
    out: list[ControlFinding] = []
    for rid, wanted in sorted(per_run.items()):
        when = _when(started[rid])
        out += [_from_record(r, when) for r in store.findings(rid) if r.system_id in wanted]
    return out


def systems_in(findings: Iterable[ControlFinding]) -> frozenset[str]:
    return frozenset(f.system for f in findings)
