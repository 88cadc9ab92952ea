"""Where the store lives and how it is opened: SQLite by default, PostgreSQL with ``--db URL``.

- Location: ``--db URL`` (or ``SECAUDIT_DB``) names any SQLAlchemy URL
  (``postgresql+psycopg://user@db.example/secaudit``, ``sqlite:////var/lib/secaudit/store.sqlite``);
  otherwise ``<data dir>/store.sqlite``, the data dir being ``--data-dir``, ``SECAUDIT_DATA_DIR``,
  or ``$XDG_DATA_HOME/secaudit`` (``~/.local/share/secaudit``).
- SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  ``BEGIN IMMEDIATE``: two scans storing at once queue for the write lock instead of failing with
  "database is locked" (a deferred transaction that must upgrade its lock cannot wait for it).
- The schema is brought to the current version by Alembic on open, under the write lock (an
  advisory lock on PostgreSQL), so two processes opening a new store at once migrate it once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from secaudit.errors import Diagnostic, InputError
from secaudit.store.schema import KNOWN_REVISIONS, SCHEMA_VERSION

STORE_FILE = "store.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 60_000
_PG_MIGRATION_LOCK = 7_314_263_001            # pg_advisory_xact_lock key of secaudit's migrations


def data_dir(explicit: str | None = None) -> Path:
    """The directory of the default SQLite store."""
    if explicit:
        return Path(explicit)
    if os.environ.get("SECAUDIT_DATA_DIR"):
        return Path(os.environ["SECAUDIT_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "secaudit"


def store_url(db: str | None = None, data: str | None = None) -> str:
    """The SQLAlchemy URL of the store. Options before the environment: ``--db``, else ``--data-dir``'s
    SQLite file, else ``SECAUDIT_DB``, else the SQLite file in ``SECAUDIT_DATA_DIR`` or the XDG data dir."""
    url = db or (None if data else os.environ.get("SECAUDIT_DB"))
    if url:
        if url.startswith(("postgresql://", "postgres://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]     # psycopg 3, not the absent psycopg2
        return url
    return "sqlite:///" + str(data_dir(data) / STORE_FILE)


def _bad_url(url: str, reason: str) -> InputError:
    return InputError([Diagnostic("--db", 0, 0, "store.bad_url", {"url": _redact(url), "reason": reason})])


def _redact(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable URL>"


def make_engine(url: str) -> Engine:
    """An engine for ``url``, with SQLite's WAL mode, busy timeout and immediate write transactions."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise _bad_url(url, str(e)) from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _sqlite_events(engine)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise _bad_url(url, "only sqlite and postgresql are supported")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as e:
        raise _bad_url(url, f"{e}: install secaudit[postgres]") from None


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None          # the driver never opens transactions itself: we do (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")   # a stored run survives a power cut, not just a crash
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        mode = "IMMEDIATE" if conn.get_execution_options().get("secaudit_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock at once (SQLite ``BEGIN IMMEDIATE``)."""
    return engine.connect().execution_options(secaudit_write=True)


def current_version(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION` with Alembic (nothing to do when it is current)."""
    with engine.connect() as conn:
        found = current_version(conn)
        if found == SCHEMA_VERSION:
            return
        _refuse_unknown(engine, found)
    # start-up: alembic loaded only when needed
    from alembic import command
    from alembic.config import Config

    with write_connection(engine) as conn:
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            if current_version(conn) != SCHEMA_VERSION:       # another process may have migrated meanwhile
                cfg = Config()
                cfg.set_main_option("script_location", "secaudit.store:migrations")
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")


def _refuse_unknown(engine: Engine, found: str | None) -> None:
    """A store at a schema revision this code does not know (written by a newer secaudit, or another branch) is
    an input error that says so, never an Alembic traceback: the store is left as it is."""
    if found is None or found in KNOWN_REVISIONS:
        return
    raise InputError([Diagnostic("--db", 0, 0, "store.unknown_schema", {
        "url": engine.url.render_as_string(hide_password=True), "found": found, "known": SCHEMA_VERSION})])


def connect_engine(url: str) -> Engine:
    """An engine on a migrated store; an unreachable server or unwritable file is an input error."""
    engine = make_engine(url)
    try:
        migrate(engine)
    except OperationalError as e:
        engine.dispose()
        raise _bad_url(url, str(e.orig).strip().splitlines()[0] if e.orig else str(e)) from None
    return engine
