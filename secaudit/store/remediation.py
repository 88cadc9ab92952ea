"""Remediation deadlines of imported findings (``policies/remediation.yaml``) and which are overdue (pure
but for reading the data file).

A finding's deadline is its first sighting (carried from import to import of the same tool and scope)
plus the days its severity gets at the system's level; a finding still open in the newest import of its
scope past that day is overdue. Information items have no deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from secaudit.errors import Diagnostic, InputError
from secaudit.resources import policies_dir
from secaudit.yamlread import read_yaml_file

DEADLINE_SEVERITIES = ("critical", "high", "medium", "low")
SECAUDIT_DEFAULTS = "secaudit"


@dataclass(frozen=True)
class Sla:
    """Days to remediate per severity: ``levels[level][severity]``, ``default`` when the level is unknown."""

    default: Mapping[str, int]
    levels: Mapping[int, Mapping[str, int]]
    file: str = ""
    set_by: str = ""             # "secaudit": secaudit's defaults; else the agency's own act; "": not stated

    @property
    def defaults(self) -> bool:
        """The figures are secaudit's defaults (no number of days comes from the standard or the decrees)."""
        return self.set_by == SECAUDIT_DEFAULTS

    def days(self, severity: str, level: int | None) -> int | None:
        table = self.levels.get(level, self.default) if level is not None else self.default
        return table.get(severity)


@dataclass(frozen=True)
class OverdueFinding:
    system_id: str
    tool: str
    rule: str
    title: str
    severity: str
    target: str
    first_seen: dt.date
    due: dt.date
    days_over: int
    run_id: str                                  # the newest import that still reports it
    level: int | None


def _table(doc: Any, path: tuple, value: object, problems: list[Diagnostic]) -> dict[str, int]:
    if not isinstance(value, dict) or not all(k in DEADLINE_SEVERITIES and isinstance(v, int) and v >= 0
                                              for k, v in value.items()):
        problems.append(doc.diag(path, "remediation.bad_table"))
        return {}
    return dict(value)


def load_sla(file: Path | None = None) -> Sla:
    path = file if file is not None else policies_dir() / "remediation.yaml"
    doc, diags = read_yaml_file(str(path))
    if doc is None or diags:
        raise InputError(diags)
    v = doc.value
    if not isinstance(v, dict) or v.get("kind") != "remediation" or v.get("version") != 1:
        raise InputError([doc.diag((), "remediation.not_remediation")])
    problems: list[Diagnostic] = []
    default = _table(doc, ("default",), v.get("default"), problems)
    levels = {}
    for level, table in (v.get("levels") or {}).items():
        if level not in range(1, 6):
            problems.append(doc.diag(("levels", level), "remediation.bad_level", at_key=True))
            continue
        levels[level] = _table(doc, ("levels", level), table, problems)
    set_by = v.get("set_by", "")
    if not isinstance(set_by, str) or ("set_by" in v and not set_by.strip()):
        problems.append(doc.diag(("set_by",), "remediation.bad_set_by"))
    if problems:
        raise InputError(problems)
    return Sla(default, levels, str(path), set_by.strip() if isinstance(set_by, str) else "")


def overdue(items: Iterable[tuple[str, Any]], levels: Mapping[str, int | None], sla: Sla,
            today: dt.date) -> tuple[OverdueFinding, ...]:
    """``items``: (run id of the newest import of its scope, ImportedFindingRecord) of matched systems;
    ``levels``: system id -> its level (None: unknown). Overdue first by days over, then system."""
    out = []
    seen = set()
    for run_id, i in items:
        if not i.system_id or i.result not in ("fail", "partial") or (i.system_id, i.fingerprint) in seen:
            continue
        seen.add((i.system_id, i.fingerprint))
        level = levels.get(i.system_id)
        days = sla.days(i.severity, level)
        first = i.first_seen or i.last_seen
        if days is None or not first:
            continue
        start = dt.datetime.fromisoformat(first).date()
        due = start + dt.timedelta(days=days)
        if today > due:
            target = i.host if i.port is None else f"{i.host}:{i.port}/{i.protocol or 'tcp'}"
            out.append(OverdueFinding(i.system_id, i.tool, i.rule, i.title, i.severity, target, start, due,
                                      (today - due).days, run_id, level))
    out.sort(key=lambda o: (-o.days_over, o.system_id, o.tool, o.rule))
    return tuple(out)


def open_items_of_latest_imports(store: Any, until: dt.date | None = None) -> list[tuple[str, Any]]:
    """(run id, item) for every failing item of the newest import of each scope (made on or before ``until``)."""
    out = []
    for record in store.latest_imports(until):
        if until is not None and record.date.date() > until:
            continue
        out += [(record.run_id, i) for i in store.imported_findings(record.run_id)
                if i.system_id and i.result in ("fail", "partial")]
    return out
