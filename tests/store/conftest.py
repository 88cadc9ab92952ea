"""The store suite runs twice: against SQLite in a temp directory and against a real PostgreSQL.

PostgreSQL is started once per session (tests/support/postgres.py) and stopped at its end; each
test gets a fresh database, so tests never see each other's runs.
"""

from __future__ import annotations

import itertools

import pytest

from tests.support.postgres import PostgresServer, postgres_server

_counter = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> PostgresServer:
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A URL of an empty store of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"t{next(_counter)}_{request.node.name[:30].lower().replace('[', '_').strip(']')}"
                                  .replace("-", "_"))


@pytest.fixture
def store(db_url: str):
    from secaudit.store import open_store

    with open_store(db_url) as s:
        yield s
