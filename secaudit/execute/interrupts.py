"""Ctrl-C and SIGTERM while a scan runs: noted, never raised.

A ``KeyboardInterrupt`` raised at an arbitrary bytecode can land in the middle of a journal
write, a report write or an ``except`` clause (a second Ctrl-C used to end the process without
any report). So while a scan runs, :func:`deferred_signals` replaces the handlers of SIGINT
and SIGTERM by one that only counts: the executor watches the count (first signal: stop
scheduling and give in-flight probes a short grace; second: stop waiting at once), the
results are built and the reports written from what the journal holds, and the command ends
with 130. Signals are process-wide, hence one process-wide :data:`INTERRUPTS`.

A Ctrl-C in a terminal reaches the whole foreground process group: the tools a probe started
(nmap, ssh) die of it, and a probe may fail because the run is stopping. So once an interrupt
is noted, a failed probe is not an observation: :func:`kept_after_interrupt` keeps it out of
the journal, and ``--resume`` runs it again. The rule is the executors', for every family.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from typing import Any, Iterator

from secaudit.model import Observation, ObservationStatus


class Interrupts:
    """How many interrupting signals arrived, and when the first did."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.first_at: float | None = None

    def note(self) -> None:
        with self._lock:
            self.count += 1
            if self.first_at is None:
                self.first_at = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self.count = 0
            self.first_at = None

    def grace(self, limit: float) -> tuple[int, float]:
        """What an executor acts on when it first sees an interrupt: the interrupts seen (a ``KeyboardInterrupt``
        without the deferred handler counts as one) and the grace left to probes in flight, ``limit`` seconds,
        none when two were noted before it looked (the user pressed Ctrl-C twice)."""
        seen = max(1, self.count)
        return seen, (limit if seen < 2 else 0.0)

    def cut_short(self, seen: int) -> bool:
        """Whether another interrupt arrived since ``seen`` were acted on: the grace ends now."""
        return self.count > seen


INTERRUPTS = Interrupts()


def kept_after_interrupt(observation: Observation) -> bool:
    """Whether an observation that arrives once an interrupt was noted goes into the journal.

    Only what the probe saw does: an ERROR then may be the interrupt's own doing (a tool killed by
    the terminal's SIGINT, a connection cut short), and recording it would keep ``--resume`` from
    running the probe again. A probe that failed for a reason of its own fails again on resume."""
    return observation.status is not ObservationStatus.ERROR

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def deferred_signals(interrupts: Interrupts = INTERRUPTS) -> Iterator[Interrupts]:
    """Within the block, SIGINT and SIGTERM are counted in ``interrupts`` instead of raising.

    Only the main thread may install signal handlers; elsewhere the block changes nothing."""
    interrupts.reset()
    if threading.current_thread() is not threading.main_thread():
        yield interrupts
        return

    def handler(signum: int, frame: Any) -> None:
        interrupts.note()

    previous = {s: signal.getsignal(s) for s in _SIGNALS}
    for s in _SIGNALS:
        signal.signal(s, handler)
    try:
        yield interrupts
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


def flush_output() -> None:
    """Flush stdout and stderr now (a reader that stopped reading must block us here, not at exit)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
