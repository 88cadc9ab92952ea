"""Observers of the executor: a rich progress bar on a terminal, JSON log lines, or nothing.

Progress is shown only when stdout is a terminal, not in CI (``CI`` set) and without ``--quiet``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from secaudit.execute.interface import ExecutionSummary, NullObserver
from secaudit.model import Observation


class JsonLogObserver:
    """One JSON object per event on stderr (``--log-json``), for log shippers."""

    def __init__(self, stream: Any = None):
        self.stream = stream or sys.stderr

    def _emit(self, event: str, **fields: Any) -> None:
        rec = {"ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, **fields}
        self.stream.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.stream.flush()

    def started(self, total: int, skipped: int) -> None:
        self._emit("scan.started", probes=total, skipped=skipped)

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        self._emit("probe.done", probe=o.probe_id, kind=o.kind, target=o.target, status=o.status.value,
                   error=o.error, duration_s=o.duration_s, done=done, total=total)

    def finished(self, s: ExecutionSummary) -> None:
        self._emit("scan.finished", total=s.total, skipped=s.skipped, run=s.run, errors=s.errors,
                   timed_out=s.timed_out, complete=s.complete, reason=s.reason)


class RichProgressObserver:
    """probes done/total, current rate, ETA and failures so far."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]:.1f}/s"), TimeRemainingColumn(),
                                 TextColumn("[red]{task.fields[failures]} errors"), transient=True)
        self.task: Any = None
        self.t0 = time.monotonic()

    def started(self, total: int, skipped: int) -> None:
        from secaudit.i18n import t

        self.progress.start()
        self.task = self.progress.add_task(t("scan.progress"), total=total, completed=skipped, rate=0.0, failures=0)
        self.t0 = time.monotonic()
        self.skipped = skipped

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        elapsed = max(1e-6, time.monotonic() - self.t0)
        self.progress.update(self.task, completed=done, rate=(done - self.skipped) / elapsed, failures=failures)

    def finished(self, s: ExecutionSummary) -> None:
        self.progress.stop()


class _Both:
    def __init__(self, *observers: Any):
        self.observers = observers

    def started(self, total: int, skipped: int) -> None:
        for o in self.observers:
            o.started(total, skipped)

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        for x in self.observers:
            x.observed(o, done, total, failures)

    def finished(self, s: ExecutionSummary) -> None:
        for o in self.observers:
            o.finished(s)


def make_observer(*, quiet: bool, log_json: bool) -> Any:
    observers: list[Any] = []
    if log_json:
        observers.append(JsonLogObserver())
    if not quiet and sys.stdout.isatty() and not os.environ.get("CI"):
        observers.append(RichProgressObserver())
    if not observers:
        return NullObserver()
    return observers[0] if len(observers) == 1 else _Both(*observers)
