"""The store's read and write API (stable: the documents helper and the CLI both use it).

    >>> from secaudit.store import open_store
    >>> with open_store() as store:                      # the default SQLite store, or open_store(url)
    ...     for run in store.runs(system="cong-dvc", since=dt.date(2026, 1, 1)):
    ...         print(run.id, run.started_at, run.systems_compliant, "/", run.systems_total)
    ...     latest = store.latest_per_system()            # system id -> SystemRecord of its newest run
    ...     failing = [f for f in store.findings(run.id) if f.verdict == "fail"]
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from sqlalchemy import Engine, and_, delete, func, select

from secaudit.errors import Diagnostic, InputError
from secaudit.model import Message, Results
from secaudit.store import evidence, schema, write
from secaudit.store import imports as stored_imports
from secaudit.store.engine import connect_engine, store_url, write_connection
from secaudit.store.records import CertificateRecord, FindingRecord, PortRecord, RunRecord, SystemRecord
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from secaudit.requirements.model import Assessment, Register
    from secaudit.store.records import AssessmentRecord, RegisterRevision


class Store:
    """A connection to one store. Open with :func:`open_store`; close (or use as a context manager)."""

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ---------------------------------------------------------------------------
    def save(self, results: Results, replace: bool = True, stored_at: str | None = None) -> bool:
        """Store one run's results in one transaction (see :func:`secaudit.store.write.save_results`)."""
        return write.save_results(self.engine, results, replace, stored_at)

    def delete_run(self, run_id: str) -> bool:
        with write_connection(self.engine) as conn, conn.begin():
            for table in (schema.run_systems, schema.findings, schema.ports, schema.port_scans, schema.certificates,
                          schema.imported_findings, schema.imports):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            return conn.execute(delete(schema.runs).where(schema.runs.c.id == run_id)).rowcount > 0

    # -- runs ------------------------------------------------------------------------------
    def runs(self, system: str | None = None, since: dt.date | None = None, until: dt.date | None = None,
             scope: str | None = None, limit: int | None = None, newest_first: bool = True) -> list[RunRecord]:
        """Stored runs, filtered by a system they evaluated, by start date (inclusive) and by scope."""
        r = schema.runs
        query = select(*_run_columns())
        if system is not None:
            query = query.where(r.c.id.in_(select(schema.run_systems.c.run_id)
                                           .where(schema.run_systems.c.system_id == system)))
        if since is not None:
            query = query.where(r.c.started_at >= since.isoformat())
        if until is not None:
            query = query.where(r.c.started_at < (until + dt.timedelta(days=1)).isoformat())
        if scope is not None:
            query = query.where(r.c.scope == scope)
        order = (r.c.started_at.desc(), r.c.id.desc()) if newest_first else (r.c.started_at, r.c.id)
        query = query.order_by(*order)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            ids = [row["id"] for row in rows]
            systems = _systems_of(conn, ids)
        return [_run_record(row, systems.get(row["id"], ())) for row in rows]

    def run(self, run_id: str) -> RunRecord:
        """One run; an unknown id is an :class:`InputError` naming the latest known runs."""
        with self.engine.connect() as conn:
            row = conn.execute(select(*_run_columns()).where(schema.runs.c.id == run_id)).mappings().first()
            if row is None:
                known = conn.execute(select(schema.runs.c.id).order_by(schema.runs.c.started_at.desc())
                                     .limit(5)).scalars().all()
                raise InputError([Diagnostic(self.display_url(), 0, 0, "store.no_such_run",
                                             {"run": run_id, "known": ", ".join(known) or "-"})])
            systems = _systems_of(conn, [run_id])
        return _run_record(row, systems.get(run_id, ()))

    def has_run(self, run_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(schema.runs.c.id).where(schema.runs.c.id == run_id)).first() is not None

    def previous_run(self, run: RunRecord) -> RunRecord | None:
        """The newest stored run of the same scope that started before ``run``."""
        r = schema.runs
        with self.engine.connect() as conn:
            row = conn.execute(select(*_run_columns()).where(
                r.c.scope == run.scope, r.c.id != run.id,
                (r.c.started_at < run.started_at) | and_(r.c.started_at == run.started_at, r.c.id < run.id))
                .order_by(r.c.started_at.desc(), r.c.id.desc()).limit(1)).mappings().first()
            if row is None:
                return None
            systems = _systems_of(conn, [row["id"]])
        return _run_record(row, systems.get(row["id"], ()))

    def results(self, run_id: str) -> Results:
        """The whole results document of a stored run (observations included), as the scan made it."""
        if self.run(run_id).kind != "scan":
            raise InputError([Diagnostic(self.display_url(), 0, 0, "store.import_not_results", {"run": run_id})])
        f = schema.findings
        with self.engine.connect() as conn:
            blob = conn.execute(select(schema.runs.c.document).where(schema.runs.c.id == run_id)).scalar_one()
            rows = conn.execute(select(f).where(f.c.run_id == run_id).order_by(f.c.id)).mappings().all()
        return write.decode_document(blob, [write.finding_from_row(row) for row in rows])

    # -- systems ---------------------------------------------------------------------------
    def systems(self, run_id: str) -> list[SystemRecord]:
        """Every system's verdict in one run."""
        return self._system_records(schema.run_systems.c.run_id == run_id)

    def system_history(self, system_id: str, limit: int | None = None,
                       until: dt.date | None = None, kind: str | None = None) -> list[SystemRecord]:
        """One system's verdicts over its runs, oldest first (the newest ``limit`` of them); ``kind``
        "scan" or "import" keeps only runs of that kind."""
        cond = schema.run_systems.c.system_id == system_id
        if kind is not None:
            cond = and_(cond, schema.runs.c.kind == kind)
        if until is not None:
            cond = and_(cond, schema.runs.c.started_at < (until + dt.timedelta(days=1)).isoformat())
        records = self._system_records(cond, newest_first=True, limit=limit)
        return list(reversed(records))

    def latest_per_system(self, until: dt.date | None = None, complete_only: bool = False) -> dict[str, SystemRecord]:
        """Each system's verdict in its newest stored scan (started on or before ``until``); imports of
        other tools' reports claim no level and are not verdicts."""
        rs, r = schema.run_systems, schema.runs
        inner = (select(rs.c.system_id, func.max(r.c.started_at).label("latest")).join(r, r.c.id == rs.c.run_id)
                 .where(r.c.kind == "scan"))
        if until is not None:
            inner = inner.where(r.c.started_at < (until + dt.timedelta(days=1)).isoformat())
        if complete_only:
            inner = inner.where(r.c.complete.is_(True))
        latest = inner.group_by(rs.c.system_id).subquery()
        cond = and_(rs.c.system_id == latest.c.system_id, r.c.started_at == latest.c.latest, r.c.kind == "scan")
        if complete_only:
            cond = and_(cond, r.c.complete.is_(True))
        out: dict[str, SystemRecord] = {}
        for rec in self._system_records(cond, extra_from=latest, newest_first=False):
            out[rec.system_id] = rec           # same start time twice: the later id wins (ordered by id)
        return out

    def _system_records(self, cond: Any, extra_from: Any = None, newest_first: bool = False,
                        limit: int | None = None) -> list[SystemRecord]:
        rs, r = schema.run_systems, schema.runs
        query = select(rs, r.c.started_at, r.c.regime).join(r, r.c.id == rs.c.run_id)
        if extra_from is not None:
            query = query.join(extra_from, extra_from.c.system_id == rs.c.system_id)
        query = query.where(cond)
        order = (r.c.started_at.desc(), r.c.id.desc()) if newest_first else (r.c.started_at, r.c.id, rs.c.system_id)
        query = query.order_by(*order)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_system_record(row) for row in conn.execute(query).mappings()]

    # -- findings, ports, certificates -----------------------------------------------------
    def findings(self, run_id: str, system: str | None = None) -> list[FindingRecord]:
        """Every finding of a run (of one system when given), in a stable order."""
        f = schema.findings
        query = select(f).where(f.c.run_id == run_id)
        if system is not None:
            query = query.where(f.c.system_id == system)
        query = query.order_by(f.c.system_id, f.c.control_id, f.c.target, f.c.id)
        with self.engine.connect() as conn:
            return [_finding_record(row) for row in conn.execute(query).mappings()]

    def verdicts(self, run_id: str) -> dict[tuple[str, str, str], tuple[str, str, int]]:
        """identity -> (verdict, severity, row id) of every finding of a run: the cheap read ``diff`` compares."""
        f = schema.findings
        with self.engine.connect() as conn:
            rows = conn.execute(select(f.c.system_id, f.c.control_id, f.c.target, f.c.verdict, f.c.severity, f.c.id)
                                .where(f.c.run_id == run_id)).all()
        return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}

    def findings_by_id(self, ids: Iterable[int]) -> dict[int, FindingRecord]:
        """Full findings for the given row ids (``diff`` reads messages only for what changed)."""
        f = schema.findings
        wanted = sorted(set(ids))
        out: dict[int, FindingRecord] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                for row in conn.execute(select(f).where(f.c.id.in_(wanted[start:start + 500]))).mappings():
                    out[row["id"]] = _finding_record(row)
        return out

    def open_ports(self, run_id: str) -> list[PortRecord]:
        p = schema.ports
        with self.engine.connect() as conn:
            rows = conn.execute(select(p).where(p.c.run_id == run_id)
                                .order_by(p.c.system_id, p.c.host, p.c.port)).mappings().all()
        return [PortRecord(**dict(row)) for row in rows]

    def port_scans(self, run_id: str) -> dict[tuple[str, str], frozenset[int]]:
        """(system id, host) -> the ports that run asked nmap about."""
        ps = schema.port_scans
        with self.engine.connect() as conn:
            rows = conn.execute(select(ps).where(ps.c.run_id == run_id)).mappings().all()
        return {(row["system_id"], row["host"]): frozenset(json.loads(row["requested"])) for row in rows}

    def certificates(self, run_id: str) -> list[CertificateRecord]:
        c = schema.certificates
        with self.engine.connect() as conn:
            rows = conn.execute(select(c).where(c.c.run_id == run_id)
                                .order_by(c.c.system_id, c.c.target)).mappings().all()
        return [CertificateRecord(**dict(row)) for row in rows]

    # -- evidence register and assessments (append-only) ---------------------------------
    def save_register(self, register: "Register") -> int:
        """Store a register revision (once per file digest); returns its revision id."""
        return evidence.save_register(self.engine, register)

    def register_revisions(self) -> list["RegisterRevision"]:
        return evidence.register_revisions(self.engine)

    def register(self, revision: int | None = None) -> "Register | None":
        """A stored register revision; by default the one the newest assessment used (None when none is stored)."""
        return evidence.load_revision(self.engine, revision)

    def save_assessment(self, assessment: "Assessment", register_id: int | None = None) -> int:
        return evidence.save_assessment(self.engine, assessment, register_id)

    def latest_assessments(self) -> dict[str, "AssessmentRecord"]:
        return evidence.latest_assessments(self.engine)

    # -- imports of other tools' reports (secaudit import) ----------------------------------
    def save_import(self, report: Any, matching: Any, inventory: Any, inventory_file: str,
                    stored_at: str | None = None) -> Any:
        """Store one import (see :func:`secaudit.store.imports.save_import`)."""
        return stored_imports.save_import(self.engine, report, matching, inventory, inventory_file, stored_at)

    def imports(self, tool: str | None = None) -> list[Any]:
        """Every stored import (:class:`~secaudit.store.records.ImportRecord`), oldest first."""
        return stored_imports.import_records(self.engine, tool)

    def import_of_file(self, sha256: str) -> Any:
        """The stored import (ImportRecord) of the file with this sha256, or None."""
        return stored_imports.import_of_file(self.engine, sha256)

    def latest_imports(self, until: dt.date | None = None) -> list[Any]:
        return stored_imports.latest_imports(self.engine, until)

    def imported_findings(self, run_id: str, system: str | None = None) -> list[Any]:
        return stored_imports.imported_findings(self.engine, run_id, system)

    def display_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)


def open_store(url: str | None = None, data_dir: str | None = None) -> Store:
    """Open (creating and migrating when needed) the store at ``url`` — a SQLAlchemy URL — or, without
    one, ``SECAUDIT_DB`` or the SQLite file in the data directory (``data_dir``, ``SECAUDIT_DATA_DIR``,
    ``~/.local/share/secaudit``)."""
    resolved = store_url(url, data_dir)
    return Store(connect_engine(resolved), resolved)


# ------------------------------------------------------------------------------- rows -> records


def _run_columns() -> Sequence[Any]:
    return [c for c in schema.runs.c if c.name != "document"]


def _systems_of(conn: Any, run_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    ids = list(run_ids)
    out: dict[str, list[str]] = {}
    rs = schema.run_systems
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for run_id, system_id in conn.execute(select(rs.c.run_id, rs.c.system_id).where(rs.c.run_id.in_(chunk))
                                              .order_by(rs.c.run_id, rs.c.system_id)):
            out.setdefault(run_id, []).append(system_id)
    return {k: tuple(v) for k, v in out.items()}


def _run_record(row: Any, systems: tuple[str, ...]) -> RunRecord:
    return RunRecord(
        id=row["id"], started_at=row["started_at"], finished_at=row["finished_at"], stored_at=row["stored_at"],
        scope=row["scope"], inventory_file=row["inventory_file"], inventory_digest=row["inventory_digest"],
        organisation=row["organisation"], regime=row["regime"], tool_version=row["tool_version"],
        complete=bool(row["complete"]), systems_total=row["systems_total"], systems_compliant=row["systems_compliant"],
        findings_failed=row["findings_failed"], policies=json.loads(row["policies"]),
        options=json.loads(row["options"]), system_ids=systems, kind=row["kind"])


def _system_record(row: Any) -> SystemRecord:
    return SystemRecord(
        run_id=row["run_id"], started_at=row["started_at"], regime=row["regime"], system_id=row["system_id"],
        name=row["name"], computed_level=row["computed_level"], declared_level=row["declared_level"],
        required_level=row["required_level"], achieved_level=row["achieved_level"], deciding=row["deciding"],
        policy_id=row["policy_id"], status=row["status"], compliance=row["compliance"],
        counts=json.loads(row["counts"]), failed_by_severity=json.loads(row["failed_by_severity"]))


def _finding_record(row: Any) -> FindingRecord:
    return FindingRecord(
        run_id=row["run_id"], system_id=row["system_id"], control_id=row["control_id"],
        control_ref=row["control_ref"], target=row["target"], verdict=row["verdict"], severity=row["severity"],
        message=Message(row["message_key"], json.loads(row["message_args"])),
        evidence=tuple((a, b) for a, b in json.loads(row["evidence"])),
        waiver=json.loads(row["waiver"]) if row["waiver"] else None)
