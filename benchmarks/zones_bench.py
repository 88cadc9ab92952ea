"""Distributed-executor benchmark (issue 14): 200 TLS endpoints, local executor vs Celery with two
workers (one per zone) on this machine, and the broker's overhead per probe batch.

* Targets: two nginx processes, 100 TLS server blocks each, zone a on 127.7.10.1 and zone b on
  127.7.20.1; the inventory has 200 systems, half in each zone (`--only tls`, level 3).
* Local: `secaudit scan` as today. Celery: a password-protected redis-server on 127.0.0.1 and one
  `secaudit worker` per zone (one pool process each), `secaudit scan --executor celery`.
* Broker overhead per batch: 50 empty round trips (publish -> worker -> result -> coordinator, a
  batch the worker refuses at once, so nothing but the broker is measured), minus the worker's own
  run time. The scan's run.json also gives each batch's round trip minus the worker's run time,
  which includes the time the batch waited in its zone's queue.

Target: Celery under 15% slower than local. Run: .venv/bin/python benchmarks/zones_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pki import TestPKI  # noqa: E402
from tests.support.servers import NginxFarm, Site  # noqa: E402
from tests.support.zones import (  # noqa: E402
    redis_server, scan_argv, secaudit_env, workers,
)

PER_ZONE = 100
ZONES = {"a": "127.7.10.1", "b": "127.7.20.1"}
TARGET_RATIO = 1.15


@contextlib.contextmanager
def farms(work: Path):
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=tuple(ZONES.values())), work, "leaf")
    with contextlib.ExitStack() as stack:
        endpoints: dict[str, list[str]] = {}
        for zone, host in ZONES.items():
            d = work / f"nginx-{zone}"
            d.mkdir()
            farm = stack.enter_context(NginxFarm(
                [Site(f"{zone}{j}", crt, key, host=host, hsts="max-age=31536000") for j in range(PER_ZONE)], d))
            endpoints[zone] = [s.address for s in farm.sites]
        yield ca, endpoints


def inventory(path: Path, endpoints: dict[str, list[str]]) -> None:
    lines = ["kind: inventory", "systems:"]
    for zone, eps in endpoints.items():
        for i, ep in enumerate(eps):
            lines.append(f"  - {{id: {zone}{i}, name: S{zone}{i}, purpose: internal, information: [private], "
                         f"declared_level: 3, zone: {zone}, endpoints: ['https://{ep}']}}")
    path.write_text("\n".join(lines) + "\n")


def timed_scan(argv: list[str], env: dict | None) -> tuple[float, int, str]:
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)
    return time.monotonic() - t0, done.returncode, done.stderr[-2000:]


def empty_round_trips(redis, n: int = 50) -> list[float]:
    """Broker cost alone: a batch the zone worker refuses without any network work."""
    from secaudit.execute.broker import TASK_NAME, broker_config, make_app, zone_queue
    from secaudit.execute.wire import batch_message
    from secaudit.model import Probe

    app = make_app(broker_config(redis.url))
    probe = Probe("tls|127.7.99.1:443|x", "tls", "127.7.99.1:443", {"host": "127.7.99.1", "port": 443})
    out = []
    for _ in range(n):
        t0 = time.monotonic()
        res = app.send_task(TASK_NAME, args=[batch_message("bench", "a", "tls", [probe], 5)], queue=zone_queue("a"))
        while res.state != "SUCCESS":            # the coordinator polls like this (50 ms in the executor)
            time.sleep(0.002)
        runtime = res.result["runtime_s"]
        out.append((time.monotonic() - t0 - runtime) * 1000)
        res.forget()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1, help="alternating local/celery rounds (best of each)")
    args = ap.parse_args()
    rows: dict[str, list[float]] = {"local": [], "celery": []}
    overhead: dict = {}
    with tempfile.TemporaryDirectory(prefix="secaudit-zones-bench-") as tmp:
        work = Path(tmp)
        with farms(work) as (ca, endpoints), redis_server(work / "redis") as redis, \
                workers(redis, [(f"bench-{z}@zones", z, [f"{h}/32"]) for z, h in ZONES.items()], work,
                        ca_file=ca):
            inv = work / "inventory.yaml"
            inventory(inv, endpoints)
            for r in range(args.rounds):
                for mode in ("local", "celery"):
                    extra = ["--executor", "celery", "--broker", redis.bare_url] if mode == "celery" else []
                    argv, runs, _ = scan_argv(inv, work / f"{mode}-{r}", "--ca-file", str(ca), *extra)
                    wall, rc, err = timed_scan(argv, secaudit_env(redis))
                    if rc not in (0, 1):
                        print(f"{mode} scan failed (exit {rc}): {err}")
                        return 1
                    rows[mode].append(wall)
                    print(json.dumps({"mode": mode, "round": r, "wall_s": round(wall, 2), "exit": rc}), flush=True)
                    if mode == "celery":
                        meta = json.loads(next(runs.iterdir()).joinpath("run.json").read_text())
                        overhead = meta.get("celery", {})
            empty = empty_round_trips(redis)
    local, celery = min(rows["local"]), min(rows["celery"])
    ratio = celery / local
    n = 2 * PER_ZONE
    print("\n| run | wall (s) | endpoints/min |")
    print("|---|---|---|")
    print(f"| local executor, {n} endpoints | {local:.1f} | {n / local * 60:.0f} |")
    print(f"| celery, 2 workers (2 zones), {n} endpoints | {celery:.1f} | {n / celery * 60:.0f} |")
    print(f"\ncelery / local = {ratio:.3f} (target < {TARGET_RATIO})")
    print(f"in the scan, round trip minus worker run time ({overhead.get('batches', 0)} batches of up to 10 "
          f"endpoints; includes waiting in the zone queue): {overhead.get('queue_wait_and_broker_ms')} ms")
    print(f"broker overhead per batch (50 empty round trips): median {statistics.median(empty):.1f} ms, "
          f"p95 {sorted(empty)[int(len(empty) * 0.95)]:.1f} ms")
    if ratio >= TARGET_RATIO:
        print(f"FAIL: celery is {100 * (ratio - 1):.0f}% slower than local")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
