"""Ctrl-C in a zone worker's terminal, with a real worker and real nmap (issue 23).

A Ctrl-C reaches the worker's whole foreground process group: Celery's main process, the pool process
running the batch and the nmap it started, which dies of it. Given a zone with two workers and a scan
whose ports batch is running nmap on one of them, when SIGINT goes to that worker's process group, then
that worker hands the batch back instead of answering "nmap failed", ends and leaves no process behind,
the zone's other worker runs the probes again, and the scan completes with every probe observed once.
And when the pool process alone gets SIGTERM mid-nmap (Celery's cold shutdown, a second Ctrl-C), or SIGKILL,
nmap ends with it instead of scanning on as an orphan, and the batch runs again.
Own redis-server, workers and nginx (the signal must not disturb other tests); addresses 127.23.7.x.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.execute.children import children
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from tests.support.procs import ended
from tests.support.zones import ROOT, listener, redis_server, secaudit_env, start_worker, wait_workers

pytestmark = pytest.mark.integration

HOST = "127.23.7.1"
SCOPE = "127.23.7.0/24"


def descendants(pid: int) -> dict[int, int]:
    """The processes under ``pid``, each with its parent (as they were when looked at)."""
    found: dict[int, int] = {}
    todo = [pid]
    while todo and len(found) < 1000:
        parent = todo.pop()
        for child in children(parent):
            if child not in found:
                found[child] = parent
                todo.append(child)
    return found


def nmap_of(pid: int) -> tuple[int, int] | None:
    """An nmap scan (not the ``nmap -V`` of the tool check) running under ``pid`` and the process that started it
    (the pool process running the batch), or None. The parent comes from the same walk: nmap can end, and its
    /proc entry go, at any moment, so nothing here reads it again."""
    for child, parent in descendants(pid).items():
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode()).name == "nmap" and b"-V" not in argv:
            return child, parent
    return None


def in_group(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` still alive (zombies excepted)."""
    alive = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        if len(fields) > 2 and fields[2] == str(pgid) and fields[0] != "Z":
            alive.append(int(stat.parent.name))
    return alive


NAMES = ["zone-z-1@interrupt", "zone-z-2@interrupt"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("zones-interrupt")
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,)), work, "leaf")
    (work / "nginx").mkdir()
    site = Site("s", crt, key, host=HOST, server_name=HOST, hsts="max-age=31536000", hardened=True)
    with redis_server(work / "redis") as redis, NginxFarm([site], work / "nginx") as farm, \
            listener(HOST) as extra:                      # a second open port: nmap takes seconds
        inventory = work / "inventory.yaml"
        inventory.write_text("kind: inventory\nsystems:\n  - {id: s, name: S, purpose: internal, information: "
                             f"[private], declared_level: 3, zone: z, endpoints: ['https://{HOST}:{farm.sites[0].port}']}}\n")
        yield {"redis": redis, "ca": ca, "inventory": inventory, "extra_port": extra.port}


def scan_catching_nmap(lab, tmp_path: Path, act):
    """Two workers of zone z, a celery scan; when a worker runs nmap, ``act(worker, nmap pid, pid of the pool
    process that started it)``; then the scan's end. Returns (the name of the worker acted on, workers, journal)."""
    redis = lab["redis"]
    argv = [sys.executable, "-m", "secaudit", "scan", str(lab["inventory"]), "--executor", "celery",
            *redis.broker_args(), "--visibility-timeout", "20", "--ca-file", str(lab["ca"]), "--ports-range",
            str(lab["extra_port"]), "--concurrency", "1", "--runs-dir", str(tmp_path / "runs"), "--out",
            str(tmp_path / "out"), "--format", "json", "--no-store", "--quiet", "--lang", "en"]
    workers = {n: start_worker(redis, "z", [SCOPE], n, tmp_path, ca_file=lab["ca"], visibility_timeout=20)
               for n in NAMES}
    scan = None
    try:
        wait_workers(redis, NAMES)
        scan = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                env=secaudit_env(redis), start_new_session=True)
        caught = None
        end = time.monotonic() + 120
        while caught is None and time.monotonic() < end and scan.poll() is None:
            caught = next(((n, *found) for n, w in workers.items() for found in [nmap_of(w.proc.pid)] if found),
                          None)
            time.sleep(0.01)
        assert caught is not None, "no worker was caught running nmap"
        act(workers[caught[0]], caught[1], caught[2])
        _stdout, stderr = scan.communicate(timeout=240)
    finally:
        if scan is not None and scan.poll() is None:
            os.killpg(scan.pid, signal.SIGKILL)
            scan.wait(timeout=10)
        for w in workers.values():
            w.stop()
    assert scan.returncode in (0, 1), stderr[-2000:]
    run_dir = next(d for d in (tmp_path / "runs").iterdir() if (d / "run.json").is_file())
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines() if line]
    assert len(journal) == len({o["probe_id"] for o in journal})           # no probe twice
    assert all(o["status"] == "ok" for o in journal), [o.get("error") for o in journal]
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert "error" not in {f["verdict"] for f in report["findings"]}
    return caught[0], workers, journal


def gone(pids, deadline_s: float = 10.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not pids():
            return True
        time.sleep(0.05)
    return False


def test_ctrl_c_on_a_worker_mid_nmap_hands_the_batch_back_and_leaves_no_orphan(lab, tmp_path: Path):
    def ctrl_c(worker, _nmap: int, _pool: int) -> None:
        os.killpg(worker.proc.pid, signal.SIGINT)                # the terminal's Ctrl-C, to the process group
        worker.proc.wait(timeout=60)                             # a warm shutdown: the worker ends by itself
        assert gone(lambda: in_group(worker.proc.pid)), "the interrupted worker left processes behind"

    victim, workers, journal = scan_catching_nmap(lab, tmp_path, ctrl_c)
    log = workers[victim].log.read_text(errors="replace")
    assert "handed back to be sent again" in log, log[-2000:]
    ports = [o for o in journal if o["kind"] == "ports"]
    survivor = next(n for n in NAMES if n != victim)
    assert ports and {o["worker"] for o in ports} == {survivor}, ports      # sent again, to the other worker


def test_sigterm_to_the_pool_process_mid_nmap_ends_nmap_too_and_the_batch_runs_again(lab, tmp_path: Path):
    def cold_shutdown(worker, nmap: int, pool: int) -> None:
        os.kill(pool, signal.SIGTERM)                            # what Celery's cold shutdown sends its pool
        assert gone(lambda: not ended(nmap), 5.0), "nmap outlived its pool"       # it runs ~10 s more

    _victim, _workers, journal = scan_catching_nmap(lab, tmp_path, cold_shutdown)
    assert [o["kind"] for o in journal].count("ports") == 1        # redelivered (worker lost) and observed


def test_sigkill_to_the_pool_process_mid_nmap_ends_nmap_too_and_the_batch_runs_again(lab, tmp_path: Path):
    # kill -9 cannot be handled: nmap dies of the parent-death signal it was started with
    def sigkill(worker, nmap: int, pool: int) -> None:
        os.kill(pool, signal.SIGKILL)
        assert gone(lambda: not ended(nmap), 5.0), "nmap outlived its SIGKILLed pool process"

    _victim, _workers, journal = scan_catching_nmap(lab, tmp_path, sigkill)
    assert [o["kind"] for o in journal].count("ports") == 1        # redelivered (worker lost) and observed
