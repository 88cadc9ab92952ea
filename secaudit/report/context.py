"""What a report may know besides the run itself: its history in the store (set by the CLI).

Formats stay pure functions of what they are given: ``render(results, lang)`` plus, when the
run was stored, the :class:`ReportHistory` the CLI sets for the duration of the rendering
(``with report_history(h): ...``). SARIF uses its baseline (``baselineState``), the HTML report
its trend. Without a history (no store, ``--no-store``, a results file) both are simply left out.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from typing import Iterator, Mapping

from secaudit.store.records import FindingRecord, RunRecord


@dataclass(frozen=True)
class Baseline:
    """The previous stored run of the same scope and its findings by identity (system, control, target)."""

    run: RunRecord
    findings: Mapping[tuple[str, str, str], FindingRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportHistory:
    baseline: Baseline | None = None
    trend: tuple[RunRecord, ...] = ()          # the last runs of the same scope, oldest first, this one included


_current: contextvars.ContextVar[ReportHistory | None] = contextvars.ContextVar("secaudit_report_history",
                                                                                default=None)


@contextlib.contextmanager
def report_history(history: ReportHistory | None) -> Iterator[None]:
    token = _current.set(history)
    try:
        yield
    finally:
        _current.reset(token)


def current_history() -> ReportHistory | None:
    return _current.get()
