"""The local executor: runs probes in this process, bounded, deadlined, journaled.

* Probes are grouped by kind into batches (one sslyze Scanner or one nmap invocation each).
* At most ``concurrency`` batches run at once, and at most ``per_host`` of them touch a host.
* An optional rate limit spaces batch starts so that probes start at most ``rate`` per second.
* Each batch runs in a daemon thread that feeds a queue; the calling thread alone writes the
  journal and tells the observer. A batch still running past its hard deadline (the probe
  timeout times the batch's waves, plus a grace period) is abandoned: its remaining probes
  become ERROR observations saying so, and anything it yields later is ignored. So a
  hostile server can cost a run its deadline, never a hang.
* A run deadline stops scheduling; probes not started stay out of the journal, so
  ``--resume`` runs them later. Ctrl-C (KeyboardInterrupt in the calling thread) does the
  same after giving in-flight batches ``grace_on_interrupt`` seconds.
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

from secaudit.execute.interface import ExecutionObserver, ExecutionSummary, JournalLike, NullObserver, ProbeRunner
from secaudit.model import Observation, ObservationStatus, Probe


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
    deadline: float = 0.0
    timeout: float = 0.0
    pending: dict[str, Probe] = field(default_factory=dict)
    abandoned: bool = False


def host_of(target: str) -> str:
    if target.startswith("["):
        return target[1: target.index("]")]
    return target.rsplit(":", 1)[0] if target.count(":") == 1 else target


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def error_observation(probe: Probe, reason: str, duration: float = 0.0) -> Observation:
    return Observation(probe.id, probe.kind, probe.target, ObservationStatus.ERROR, None, reason, _now_iso(),
                       round(duration, 3))


class LocalExecutor:
    def __init__(self, runners: Mapping[str, ProbeRunner], limits: Limits | None = None):
        self.runners = dict(runners)
        self.limits = limits or Limits()
        self._stop = threading.Event()

    def stop(self) -> None:
        """Stop scheduling new batches (SIGTERM handler, run deadline)."""
        self._stop.set()

    def _batches(self, probes: Sequence[Probe]) -> list[_Batch]:
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
        observer = observer or NullObserver()
        lim = self.limits
        done_before = journal.done_ids()
        todo = [p for p in probes if p.id not in done_before]
        skipped = len(probes) - len(todo)
        observer.started(len(probes), skipped)
        waiting = self._batches(todo)
        out: queue.Queue[tuple[int, Observation | None]] = queue.Queue()
        running: dict[int, _Batch] = {}
        host_load: Counter[str] = Counter()
        started_at = time.monotonic()
        next_start = started_at
        done = skipped
        run = errors = timed_out = 0
        reason = ""
        batch_ids = iter(range(1 << 30))

        def record(obs: Observation) -> None:
            nonlocal done, run, errors
            journal.append(obs)
            done += 1
            run += 1
            if obs.status is ObservationStatus.ERROR:
                errors += 1
            observer.observed(obs, done, len(probes), errors)

        def finish_batch(bid: int) -> None:
            b = running.pop(bid)
            for h in b.hosts:
                host_load[h] -= 1

        def timeout_of(kind: str) -> float:
            return lim.kind_timeouts.get(kind, lim.probe_timeout)

        def start(batch: _Batch) -> None:
            bid = next(batch_ids)
            runner = self.runners.get(batch.kind)
            waves = math.ceil(len(batch.probes) / max(1, getattr(runner, "parallel", 1) or 1))
            batch.timeout = timeout_of(batch.kind)
            overhead = float(getattr(runner, "overhead_s", 0.0) or 0.0)   # a runner's fixed cost per batch
            batch.deadline = time.monotonic() + batch.timeout * waves + overhead + lim.grace
            running[bid] = batch
            for h in batch.hosts:
                host_load[h] += 1

            def work() -> None:
                try:
                    if runner is None:
                        raise RuntimeError(f"no runner for probe kind {batch.kind!r}")
                    for obs in runner.run(batch.probes, timeout_s=batch.timeout):
                        out.put((bid, obs))
                except BaseException as e:  # a runner bug: its probes become errors, the run goes on
                    for p in list(batch.probes):
                        out.put((bid, error_observation(p, f"probe failed: {type(e).__name__}: {e}")))
                finally:
                    out.put((bid, None))

            threading.Thread(target=work, name=f"secaudit-{batch.kind}-{bid}", daemon=True).start()

        try:
            while waiting or running:
                now = time.monotonic()
                stopping = self._stop.is_set()
                if lim.run_deadline is not None and now - started_at > lim.run_deadline and not stopping:
                    self._stop.set()
                    reason = reason or "run_deadline"
                    stopping = True
                # schedule
                while waiting and not stopping and len(running) < lim.concurrency and now >= next_start:
                    pick = next((b for b in waiting if all(host_load[h] < lim.per_host for h in b.hosts)), None)
                    if pick is None:
                        break
                    waiting.remove(pick)
                    start(pick)
                    if lim.rate:
                        next_start = max(now, next_start) + len(pick.probes) / lim.rate
                if stopping and not running:
                    break
                # consume
                try:
                    bid, obs = out.get(timeout=0.05)
                except queue.Empty:
                    bid, obs = -1, None
                if bid in running:
                    b = running[bid]
                    if obs is None:
                        for p in list(b.pending.values()):   # runner ended without a word for these
                            record(error_observation(p, "probe produced no observation"))
                            b.pending.pop(p.id)
                        finish_batch(bid)
                    elif obs.probe_id in b.pending:
                        b.pending.pop(obs.probe_id)
                        record(obs)
                # hard deadlines
                now = time.monotonic()
                for bid_, b in list(running.items()):
                    if now > b.deadline:
                        for p in list(b.pending.values()):
                            record(error_observation(
                                p, f"deadline exceeded: no answer within {b.timeout:g} s", b.timeout))
                            timed_out += 1
                        b.pending.clear()
                        finish_batch(bid_)
                if stopping and waiting and not running:
                    break
        except KeyboardInterrupt:
            interrupted_at = time.monotonic()
            reason = "interrupted"
            self._stop.set()
            # give in-flight batches a moment, then leave; a second Ctrl-C propagates at once
            while running and time.monotonic() - interrupted_at < lim.grace_on_interrupt:
                try:
                    bid, obs = out.get(timeout=0.05)
                except queue.Empty:
                    continue
                if bid in running:
                    b = running[bid]
                    if obs is None:
                        finish_batch(bid)
                    elif obs.probe_id in b.pending:
                        b.pending.pop(obs.probe_id)
                        record(obs)
        if self._stop.is_set() and not reason:
            reason = "stopped"
        complete = not reason and not waiting and not running
        summary = ExecutionSummary(len(probes), skipped, run, errors, timed_out, complete, reason)
        observer.finished(summary)
        return summary
