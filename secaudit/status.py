"""The one place that owns process exit statuses (design §5), and how each command's result maps to one.

Commands return ``scan_status(...)`` or ``classify_status(...)``; errors raised on the way (input,
missing tool, interruption) are mapped in :func:`secaudit.cli.main` to the statuses below.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Iterable
from secaudit.model import Severity, Verdict

if TYPE_CHECKING:  # pragma: no cover - typing only
    from secaudit.model import Results
    from secaudit.requirements.model import SystemAssessment


class ExitStatus(IntEnum):
    OK = 0                 # compliant / valid
    FINDINGS = 1           # findings at or above --fail-on (or a failed profile, an under-classified system)
    INPUT_ERROR = 2        # usage or input error
    SCAN_ERRORS = 3        # controls left without a verdict: scan errors, or nothing checkable (unless --errors-ok)
    INTERRUPTED = 130      # interrupted; partial results kept, resumable


def scan_status(results: "Results", fail_on: str, errors_ok: bool = False, interrupted: bool = False) -> ExitStatus:
    """``scan``, ``report``, ``tls`` and ``ports``: interrupted, else a failed finding at or above ``fail_on``,
    else controls without a verdict unless ``errors_ok``: an ERROR finding, a system whose level is undecided,
    or a system of which nothing could be checked (its report says NOT VERIFIED: a status 0 would let a CI
    job pass on a scan that measured nothing, say ``--only tls`` against a plain-HTTP endpoint)."""
    if interrupted:
        return ExitStatus.INTERRUPTED
    threshold = Severity(fail_on).rank
    if any(f.verdict is Verdict.FAIL and f.severity.rank >= threshold for f in results.findings):
        return ExitStatus.FINDINGS
    undecided = any(f.verdict is Verdict.ERROR for f in results.findings) or any(
        s.required_level is None or s.achieved_level is None for s in results.systems)
    if undecided and not errors_ok:
        return ExitStatus.SCAN_ERRORS
    return ExitStatus.OK


def classify_status(underclassified: Iterable[bool], undetermined: Iterable[bool], fail_on_underclassified: bool,
                    fail_on_undetermined: bool) -> ExitStatus:
    """``classify``: FINDINGS when asked to fail on an under-classified or an undetermined system and one is."""
    failed = (fail_on_underclassified and any(underclassified)) or (fail_on_undetermined and any(undetermined))
    return ExitStatus.FINDINGS if failed else ExitStatus.OK


def assess_status(systems: Iterable["SystemAssessment"], fail_on_not_met: bool) -> ExitStatus:
    """``assess``: FINDINGS when asked to fail on a row not met and one is; else SCAN_ERRORS when a system
    had nothing assessed at all (undetermined level, no catalogue rows, no evidence: a CI job must not pass
    on an assessment that looked at nothing); else OK. Rows merely not assessed are in the report, not the
    status: most management rows wait for the register, and that is the officer's work list."""
    items = list(systems)
    if fail_on_not_met and any(s.overall["not_met"] for s in items):
        return ExitStatus.FINDINGS
    if any(s.overall.assessed == 0 for s in items):
        return ExitStatus.SCAN_ERRORS
    return ExitStatus.OK
