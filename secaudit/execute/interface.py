"""The seams of execution. Small on purpose: a distributed executor (Celery, one queue per zone)
implements :class:`Executor` and reuses the same runners, journal and observers; the stages before
(plan) and after (evaluate, report) do not change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from secaudit.model import Observation, ObservationStatus, Probe
from secaudit.probes.interface import ProbeRunner   # the runner protocol lives with the families; re-exported

__all__ = ["ExecutionObserver", "ExecutionSummary", "Executor", "Interruption", "JournalLike", "NullObserver",
           "ProbeRunner"]


@dataclass(frozen=True)
class Interruption:
    """An interrupt (Ctrl-C, SIGTERM) as the executor acts on it, told to the observer once per step: the first
    (``count`` 1) stops scheduling and gives the ``in_flight`` probes ``grace_s`` seconds to finish; a later one
    (``count`` > 1, ``grace_s`` 0) stops waiting for the ``in_flight`` probes still out. What it did not finish
    stays out of the journal, for ``--resume``."""

    count: int
    in_flight: int
    grace_s: float


class ExecutionObserver(Protocol):
    """Progress and logging watch the executor; the executor never prints."""

    def started(self, total: int, skipped: int) -> None: ...
    def running(self, kind: str, targets: Sequence[str]) -> None: ...   # a batch of these targets started
    def observed(self, observation: Observation, done: int, total: int, failures: int) -> None: ...
    def interrupted(self, interruption: Interruption) -> None: ...     # the user must see the interrupt was heard
    def finished(self, summary: "ExecutionSummary") -> None: ...


@dataclass(frozen=True)
class ExecutionSummary:
    total: int               # probes in the plan
    skipped: int             # already in the journal (resume)
    run: int                 # observations received in this execution
    errors: int              # of which ERROR observations
    timed_out: int           # of which deadline overruns
    complete: bool           # False when interrupted or stopped by the run deadline
    reason: str = ""         # why incomplete: "interrupted" | "run_deadline"


class Executor(Protocol):
    def execute(self, probes: Sequence[Probe], journal: "JournalLike",
                observer: ExecutionObserver | None = None) -> ExecutionSummary: ...


class JournalLike(Protocol):
    def done_ids(self) -> set[str]: ...
    def append(self, observation: Observation) -> None: ...


class Recorder:
    """The counting of one execution, the same for every executor: each observation kept goes to the journal,
    is counted and is told to the observer; the counts make the summary."""

    def __init__(self, journal: JournalLike, observer: ExecutionObserver, total: int, skipped: int):
        self.journal, self.observer, self.total, self.skipped = journal, observer, total, skipped
        self.done, self.run, self.errors, self.timed_out = skipped, 0, 0, 0

    def record(self, obs: Observation) -> None:
        self.journal.append(obs)
        self.done += 1
        self.run += 1
        if obs.status is ObservationStatus.ERROR:
            self.errors += 1
        self.observer.observed(obs, self.done, self.total, self.errors)

    def finish(self, complete: bool, reason: str) -> ExecutionSummary:
        summary = ExecutionSummary(self.total, self.skipped, self.run, self.errors, self.timed_out, complete, reason)
        self.observer.finished(summary)
        return summary


class NullObserver:
    def started(self, total: int, skipped: int) -> None:
        pass

    def running(self, kind: str, targets: Sequence[str]) -> None:
        pass

    def observed(self, observation: Observation, done: int, total: int, failures: int) -> None:
        pass

    def interrupted(self, interruption: Interruption) -> None:
        pass

    def finished(self, summary: ExecutionSummary) -> None:
        pass
