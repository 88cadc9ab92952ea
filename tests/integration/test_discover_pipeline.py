"""`secaudit discover` runs through the one scan pipeline: journaled, resumable, re-rendered, distributed.

Given real listeners on loopback addresses of declared networks (every 127/8 address answers nmap's
TCP ping, so each undeclared address is an undeclared live host), when discover is killed with kill -9
while a large network is being swept and then resumed with --resume, then its findings equal those of
an uninterrupted run and the network swept before the kill is not swept again; `report RUN_ID` and
`report report.json` re-render the same findings without scanning. Given a real redis-server and zone
workers, when discover runs with --executor celery, then each zone's networks are swept by that zone's
worker with the findings of a local run, and a worker never sweeps a network outside the scope it was
started with (the listener there sees no connection; the finding is an error saying why).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

import pytest

from tests.support.journal import written_records
from tests.support.zones import ROOT, redis_server, secaudit_env, workers

pytestmark = pytest.mark.integration

ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en", "PYTHONPATH": str(ROOT)}
FAST, SLOW = "127.26.10.0/30", "127.26.12.0/22"         # the /22: 1,024 addresses, seconds of nmap
LAB, FAR = "127.26.20.0/29", "127.26.21.0/30"

INVENTORY = """\
kind: inventory
version: 1
organisation: {{name: "Lab agency"}}
zones:
  - {{id: lan, description: "Office LAN", networks: ["{fast}", "{slow}"]}}
  - {{id: lab, description: "Lab", networks: ["{lab}"]}}
  - {{id: far, description: "Far site", networks: ["{far}"]}}
systems:
  - id: web
    name: Web server
    purpose: internal
    information: [private]
    zone: lan
    endpoints:
      - {{host: 127.26.10.2, port: 8443, service: https}}
  - id: lab-web
    name: Lab web server
    purpose: internal
    information: [private]
    zone: lab
    endpoints:
      - {{host: 127.26.20.2, port: 8443, service: https}}
"""
LISTEN = [("127.26.10.2", 8443), ("127.26.10.2", 8080), ("127.26.20.2", 8443), ("127.26.20.2", 8080),
          ("127.26.21.1", 8080)]


@contextlib.contextmanager
def listening(specs: Sequence[tuple[str, int]]) -> Iterator[dict[tuple[str, int], int]]:
    """TCP listeners that accept and close, counting connections; all stopped on exit."""
    counts = {spec: 0 for spec in specs}
    stop = threading.Event()
    socks = []
    for spec in specs:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(spec)
        s.listen(64)
        s.settimeout(0.2)
        socks.append((spec, s))

    def loop(spec: tuple[str, int], s: socket.socket) -> None:
        while not stop.is_set():
            try:
                c, _ = s.accept()
            except (socket.timeout, OSError):
                continue
            counts[spec] += 1
            c.close()

    threads = [threading.Thread(target=loop, args=item, daemon=True) for item in socks]
    for t in threads:
        t.start()
    try:
        yield counts
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=5)
        for _, s in socks:
            s.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("discover-pipeline")
    inv = work / "inventory.yaml"
    inv.write_text(INVENTORY.format(fast=FAST, slow=SLOW, lab=LAB, far=FAR))
    with listening(LISTEN) as counts:
        yield {"work": work, "inventory": inv, "counts": counts}


def discover(lab, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secaudit", "discover", *args], cwd=lab["work"], env=env or ENV,
                          capture_output=True, text=True, timeout=timeout)


def findings(out: Path) -> set[tuple[str, str, str, str, str]]:
    data = json.loads((out / "report.json").read_text())
    return {(f["system_id"], f["control_id"], f["target"], f["verdict"], json.dumps(f["message"], sort_keys=True))
            for f in data["findings"]}


def journal(run_dir: Path) -> list[dict]:
    path = run_dir / "journal.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line] if path.exists() else []


def test_killed_then_resumed_gives_the_uninterrupted_findings_and_report_rerenders_them(lab):
    w = lab["work"]
    whole = discover(lab, str(lab["inventory"]), "--zone", "lan", "--runs-dir", str(w / "runs-whole"),
                     "--out", str(w / "whole"), "--format", "json")
    assert whole.returncode == 1, whole.stdout + whole.stderr
    expected = findings(w / "whole")
    by_target = {f[2]: f[3] for f in expected}
    assert by_target["127.26.10.2:8080"] == "fail" and by_target["127.26.10.3"] == "fail"    # port, host
    assert by_target["127.26.12.7"] == "fail" and "127.26.10.2" not in by_target
    assert {f[0] for f in expected} == {"zone:lan"}

    # Given a discover run, when it is killed with kill -9 once the small network is journaled and the large
    # one is still being swept
    runs = w / "runs"
    argv = [sys.executable, "-m", "secaudit", "discover", str(lab["inventory"]), "--zone", "lan", "--runs-dir",
            str(runs), "--out", str(w / "killed"), "--format", "json"]
    proc = subprocess.Popen(argv, cwd=w, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        end = time.monotonic() + 120
        run_dir = None
        while time.monotonic() < end and proc.poll() is None:
            dirs = [d for d in runs.iterdir()] if runs.exists() else []
            run_dir = dirs[0] if dirs else None
            if run_dir is not None and written_records(run_dir / "journal.jsonl"):   # the scan is writing it
                break
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)              # the scan and its nmap, as kill -9 of the job
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert run_dir is not None
    before = journal(run_dir)
    assert [o["target"] for o in before] == [FAST], before          # killed mid-run: the /22 never finished
    assert not (w / "killed" / "report.json").exists()

    # then --resume sweeps only what is missing and gives the uninterrupted run's findings
    resumed = discover(lab, "--resume", run_dir.name, "--runs-dir", str(runs), "--out", str(w / "resumed"),
                       "--format", "json")
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    assert findings(w / "resumed") == expected
    after = journal(run_dir)
    assert sorted(o["target"] for o in after) == sorted([FAST, SLOW]) and after[0] == before[0]

    # and `report RUN_ID` (from the journal) and `report report.json` re-render them, nmap not run again
    for source, out in ((run_dir.name, "again"), (str(w / "resumed" / "report.json"), "refile")):
        r = subprocess.run([sys.executable, "-m", "secaudit", "report", source, "--runs-dir", str(runs), "--out",
                            str(w / out), "--format", "json"], cwd=w, env=ENV, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 1, r.stdout + r.stderr
        assert findings(w / out) == expected
    assert len(journal(run_dir)) == 2


def test_zone_workers_sweep_their_own_networks_and_never_outside_their_scope(lab, tmp_path):
    w = lab["work"]
    local = discover(lab, str(lab["inventory"]), "--zone", "lab", "--runs-dir", str(tmp_path / "runs-local"),
                     "--out", str(tmp_path / "local"), "--format", "json")
    assert local.returncode == 1, local.stdout + local.stderr
    hits_far = lab["counts"][("127.26.21.1", 8080)]
    # the far zone's worker was started with a scope that does not hold the far zone's network
    specs = [("lab-w@discover", "lab", ["127.26.20.0/24"]), ("far-w@discover", "far", ["127.26.20.0/24"])]
    with redis_server(w / "redis") as redis, workers(redis, specs, w):
        env = {**secaudit_env(redis), "CI": "1", "SECAUDIT_LANG": "en"}
        dist = discover(lab, str(lab["inventory"]), "--zone", "lab", "--zone", "far", "--executor", "celery",
                        *redis.broker_args(), "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "dist"),
                        "--format", "json", env=env)
    assert dist.returncode == 1, dist.stdout + dist.stderr
    got = findings(tmp_path / "dist")
    assert {f for f in got if f[0] == "zone:lab"} == findings(tmp_path / "local")
    assert ("zone:lab", "DISC-01", "127.26.20.2:8080") in {f[:3] for f in got if f[3] == "fail"}
    [run_dir] = list((tmp_path / "runs").iterdir())
    workers_of = {o["target"]: (o["worker"], o["status"], o.get("error") or "") for o in journal(run_dir)}
    assert workers_of[LAB][:2] == ("lab-w@discover", "ok")
    assert workers_of[FAR][:2] == ("far-w@discover", "error") and "outside" in workers_of[FAR][2]
    far = [f for f in got if f[0] == "zone:far"]
    assert [f[2:4] for f in far] == [(FAR, "error")]
    assert lab["counts"][("127.26.21.1", 8080)] == hits_far          # nothing reached the far network
