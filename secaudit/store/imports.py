"""Imports stored as runs of their own kind (pure rows, then one transaction).

An import is a row in ``runs`` (``kind = "import"``, scope = tool + inventory file name, dates from the
file) with its ``imports`` row (tool, version, file sha256 and size, hosts covered and unmatched) and
every item in ``imported_findings``. Items of matched systems are also ``findings`` rows, control
``<tool>:<rule>`` and target ``host:port/proto``, so ``diff`` and ``trend`` read them like a scan's;
each covered system has a ``run_systems`` row of status ``imported`` (no level is claimed).

- Re-importing a file (same sha256) adds nothing (the unique ``file_sha256`` also settles two imports
  of the same file at once).
- A finding of the previous import of the same scope that the new file no longer has, on a host the new
  file covered, is written as a ``pass`` row: ``diff`` shows it fixed. On a host the new file does not
  cover it gets no row: ``diff`` shows it unverified, never fixed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from secaudit.importers.common import host_key
from secaudit.importers.match import Matching
from secaudit.importers.model import ImportedFinding, ImportedReport
from secaudit.model import Inventory
from secaudit.store import schema
from secaudit.store.engine import write_connection
from secaudit.store.records import ImportedFindingRecord, ImportRecord
from secaudit.store.write import _insert_rows, utc_iso

KIND = "import"
_VERDICT = {"fail": "fail", "partial": "fail", "pass": "pass", "not_applicable": "not_applicable", "error": "error"}


@dataclass(frozen=True)
class Stored:
    run_id: str
    stored: bool                          # False: this file was already imported (as run_id)
    fixed: int = 0                        # findings of the previous import marked fixed
    previous: str | None = None           # the previous import of the same scope


def control_id(tool: str, rule: str) -> str:
    return f"{tool}:{rule}"


def import_scope(tool: str, inventory_file: str) -> str:
    name = inventory_file.replace("\\", "/").rsplit("/", 1)[-1]
    return hashlib.sha256(json.dumps({"kind": KIND, "tool": tool, "inventory": name}, sort_keys=True)
                          .encode()).hexdigest()


def run_id_of(report: ImportedReport, stored_at: str) -> str:
    when = dt.datetime.fromisoformat(utc_iso(report.finished or report.started or stored_at))
    return f"{when:%Y%m%dT%H%M%SZ}-{report.tool[:20]}-{report.sha256[:12]}"


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode     # one encoder, not one per call
BATCH = 5000                                                                     # rows built and inserted at once


def _iso(value: dt.datetime | None) -> str | None:
    return utc_iso(value) if value is not None else None


def _covered(report: ImportedReport) -> set[str]:
    names = {host_key(h) for h in report.hosts} | {host_key(f.host) for f in report.findings}
    for host, aliases in report.aliases.items():
        names.update(host_key(a) for a in aliases)
    return names


def _target_host(target: str) -> str:
    """The host of a finding target ``host``, ``host:port/proto`` or ``[v6]:port/proto``."""
    if target.startswith("["):
        return target[1:].split("]", 1)[0]
    return target.rsplit(":", 1)[0] if ":" in target and "/" in target else target


def _finding_row(run_id: str, system_id: str, f: ImportedFinding) -> dict[str, Any]:
    evidence = [["rule", f.rule], ["tool severity", f.tool_severity]]
    evidence += [["CVE", ", ".join(f.cves)]] if f.cves else []
    evidence += [["CWE", f.cwe]] if f.cwe else []
    evidence += [["solution", f.solution]] if f.solution else []
    evidence += [["evidence", f.evidence]] if f.evidence and f.evidence != f.title else []
    return {"run_id": run_id, "system_id": system_id, "control_id": control_id(f.tool, f.rule),
            "control_ref": control_id(f.tool, f.rule), "target": f.target, "verdict": _VERDICT[f.result],
            "severity": f.severity, "message_key": "import.finding",
            "message_args": _dumps({"tool": f.tool, "title": f.title}), "evidence": _dumps(evidence),
            "waiver": None, "warnings": "[]", "refs": "[]"}


def _item_row(run_id: str, system_id: str | None, f: ImportedFinding, first_seen: str | None) -> dict[str, Any]:
    return {"run_id": run_id, "fingerprint": f.fingerprint, "system_id": system_id, "tool": f.tool,
            "rule_id": f.rule, "title": f.title, "severity": f.severity, "tool_severity": f.tool_severity,
            "result": f.result, "host": f.host, "port": f.port, "protocol": f.protocol, "cves": _dumps(list(f.cves)) if f.cves else "[]",
            "cwe": f.cwe, "solution": f.solution, "evidence": f.evidence,
            "first_seen": first_seen or _iso(f.first_seen), "last_seen": _iso(f.last_seen)}


def deduplicated(report: ImportedReport, matching: Matching) -> list[tuple[ImportedFinding, tuple[str, ...]]]:
    """One item per fingerprint (a tool may repeat one): the first, worst result kept."""
    rank = {"fail": 5, "partial": 4, "error": 3, "pass": 2, "not_applicable": 1, "info": 0}
    out: dict[str, tuple[ImportedFinding, tuple[str, ...]]] = {}
    for f, systems in zip(report.findings, matching.by_finding):
        old = out.get(f.fingerprint)
        if old is None or rank.get(f.result, 0) > rank.get(old[0].result, 0):
            out[f.fingerprint] = (f, systems)
    return list(out.values())


def save_import(engine: Engine, report: ImportedReport, matching: Matching, inventory: Inventory,
                inventory_file: str, stored_at: str | None = None) -> Stored:
    """Store one import in one transaction; nothing when the same file (sha256) is already stored."""
    try:
        return _save(engine, report, matching, inventory, inventory_file, stored_at)
    except IntegrityError:                   # the same file stored by another process meanwhile: theirs stands
        return Stored(run_id_of(report, utc_iso(stored_at)), False)


def _save(engine: Engine, report: ImportedReport, matching: Matching, inventory: Inventory,
          inventory_file: str, stored_at: str | None) -> Stored:
    stored_at = utc_iso(stored_at)
    run_id = run_id_of(report, stored_at)
    scope = import_scope(report.tool, inventory_file)
    started = _iso(report.started or report.finished) or stored_at
    finished = _iso(report.finished or report.started) or stored_at
    items = deduplicated(report, matching)
    names = {s.id: s.name for s in inventory.systems}
    with write_connection(engine) as conn, conn.begin():
        existing = conn.execute(select(schema.imports.c.run_id)
                                .where(schema.imports.c.file_sha256 == report.sha256)).scalar()
        if existing is not None:
            return Stored(existing, False)
        previous = _previous(conn, scope, started, run_id)
        first_seen = _first_seen(conn, previous) if previous else {}
        identities: set[tuple[str, str, str]] = set()
        verdicts: list[tuple[str, str, str]] = []               # (system, verdict, severity) of each finding row
        for f, systems in items:
            for sid in systems:
                if f.result in _VERDICT:
                    identities.add((sid, control_id(f.tool, f.rule), f.target))
                    verdicts.append((sid, _VERDICT[f.result], f.severity))
        fixed = _fixed_rows(conn, previous, run_id, identities, _covered(report)) if previous else []
        verdicts += [(r["system_id"], r["verdict"], r["severity"]) for r in fixed]
        system_rows = _system_rows(run_id, matching.systems, names, verdicts)
        failed = sum(1 for v in verdicts if v[1] == "fail")
        summary = {"schema": "secaudit/import/v1", "tool": report.tool, "version": report.tool_version,
                   "file": report.file, "sha256": report.sha256, "items": len(report.findings)}
        run = {"id": run_id, "started_at": started, "finished_at": finished, "stored_at": stored_at, "scope": scope,
               "inventory_file": inventory_file, "inventory_digest": inventory.digest,
               "organisation": inventory.organisation.name, "regime": "",
               "tool_version": f"{report.tool} {report.tool_version}".strip()[:40], "policies": "{}",
               "options": _dumps({"kind": KIND, "tool": report.tool, "file": report.file, "sha256": report.sha256}),
               "complete": True, "systems_total": len(system_rows), "systems_compliant": 0,
               "findings_failed": failed, "document": zlib.compress(_dumps(summary).encode("utf-8"), 6),
               "kind": KIND}
        imp = {"run_id": run_id, "tool": report.tool, "tool_version": report.tool_version[:40],
               "category": report.category, "file_name": report.file, "file_sha256": report.sha256,
               "file_size": report.size, "scan_started": _iso(report.started), "scan_finished": _iso(report.finished),
               "hosts": _dumps(list(report.hosts)), "unmatched_hosts": _dumps(list(matching.unmatched_hosts)),
               "items": len(report.findings)}
        conn.execute(insert(schema.runs), [run])
        conn.execute(insert(schema.imports), [imp])
        _insert_rows(conn, schema.run_systems, system_rows)
        _insert_rows(conn, schema.findings, fixed)
        finding_rows: list[dict[str, Any]] = []
        item_rows: list[dict[str, Any]] = []
        for f, systems in items:                                  # built and written in batches: memory stays flat
            for sid in systems or (None,):
                item_rows.append(_item_row(run_id, sid, f, first_seen.get((f.fingerprint, sid))))
                if sid is not None and f.result in _VERDICT:
                    finding_rows.append(_finding_row(run_id, sid, f))
            if len(item_rows) >= BATCH:
                _bulk(conn, schema.findings, finding_rows)
                _bulk(conn, schema.imported_findings, item_rows)
                finding_rows, item_rows = [], []
        _bulk(conn, schema.findings, finding_rows)
        _bulk(conn, schema.imported_findings, item_rows)
    return Stored(run_id, True, len(fixed), previous)


def _bulk(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows through the driver (SQLite executemany of plain tuples; PostgreSQL COPY)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _insert_rows(conn, table, rows)
        return
    columns = list(rows[0])
    sql = f'INSERT INTO "{table.name}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) ' \
          f'VALUES ({", ".join("?" for _ in columns)})'
    conn.exec_driver_sql(sql, [tuple(r[c] for c in columns) for r in rows])


def _previous(conn: Any, scope: str, started: str, run_id: str) -> str | None:
    r = schema.runs
    return conn.execute(select(r.c.id).where(r.c.scope == scope, r.c.kind == KIND, r.c.id != run_id,
                                             r.c.started_at <= started)
                        .order_by(r.c.started_at.desc(), r.c.id.desc()).limit(1)).scalar()


def _first_seen(conn: Any, previous: str) -> dict[tuple[str, str | None], str]:
    i = schema.imported_findings
    rows = conn.execute(select(i.c.fingerprint, i.c.system_id, i.c.first_seen).where(i.c.run_id == previous)).all()
    return {(fp, sid): seen for fp, sid, seen in rows if seen}


def _fixed_rows(conn: Any, previous: str, run_id: str, now: set[tuple[str, str, str]],
                covered: set[str]) -> list[dict[str, Any]]:
    f = schema.findings
    out = []
    for old in conn.execute(select(f).where(f.c.run_id == previous, f.c.verdict == "fail")).mappings():
        identity = (old["system_id"], old["control_id"], old["target"])
        if identity in now or host_key(_target_host(old["target"])) not in covered:
            continue
        row = {k: old[k] for k in ("system_id", "control_id", "control_ref", "target", "severity", "message_args",
                                   "evidence", "warnings", "refs")}
        out.append(dict(row, run_id=run_id, verdict="pass", message_key="import.fixed", waiver=None))
    return out


def _system_rows(run_id: str, systems: Iterable[str], names: Mapping[str, str],
                 verdicts: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    counts: dict[str, Counter] = {sid: Counter() for sid in systems}
    failed: dict[str, Counter] = {sid: Counter() for sid in systems}
    for sid, verdict, severity in verdicts:
        if sid in counts:
            counts[sid][verdict] += 1
            if verdict == "fail":
                failed[sid][severity] += 1
    return [{"run_id": run_id, "system_id": sid, "name": names.get(sid, sid), "computed_level": None,
             "declared_level": None, "required_level": None, "achieved_level": None, "deciding": "",
             "policy_id": None, "status": "imported", "compliance": None, "counts": _dumps(dict(counts[sid])),
             "failed_by_severity": _dumps(dict(failed[sid]))} for sid in counts]


# ------------------------------------------------------------------------------- reading


def import_records(engine: Engine, tool: str | None = None, run_ids: Iterable[str] | None = None) -> list[ImportRecord]:
    """Stored imports, oldest first (of one tool, or of the given runs)."""
    i, r, rs = schema.imports, schema.runs, schema.run_systems
    query = select(i, r.c.stored_at, r.c.inventory_file).join(r, r.c.id == i.c.run_id)
    if tool is not None:
        query = query.where(i.c.tool == tool)
    if run_ids is not None:
        query = query.where(i.c.run_id.in_(list(run_ids)))
    query = query.order_by(r.c.started_at, r.c.id)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
        systems: dict[str, list[str]] = {}
        ids = [row["run_id"] for row in rows]
        for start in range(0, len(ids), 500):
            for run_id, sid in conn.execute(select(rs.c.run_id, rs.c.system_id)
                                            .where(rs.c.run_id.in_(ids[start:start + 500]))
                                            .order_by(rs.c.run_id, rs.c.system_id)):
                systems.setdefault(run_id, []).append(sid)
    return [ImportRecord(
        run_id=row["run_id"], tool=row["tool"], tool_version=row["tool_version"], category=row["category"],
        file_name=row["file_name"], file_sha256=row["file_sha256"], file_size=row["file_size"],
        scan_started=row["scan_started"], scan_finished=row["scan_finished"], stored_at=row["stored_at"],
        inventory_file=row["inventory_file"], hosts=tuple(json.loads(row["hosts"])),
        unmatched_hosts=tuple(json.loads(row["unmatched_hosts"])), systems=tuple(systems.get(row["run_id"], ())),
        items=row["items"]) for row in rows]


def imported_findings(engine: Engine, run_id: str, system: str | None = None) -> list[ImportedFindingRecord]:
    i = schema.imported_findings
    query = select(i).where(i.c.run_id == run_id)
    if system is not None:
        query = query.where(i.c.system_id == system)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(i.c.id)).mappings().all()
    return [ImportedFindingRecord(
        run_id=row["run_id"], fingerprint=row["fingerprint"], system_id=row["system_id"], tool=row["tool"],
        rule=row["rule_id"], title=row["title"], severity=row["severity"], tool_severity=row["tool_severity"],
        result=row["result"], host=row["host"], port=row["port"], protocol=row["protocol"],
        cves=tuple(json.loads(row["cves"])), cwe=row["cwe"], solution=row["solution"], evidence=row["evidence"],
        first_seen=row["first_seen"], last_seen=row["last_seen"]) for row in rows]


def open_findings(engine: Engine, run_ids: Iterable[str]) -> list[ImportedFindingRecord]:
    """The failing items (fail or partial) of matched systems in the given imports."""
    out = []
    for run_id in run_ids:
        out.extend(f for f in imported_findings(engine, run_id) if f.system_id and f.result in ("fail", "partial"))
    return out


def import_of_file(engine: Engine, sha256: str) -> ImportRecord | None:
    """The stored import of the file with this sha256, if any."""
    with engine.connect() as conn:
        run_id = conn.execute(select(schema.imports.c.run_id).where(schema.imports.c.file_sha256 == sha256)).scalar()
    return import_records(engine, run_ids=[run_id])[0] if run_id else None


def latest_imports(engine: Engine, until: dt.date | None = None) -> list[ImportRecord]:
    """The newest import of each scope (tool + inventory file): what each tool says now, or, with ``until``,
    said on that day (an import of a later scan does not hide the one before it)."""
    r = schema.runs
    query = select(r.c.id, r.c.scope).where(r.c.kind == KIND)
    if until is not None:
        next_day = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
        query = query.where(r.c.started_at < utc_iso(next_day))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(r.c.started_at, r.c.id)).all()
    newest = {scope: run_id for run_id, scope in rows}
    return import_records(engine, run_ids=newest.values()) if newest else []


__all__ = ["KIND", "Stored", "import_records", "imported_findings", "latest_imports", "open_findings",
           "save_import"]
