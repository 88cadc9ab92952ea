"""Benchmark: store a 1,000-endpoint run and diff two of them (targets: store < 2 s, diff < 1 s),
and the store's size per run. SQLite (the default) and a real PostgreSQL started here.

Run: .venv/bin/python benchmarks/store_bench.py [--endpoints N] [--runs K] [--no-postgres]
The runs are synthetic but go through the real plan and evaluation (tests/support/bigrun.py):
1,000 HTTPS endpoints in 100 level-3 systems, canned TLS and port observations, 17,100 findings.
Run B fixes one endpoint, so its diff against run A has exactly one fixed finding. Times are the
best of --runs stores (each a new run id) and of three diffs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from secaudit.store import open_store  # noqa: E402
from secaudit.store.diff import diff_stored  # noqa: E402
from tests.support.bigrun import synthetic_run  # noqa: E402

STORE_TARGET_S = 2.0
DIFF_TARGET_S = 1.0


def renamed(results, run_id: str, day: int):
    started = f"2026-11-{day:02d}T02:00:00+00:00"
    return dataclasses.replace(results, run=dataclasses.replace(results.run, id=run_id, started_at=started,
                                                                finished_at=started))


def bench(url: str, a, b, runs: int, size_of=None) -> dict[str, float]:
    with open_store(url) as store:
        store.save(renamed(a, "warm-up", 1))
        store.delete_run("warm-up")
        size0 = size_of() if size_of else 0
        times = []
        for i in range(runs):
            t = time.perf_counter()
            store.save(renamed(a if i == 0 else b, f"run-{i}", 2 + i))
            times.append(time.perf_counter() - t)
        size = (size_of() - size0) / runs if size_of else 0
        diffs = []
        for _ in range(3):
            t = time.perf_counter()
            d = diff_stored(store, store.run("run-0"), store.run("run-1"))
            diffs.append(time.perf_counter() - t)
        assert d.count("fixed") == 1 and d.count("new") == 0, d.findings.keys()
        t = time.perf_counter()
        store.results("run-1")
        read = time.perf_counter() - t
    return {"store": min(times), "store_median": sorted(times)[len(times) // 2], "diff": min(diffs),
            "read": read, "size": size}


def sqlite_size(path: Path):
    def size() -> int:
        import sqlite3

        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return path.stat().st_size
    return size


def pg_size(pg):
    def size() -> int:
        import psycopg

        with psycopg.connect(host=pg.host, port=pg.port, user="secaudit", dbname="bench", autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            return conn.execute("SELECT pg_database_size('bench')").fetchone()[0]
    return size


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="secaudit-store-bench-") as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        a = synthetic_run(d, args.endpoints, 0, "a")
        b = synthetic_run(d, args.endpoints, 1, "b")
        print(f"{args.endpoints} endpoints, {len(a.findings)} findings, {len(a.observations)} observations per run "
              f"(built in {time.perf_counter() - t:.1f} s)")
        results = {"sqlite": bench(f"sqlite:///{d / 'store.sqlite'}", a, b, args.runs, sqlite_size(d / "store.sqlite"))}
        if not args.no_postgres:
            from tests.support.postgres import postgres_server

            with postgres_server() as pg:
                url = pg.create_database("bench")
                results["postgresql"] = bench(url, a, b, args.runs, pg_size(pg))
    ok = True
    print(f"{'backend':<11} {'store (best)':>12} {'store (med)':>12} {'diff':>8} {'read run':>9} {'size/run':>10}")
    for name, r in results.items():
        print(f"{name:<11} {r['store']:>10.2f} s {r['store_median']:>10.2f} s {r['diff']:>6.2f} s {r['read']:>7.2f} s "
              f"{r['size'] / 1e6:>7.1f} MB")
        ok &= r["store"] < STORE_TARGET_S and r["diff"] < DIFF_TARGET_S
    print(f"targets: store < {STORE_TARGET_S} s, diff < {DIFF_TARGET_S} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
