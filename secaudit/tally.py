"""A run's verdicts counted and summed up: the counts per verdict and per severity, a system's status and
its compliance ratio. Pure functions of findings, shared by the reports and the history store (which keeps
them per run, so the store needs nothing from the report package).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from secaudit.model import Finding, Severity, SystemResult, Verdict

SEVERITIES: tuple[Severity, ...] = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)
VERDICTS: tuple[Verdict, ...] = (Verdict.FAIL, Verdict.ERROR, Verdict.WAIVED, Verdict.PASS, Verdict.NOT_APPLICABLE)

# System status, worst first.
STATUS_NON_COMPLIANT = "non_compliant"   # a control of the required level fails
STATUS_UNVERIFIED = "unverified"         # nothing fails, but scan errors left controls without a verdict
STATUS_UNDETERMINED = "undetermined"     # the required level could not be decided (facts missing)
STATUS_COMPLIANT = "compliant"          # every network control of the required level passes (not the level:
                                         # only `secaudit assess` says a level is met; reports never say so)
STATUSES = (STATUS_NON_COMPLIANT, STATUS_UNVERIFIED, STATUS_UNDETERMINED, STATUS_COMPLIANT)


def count_verdicts(findings: Iterable[Finding]) -> dict[str, int]:
    c = Counter(Verdict(f.verdict).value for f in findings)
    return {v.value: c.get(v.value, 0) for v in VERDICTS}


def count_failed_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    c = Counter(Severity(f.severity).value for f in findings if f.verdict == Verdict.FAIL)
    return {s.value: c.get(s.value, 0) for s in SEVERITIES}


def system_status(result: SystemResult, counts: Mapping[str, int]) -> str:
    if result.required_level is None:
        return STATUS_UNDETERMINED
    if result.achieved_level is not None and result.achieved_level >= result.required_level:
        return STATUS_COMPLIANT
    if counts.get("fail", 0) == 0 and (counts.get("error", 0) > 0 or result.achieved_level is None):
        return STATUS_UNVERIFIED          # scan errors, or nothing on the network to check (air-gapped)
    return STATUS_NON_COMPLIANT


def compliance_ratio(counts: Mapping[str, int]) -> float | None:
    good = counts.get("pass", 0) + counts.get("waived", 0)
    judged = good + counts.get("fail", 0) + counts.get("error", 0)
    return good / judged if judged else None
