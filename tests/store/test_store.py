"""The store's read and write API, the same suite on SQLite and on PostgreSQL (see conftest)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from secaudit.errors import InputError
from secaudit.model import Message, Verdict
from secaudit.store import open_store, schema
from secaudit.store.engine import current_version
from secaudit.store.schema import SCHEMA_VERSION
from tests.report.conftest import make_results


def dated(results, run_id: str, started: str):
    """The canned run under another id and start time (tests choose the dates)."""
    run = dataclasses.replace(results.run, id=run_id, started_at=started, finished_at=started)
    return dataclasses.replace(results, run=run)


def count(store, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_a_new_store_is_migrated_to_the_current_schema(store):
    with store.engine.connect() as conn:
        assert current_version(conn) == SCHEMA_VERSION


def test_opening_twice_keeps_the_runs(db_url):
    with open_store(db_url) as s:
        s.save(make_results())
    with open_store(db_url) as s:
        assert [r.id for r in s.runs()] == [make_results().run.id]


def test_a_saved_run_reads_back_with_systems_findings_and_document(store):
    results = make_results()
    assert store.save(results) is True
    run = store.run(results.run.id)
    assert run.started_at == "2026-11-23T10:00:00+00:00"
    assert run.system_ids == ("hr", "lab", "mail", "portal")
    assert (run.systems_total, run.systems_compliant) == (4, 1)
    assert run.findings_failed == sum(1 for f in results.findings if f.verdict == Verdict.FAIL)
    assert run.regime == "decree-331-2026" and run.inventory_digest == results.inventory.digest
    systems = {s.system_id: s for s in store.systems(results.run.id)}
    assert systems["portal"].required_level == 3 and systems["portal"].achieved_level == 0
    assert systems["portal"].status == "non_compliant" and systems["mail"].compliant
    findings = store.findings(results.run.id)
    assert len(findings) == len(results.findings)
    assert {f.identity for f in findings} == {(f.system_id, f.control_id.split("@")[0], f.target)
                                               for f in results.findings}
    assert all(isinstance(f.message, Message) for f in findings)
    assert store.results(results.run.id) == results          # the whole document round-trips


def test_storing_again_replaces_the_run_and_can_be_refused(store):
    results = make_results()
    store.save(results)
    assert store.save(results, replace=False) is False
    assert store.save(results) is True
    assert len(store.runs()) == 1
    assert count(store, schema.findings) == len(results.findings)


def test_runs_filter_by_system_and_date_newest_first(store):
    base = make_results()
    store.save(dated(base, "r1", "2026-01-10T08:00:00+00:00"))
    store.save(dated(base, "r2", "2026-06-10T08:00:00+00:00"))
    only_mail = dataclasses.replace(base, systems=tuple(s for s in base.systems if s.system_id == "mail"))
    store.save(dated(only_mail, "r3", "2026-09-10T08:00:00+00:00"))
    assert [r.id for r in store.runs()] == ["r3", "r2", "r1"]
    assert [r.id for r in store.runs(system="portal")] == ["r2", "r1"]
    assert [r.id for r in store.runs(since=dt.date(2026, 6, 10))] == ["r3", "r2"]
    assert [r.id for r in store.runs(until=dt.date(2026, 6, 10))] == ["r2", "r1"]
    assert [r.id for r in store.runs(newest_first=False, limit=2)] == ["r1", "r2"]


def test_previous_run_is_the_latest_earlier_run_of_the_same_scope(store):
    base = make_results()
    store.save(dated(base, "r1", "2026-01-10T08:00:00+00:00"))
    store.save(dated(base, "r2", "2026-06-10T08:00:00+00:00"))
    other = dataclasses.replace(base, run=dataclasses.replace(base.run, only=("tls",)))
    store.save(dated(other, "r-tls", "2026-07-10T08:00:00+00:00"))
    store.save(dated(base, "r3", "2026-09-10T08:00:00+00:00"))
    assert store.previous_run(store.run("r3")).id == "r2"
    assert store.previous_run(store.run("r2")).id == "r1"
    assert store.previous_run(store.run("r1")) is None
    assert store.previous_run(store.run("r-tls")) is None       # --only tls is another scope


def test_latest_per_system_and_history(store):
    base = make_results()
    store.save(dated(base, "r1", "2026-01-10T08:00:00+00:00"))
    only_mail = dataclasses.replace(base, systems=tuple(s for s in base.systems if s.system_id == "mail"))
    store.save(dated(only_mail, "r2", "2026-06-10T08:00:00+00:00"))
    latest = store.latest_per_system()
    assert latest["mail"].run_id == "r2" and latest["portal"].run_id == "r1"
    assert latest["portal"].date == dt.date(2026, 1, 10)
    assert store.latest_per_system(until=dt.date(2026, 5, 1))["mail"].run_id == "r1"
    assert [s.run_id for s in store.system_history("mail")] == ["r1", "r2"]
    assert [s.run_id for s in store.system_history("mail", limit=1)] == ["r2"]


def test_an_unknown_run_is_an_input_error_naming_known_runs(store):
    store.save(make_results())
    with pytest.raises(InputError) as e:
        store.run("nope")
    assert e.value.diagnostics[0].key == "store.no_such_run"
    assert make_results().run.id in e.value.diagnostics[0].args["known"]


def test_a_failure_while_writing_leaves_no_part_of_the_run(store, monkeypatch):
    import secaudit.store.write as write

    store.save(dated(make_results(), "before", "2026-01-01T00:00:00+00:00"))
    real = write._finding_rows

    def broken(results, run_id):
        rows = real(results, run_id)
        rows[-1] = {**rows[-1], "verdict": None}               # NOT NULL: the insert fails after others succeeded
        return rows

    monkeypatch.setattr(write, "_finding_rows", broken)
    with pytest.raises(Exception):
        store.save(make_results())
    assert [r.id for r in store.runs()] == ["before"]
    for table in (schema.run_systems, schema.findings):
        with store.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(table)
                                .where(table.c.run_id == make_results().run.id)).scalar_one() == 0


def test_delete_run_removes_its_rows(store):
    store.save(make_results())
    assert store.delete_run(make_results().run.id) is True
    assert store.runs() == [] and count(store, schema.findings) == 0


def test_the_migrations_create_exactly_the_schema_the_code_uses(store):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert diff == []


def test_a_store_of_the_first_schema_is_upgraded_and_keeps_its_runs(db_url):
    """Versioned migrations: a store made by schema 0001 (findings in the document) opens under the current schema."""
    import zlib
    import json as _json

    from alembic import command
    from alembic.config import Config
    from sqlalchemy import insert

    from secaudit.serialize import results_to_dict
    from secaudit.store.engine import make_engine, write_connection
    from secaudit.store.write import run_row

    engine = make_engine(db_url)
    results = make_results()
    with write_connection(engine) as conn, conn.begin():
        cfg = Config()
        cfg.set_main_option("script_location", "secaudit.store:migrations")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        row = run_row(results)
        row["document"] = zlib.compress(_json.dumps(results_to_dict(results)).encode())   # 0001: findings inside
        conn.execute(insert(schema.runs), [row])
    engine.dispose()
    with open_store(db_url) as s:
        with s.engine.connect() as conn:
            assert current_version(conn) == SCHEMA_VERSION == "0004"
        assert s.results(results.run.id) == results


def test_an_unreachable_or_unsupported_store_is_an_input_error_without_its_password():
    for url in ("postgresql://auditor:s3cret@127.6.0.1:1/secaudit", "mysql://auditor:s3cret@127.6.0.1/x"):
        with pytest.raises(InputError) as e:
            open_store(url)
        text = e.value.diagnostics[0].render("en")
        assert e.value.diagnostics[0].key == "store.bad_url" and "s3cret" not in text and "cannot use the store" in text


def test_the_default_store_lives_in_the_data_directory(tmp_path, monkeypatch):
    from secaudit.store.engine import store_url

    monkeypatch.delenv("SECAUDIT_DB", raising=False)
    monkeypatch.setenv("SECAUDIT_DATA_DIR", str(tmp_path / "env"))
    assert store_url() == f"sqlite:///{tmp_path / 'env' / 'store.sqlite'}"
    assert store_url(data=str(tmp_path / "opt")) == f"sqlite:///{tmp_path / 'opt' / 'store.sqlite'}"
    monkeypatch.delenv("SECAUDIT_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert store_url() == f"sqlite:///{tmp_path / 'xdg' / 'secaudit' / 'store.sqlite'}"
    monkeypatch.setenv("SECAUDIT_DB", "postgres://a@db.example/s")
    assert store_url() == "postgresql+psycopg://a@db.example/s"
    with open_store(data_dir=str(tmp_path / "wal")) as s:
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_store_written_by_a_newer_secaudit_is_refused_clearly_and_left_unchanged(db_url):
    """A schema revision this code does not know (a newer release, another branch) is an input error naming the
    revision, never Alembic's traceback; the store keeps its runs and its revision."""
    from sqlalchemy import text

    results = make_results()
    with open_store(db_url) as s:
        s.save(results)
        with s.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(InputError) as e:
        open_store(db_url)
    d = e.value.diagnostics[0]
    assert d.key == "store.unknown_schema"
    assert "0099" in d.render("en") and "newer secaudit" in d.render("en") and "0099" in d.render("vi")
    from secaudit.store.engine import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert current_version(conn) == "0099"
            assert conn.execute(select(func.count()).select_from(schema.runs)).scalar() == 1
    finally:
        engine.dispose()


def test_known_revisions_are_exactly_the_shipped_migrations():
    import ast
    from pathlib import Path

    import secaudit.store.migrations.versions as versions

    found = set()
    for path in Path(versions.__file__).parent.glob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["revision"]:
                found.add(node.value.value)
    assert found == set(schema.KNOWN_REVISIONS) and max(found) == SCHEMA_VERSION
