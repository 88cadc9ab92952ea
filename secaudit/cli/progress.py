"""Observers of the executor: a rich progress bar on a terminal, JSON log lines, the interrupt notice.

Progress is shown only when stdout is a terminal, not in CI (``CI`` set) and without ``--quiet``.
The line stays alive while one long probe runs (an nmap of a whole host can take minutes): it
names the target waited on longest and counts its seconds, refreshed by rich on its own clock.

The interrupt notice is no progress: when the executor acts on a Ctrl-C (or SIGTERM), one line on
stderr says so, always — on a terminal or not, in CI, with ``--quiet`` (which hides progress, never
what the user needs to act on: the resume hint is printed the same way). It says how long the probes
in flight are given and that a second Ctrl-C stops at once; a second Ctrl-C prints "stopping now".
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Sequence

from secaudit.cli.output import echo
from secaudit.execute.interface import ExecutionSummary, Interruption, NullObserver
from secaudit.i18n import t
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

    def running(self, kind: str, targets: Sequence[str]) -> None:
        pass

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        self._emit("probe.done", probe=o.probe_id, kind=o.kind, target=o.target, status=o.status.value,
                   error=o.error, duration_s=o.duration_s, done=done, total=total)

    def interrupted(self, i: Interruption) -> None:
        self._emit("scan.interrupted", count=i.count, in_flight=i.in_flight, grace_s=i.grace_s)

    def finished(self, s: ExecutionSummary) -> None:
        self._emit("scan.finished", total=s.total, skipped=s.skipped, run=s.run, errors=s.errors,
                   timed_out=s.timed_out, complete=s.complete, reason=s.reason)


class Waiting:
    """The probes running now, by (kind, target), and since when: the one waited on longest is shown."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.clock = clock
        self.since: dict[tuple[str, str], float] = {}
        self.failures = 0

    def running(self, kind: str, targets: Sequence[str]) -> None:
        now = self.clock()
        for target in targets:
            self.since.setdefault((kind, target), now)

    def observed(self, o: Observation, failures: int) -> None:
        self.since.pop((o.kind, o.target), None)
        self.failures = failures

    def text(self, lang: str | None = None) -> str:
        """"3 errors · waiting on 127.0.0.1 (ports) for 72 s", in the reader's language; plain text."""
        from secaudit.report.escape import strip_controls

        parts = [t("scan.progress_errors", lang, count=self.failures)] if self.failures else []
        if self.since:
            (kind, target), since = min(self.since.items(), key=lambda item: item[1])
            parts.append(t("scan.progress_waiting", lang, target=strip_controls(target, one_line=True)[:80],
                           kind=kind, seconds=int(self.clock() - since)))
        return " · ".join(parts)


class RichProgressObserver:
    """probes done/total, current rate, ETA, errors so far and the target waited on longest."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn
        from rich.progress import TimeRemainingColumn
        from rich.text import Text

        waiting = self.waiting = Waiting()

        class WaitingColumn(ProgressColumn):
            def render(self, task: Any) -> Text:
                return Text(waiting.text(), style="yellow")     # Text, not markup: targets stay data

        self.progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(bar_width=20), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]:.1f}/s"), TimeRemainingColumn(), WaitingColumn(),
                                 transient=True, refresh_per_second=2)
        self.task: Any = None
        self.t0 = time.monotonic()

    def started(self, total: int, skipped: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(t("scan.progress"), total=total, completed=skipped, rate=0.0)
        self.t0 = time.monotonic()
        self.skipped = skipped

    def running(self, kind: str, targets: Sequence[str]) -> None:
        self.waiting.running(kind, targets)

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        self.waiting.observed(o, failures)
        elapsed = max(1e-6, time.monotonic() - self.t0)
        self.progress.update(self.task, completed=done, rate=(done - self.skipped) / elapsed)

    def interrupted(self, i: Interruption) -> None:
        pass             # the notice says it (above the bar: rich's live display redirects stderr)

    def finished(self, s: ExecutionSummary) -> None:
        self.progress.stop()


class _Both:
    def __init__(self, *observers: Any):
        self.observers = observers

    def started(self, total: int, skipped: int) -> None:
        for o in self.observers:
            o.started(total, skipped)

    def running(self, kind: str, targets: Sequence[str]) -> None:
        for o in self.observers:
            o.running(kind, targets)

    def observed(self, o: Observation, done: int, total: int, failures: int) -> None:
        for x in self.observers:
            x.observed(o, done, total, failures)

    def interrupted(self, i: Interruption) -> None:
        for o in self.observers:
            o.interrupted(i)

    def finished(self, s: ExecutionSummary) -> None:
        for o in self.observers:
            o.finished(s)


def notice_text(i: Interruption, lang: str, resume: str | None) -> str:
    """The interrupt notice in the reader's language (pure). ``resume``: the run id a later ``--resume`` takes,
    None when the run is not kept (`tls`, `ports`). Only numbers and the run id: nothing from a server."""
    if i.count > 1 or i.grace_s <= 0:
        text = t("scan.interrupted_again", lang, count=i.in_flight)
    elif i.in_flight:
        text = t("scan.interrupted_grace", lang, count=i.in_flight, seconds=f"{i.grace_s:g}")
    else:
        text = t("scan.interrupted_idle", lang)
    return text + (" " + t("scan.interrupted_resume", lang, run=resume) if resume else "")


class InterruptNotice(NullObserver):
    """Prints :func:`notice_text` on stderr when the executor acts on an interrupt."""

    def __init__(self, lang: str, resume: str | None) -> None:
        self.lang, self.resume = lang, resume

    def interrupted(self, i: Interruption) -> None:
        try:
            echo(notice_text(i, self.lang, self.resume), err=True)
        except (OSError, ValueError):    # stderr gone (a `2>&1 | tee` the same Ctrl-C ended): the run still ends well
            pass


def make_observer(*, quiet: bool, log_json: bool, notice: InterruptNotice | None = None) -> Any:
    """What watches a run: JSON log lines (``--log-json``), progress on a terminal (not with ``--quiet``, not in
    CI), and the interrupt ``notice``, which is no progress and is shown whatever the others."""
    observers: list[Any] = [notice] if notice is not None else []
    if log_json:
        observers.append(JsonLogObserver())
    if not quiet and sys.stdout.isatty() and not os.environ.get("CI"):
        observers.append(RichProgressObserver())
    if not observers:
        return NullObserver()
    return observers[0] if len(observers) == 1 else _Both(*observers)
