"""Nothing is lost: kill -9 halfway then --resume equals an uninterrupted run; Ctrl-C gives exit 130,
an incomplete report and a working resume.

Given twenty real TLS endpoints scanned one batch at a time, when the scan is killed or interrupted after
a few observations, then the journal keeps them and a resume finishes the rest without duplicates.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from tests.support.streams import Streams

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
N = 20
HOST = "127.0.0.61"


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    w = tmp_path_factory.mktemp("resume")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,)), w, "leaf")
    sites = [Site(f"s{i}", crt, key, host=HOST, hsts="max-age=31536000") for i in range(N)]
    (w / "nginx").mkdir()
    with NginxFarm(sites, w / "nginx") as f:
        inv = w / "inventory.yaml"
        inv.write_text("kind: inventory\nsystems:\n" + "".join(
            f"  - {{id: s{i}, name: S{i}, purpose: internal, information: [private], declared_level: 3, "
            f"endpoints: ['https://{HOST}:{s.port}']}}\n" for i, s in enumerate(f.sites)))
        yield {"dir": w, "ca": str(ca), "inventory": str(inv)}


def cmd(farm, runs: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "secaudit", "scan", farm["inventory"], "--only", "tls", "--ca-file", farm["ca"],
            "--concurrency", "1", "--runs-dir", str(runs), "--out", str(out), "--format", "json", *extra]


ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en"}


def journal_lines(runs: Path) -> int:
    files = list(runs.glob("*/journal.jsonl"))
    return sum(1 for f in files for line in f.read_bytes().splitlines() if line.strip()) if files else 0


def wait_for_journal(runs: Path, proc: subprocess.Popen, at_least: int, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if journal_lines(runs) >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"journal never reached {at_least} lines (process exit {proc.poll()})")


def comparable(report: Path) -> dict[str, tuple]:
    data = json.loads(report.read_text())
    return {o["probe_id"]: (o["status"], json.dumps(o["facts"], sort_keys=True)) for o in data["observations"]}


@pytest.fixture(scope="module")
def uninterrupted(farm):
    out = farm["dir"] / "full"
    r = subprocess.run(cmd(farm, farm["dir"] / "runs-full", out, "--log-json"), cwd=ROOT, capture_output=True,
                       text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    events = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events].count("probe.done") == N
    assert events[0]["event"] == "scan.started" and events[-1]["event"] == "scan.finished"
    assert events[-1]["complete"] is True
    return comparable(out / "report.json")


def test_kill_9_halfway_then_resume_gives_the_same_observations(farm, uninterrupted):
    runs, out = farm["dir"] / "runs-kill", farm["dir"] / "kill"
    proc = subprocess.Popen(cmd(farm, runs, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=ENV)
    try:
        wait_for_journal(runs, proc, at_least=3)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    before = journal_lines(runs)
    assert 3 <= before < N, before
    (run_dir,) = list(runs.iterdir())
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", "--resume", run_dir.name, "--runs-dir", str(runs),
                        "--out", str(out), "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = [json.loads(x) for x in (run_dir / "journal.jsonl").read_text().splitlines()]
    assert len(lines) == len({x["probe_id"] for x in lines}) == N            # no loss, no duplicates
    assert comparable(out / "report.json") == uninterrupted
    # the run id alone rebuilds the same results from the journal, without scanning
    r = subprocess.run([sys.executable, "-m", "secaudit", "report", run_dir.name, "--runs-dir", str(runs),
                        "--out", str(out / "again"), "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                       timeout=120, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    assert comparable(out / "again" / "report.json") == uninterrupted


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_gives_130_an_incomplete_report_and_a_working_resume(farm, uninterrupted, sig):
    runs, out = farm["dir"] / f"runs-{sig.name}", farm["dir"] / sig.name
    proc = subprocess.Popen(cmd(farm, runs, out), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)
    try:
        wait_for_journal(runs, proc, at_least=3)
        t0 = time.monotonic()
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert stopped_in < 30, stopped_in
    assert "Traceback" not in stderr
    report = json.loads((out / "report.json").read_text())
    assert report["run"]["complete"] is False
    assert "INCOMPLETE" in stdout and "--resume" in stderr
    (run_dir,) = list(runs.iterdir())
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", "--resume", run_dir.name, "--runs-dir", str(runs),
                        "--out", str(out), "--format", "json"], cwd=ROOT, capture_output=True, text=True,
                       timeout=300, env=ENV)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads((out / "report.json").read_text())["run"]["complete"] is True
    assert comparable(out / "report.json") == uninterrupted


def test_a_second_ctrl_c_exits_at_once_with_the_journal_intact(farm):
    # The second Ctrl-C is sent once the first one's notice is on stderr: the scan has counted the first, so
    # the two can never merge into one pending signal (as two sent 0.2 s apart did on a loaded machine). In
    # Vietnamese, and with --quiet, which hides progress but never this notice.
    runs, out = farm["dir"] / "runs-twice", farm["dir"] / "twice"
    proc = subprocess.Popen(cmd(farm, runs, out, "--quiet", "--lang", "vi"), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    streams = Streams(proc)
    try:
        wait_for_journal(runs, proc, at_least=2)
        proc.send_signal(signal.SIGINT)
        streams.wait_for("Đã nhận lệnh ngắt: ", timeout=60)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = streams.finish(timeout=30)
        stopped_in = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 130 and stopped_in < 5, (proc.returncode, stopped_in, stderr[-2000:])
    assert "Traceback" not in stderr
    (run_dir,) = list(runs.iterdir())
    notice = re.escape(f"Có thể tiếp tục lượt quét bằng --resume {run_dir.name}.")
    assert re.search(r"^Đã nhận lệnh ngắt: (chờ tối đa 2 giây cho các phép đo đang chạy \(\d+\); nhấn Ctrl-C lần "
                     r"nữa để dừng ngay|không có phép đo nào đang chạy; đang dừng)\. " + notice + "$", stderr, re.M), stderr
    (journal,) = list(runs.glob("*/journal.jsonl"))
    lines = journal.read_text().splitlines()
    assert len(lines) >= 2 and all(json.loads(x)["probe_id"] for x in lines)
