"""A run's results turned into the store's rows (pure), and written in one transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import zlib
from collections import defaultdict
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Engine, delete, insert, select

from secaudit.model import Evidence, Finding, Message, Observation, Results, Severity, Verdict, Waiver
from secaudit.serialize import from_jsonable, results_chunks, results_from_dict, to_jsonable
from secaudit.store import schema
from secaudit.store.engine import write_connection
from secaudit.store.records import base_control_id, scope_key
from secaudit.tally import compliance_ratio, count_failed_by_severity, count_verdicts, system_status


def utc_iso(value: str | dt.datetime | None) -> str:
    """A timestamp as ISO 8601 UTC with seconds (``2026-11-23T10:15:00+00:00``), sortable as text."""
    if value is None or value == "":
        value = dt.datetime.now(dt.timezone.utc)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def encode_document(results: Results) -> bytes:
    """The run without its findings (those are rows: encoded once), as compressed JSON.

    Encoded one observation at a time, as the JSON report is (the whole run as one nested dict
    would cost about ten times its JSON size: the peak of a 1,000-endpoint scan)."""
    packer = zlib.compressobj(6)
    parts = [packer.compress(chunk.encode("utf-8"))
             for chunk in results_chunks(dataclasses.replace(results, findings=()))]
    return b"".join(parts) + packer.flush()


def decode_document(blob: bytes, findings: Sequence[Finding] = ()) -> Results:
    """The stored run; ``findings`` (from the rows) fill in a document stored without them."""
    results = results_from_dict(json.loads(zlib.decompress(blob)))
    return results if results.findings else dataclasses.replace(results, findings=tuple(findings))


def finding_from_row(row: Mapping[str, Any]) -> Finding:
    return Finding(
        control_id=row["control_ref"], system_id=row["system_id"], target=row["target"],
        verdict=Verdict(row["verdict"]), severity=Severity(row["severity"]),
        message=Message(row["message_key"], json.loads(row["message_args"])),
        evidence=tuple(Evidence(label, value) for label, value in json.loads(row["evidence"])),
        warnings=tuple(Message(w["key"], w.get("args", {})) for w in json.loads(row["warnings"])),
        references=tuple(json.loads(row["refs"])),
        waiver=from_jsonable(Waiver, json.loads(row["waiver"])) if row["waiver"] else None)


def _system_rows(results: Results, run_id: str) -> list[dict[str, Any]]:
    by_system: dict[str, list[Any]] = defaultdict(list)
    for f in results.findings:
        by_system[f.system_id].append(f)
    rows = []
    for s in results.systems:
        counts = count_verdicts(by_system.get(s.system_id, ()))
        rows.append({
            "run_id": run_id, "system_id": s.system_id, "name": s.name, "computed_level": s.computed_level,
            "declared_level": s.declared_level, "required_level": s.required_level,
            "achieved_level": s.achieved_level, "deciding": s.deciding, "policy_id": s.policy_id,
            "status": system_status(s, counts), "compliance": compliance_ratio(counts), "counts": _dumps(counts),
            "failed_by_severity": _dumps(count_failed_by_severity(by_system.get(s.system_id, ()))),
        })
    return rows


def _finding_rows(results: Results, run_id: str) -> list[dict[str, Any]]:
    return [{
        "run_id": run_id, "system_id": f.system_id, "control_id": base_control_id(f.control_id),
        "control_ref": f.control_id, "target": f.target, "verdict": str(f.verdict), "severity": str(f.severity),
        "message_key": f.message.key,
        "message_args": _dumps(to_jsonable(dict(f.message.args))) if f.message.args else "{}",
        "evidence": _dumps([[e.label, e.value] for e in f.evidence]) if f.evidence else "[]",
        "waiver": _dumps(to_jsonable(f.waiver)) if f.waiver is not None else None,
        "warnings": _dumps(to_jsonable(f.warnings)) if f.warnings else "[]",
        "refs": _dumps(list(f.references)) if f.references else "[]",
    } for f in results.findings]


def _systems_by(results: Results) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """host -> system ids, and host:port -> system ids, from the inventory of the evaluated systems."""
    evaluated = {s.system_id for s in results.systems}
    hosts: dict[str, list[str]] = defaultdict(list)
    addresses: dict[str, list[str]] = defaultdict(list)
    for system in results.inventory.systems:
        if system.id not in evaluated:
            continue
        for e in system.endpoints:
            if system.id not in hosts[e.host]:
                hosts[e.host].append(system.id)
            if system.id not in addresses[e.address]:
                addresses[e.address].append(system.id)
    return hosts, addresses


def _port_rows(results: Results, run_id: str, hosts: Mapping[str, list[str]]) -> tuple[list[dict], list[dict]]:
    open_rows, scan_rows = [], []
    for obs in _ok(results.observations, "ports"):
        scan = obs.facts
        for system_id in hosts.get(scan.host, ()):
            scan_rows.append({"run_id": run_id, "system_id": system_id, "host": scan.host,
                              "requested": _dumps(sorted(scan.requested_ports))})
            for p in scan.ports:
                if str(p.state) == "open":
                    open_rows.append({"run_id": run_id, "system_id": system_id, "host": scan.host, "port": p.port,
                                      "protocol": p.protocol, "service": p.service.describe() if p.service else ""})
    return open_rows, scan_rows


def _cert_rows(results: Results, run_id: str, addresses: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for obs in _ok(results.observations, "tls"):
        deployments = getattr(getattr(obs.facts, "certificate", None), "deployments", ())
        if not deployments or not deployments[0].chain:
            continue
        leaf = deployments[0].chain[0]
        key = " ".join(str(x) for x in (leaf.key_type, leaf.key_size or "", leaf.key_curve or "") if x)
        for system_id in addresses.get(obs.target, ()):
            rows.append({"run_id": run_id, "system_id": system_id, "target": obs.target, "sha256": leaf.sha256,
                         "subject": leaf.subject, "issuer": leaf.issuer, "not_after": leaf.not_after, "key": key,
                         "signature_algorithm": leaf.signature_algorithm})
    return rows


def _ok(observations: Iterable[Observation], kind: str) -> Iterable[Observation]:
    return (o for o in observations if o.kind == kind and str(o.status) == "ok" and o.facts is not None)


def run_row(results: Results, stored_at: str | None = None, systems: Iterable[str] = (),
            rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    run = results.run
    failed = sum(1 for f in results.findings if f.verdict == Verdict.FAIL)
    rows = rows if rows is not None else _system_rows(results, run.id)
    return {
        "id": run.id, "started_at": utc_iso(run.started_at or run.finished_at), "finished_at": utc_iso(run.finished_at),
        "stored_at": utc_iso(stored_at), "scope": scope_key(results), "inventory_file": run.inventory_file,
        "inventory_digest": run.inventory_digest, "organisation": results.inventory.organisation.name,
        "regime": run.regime, "tool_version": run.tool_version, "policies": _dumps(dict(run.policies)),
        "options": _dumps({"only": list(run.only), "profiles": list(run.profiles), "level": run.level,
                           "fail_on": run.fail_on, "systems": list(systems)}),
        "complete": bool(run.complete), "systems_total": len(rows),
        "systems_compliant": sum(1 for r in rows if r["status"] == "compliant"), "findings_failed": failed,
        "document": encode_document(results),
    }


def save_results(engine: Engine, results: Results, replace: bool = True, stored_at: str | None = None) -> bool:
    """Write one run in one transaction: all of its rows or none. Returns False when it was
    already stored and ``replace`` is False; with ``replace`` a run stored again (an interrupted
    run completed by ``--resume``, ``secaudit store RUN_ID``) replaces its earlier rows."""
    run_id = results.run.id
    hosts, addresses = _systems_by(results)
    open_rows, scan_rows = _port_rows(results, run_id, hosts)
    system_rows = _system_rows(results, run_id)
    children = [(schema.run_systems, system_rows), (schema.findings, _finding_rows(results, run_id)),
                (schema.ports, open_rows), (schema.port_scans, scan_rows),
                (schema.certificates, _cert_rows(results, run_id, addresses))]
    row = run_row(results, stored_at, rows=system_rows)
    with write_connection(engine) as conn, conn.begin():
        exists = conn.execute(select(schema.runs.c.id).where(schema.runs.c.id == run_id)).first() is not None
        if exists and not replace:
            return False
        if exists:
            for table, _ in children:
                conn.execute(delete(table).where(table.c.run_id == run_id))
            conn.execute(delete(schema.runs).where(schema.runs.c.id == run_id))
        conn.execute(insert(schema.runs), [row])
        for table, rows in children:
            _insert_rows(conn, table, rows)
    return True


_ROWS_PER_INSERT = 2000


def _insert_rows(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert child rows in the run's transaction: executemany on SQLite, COPY on PostgreSQL (psycopg
    would otherwise send one INSERT per row: 2 s of round trips for a 1,000-endpoint run)."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        for start in range(0, len(rows), _ROWS_PER_INSERT):   # bounded: the driver's parameters per batch
            conn.execute(insert(table), rows[start:start + _ROWS_PER_INSERT])
        return
    columns = list(rows[0])
    raw = conn.connection.driver_connection          # psycopg, inside the same transaction
    names = ", ".join(f'"{c}"' for c in columns)
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for r in rows:
            copy.write_row(tuple(r[c] for c in columns))
