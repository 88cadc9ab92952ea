"""SQLite: a process killed with SIGKILL in the middle of storing a large run leaves all of it or none.

The writer stores a synthetic 300-endpoint run (~5,000 finding rows). Once it is held inside its transaction
(its first findings inserted, the rest and the commit still to come) and killed there: none of the run. Once
killed as soon as its write-ahead log grows, wherever that lands (the pages of the transaction are written
within a few tens of milliseconds, so the kill may come after the commit): all of the run or none."""

from __future__ import annotations

import os
import selectors
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
from sqlalchemy import event
from tests.support.bigrun import synthetic_run
from secaudit.store import open_store
results = synthetic_run(Path(sys.argv[2]), 300, 0, sys.argv[3])
with open_store(sys.argv[1]) as store:
    if sys.argv[4] == "hold":
        @event.listens_for(store.engine, "after_cursor_execute")
        def hold(conn, cursor, statement, *rest):
            if statement.lstrip().upper().startswith("INSERT INTO FINDINGS"):
                print("inside", flush=True)
                sys.stdin.read()            # until killed
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


def _said(proc: subprocess.Popen, word: bytes, deadline_s: float) -> bytes:
    """The writer's output until a line of it is ``word``, it ends, or the deadline passes."""
    said = b""
    end = time.monotonic() + deadline_s
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < end and word not in said.split():
            if sel.select(timeout=0.5):
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:                       # it ended
                    break
                said += chunk
    return said


def test_sigkill_while_storing_leaves_all_or_none(tmp_path):
    db = tmp_path / "store.sqlite"
    url = f"sqlite:///{db}"
    with open_store(url) as store:                  # schema created; the WAL is checkpointed on close
        pass
    wal = Path(str(db) + "-wal")
    outcomes = []
    for attempt, how in enumerate(("hold", "wal")):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, url, str(tmp_path), f"run-{attempt}", how], cwd=ROOT,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        said = b""
        if how == "hold":                           # killed inside the transaction, for certain
            said = _said(proc, b"inside", 120)
            assert b"inside" in said.split(), (said, proc.poll())
        else:                                       # killed as the WAL grows: before or after the commit
            start = _size(wal)
            end = time.monotonic() + 120
            while time.monotonic() < end and proc.poll() is None:
                if _size(wal) > start + 64 * 1024:
                    break
                time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate(timeout=30)
        out, err = (said + out).decode(), err.decode()
        assert "saving" in out and "Traceback" not in err, err[-3000:]     # it was storing, not failing
        with open_store(url) as store:
            with store.engine.connect() as conn:
                runs = conn.execute(select(func.count()).select_from(schema.runs)
                                    .where(schema.runs.c.id == f"run-{attempt}")).scalar_one()
                rows = conn.execute(select(func.count()).select_from(schema.findings)
                                    .where(schema.findings.c.run_id == f"run-{attempt}")).scalar_one()
        outcomes.append((runs, rows))
        assert (runs, rows) == (0, 0) or (runs == 1 and rows > 4000), outcomes
    assert outcomes[0] == (0, 0)                    # the kill inside the transaction left none of the run
    assert os.path.exists(db)
