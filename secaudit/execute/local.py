"""The local executor: runs probes in this process, bounded, deadlined, journaled.

* Probes are grouped by kind into batches (one nmap invocation, ten TLS endpoints...).
* At most ``concurrency`` batches run at once, and at most ``per_host`` of them touch a host.
* An optional rate limit spaces batch starts so that probes start at most ``rate`` per second.
* Each batch runs in a daemon thread that feeds a queue; the calling thread alone writes the
  journal and tells the observer. A batch still running past its hard deadline (the probe
  timeout times the batch's waves, plus a grace period) is abandoned: its remaining probes
  become ERROR observations saying so, and anything it yields later is ignored. So a
  hostile server can cost a run its deadline, never a hang.
* The run deadline bounds the whole execution: when it passes, nothing more starts, the probes
  still running end as ERROR observations (journaled), tools the abandoned batches started are
  ended, and the summary says "run_deadline". Probes never started stay out of the journal,
  so ``--resume`` runs them later.
* Interrupts (see :mod:`secaudit.execute.interrupts`): the first stops scheduling and gives
  in-flight batches ``grace_on_interrupt`` seconds, a second stops waiting at once; what they
  did not finish stays out of the journal for ``--resume``, and so does a probe that fails once
  an interrupt was noted (:func:`~secaudit.execute.interrupts.kept_after_interrupt`). A
  ``KeyboardInterrupt`` in the calling thread (no deferred handler installed) is treated as a
  first interrupt. The observer is told of each step (``interrupted``), so the user sees that
  the interrupt was heard before pressing Ctrl-C again.
"""

from __future__ import annotations

import datetime as dt
import math
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from secaudit.execute.children import children, end_children
from secaudit.execute.interface import (
    ExecutionObserver, ExecutionSummary, Interruption, JournalLike, NullObserver, ProbeRunner, Recorder,
)
from secaudit.execute.interrupts import INTERRUPTS, Interrupts, kept_after_interrupt
from secaudit.model import Message, Observation, ObservationStatus, Probe


@dataclass
class Limits:
    concurrency: int = 4               # batches at once
    per_host: int = 2                  # batches at once touching one host
    rate: float | None = None          # probes started per second
    probe_timeout: float = 30.0        # seconds per probe
    kind_timeouts: dict[str, float] = field(default_factory=dict)   # per probe kind, e.g. {"ports": 120}
    run_deadline: float | None = None  # seconds for the whole execution
    grace: float = 5.0                 # extra seconds before a batch is abandoned
    grace_on_interrupt: float = 2.0


@dataclass
class _Batch:
    kind: str
    probes: list[Probe]
    hosts: frozenset[str]
    started: float = 0.0
    deadline: float = 0.0
    timeout: float = 0.0
    pending: dict[str, Probe] = field(default_factory=dict)


def host_of(target: str) -> str:
    if target.startswith("["):
        return target[1: target.index("]")]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def error_observation(probe: Probe, reason: str | Message, duration: float = 0.0) -> Observation:
    """An ERROR observation; a catalog ``Message`` reason is shown in the reader's language."""
    if isinstance(reason, Message):
        return Observation.failed(probe, reason, _now_iso(), round(duration, 3))
    return Observation(probe.id, probe.kind, probe.target, ObservationStatus.ERROR, None, reason, _now_iso(),
                       round(duration, 3))


def failure_reason(e: BaseException) -> Message:
    """Why a runner failed: a secaudit error's own catalog message (a scope refusal), else the exception."""
    key, args = getattr(e, "key", None), getattr(e, "args_", None)
    error: str | Message = Message(key, dict(args or {})) if isinstance(key, str) else f"{type(e).__name__}: {e}"
    return Message("execute.probe_failed", {"error": error})


class LocalExecutor:
    def __init__(self, runners: Mapping[str, ProbeRunner], limits: Limits | None = None,
                 interrupts: Interrupts = INTERRUPTS):
        self.runners = dict(runners)
        self.limits = limits or Limits()
        self.interrupts = interrupts
        self._stop = threading.Event()

    def stop(self) -> None:
        """Stop scheduling new batches (the run then ends as "stopped")."""
        self._stop.set()

    def batches(self, probes: Sequence[Probe]) -> list[_Batch]:
        by_kind: dict[str, list[Probe]] = {}
        for p in probes:
            by_kind.setdefault(p.kind, []).append(p)
        batches = []
        for kind, items in by_kind.items():
            size = max(1, self.runners[kind].batch_size) if kind in self.runners else 1
            for i in range(0, len(items), size):
                chunk = items[i: i + size]
                batches.append(_Batch(kind, chunk, frozenset(host_of(p.target) for p in chunk),
                                      pending={p.id: p for p in chunk}))
        return batches

    def execute(self, probes: Sequence[Probe], journal: JournalLike,
                observer: ExecutionObserver | None = None) -> ExecutionSummary:
        run = _Run(self, probes, journal, observer or NullObserver())
        try:
            run.loop()
        except KeyboardInterrupt:    # no deferred handler: the default one raised in this thread
            run.reason = "interrupted"
            run.drain()              # a second KeyboardInterrupt propagates at once
        return run.finish()


class _Run:
    """The state of one execution; the calling thread alone touches it."""

    def __init__(self, executor: LocalExecutor, probes: Sequence[Probe], journal: JournalLike,
                 observer: ExecutionObserver):
        self.executor, self.lim, self.journal, self.observer = executor, executor.limits, journal, observer
        done_before = journal.done_ids()
        todo = [p for p in probes if p.id not in done_before]
        self.total, self.skipped = len(probes), len(probes) - len(todo)
        self.waiting = executor.batches(todo)
        self.running: dict[int, _Batch] = {}
        self.out: queue.Queue[tuple[int, Observation | None]] = queue.Queue()
        self.host_load: Counter[str] = Counter()
        self.started_at = self.next_start = time.monotonic()
        self.counts = Recorder(journal, observer, self.total, self.skipped)
        self.reason = ""
        self.abandoned = False
        self.children_before = children()
        self._ids = iter(range(1 << 30))
        observer.started(self.total, self.skipped)

    # ------------------------------------------------------------------ the loop

    def loop(self) -> None:
        while self.waiting or self.running:
            if self._interrupted():
                self.reason = "interrupted"
                self.drain()
                return
            if self._past_run_deadline():
                self.reason = "run_deadline"
                self.abandon_running(Message("execute.run_deadline", {"seconds": f"{self.lim.run_deadline:g}"}))
                return
            if self.executor._stop.is_set():
                self.reason = "stopped"
                if not self.running:
                    return
            else:
                self.schedule()
            self.consume(0.05)
            self.enforce_batch_deadlines()

    def _interrupted(self) -> bool:
        return self.executor.interrupts.count > 0     # reset when the scan's deferred handler was installed

    def _past_run_deadline(self) -> bool:
        d = self.lim.run_deadline
        return d is not None and time.monotonic() - self.started_at > d

    # ------------------------------------------------------------------ scheduling

    def schedule(self) -> None:
        now = time.monotonic()
        lim = self.lim
        while self.waiting and len(self.running) < lim.concurrency and now >= self.next_start:
            pick = next((b for b in self.waiting if all(self.host_load[h] < lim.per_host for h in b.hosts)), None)
            if pick is None:
                return
            self.waiting.remove(pick)
            self.start(pick)
            if lim.rate:
                self.next_start = max(now, self.next_start) + len(pick.probes) / lim.rate

    def start(self, batch: _Batch) -> None:
        bid = next(self._ids)
        runner = self.executor.runners.get(batch.kind)
        waves = math.ceil(len(batch.probes) / max(1, getattr(runner, "parallel", 1) or 1))
        batch.timeout = self.lim.kind_timeouts.get(batch.kind, self.lim.probe_timeout)
        overhead = float(getattr(runner, "overhead_s", 0.0) or 0.0)   # a runner's fixed cost per batch
        batch.started = time.monotonic()
        batch.deadline = batch.started + batch.timeout * waves + overhead + self.lim.grace
        self.running[bid] = batch
        for h in batch.hosts:
            self.host_load[h] += 1
        self.observer.running(batch.kind, [p.target for p in batch.probes])
        threading.Thread(target=_work, args=(runner, batch, bid, self.out),
                         name=f"secaudit-{batch.kind}-{bid}", daemon=True).start()

    def finish_batch(self, bid: int) -> None:
        b = self.running.pop(bid)
        for h in b.hosts:
            self.host_load[h] -= 1

    # ------------------------------------------------------------------ results

    def record(self, obs: Observation) -> None:
        if (self.reason == "interrupted" or self._interrupted()) and not kept_after_interrupt(obs):
            return                             # perhaps the interrupt's doing: --resume runs it again
        self.counts.record(obs)

    def consume(self, wait_s: float) -> None:
        """Take one message from the batches (waiting at most ``wait_s``) and record it."""
        try:
            bid, obs = self.out.get(timeout=wait_s)
        except queue.Empty:
            return
        b = self.running.get(bid)
        if b is None:                          # an abandoned batch speaking late
            return
        if obs is None:                        # the runner ended; without a word for these:
            for p in list(b.pending.values()):
                self.record(error_observation(p, Message("execute.no_observation")))
            b.pending.clear()
            self.finish_batch(bid)
        elif b.pending.pop(obs.probe_id, None) is not None:
            self.record(obs)

    def enforce_batch_deadlines(self) -> None:
        now = time.monotonic()
        for bid, b in list(self.running.items()):
            if now > b.deadline:
                for p in list(b.pending.values()):
                    self.record(error_observation(p, Message("execute.deadline", {"seconds": f"{b.timeout:g}"}),
                                                  b.timeout))
                    self.counts.timed_out += 1
                b.pending.clear()
                self.finish_batch(bid)

    def abandon_running(self, reason: str | Message) -> None:
        """End every running batch now: its unfinished probes become ERROR observations."""
        now = time.monotonic()
        for bid, b in list(self.running.items()):
            for p in list(b.pending.values()):
                self.record(error_observation(p, reason, now - b.started))
                self.counts.timed_out += 1
            b.pending.clear()
            self.finish_batch(bid)
            self.abandoned = True

    def in_flight(self) -> int:
        return sum(len(b.pending) for b in self.running.values())

    def drain(self) -> None:
        """After an interrupt: record what in-flight batches finish within the grace, unless interrupted again
        (two interrupts noted before the loop saw the first count as two). The observer hears of each step."""
        interrupts = self.executor.interrupts
        seen, grace = interrupts.grace(self.lim.grace_on_interrupt)
        self.observer.interrupted(Interruption(seen, self.in_flight(), grace))
        end = time.monotonic() + grace
        while self.running and time.monotonic() < end and not interrupts.cut_short(seen):
            self.consume(0.05)
        if self.running:
            if interrupts.cut_short(seen):
                self.observer.interrupted(Interruption(interrupts.count, self.in_flight(), 0.0))
            self.abandoned = True
            for bid in list(self.running):
                self.finish_batch(bid)           # left out of the journal: --resume runs them

    def finish(self) -> ExecutionSummary:
        if self.abandoned:
            end_children(self.children_before)
        if self.executor._stop.is_set() and not self.reason:
            self.reason = "stopped"
        complete = not self.reason and not self.waiting and not self.running
        return self.counts.finish(complete, self.reason)


def _work(runner: ProbeRunner | None, batch: _Batch, bid: int, out: queue.Queue) -> None:
    """A batch's thread: run it, pass each observation on, then a final ``None``."""
    try:
        if runner is None:
            raise RuntimeError(f"no runner for probe kind {batch.kind!r}")
        for obs in runner.run(batch.probes, timeout_s=batch.timeout):
            out.put((bid, obs))
    except BaseException as e:  # a runner bug: its probes become errors, the run goes on
        for p in list(batch.probes):
            out.put((bid, error_observation(p, failure_reason(e))))
    finally:
        out.put((bid, None))
