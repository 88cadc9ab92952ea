"""The evidence register and assessments in the store: appended, never edited (schema 0003).

A register revision is identified by the digest of its file: storing the same file twice stores it once;
any change (a new entry, a corrected date) is a new revision with all its entries, and the old one stays.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Engine, func, insert, select

from secaudit.model import SourceRef
from secaudit.requirements.model import (
    Assessment, EntryKind, EntryStatus, Officer, Register, RegisterEntry,
)
from secaudit.store import schema
from secaudit.store.engine import write_connection
from secaudit.store.records import AssessmentRecord, RegisterRevision


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def save_register(engine: Engine, register: Register, stored_at: str | None = None) -> int:
    """The revision id of ``register`` (stored now unless a revision with its digest exists)."""
    r = schema.evidence_registers
    with write_connection(engine) as conn, conn.begin():
        existing = conn.execute(select(r.c.id).where(r.c.digest == register.digest)).scalar()
        if existing is not None:
            return int(existing)
        rid = conn.execute(insert(r).values(digest=register.digest, file=register.file, stored_at=stored_at or _now(),
                                            entries=len(register.entries))).inserted_primary_key[0]
        rows = [{
            "register_id": rid, "entry_id": e.id, "requirements": _dumps(list(e.requirements)),
            "systems": _dumps(list(e.systems)) if e.systems is not None else None, "kind": e.kind.value,
            "title": e.title, "officer_name": e.officer.name, "officer_position": e.officer.position,
            "date": e.date.isoformat(), "valid_until": e.valid_until.isoformat() if e.valid_until else None,
            "file": e.file, "sha256": e.sha256, "status": e.status.value, "reason": e.reason, "note": e.note,
        } for e in register.entries]
        for start in range(0, len(rows), 1000):
            conn.execute(insert(schema.evidence_entries), rows[start:start + 1000])
        return int(rid)


def register_revisions(engine: Engine) -> list[RegisterRevision]:
    r = schema.evidence_registers
    with engine.connect() as conn:
        rows = conn.execute(select(r).order_by(r.c.id)).mappings().all()
    return [RegisterRevision(row["id"], row["digest"], row["file"], row["stored_at"], row["entries"]) for row in rows]


def load_revision(engine: Engine, revision: int | None = None) -> Register | None:
    """A stored register revision; by default the one the newest assessment used (else the newest stored), or
    None when none is stored."""
    r, e, a = schema.evidence_registers, schema.evidence_entries, schema.assessments
    with engine.connect() as conn:
        rid = revision
        if rid is None:
            rid = conn.execute(select(a.c.register_id).where(a.c.register_id.is_not(None))
                               .order_by(a.c.id.desc()).limit(1)).scalar()
        if rid is None:
            rid = conn.execute(select(func.max(r.c.id))).scalar()
        head = conn.execute(select(r).where(r.c.id == rid)).mappings().first() if rid is not None else None
        if head is None:
            return None
        rows = conn.execute(select(e).where(e.c.register_id == rid).order_by(e.c.id)).mappings().all()
    entries = tuple(RegisterEntry(
        id=row["entry_id"], requirements=tuple(json.loads(row["requirements"])),
        systems=tuple(json.loads(row["systems"])) if row["systems"] is not None else None,
        kind=EntryKind(row["kind"]), title=row["title"], officer=Officer(row["officer_name"], row["officer_position"]),
        date=dt.date.fromisoformat(row["date"]), status=EntryStatus(row["status"]),
        valid_until=dt.date.fromisoformat(row["valid_until"]) if row["valid_until"] else None,
        file=row["file"], sha256=row["sha256"], reason=row["reason"], note=row["note"],
        source=SourceRef(head["file"], 0, 0)) for row in rows)
    return Register(entries, head["file"], head["digest"])


def save_assessment(engine: Engine, assessment: Assessment, register_id: int | None) -> int:
    """One row per system of ``assessment``; returns how many."""
    rows = [{
        "generated_at": assessment.generated_at.astimezone(dt.timezone.utc).isoformat(timespec="seconds"),
        "system_id": s.system_id, "level": s.level, "regime": s.regime, "catalogue": s.catalogue,
        "run_id": s.run_id, "register_id": register_id, "inventory_digest": assessment.inventory_digest,
        "met": s.overall["met"], "partially_met": s.overall["partially_met"], "not_met": s.overall["not_met"],
        "not_applicable": s.overall["not_applicable"], "not_assessed": s.overall["not_assessed"],
        "compliant": s.compliant, "results": _dumps({r.row.key: r.result.value for r in s.rows}),
    } for s in assessment.systems]
    with write_connection(engine) as conn, conn.begin():
        for start in range(0, len(rows), 1000):
            conn.execute(insert(schema.assessments), rows[start:start + 1000])
    return len(rows)


def latest_assessments(engine: Engine) -> dict[str, AssessmentRecord]:
    """Each system's newest stored assessment."""
    a = schema.assessments
    inner = select(a.c.system_id, func.max(a.c.id).label("last")).group_by(a.c.system_id).subquery()
    query = select(a).join(inner, a.c.id == inner.c.last).order_by(a.c.system_id)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return {row["system_id"]: AssessmentRecord(
        system_id=row["system_id"], generated_at=row["generated_at"], level=row["level"], regime=row["regime"],
        catalogue=row["catalogue"], run_id=row["run_id"], register_id=row["register_id"],
        counts={k: row[k] for k in ("met", "partially_met", "not_met", "not_applicable", "not_assessed")},
        compliant=bool(row["compliant"]), results=json.loads(row["results"])) for row in rows}
