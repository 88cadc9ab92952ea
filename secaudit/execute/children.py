"""Child processes of this process (nmap, ssh) that an abandoned batch leaves behind.

A batch abandoned at the run deadline or on Ctrl-C keeps its thread (a daemon, it dies with the
process), but a tool it started would outlive the scan as an orphan still probing the network.
The executor notes the children that existed before it started and ends only the ones that
appeared since. Linux ``/proc``; elsewhere nothing is found and nothing is ended. A process killed
outright (kill -9) ends nothing itself: its tools were started with a parent-death signal instead
(:mod:`secaudit.probes.pdeath`).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def children(pid: int | None = None) -> set[int]:
    """Process ids whose parent is ``pid`` (default: this process)."""
    parent = os.getpid() if pid is None else pid
    found: set[int] = set()
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
        fields = text[text.rfind(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(parent):
            found.add(int(entry.parent.name))
    return found


def end_children(since: set[int], grace_s: float = 1.0) -> list[int]:
    """SIGTERM the children not in ``since``, SIGKILL those still alive after ``grace_s``; returns the pids."""
    new = sorted(children() - since)
    for pid in new:
        _send(pid, signal.SIGTERM)
    end = time.monotonic() + grace_s
    alive = list(new)
    while alive and time.monotonic() < end:
        time.sleep(0.05)
        alive = [p for p in alive if _alive(p)]
    for pid in alive:
        _send(pid, signal.SIGKILL)
    return new


def _send(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rfind(")") + 2:].split()[0] != "Z"   # a zombie has ended; its parent reaps it
