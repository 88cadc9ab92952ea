"""A scan killed with SIGKILL leaves no probing tool behind (real nmap, real OpenSSH client).

SIGTERM and Ctrl-C are handled by the scan, which ends its children; kill -9 cannot be handled.
Given a listener on loopback that accepts and never answers (nmap's service detection and ssh's
banner wait then last many seconds), when the process that started the tool is SIGKILLed while the
tool runs, then the tool has ended within a few seconds instead of living on as an orphan. nmap
stays in the scan's process group meanwhile (a terminal's Ctrl-C still reaches it).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from secaudit.execute.children import children
from tests.support.procs import ended

pytestmark = [pytest.mark.integration, pytest.mark.skipif(not sys.platform.startswith("linux"),
                                                          reason="PR_SET_PDEATHSIG is Linux only")]

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.26.200.1"
ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en", "PYTHONPATH": str(ROOT)}


class Silent:
    """A TCP port on HOST that accepts every connection and never sends a byte; counts connections."""

    def __init__(self, port: int, held: list[socket.socket]) -> None:
        self.port = port
        self.held = held

    def accepted(self) -> int:
        return len(self.held)


@pytest.fixture(scope="module")
def silent():
    server = socket.socket()
    server.bind((HOST, 0))
    server.listen(64)
    server.settimeout(0.1)
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield Silent(server.getsockname()[1], held)
    finally:
        stop.set()
        t.join(timeout=10)
        server.close()
        for c in held:
            c.close()


def tool_child(pid: int, name: str, marker: bytes) -> int | None:
    """The child of ``pid`` running ``name`` with ``marker`` among its arguments (not nmap -V's check)."""
    for child in children(pid):
        try:
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode()).name == name and marker in argv:
            return child
    return None


def wait_for(condition, proc: subprocess.Popen, what: str, timeout: float = 120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        if found := condition():
            return found
        time.sleep(0.02)
    raise AssertionError(f"never {what} (exit {proc.poll()})")


def kill_and_expect_gone(proc: subprocess.Popen, tool: int, grace_s: float = 4.0) -> None:
    try:
        proc.kill()
        proc.wait(timeout=30)
        end = time.monotonic() + grace_s
        while time.monotonic() < end and not ended(tool):
            time.sleep(0.02)
        assert ended(tool), f"pid {tool} outlived its SIGKILLed parent: {Path(f'/proc/{tool}/cmdline').read_bytes()!r}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        if not ended(tool):          # never leave an orphan probing, even when the test fails
            os.kill(tool, signal.SIGKILL)


def test_nmap_dies_with_a_sigkilled_scan(silent, tmp_path):
    silent_port, before = silent.port, silent.accepted()
    inv = tmp_path / "inventory.yaml"
    inv.write_text("kind: inventory\nsystems:\n  - {id: s0, name: S0, purpose: internal, information: [private], "
                   f"declared_level: 3, endpoints: ['https://{HOST}:{silent_port}']}}\n")
    proc = subprocess.Popen([sys.executable, "-m", "secaudit", "scan", str(inv), "--ports-range", str(silent_port),
                             "--concurrency", "1", "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out"),
                             "--format", "json", "--no-store"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=ENV, start_new_session=True)
    nmap, ready = None, False
    try:
        # nmap started from a thread of the ports probe's pool, inside the executor's batch thread
        nmap = wait_for(lambda: tool_child(proc.pid, "nmap", b"-sV"), proc, "saw nmap -sV run")
        assert os.getpgid(nmap) == proc.pid, "nmap left the scan's process group"
        # killed in the service scan, which writes nothing for many seconds: without the parent-death
        # signal nmap would only die of SIGPIPE at its next write (the end of a phase), far later; its
        # connect scan makes the first connection, service detection the second
        wait_for(lambda: silent.accepted() >= before + 2, proc, "saw nmap's service-detection connection")
        ready = True
    finally:
        if not ready and proc.poll() is None:     # the scan's group holds nmap too
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    kill_and_expect_gone(proc, nmap)


def test_the_ssh_fallback_dies_with_a_sigkilled_prober(silent):
    silent_port = silent.port
    code = textwrap.dedent(f"""
        from secaudit.probes import ssh_auth
        ssh_auth.auth_methods({HOST!r}, {silent_port}, timeout_s=120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=ENV, start_new_session=True)
    ssh = None
    try:
        ssh = wait_for(lambda: tool_child(proc.pid, "ssh", HOST.encode()), proc, "saw ssh run")
    finally:
        if ssh is None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    kill_and_expect_gone(proc, ssh)
