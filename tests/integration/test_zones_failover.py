"""At-least-once delivery with real processes: a zone worker killed with kill -9 in the middle of a
probe, and a coordinator killed with kill -9 and resumed. Own redis-server and workers (the kills
must not disturb other tests)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.journal import written_records
from tests.support.pki import TestPKI
from tests.support.servers import NginxFarm, Site
from tests.support.zones import (
    ROOT, Gate, redis_server, run_scan, scan_argv, secaudit_env, start_worker, wait_workers, write_inventory,
)

pytestmark = pytest.mark.integration

SCOPE_A = "127.7.1.0/24"


@pytest.fixture(scope="module")
def failover_lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("zones-failover")
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    hosts = ("127.7.1.50", "127.7.1.51", "127.7.1.52")
    crt, key = pki.write_leaf(pki.leaf(names=hosts), work, "leaf")
    (work / "nginx").mkdir()
    sites = [Site("behind-gate", crt, key, host=hosts[1], hsts="max-age=63072000"),
             Site("plain", crt, key, host=hosts[2], protocols="TLSv1.2")]
    # this module's broker uses an ACL user (the default user off), as examples/zones/secaudit-broker.conf
    with redis_server(work / "redis", user="scanner") as redis, NginxFarm(sites, work / "nginx") as farm, \
            Gate("127.7.1.50", ("127.7.1.51", farm["behind-gate"].port)) as gate:
        yield {"work": work, "ca": ca, "redis": redis, "farm": farm, "gate": gate}


def _started_on(redis, run_dir: Path, deadline_s: float = 60.0) -> str:
    """The worker that took the run's (one) batch, from Celery's STARTED state (task_track_started)."""
    from secaudit.execute.broker import make_app

    app = make_app(redis.config())
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        sent = written_records(run_dir / "celery.jsonl")     # the coordinator may be writing it: whole lines only
        if sent:
            res = app.AsyncResult(sent[0]["task"])
            if res.state == "STARTED" and isinstance(res.info, dict) and res.info.get("hostname"):
                return res.info["hostname"]
        time.sleep(0.1)
    raise AssertionError("no worker started the batch")


def _one_run_dir(runs: Path, deadline_s: float = 60.0) -> Path:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        dirs = [d for d in runs.iterdir() if (d / "run.json").is_file()] if runs.is_dir() else []
        if dirs:
            return dirs[0]
        time.sleep(0.1)
    raise AssertionError("the scan created no run")


def held_celery_scan(lab, tmp_path: Path, *endpoints: str):
    """A closed gate (its probe holds until released) the inventory (the gate and ``endpoints`` in zone a) and the argv of its celery scan."""
    gate, redis = lab["gate"], lab["redis"]
    gate.release.clear()
    gate.held.clear()
    inv = write_inventory(tmp_path / "inv.yaml", [("sg", "a", [f"127.7.1.50:{gate.port}", *endpoints])])
    argv, runs, out = scan_argv(inv, tmp_path / "celery", "--executor", "celery", *redis.broker_args(),
                                "--visibility-timeout", "20", "--ca-file", str(lab["ca"]), "--timeout", "30")
    return gate, redis, inv, argv, runs, out


def test_kill9_of_a_worker_mid_probe_reruns_the_batch_on_the_zones_other_worker(failover_lab, tmp_path: Path):
    lab = failover_lab
    gate, redis, inv, argv, runs, out = held_celery_scan(lab, tmp_path, lab["farm"]["plain"].address)
    names = ["zone-a-1@failover", "zone-a-2@failover"]
    procs = {n: start_worker(redis, "a", [SCOPE_A], n, tmp_path, ca_file=lab["ca"], visibility_timeout=20)
             for n in names}
    scan = None
    try:
        wait_workers(redis, names)
        scan = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                env=secaudit_env(redis), start_new_session=True)
        assert gate.held.wait(60), "the probe never reached the gated endpoint"
        victim = _started_on(redis, _one_run_dir(runs))
        assert victim in names
        procs[victim].kill9()                        # main process and pool process, mid-probe
        gate.release.set()
        stdout, stderr = scan.communicate(timeout=180)
        survivor = next(n for n in names if n != victim)
    finally:
        gate.release.set()
        if scan is not None and scan.poll() is None:
            os.killpg(scan.pid, signal.SIGKILL)
            scan.wait(timeout=10)
        for w in procs.values():
            w.stop()
    assert scan.returncode in (0, 1), stderr
    run_dir = _one_run_dir(runs)
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 2 and len({o["probe_id"] for o in journal}) == 2     # no probe twice
    assert {o["worker"] for o in journal} == {survivor}                         # rerun on the other worker
    assert all(o["status"] == "ok" for o in journal), journal
    local = run_scan(inv, tmp_path / "local", None, "--ca-file", str(lab["ca"]))
    dist_findings = sorted((f["control_id"], f["target"], f["verdict"])
                           for f in json.loads((out / "report.json").read_text())["findings"])
    assert dist_findings == sorted((f[0], f[2], f[3]) for f in local.findings())


def test_a_coordinator_killed_with_kill9_resumes_and_collects_what_arrived_meanwhile(failover_lab, tmp_path: Path):
    lab = failover_lab
    gate, redis, inv, argv, runs, out = held_celery_scan(lab, tmp_path)
    name = "zone-a-3@failover"
    worker = start_worker(redis, "a", [SCOPE_A], name, tmp_path, ca_file=lab["ca"], visibility_timeout=20)
    try:
        wait_workers(redis, [name])
        scan = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
                                env=secaudit_env(redis), start_new_session=True)
        assert gate.held.wait(60)
        run_dir = _one_run_dir(runs)
        os.killpg(scan.pid, signal.SIGKILL)           # the coordinator dies; the worker goes on
        scan.wait(timeout=10)
        gate.release.set()
        from secaudit.execute.broker import make_app

        app = make_app(redis.config())
        task = json.loads((run_dir / "celery.jsonl").read_text().splitlines()[0])["task"]
        end = time.monotonic() + 60
        while app.AsyncResult(task).state != "SUCCESS" and time.monotonic() < end:
            time.sleep(0.2)
        assert app.AsyncResult(task).state == "SUCCESS"
        assert (run_dir / "journal.jsonl").read_text() == ""      # nothing journaled before the kill
        resumed = subprocess.run([*argv, "--resume", run_dir.name], capture_output=True, text=True, timeout=120,
                                 cwd=ROOT, env=secaudit_env(redis))
    finally:
        gate.release.set()
        worker.stop()
    assert resumed.returncode in (0, 1), resumed.stderr
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 1 and journal[0]["worker"] == name and journal[0]["status"] == "ok"
    sidecar = (run_dir / "celery.jsonl").read_text().splitlines()
    assert len(sidecar) == 1                 # collected from the earlier task: nothing was sent again
    assert json.loads((run_dir / "run.json").read_text())["complete"] is True


def test_a_zone_losing_its_last_worker_ends_incomplete_and_resumes(failover_lab, tmp_path: Path):
    lab = failover_lab
    gate, redis, inv, argv, runs, out = held_celery_scan(lab, tmp_path)
    first = start_worker(redis, "a", [SCOPE_A], "zone-a-5@failover", tmp_path, ca_file=lab["ca"],
                         visibility_timeout=20)
    second = None
    try:
        wait_workers(redis, [first.name])
        t0 = time.monotonic()
        scan = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                env=secaudit_env(redis), start_new_session=True)
        assert gate.held.wait(60)
        first.kill9()                                 # the zone's only worker is gone
        gate.release.set()
        stdout, stderr = scan.communicate(timeout=120)
        given_up_after = time.monotonic() - t0
        run_dir = _one_run_dir(runs)
        assert scan.returncode == 3, stderr
        assert "INCOMPLETE" in stdout and f"--resume {run_dir.name}" in stderr
        assert (run_dir / "journal.jsonl").read_text() == ""
        assert given_up_after < 90
        second = start_worker(redis, "a", [SCOPE_A], "zone-a-6@failover", tmp_path, ca_file=lab["ca"],
                              visibility_timeout=20)
        wait_workers(redis, [second.name])
        resumed = subprocess.run([*argv, "--resume", run_dir.name], capture_output=True, text=True, timeout=120,
                                 cwd=ROOT, env=secaudit_env(redis))
    finally:
        gate.release.set()
        first.stop()
        if second is not None:
            second.stop()
    assert resumed.returncode in (0, 1), resumed.stderr
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert len(journal) == 1 and journal[0]["worker"] == "zone-a-6@failover" and journal[0]["status"] == "ok"
