"""Two network namespaces joined by a veth pair, for the discovery tests (needs root and iproute2).

``scanner`` holds 10.213.6.1/24 and routes the target networks over the veth; ``targets`` holds
10.213.6.2/24 plus every address the test asks for. The 10.213.0.0/16 addresses exist only inside
these namespaces: nothing the tests start there can reach, or be reached from, any other network.
Listeners are real sockets in the target namespace (one Python process) that log each accepted
connection, so a test can prove which addresses were, and were not, probed. Everything is deleted
on exit, listeners first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

from secaudit.lab.servers import stop_process

SCANNER_ADDR = "10.213.6.1"
TARGETS_ADDR = "10.213.6.2"
LINK_NET = "10.213.6.0/24"

_LISTENER = r"""
import selectors, socket, sys
log = open(sys.argv[1], "a", buffering=1)
sel = selectors.DefaultSelector()
for spec in sys.argv[2:]:
    host, port = spec.rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, spec)
log.write("ready\n")
while True:
    for key, _ in sel.select():
        try:
            conn, peer = key.fileobj.accept()
        except OSError:
            continue
        log.write(f"{key.data} {peer[0]}\n")
        conn.close()
"""


def available() -> str | None:
    """Why the namespaces cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "iproute2 (ip) is missing"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@dataclass
class NetnsLab:
    scanner: str                 # namespace names
    targets: str
    workdir: Path
    log: Path | None = None
    listener: subprocess.Popen | None = None

    def exec_argv(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the scanner namespace."""
        return ["ip", "netns", "exec", self.scanner, *argv]

    def listen(self, specs: Sequence[str]) -> None:
        """Start one listener process in the target namespace for every ``addr:port``."""
        self.log = self.workdir / "connections.log"
        self.log.write_text("")
        script = self.workdir / "listener.py"
        script.write_text(_LISTENER)
        self.listener = subprocess.Popen(["ip", "netns", "exec", self.targets, sys.executable, str(script),
                                          str(self.log), *specs], stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, start_new_session=True)
        end = time.monotonic() + 10
        while time.monotonic() < end and "ready" not in self.log.read_text():
            if self.listener.poll() is not None:
                raise RuntimeError("listener failed: " + self.listener.stderr.read().decode(errors="replace"))
            time.sleep(0.05)
        if "ready" not in self.log.read_text():
            raise RuntimeError("listener did not start")

    def connections(self) -> list[tuple[str, str]]:
        """(addr:port listened on, peer address) of every connection accepted so far."""
        if self.log is None:
            return []
        return [tuple(line.split()) for line in self.log.read_text().splitlines()[1:] if line.strip()]


@contextlib.contextmanager
def netns_lab(workdir: Path, addresses: Sequence[str], routes: Sequence[str]) -> Iterator[NetnsLab]:
    """Namespaces with ``addresses`` (CIDR, e.g. 10.213.7.2/28) on the target side and ``routes``
    (networks) from the scanner side. Deleted on exit, whatever happened."""
    tag = f"{os.getpid() % 100000}"
    lab = NetnsLab(f"sa-chk-s{tag}", f"sa-chk-t{tag}", workdir)
    va, vb = f"sachs{tag}", f"sacht{tag}"
    made: list[str] = []
    try:
        for ns in (lab.scanner, lab.targets):
            _ip("netns", "add", ns)
            made.append(ns)
        _ip("link", "add", va, "type", "veth", "peer", "name", vb)
        _ip("link", "set", va, "netns", lab.scanner)
        _ip("link", "set", vb, "netns", lab.targets)
        _ip("-n", lab.scanner, "addr", "add", f"{SCANNER_ADDR}/24", "dev", va)
        _ip("-n", lab.targets, "addr", "add", f"{TARGETS_ADDR}/24", "dev", vb)
        for addr in addresses:
            _ip("-n", lab.targets, "addr", "add", addr, "dev", vb)
        for ns, dev in ((lab.scanner, va), (lab.targets, vb)):
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", dev, "up")
        for net in routes:
            _ip("-n", lab.scanner, "route", "add", net, "via", TARGETS_ADDR, "dev", va)
        yield lab
    finally:
        if lab.listener is not None:
            stop_process(lab.listener)
            if lab.listener.stderr:
                lab.listener.stderr.close()
        for ns in reversed(made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
