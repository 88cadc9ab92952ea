"""The assessment (design §2, §4): every row of a system's level, its result derived from the evidence. Pure.

For each row, each verification means the catalogue lists is judged on its own:

- ``scan:``/``host:`` CONTROL: the findings of that control for the system in the run used (the latest
  stored one by default). Any FAIL → fail; a waived FAIL → waived (not a pass; the waiver is shown);
  every finding not applicable → the means does not apply (not a pass); no finding → missing.
- ``import:`` TOOL: the newest items an importer produced for the row and system, from that tool.
- ``attest:``: the newest register entry covering the row and system (``in_place`` → pass,
  ``partial`` → partial).

Evidence holds until its ``valid_until``, else its date plus the means' ``max_age_months``, else the row's
``scan_months`` (controls, imports) or ``review_months`` parameter, else :data:`DEFAULT_VALIDITY_MONTHS`.
Expired evidence counts as none.

The row: ``not_met`` when any means fails (a failing scan beats an attestation or a register "not
applicable": the conflict is noted); else ``not_applicable`` when the newest register entry for it says
so with a reason; else ``met`` when every means that applies passes; ``partially_met`` when some pass or
are partial or waived; ``not_assessed`` otherwise (no evidence, only expired evidence, or only controls
that apply to no endpoint of the system).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from secaudit.gcpause import collector_paused
from secaudit.model import Message
from secaudit.requirements.catalogue import Catalogue, Means, Row
from secaudit.requirements.model import (
    ControlFinding, EntryStatus, EvidenceItem, GroupScore, MeansResult, Register, RegisterEntry, Result, RowResult,
    SystemAssessment, score,
)

DEFAULT_VALIDITY_MONTHS = 12
UTC = dt.timezone.utc


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole calendar months (the 31st becomes the month's last day)."""
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def _end_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(23, 59, 59), UTC)


@dataclass(frozen=True)
class EvidenceIndex:
    """All the evidence of an assessment, indexed for lookups per system and row (built once)."""

    findings: Mapping[tuple[str, str], tuple[ControlFinding, ...]] = field(default_factory=dict)
    register_all: Mapping[str, tuple[RegisterEntry, ...]] = field(default_factory=dict)       # key -> entries
    register_some: Mapping[tuple[str, str], tuple[RegisterEntry, ...]] = field(default_factory=dict)
    imported: Mapping[tuple[str, str], tuple[EvidenceItem, ...]] = field(default_factory=dict)
    runs: Mapping[str, str] = field(default_factory=dict)                                       # system -> run id
    keys_of: Mapping[str, frozenset[str]] = field(default_factory=dict)       # system -> keys with some evidence
    controls_of: Mapping[str, frozenset[str]] = field(default_factory=dict)   # system -> controls with findings

    def entries(self, system: str, key: str) -> tuple[RegisterEntry, ...]:
        return self.register_all.get(key, ()) + self.register_some.get((system, key), ())


def index_evidence(findings: Iterable[ControlFinding] = (), register: Register | None = None,
                   imported: Iterable[EvidenceItem] = ()) -> EvidenceIndex:
    with collector_paused():          # tuples and dicts of existing objects: no cycles to find
        return _index(findings, register, imported)


def _index(findings: Iterable[ControlFinding], register: Register | None,
           imported: Iterable[EvidenceItem]) -> EvidenceIndex:
    by_control: dict[tuple[str, str], list[ControlFinding]] = {}
    runs: dict[str, str] = {}
    for f in findings:
        by_control.setdefault((f.system, f.control), []).append(f)
        runs.setdefault(f.system, f.run_id)
    every: dict[str, list[RegisterEntry]] = {}
    some: dict[tuple[str, str], list[RegisterEntry]] = {}
    for e in register.entries if register else ():
        for key in e.requirements:
            if e.systems is None:
                every.setdefault(key, []).append(e)
            else:
                for s in e.systems:
                    some.setdefault((s, key), []).append(e)
    items: dict[tuple[str, str], list[EvidenceItem]] = {}
    for item in imported:
        items.setdefault((item.system, item.requirement), []).append(item)
    keys_of: dict[str, set[str]] = {}
    for system, key in list(some) + list(items):
        keys_of.setdefault(system, set()).add(key)
    controls_of: dict[str, set[str]] = {}
    for system, control in by_control:
        controls_of.setdefault(system, set()).add(control)
    return EvidenceIndex({k: tuple(v) for k, v in by_control.items()}, {k: tuple(v) for k, v in every.items()},
                         {k: tuple(v) for k, v in some.items()}, {k: tuple(v) for k, v in items.items()}, runs,
                         {k: frozenset(v) for k, v in keys_of.items()}, {k: frozenset(v) for k, v in controls_of.items()})


# ------------------------------------------------------------------------------------------ means


def _months(row: Row, means: Means, *params: str) -> int:
    if means.max_age_months:
        return int(means.max_age_months)
    for p in params:
        value = row.params.get(p)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return DEFAULT_VALIDITY_MONTHS


_FINDING_OUTCOME = {"pass": "pass", "fail": "fail", "waived": "fail", "error": "error",
                    "not_applicable": "not_applicable"}


def _control_means(row: Row, means: Means, system: str, index: EvidenceIndex, now: dt.datetime) -> MeansResult:
    label = f"{means.kind}:{means.control}"
    found = index.findings.get((system, means.control or ""), ())
    if not found:
        return MeansResult(label, "missing")
    months = _months(row, means, "scan_months", "review_months")
    evidence = []
    for f in found:
        until = _end_of_day(add_months(f.date.astimezone(UTC).date(), months))
        summary = f"{f.control} {f.target}: {f.verdict}" + (f" ({f.waiver})" if f.waiver else "")
        evidence.append(EvidenceItem(means.kind, row.key, system, _FINDING_OUTCOME.get(f.verdict, "error"), f.date,
                                     summary, f.run_id, until))
    verdicts = {f.verdict for f in found}
    if "fail" in verdicts:
        outcome = "fail"                    # a current failure counts however old the run: it was never fixed
    elif any(e.valid_until is not None and e.valid_until < now for e in evidence):
        outcome = "expired"
    elif "waived" in verdicts:
        outcome = "waived"
    elif verdicts <= {"not_applicable"}:
        # a host check that had no host to log in to (no `hosts:` declared) did not find the row inapplicable:
        # nobody looked, so the means is missing; a network control without an endpoint of its kind does not apply
        outcome = "missing" if means.kind == "host" else "not_applicable"
    elif "pass" in verdicts:
        outcome = "partial" if "error" in verdicts else "pass"
    else:
        outcome = "error"
    return MeansResult(label, outcome, tuple(evidence))


HOST_ENGINES = ("openscap", "lynis")


def _host_means(row: Row, means: Means, system: str, index: EvidenceIndex, now: dt.datetime) -> MeansResult:
    """A ``host:`` means: the host control's findings; where secaudit did not log in to the system's hosts,
    the newest import of a host engine (OpenSCAP, Lynis) whose rules map to the row stands in for it."""
    own = _control_means(row, means, system, index, now)
    if own.outcome != "missing":
        return own
    for engine in HOST_ENGINES:
        if any(i.source == f"import:{engine}" for i in index.imported.get((system, row.key), ())):
            found = _import_means(row, Means("import", tool=engine), system, index, now)
            return MeansResult(f"{own.means} ({found.means})", found.outcome, own.evidence + found.evidence)
    return own


def _import_means(row: Row, means: Means, system: str, index: EvidenceIndex, now: dt.datetime) -> MeansResult:
    source = f"import:{means.tool}"
    items = [i for i in index.imported.get((system, row.key), ()) if i.source == source]
    if not items:
        return MeansResult(source, "missing")
    newest = max(i.date for i in items)
    current = [i for i in items if i.date == newest]
    months = _months(row, means, "scan_months", "review_months")
    current = [i if i.valid_until else EvidenceItem(i.source, i.requirement, i.system, i.outcome, i.date, i.summary,
                                                    i.ref, _end_of_day(add_months(i.date.date(), months)))
               for i in current]
    outcomes = {i.outcome for i in current}
    if "fail" in outcomes:
        outcome = "fail"
    elif any(i.valid_until is not None and i.valid_until < now for i in current):
        outcome = "expired"
    elif "partial" in outcomes:
        outcome = "partial"
    elif outcomes <= {"not_applicable"}:
        outcome = "not_applicable"
    elif "pass" in outcomes:
        outcome = "partial" if "error" in outcomes else "pass"
    else:
        outcome = "error"
    return MeansResult(source, outcome, tuple(current))


def newest_entry(entries: Sequence[RegisterEntry]) -> RegisterEntry | None:
    """The entry that states the current position: the newest date; on a tie the one written last."""
    best = None
    for e in entries:
        if best is None or e.date >= best.date:
            best = e
    return best


def entry_valid_until(entry: RegisterEntry, row: Row, means: Means | None) -> dt.date:
    if entry.valid_until is not None:
        return entry.valid_until
    months = _months(row, means, "review_months") if means else _months(row, Means("attest"), "review_months")
    return add_months(entry.date, months)


def _attest_means(row: Row, means: Means, system: str, entry: RegisterEntry | None,
                  now: dt.datetime) -> MeansResult:
    if entry is None or entry.status is EntryStatus.NOT_APPLICABLE:
        return MeansResult("attest", "missing")
    until = _end_of_day(entry_valid_until(entry, row, means))
    outcome = "pass" if entry.status is EntryStatus.IN_PLACE else "partial"
    item = EvidenceItem("register", row.key, system, outcome, dt.datetime.combine(entry.date, dt.time(), UTC),
                        f"{entry.kind.value}: {entry.title}", entry.id, until)
    return MeansResult("attest", "expired" if until < now else outcome, (item,))


# ------------------------------------------------------------------------------------------ rows

_NO_MEANS = (Message("assess.note.no_means"),)


_EMPTY: frozenset[str] = frozenset()


def _missing(row: Row) -> tuple[MeansResult, ...]:
    return tuple(MeansResult(f"{m.kind}:{m.control}" if m.control else
                             f"import:{m.tool}" if m.kind == "import" else "attest", "missing")
                 for m in row.verify if m.kind in ("scan", "host", "import", "attest"))


def _plan(row: Row, cache: dict[int, tuple[frozenset[str], RowResult]] | None) -> tuple[frozenset[str], RowResult]:
    """The controls ``row`` names, and its result for a system with no evidence for it at all (the same for every
    system: built once per row when ``cache`` is given)."""
    plan = cache.get(id(row)) if cache is not None else None
    if plan is None:
        plan = (frozenset(m.control for m in row.verify if m.control),
                RowResult(row, Result.NOT_ASSESSED, _missing(row), _NO_MEANS if not row.verify else ()))
        if cache is not None:
            cache[id(row)] = plan
    return plan


def judge_row(row: Row, system: str, index: EvidenceIndex, now: dt.datetime,
              missing: dict[int, tuple[frozenset[str], RowResult]] | None = None) -> RowResult:
    """The derived result of one row for one system (``missing``: a cache of what depends on the row alone)."""
    controls, unjudged = _plan(row, missing)
    if (row.key not in index.register_all and row.key not in index.keys_of.get(system, _EMPTY)
            and controls.isdisjoint(index.controls_of.get(system, _EMPTY))):
        return unjudged                        # no evidence of any kind for the row and system: nothing to judge
    entry = newest_entry(index.entries(system, row.key))
    means_results: list[MeansResult] = []
    for m in row.verify:
        if m.kind == "scan":
            means_results.append(_control_means(row, m, system, index, now))
        elif m.kind == "host":
            means_results.append(_host_means(row, m, system, index, now))
        elif m.kind == "import":
            means_results.append(_import_means(row, m, system, index, now))
        elif m.kind == "attest":
            means_results.append(_attest_means(row, m, system, entry, now))
    outcomes = [mr.outcome for mr in means_results]
    notes: list[Message] = []
    for mr in means_results:
        if mr.outcome == "waived":
            for e in mr.evidence:
                if "(" in e.summary:
                    notes.append(Message("assess.note.waived", {"means": mr.means, "evidence": e.summary}))
        elif mr.outcome == "expired":
            notes.append(Message("assess.note.expired", {"means": mr.means}))
    na = entry if entry is not None and entry.status is EntryStatus.NOT_APPLICABLE else None
    reason = ""
    if "fail" in outcomes:
        result = Result.NOT_MET
        failed = ", ".join(mr.means for mr in means_results if mr.outcome == "fail")
        if na is not None:
            notes.append(Message("assess.note.conflict_na", {"failed": failed, "entry": na.id}))
        for mr in means_results:
            if mr.means == "attest" and mr.outcome in ("pass", "partial"):
                notes.append(Message("assess.note.conflict_attest", {"failed": failed,
                                                                    "entry": mr.evidence[0].ref}))
    elif na is not None:
        result, reason = Result.NOT_APPLICABLE, na.reason
    else:
        applicable = [o for o in outcomes if o != "not_applicable"]
        if not applicable:
            result = Result.NOT_ASSESSED
            notes.append(Message("assess.note.no_endpoint" if outcomes else "assess.note.no_means"))
        elif all(o == "pass" for o in applicable):
            result = Result.MET
        elif any(o in ("pass", "partial", "waived") for o in applicable):
            result = Result.PARTIALLY_MET
        else:
            result = Result.NOT_ASSESSED
    used = [e for mr in means_results if mr.outcome in ("pass", "partial", "waived", "fail") for e in mr.evidence]
    officer = ""
    if entry is not None and (na is not None or any(mr.means == "attest" and mr.evidence for mr in means_results)):
        officer = str(entry.officer)
    dates = [e.date for e in used]
    untils = [e.valid_until for e in used if e.valid_until is not None]
    if na is not None and result is Result.NOT_APPLICABLE:
        dates.append(dt.datetime.combine(na.date, dt.time(), UTC))
        untils.append(_end_of_day(entry_valid_until(na, row, None)))
    return RowResult(row, result, tuple(means_results), tuple(notes), officer,
                     max(dates) if dates else None, min(untils) if untils else None, reason)


def assess_system(system_id: str, name: str, level: int | None, regime: str, catalogue: Catalogue,
                  index: EvidenceIndex, now: dt.datetime,
                  missing: dict[int, tuple[frozenset[str], RowResult]] | None = None) -> SystemAssessment:
    """Every row of ``level`` in ``catalogue``, judged for one system at ``now``."""
    notes: list[Message] = []
    if level is None:
        notes.append(Message("assess.note.level_undetermined"))
        rows: tuple[RowResult, ...] = ()
    else:
        rows = tuple(judge_row(r, system_id, index, now, missing) for r in catalogue.rows(level))
        if not rows:
            notes.append(Message("assess.note.level_missing", {"level": level, "standard": catalogue.standard}))
    per_group: dict[str, list[Result]] = {}
    number: dict[str, int] = {}
    for r in rows:
        per_group.setdefault(r.row.group, []).append(r.result)
        number.setdefault(r.row.group, len(number) + 1)
    # a group's number is its place at this level: rows come in clause order and the standard orders groups
    # differently per level (TCVN 14423: the x.N of the level; TCVN 11930: the order of its groups)
    groups = sorted((GroupScore(dataclasses.replace(g, number=number[g.id]), score(per_group[g.id]))
                     for g in catalogue.groups if g.id in per_group), key=lambda gs: gs.group.number)
    run_id = index.runs.get(system_id)
    if run_id is None:
        notes.append(Message("assess.note.no_run"))
    assessment = SystemAssessment(system_id, name, level, regime, catalogue.id, catalogue.standard, rows,
                                  tuple(groups), score([r.result for r in rows]), run_id, tuple(notes))
    if rows and not assessment.compliant and all(r.result in (Result.MET, Result.NOT_APPLICABLE) for r in rows):
        notes.append(Message("assess.note.scan_only"))
        assessment = SystemAssessment(system_id, name, level, regime, catalogue.id, catalogue.standard, rows,
                                      tuple(groups), assessment.overall, run_id, tuple(notes))
    return assessment


def assess_all(systems: Sequence[tuple[str, str, int | None]], regime: str, catalogue: Catalogue,
               index: EvidenceIndex, now: dt.datetime) -> tuple[SystemAssessment, ...]:
    """:func:`assess_system` for each (system id, name, required level), in the order given.

    With the cyclic collector paused: the results (about 200,000 rows for 1,000 systems) are frozen objects that
    form no cycles, and the collector rescanning them as they grow took 45% of the time."""
    missing: dict[int, tuple[frozenset[str], RowResult]] = {}
    with collector_paused():
        return tuple(assess_system(sid, name, level, regime, catalogue, index, now, missing)
                     for sid, name, level in systems)


@dataclass(frozen=True)
class EntryExpiry:
    """When a register entry stops counting, for the rows and systems it covers (``due``)."""

    entry: RegisterEntry
    valid_until: dt.date                       # the earliest over the rows it covers at each system's level
    days_left: int                             # negative: already expired
    systems: tuple[str, ...]                   # the systems whose rows it evidences


def expiring_entries(register: Register, catalogue: Catalogue, levels: Mapping[str, int | None], today: dt.date,
                     horizon_days: int) -> tuple[EntryExpiry, ...]:
    """The entries of ``register`` that expire within ``horizon_days`` of ``today`` (or have expired), each at the
    earliest date it stops counting for a row of a system's level (``levels``: system id -> required level).
    An entry superseded by a newer one for all its rows, and a not-applicable statement, are left out (a
    statement of fact with no period, unless it has its own ``valid_until``)."""
    index = index_evidence(register=register)
    out = []
    for e in register.entries:
        if e.status is EntryStatus.NOT_APPLICABLE and e.valid_until is None:
            continue
        until: dt.date | None = None
        covered = []
        for sid, level in levels.items():
            if level is None or not e.covers(sid):
                continue
            for key in e.requirements:
                row = catalogue.row(key, level)
                if row is None or newest_entry(index.entries(sid, key)) is not e:
                    continue
                attest = next((m for m in row.verify if m.kind == "attest"), None)
                day = entry_valid_until(e, row, attest)
                until = day if until is None else min(until, day)
                if sid not in covered:
                    covered.append(sid)
        if until is not None and (until - today).days <= horizon_days:
            out.append(EntryExpiry(e, until, (until - today).days, tuple(covered)))
    out.sort(key=lambda x: (x.valid_until, x.entry.id))
    return tuple(out)
