"""The progress line on a terminal stays alive during a long nmap run and says what it waits on, in the
reader's language (issue 25 item 16).

Given a scan in a pseudo-terminal, in Vietnamese, whose only probe is nmap's service scan of a silent
port (tens of seconds), when the terminal is read while nmap runs, then the line names the target and
its family and counts the seconds up (rich redraws it on its own clock; no observation arrives
meanwhile), and the English word "errors" appears nowhere.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.cli.progress import Waiting
from secaudit.model import Observation, ObservationStatus

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.25.0.101"


def test_waiting_names_the_target_waited_on_longest_and_the_errors_in_the_language():
    now = [100.0]
    w = Waiting(clock=lambda: now[0])
    w.running("tls", ["127.25.0.1:443", "127.25.0.2:443"])
    now[0] = 130.0
    w.running("ports", ["127.25.0.3"])
    now[0] = 172.0
    assert w.text("en") == "waiting on 127.25.0.1:443 (tls) for 72 s"
    w.observed(Observation("x", "tls", "127.25.0.1:443", ObservationStatus.ERROR), failures=1)
    assert w.text("en") == "1 errors · waiting on 127.25.0.2:443 (tls) for 72 s"
    assert w.text("vi") == "1 lỗi · đang chờ 127.25.0.2:443 (tls) đã 72 giây"
    w.running("web", ["127.25.0.9:443\x1b[2J"])         # a target is shown as text, never as terminal control
    assert "\x1b" not in w.text("en")


@pytest.fixture()
def silent_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        s.listen(16)
        yield s.getsockname()[1]


@pytest.mark.integration
def test_progress_line_counts_the_wait_on_nmap_in_vietnamese(tmp_path, silent_port):
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(SECAUDIT_LANG="vi", COLUMNS="160", TERM="xterm-256color")
    proc = subprocess.Popen([sys.executable, "-m", "secaudit", "scan", "--target", f"{HOST}:{silent_port}",
                             "--service", "other", "--level", "3", "--only", "ports", "--no-store",
                             "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out")],
                            cwd=ROOT, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, screen = set(), b""
    try:
        end = time.monotonic() + 120
        while time.monotonic() < end and proc.poll() is None and len(seen) < 3:
            ready, _, _ = select.select([master], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                screen += chunk
                text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))
                seen = {int(n) for n in re.findall(rf"đang chờ {re.escape(HOST)} \(ports\) đã (\d+) giây", text)}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        os.close(master)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))
    assert len(seen) >= 3, text[-2000:]           # the count went up three times with no observation between
    assert "Đang quét" in text and "errors" not in text
