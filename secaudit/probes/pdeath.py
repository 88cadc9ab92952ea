"""A probing tool (nmap, ssh) dies with the process that started it, even when that one is SIGKILLed.

SIGTERM and Ctrl-C are handled: the executor and the zone worker's pool end the children they
leave (:mod:`secaudit.execute.children`). ``kill -9`` cannot be handled, and nmap would live on as
an orphan still probing. On Linux the child asks the kernel, between fork and exec, for SIGKILL when
its parent goes (``prctl(PR_SET_PDEATHSIG)``, through libc with ctypes); the setting survives the
exec of nmap (not of a set-user-ID or file-capability binary, which clears it). Elsewhere nothing
is set and tools run as before.

The kernel's "parent" is the *thread* that forked, not the process: the signal comes when that
thread ends. Every tool here is started with ``subprocess.run`` from the thread that then waits for
it (communicate, and on a timeout kill then wait), so that thread outlives the child; a thread of
an executor pool ends only between tasks. A parent gone between fork and ``prctl`` is caught by
comparing ``getppid()`` with the pid noted before the fork: the child then ends before exec.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from typing import Callable

PR_SET_PDEATHSIG = 1          # <linux/prctl.h>

_Prctl = Callable[[int, int, int, int, int], int]


def _load_prctl() -> _Prctl | None:
    """libc's ``prctl`` on Linux, None elsewhere or when it cannot be found."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    fn.restype = ctypes.c_int
    return fn


_PRCTL = _load_prctl()


def supported() -> bool:
    """True where a child can be made to die with its parent (Linux with libc's prctl)."""
    return _PRCTL is not None


def die_with_parent(sig: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` for :mod:`subprocess` that makes the child receive ``sig`` when the thread that
    started it ends (with its process, by kill -9 too); None where unsupported (pass it as is).

    Called in the child after fork: it only calls the function resolved here and compares two pids,
    nothing that takes a lock. Should ``prctl`` fail the tool runs as it did before, unprotected."""
    prctl = _PRCTL
    if prctl is None:
        return None
    parent = os.getpid()
    signum = int(sig)

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:      # the parent died before the setting took effect
            os.kill(os.getpid(), signum)

    return preexec
