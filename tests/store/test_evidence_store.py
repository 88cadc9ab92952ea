"""The evidence register and assessments in the store: append-only revisions, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select

from secaudit.requirements.model import (
    Assessment, EntryKind, EntryStatus, Officer, Register, RegisterEntry, Result, RowResult, SystemAssessment, score,
)
from secaudit.requirements.catalogue import Means, Row
from secaudit.model import LocalText, SourceRef
from secaudit.store import schema

ENTRY = RegisterEntry("quy-che", ("policy.security-policy",), None, EntryKind.DOCUMENT, "Quy chế an ninh mạng",
                      Officer("Trần Thị Bình", "Trưởng phòng"), dt.date(2026, 6, 15), EntryStatus.IN_PLACE,
                      file="docs/quy-che.pdf", sha256="ab" * 32)
NA = RegisterEntry("no-web", ("network.tls",), ("qlvb",), EntryKind.ATTESTATION, "No web", Officer("An"),
                   dt.date(2026, 7, 1), EntryStatus.NOT_APPLICABLE, dt.date(2027, 6, 30), reason="internal only")


def _same(loaded: Register | None, saved: Register) -> bool:
    """Equal but for the entries' positions (the store keeps the file, not lines)."""
    assert loaded is not None
    return loaded == dataclasses.replace(saved, entries=tuple(
        dataclasses.replace(e, source=SourceRef(saved.file, 0, 0)) for e in saved.entries))


def _count(store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_register_revisions_are_appended_never_edited(store):
    first = Register((ENTRY, NA), "evidence.yaml", "sha256:" + "1" * 64)
    rid = store.save_register(first)
    assert store.save_register(first) == rid                        # the same file again: no new revision
    assert _same(store.register(), first)
    revised = Register((dataclasses.replace(ENTRY, date=dt.date(2026, 11, 1)),), "evidence.yaml", "sha256:" + "2" * 64)
    rid2 = store.save_register(revised)
    assert rid2 != rid
    assert _same(store.register(), revised) and _same(store.register(rid), first)     # the old revision is still there
    assert [(r.id, r.entries) for r in store.register_revisions()] == [(rid, 2), (rid2, 1)]
    assert _count(store, schema.evidence_entries) == 3


def test_assessments_are_stored_per_system(store):
    row = Row("policy.security-policy", "policy", "management", 3, "5.1.1.1", LocalText("p", "p"), {},
              (Means("attest"),))
    rows = (RowResult(row, Result.MET),)
    s = SystemAssessment("qlvb", "QLVB", 3, "decree-331-2026", "tcvn-14423-2026", "TCVN 14423:2026", rows, (),
                         score([Result.MET]), "run-1")
    when = dt.datetime(2026, 12, 7, 9, tzinfo=dt.timezone.utc)
    rid = store.save_register(Register((ENTRY,), "e.yaml", "sha256:" + "3" * 64))
    assert store.save_assessment(Assessment((s,), when, inventory_digest="sha256:x"), rid) == 1
    later = dataclasses.replace(s, rows=(RowResult(row, Result.NOT_ASSESSED),), overall=score([Result.NOT_ASSESSED]))
    store.save_assessment(Assessment((later,), when + dt.timedelta(days=1)), None)
    assert store.register().digest == "sha256:" + "3" * 64          # the revision the newest assessment used
    rec = store.latest_assessments()["qlvb"]
    assert rec.counts["not_assessed"] == 1 and rec.results == {"policy.security-policy": "not_assessed"}
    assert not rec.compliant and rec.register_id is None and rec.run_id == "run-1"
    assert _count(store, schema.assessments) == 2
