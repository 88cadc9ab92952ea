"""SQLite: a process killed with SIGKILL in the middle of storing a large run leaves all of it or none.

The writer stores a synthetic 300-endpoint run (~5,000 finding rows); the test kills it as soon as its
write-ahead log grows (the transaction has started writing pages), then checks the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from secaudit.store import open_store, schema

ROOT = Path(__file__).resolve().parents[2]
WRITER = """
import sys
from pathlib import Path
from tests.support.bigrun import synthetic_run
from secaudit.store import open_store
results = synthetic_run(Path(sys.argv[2]), 300, 0, sys.argv[3])
with open_store(sys.argv[1]) as store:
    print("saving", flush=True)
    store.save(results)
print("saved", flush=True)
"""


def _size(path: Path) -> int:
    """The file's size, 0 while it does not exist: the writer's SQLite creates the WAL and removes it on close,
    so it can vanish between any two looks (a test that looked first and then stat()ed failed on CI)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def test_sigkill_while_storing_leaves_all_or_none(tmp_path):
    db = tmp_path / "store.sqlite"
    url = f"sqlite:///{db}"
    with open_store(url) as store:                  # schema created; the WAL is checkpointed on close
        pass
    wal = Path(str(db) + "-wal")
    outcomes = []
    for attempt in range(2):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, url, str(tmp_path), f"run-{attempt}"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        start = _size(wal)
        end = time.monotonic() + 120
        while time.monotonic() < end and proc.poll() is None:
            if _size(wal) > start + 64 * 1024:
                break
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        assert "saving" in out, err
        with open_store(url) as store:
            with store.engine.connect() as conn:
                runs = conn.execute(select(func.count()).select_from(schema.runs)
                                    .where(schema.runs.c.id == f"run-{attempt}")).scalar_one()
                rows = conn.execute(select(func.count()).select_from(schema.findings)
                                    .where(schema.findings.c.run_id == f"run-{attempt}")).scalar_one()
        outcomes.append((runs, rows))
        assert (runs, rows) == (0, 0) or (runs == 1 and rows > 4000), outcomes
    assert (0, 0) in outcomes                       # at least one kill landed inside the transaction
    assert os.path.exists(db)
