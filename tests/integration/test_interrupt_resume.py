"""A Ctrl-C at any moment, then --resume, gives the verdicts of an uninterrupted run (issue 25 item 1).

A Ctrl-C in a terminal reaches the whole foreground process group: nmap died of it, the journal kept
"nmap failed (exit -2)" as the observation and --resume never ran the probe again. Given real nginx
sites (TLS, web headers, security.txt) and real nmap, when SIGINT is sent to the scan's process group
during nmap, during the TLS probes, or between batches (or SIGTERM to the scan), then the scan exits
130 and a resume gives the same (system, control, target, verdict) set as a run never interrupted.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.execute.children import children
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from tests.support.journal import written_records

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.25.0.81"
SITES = 3
ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en"}


def adjacent_free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports of HOST (all bound at once to check, then released)."""
    for _ in range(50):
        with contextlib.ExitStack() as stack:
            first = stack.enter_context(socket.socket())
            first.bind((HOST, 0))
            base = first.getsockname()[1]
            try:
                for i in range(1, count):
                    stack.enter_context(socket.socket()).bind((HOST, base + i))
            except OSError:
                continue
            return base
    raise RuntimeError(f"no {count} adjacent free ports on {HOST}")


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    w = tmp_path_factory.mktemp("interrupt")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,)), w, "leaf")
    base = adjacent_free_ports(SITES)                  # one short port range: nmap sweeps 3 ports, not 30,000
    sites = [Site(f"s{i}", crt, key, host=HOST, server_name=HOST, hsts="max-age=31536000", hardened=True,
                  port=base + i) for i in range(SITES)]
    (w / "nginx").mkdir()
    with NginxFarm(sites, w / "nginx") as f:
        ports = sorted(s.port for s in f.sites)
        inv = w / "inventory.yaml"
        inv.write_text("kind: inventory\nsystems:\n" + "".join(
            f"  - {{id: s{i}, name: S{i}, purpose: internal, information: [private], declared_level: 3, "
            f"endpoints: ['https://{HOST}:{s.port}']}}\n" for i, s in enumerate(f.sites)))
        yield {"dir": w, "ca": str(ca), "inventory": str(inv), "range": f"{ports[0]}-{ports[-1]}"}


def cmd(farm, runs: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "secaudit", "scan", farm["inventory"], "--ca-file", farm["ca"],
            "--ports-range", farm["range"], "--concurrency", "1", "--runs-dir", str(runs), "--out", str(out),
            "--format", "json", "--no-store"]


def verdicts(report: Path) -> set[tuple[str, str, str, str]]:
    data = json.loads(report.read_text())
    return {(f["system_id"], f["control_id"], f["target"], f["verdict"]) for f in data["findings"]}


def journal_kinds(runs: Path) -> list[str]:
    files = list(runs.glob("*/journal.jsonl"))
    return [r["kind"] for r in written_records(files[0])] if files else []    # the scan may be mid-line


def running_nmap(pid: int) -> bool:
    """An nmap scan (not the ``nmap -V`` of the tool check) runs under the scan process."""
    for child in children(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode()).name == "nmap" and b"-V" not in argv:
            return True
    return False


@pytest.fixture(scope="module")
def uninterrupted(farm):
    out = farm["dir"] / "full"
    r = subprocess.run(cmd(farm, farm["dir"] / "runs-full", out), cwd=ROOT, capture_output=True, text=True,
                       timeout=600, env=ENV)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    found = verdicts(out / "report.json")
    assert {v for *_, v in found} >= {"pass"} and "error" not in {v for *_, v in found}, found
    assert {c.split("-")[0] for _, c, _, _ in found} >= {"NET", "TLS", "WEB"} or len(found) > 10, found
    return found


def wait_until(condition, proc: subprocess.Popen, what: str, timeout: float = 300) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"never {what} (scan exit {proc.poll()})")


MOMENTS = {
    # SIGINT to the process group, as a terminal sends it, while nmap runs
    "sigint-during-nmap": (signal.SIGINT, True, lambda p, runs: running_nmap(p.pid)),
    # ... while the TLS probes run: the ports batch is journaled, the TLS one not yet
    "sigint-during-tls": (signal.SIGINT, True, lambda p, runs: "ports" in journal_kinds(runs)
                          and "tls" not in journal_kinds(runs) and not running_nmap(p.pid)),
    # ... between batches: some TLS observations journaled, the rest of the plan still to run
    "sigint-between-batches": (signal.SIGINT, True, lambda p, runs: "tls" in journal_kinds(runs)),
    # SIGTERM to the scan alone (a service manager stopping it), while nmap runs
    "sigterm-during-nmap": (signal.SIGTERM, False, lambda p, runs: running_nmap(p.pid)),
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_interrupt_then_resume_gives_the_uninterrupted_verdicts(farm, uninterrupted, moment):
    sig, group, ready = MOMENTS[moment]
    runs, out = farm["dir"] / f"runs-{moment}", farm["dir"] / moment
    proc = subprocess.Popen(cmd(farm, runs, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, start_new_session=True)
    try:
        wait_until(lambda: ready(proc, runs), proc, f"reached the moment {moment}")
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    (run_dir,) = list(runs.iterdir())
    if moment.endswith("during-nmap"):     # the executor was running a batch: it said it heard the interrupt
        # (nmap, killed by the group's SIGINT, may have ended its batch before the executor looked)
        assert re.search(r"^Interrupted: (waiting up to 2 s for the probes still running \(\d+\); press Ctrl-C again to "
                         r"stop now|no probe is running; stopping)\. The run can be resumed with --resume "
                         + re.escape(run_dir.name) + r"\.$", stderr, re.M), stderr
    journaled = [json.loads(x) for x in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert all(x["status"] == "ok" for x in journaled), [x.get("error") for x in journaled]
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", "--resume", run_dir.name, "--runs-dir", str(runs),
                        "--out", str(out), "--format", "json", "--no-store"], cwd=ROOT, capture_output=True,
                       text=True, timeout=600, env=ENV)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    assert json.loads((out / "report.json").read_text())["run"]["complete"] is True
    assert verdicts(out / "report.json") == uninterrupted
