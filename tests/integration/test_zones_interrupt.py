"""Ctrl-C in a zone worker's terminal, with a real worker and real nmap (issue 23).

A Ctrl-C reaches the worker's whole foreground process group: Celery's main process, the pool process
running the batch and the nmap it started, which dies of it. Given a zone with two workers and a scan
whose ports batch is running nmap on one of them, when SIGINT goes to that worker's process group, then
that worker hands the batch back instead of answering "nmap failed", ends and leaves no process behind,
the zone's other worker runs the probes again, and the scan completes with every probe observed once.
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
from tests.support.zones import ROOT, listener, redis_server, secaudit_env, start_worker, wait_workers

pytestmark = pytest.mark.integration

HOST = "127.23.7.1"
SCOPE = "127.23.7.0/24"


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo and len(found) < 1000:
        for child in children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def runs_nmap(pid: int) -> bool:
    for child in descendants(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode()).name == "nmap" and b"-V" not in argv:
            return True
    return False


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


def test_ctrl_c_on_a_worker_mid_nmap_hands_the_batch_back_and_leaves_no_orphan(tmp_path: Path):
    pki = TestPKI()
    ca = pki.write_ca_file(tmp_path / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,)), tmp_path, "leaf")
    (tmp_path / "nginx").mkdir()
    site = Site("s", crt, key, host=HOST, server_name=HOST, hsts="max-age=31536000", hardened=True)
    names = ["zone-z-1@interrupt", "zone-z-2@interrupt"]
    with redis_server(tmp_path / "redis") as redis, NginxFarm([site], tmp_path / "nginx") as farm, \
            listener(HOST) as (extra_port, _count):       # a second open port: nmap takes seconds
        port = farm.sites[0].port
        inventory = tmp_path / "inventory.yaml"
        inventory.write_text("kind: inventory\nsystems:\n  - {id: s, name: S, purpose: internal, information: "
                             f"[private], declared_level: 3, zone: z, endpoints: ['https://{HOST}:{port}']}}\n")
        argv = [sys.executable, "-m", "secaudit", "scan", str(inventory), "--executor", "celery",
                *redis.broker_args(), "--visibility-timeout", "20", "--ca-file", str(ca), "--ports-range",
                str(extra_port), "--concurrency", "1",
                "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out"), "--format", "json",
                "--no-store", "--quiet", "--lang", "en"]
        workers = {n: start_worker(redis, "z", [SCOPE], n, tmp_path, ca_file=ca, visibility_timeout=20)
                   for n in names}
        scan = None
        try:
            wait_workers(redis, names)
            scan = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                                    env=secaudit_env(redis), start_new_session=True)
            victim = None
            end = time.monotonic() + 120
            while victim is None and time.monotonic() < end and scan.poll() is None:
                victim = next((n for n, w in workers.items() if runs_nmap(w.proc.pid)), None)
                time.sleep(0.01)
            assert victim is not None, "no worker was caught running nmap"
            group = workers[victim].proc.pid
            os.killpg(group, signal.SIGINT)                      # the terminal's Ctrl-C
            workers[victim].proc.wait(timeout=60)                # a warm shutdown: the worker ends by itself
            end = time.monotonic() + 10
            while in_group(group) and time.monotonic() < end:
                time.sleep(0.05)
            assert in_group(group) == [], "the interrupted worker left processes behind"
            stdout, stderr = scan.communicate(timeout=240)
        finally:
            if scan is not None and scan.poll() is None:
                os.killpg(scan.pid, signal.SIGKILL)
                scan.wait(timeout=10)
            for w in workers.values():
                w.stop()
    survivor = next(n for n in names if n != victim)
    assert scan.returncode in (0, 1), stderr[-2000:]
    log = workers[victim].log.read_text(errors="replace")
    assert "handed back to be sent again" in log, log[-2000:]
    run_dir = next(d for d in (tmp_path / "runs").iterdir() if (d / "run.json").is_file())
    journal = [json.loads(line) for line in (run_dir / "journal.jsonl").read_text().splitlines() if line]
    assert len(journal) == len({o["probe_id"] for o in journal})           # no probe twice
    assert all(o["status"] == "ok" for o in journal), [o.get("error") for o in journal]
    ports = [o for o in journal if o["kind"] == "ports"]
    assert ports and {o["worker"] for o in ports} == {survivor}, ports      # sent again, to the other worker
    report = json.loads((tmp_path / "out/report.json").read_text())
    assert "error" not in {f["verdict"] for f in report["findings"]}
