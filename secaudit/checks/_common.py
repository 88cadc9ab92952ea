"""Helpers shared by the port, SSH and HTTP-redirect checks (pure)."""

from __future__ import annotations

from typing import Any

from secaudit.checks.base import CheckContext
from secaudit.model import Evidence, Message, Observation, ObservationStatus, Outcome, Verdict


def observation_or_error(ctx: CheckContext, kind: str, facts_type: type) -> tuple[Any, Outcome | None]:
    """The facts of the ``kind`` observation, or an ERROR outcome saying why there are none."""
    obs: Observation | None = ctx.observations.get(kind)
    if obs is None:
        return None, Outcome(Verdict.ERROR, Message("ports.check.not_measured", {"kind": kind, "target": ctx.target}))
    if obs.status is not ObservationStatus.OK or not isinstance(obs.facts, facts_type):
        return None, Outcome(Verdict.ERROR, Message("ports.check.probe_failed", {"kind": kind, "target": ctx.target,
                                                                            "error": obs.reason or obs.error or "no facts"}))
    return obs.facts, None


def evidence(label: str, value: object) -> Evidence:
    return Evidence(label=label, value=str(value))


def unreachable(scan) -> Outcome | None:
    """ERROR when no scanned port answered at all (all filtered): the host is down or fully filtered,
    so "no open port" would be a pass by absence of evidence."""
    counts = scan.state_counts()
    if counts and all(state in ("filtered", "open|filtered") for state in counts):
        return Outcome(Verdict.ERROR, Message("ports.check.unreachable", {"host": scan.host,
                                                                          "count": scan.scanned_count}))
    return None
