"""Helpers shared by the port, SSH, HTTP-redirect and web checks (pure)."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any, Mapping

from secaudit.checks.base import CheckContext, CheckFunc
from secaudit.model import Evidence, Message, Observation, ObservationStatus, Outcome, Verdict


def facts_or_error(ctx: CheckContext, kind: str, facts_type: type, not_measured: str, probe_failed: str,
                   args: Mapping[str, Any] | None = None, reason: str = "reason", missing: str = "no facts") -> Any:
    """The facts of the ``kind`` observation, or the ERROR outcome to return instead: ``not_measured`` when
    there is no such observation, ``probe_failed`` (with the probe's reason as ``reason``) when it failed or
    carries no ``facts_type`` facts. ``args`` are the messages' arguments (default: the target)."""
    base = dict(args) if args is not None else {"target": ctx.target}
    obs: Observation | None = ctx.observations.get(kind)
    if obs is None:
        return Outcome(Verdict.ERROR, Message(not_measured, base))
    if obs.status is not ObservationStatus.OK or obs.facts is None or not isinstance(obs.facts, facts_type):
        return Outcome(Verdict.ERROR, Message(probe_failed, {**base, reason: obs.reason or obs.error or missing}))
    return obs.facts


def observation_or_error(ctx: CheckContext, kind: str, facts_type: type) -> tuple[Any, Outcome | None]:
    """The port, SSH and redirect checks' form of :func:`facts_or_error`: (facts, None) or (None, ERROR)."""
    got = facts_or_error(ctx, kind, facts_type, "ports.check.not_measured", "ports.check.probe_failed",
                         {"kind": kind, "target": ctx.target}, reason="error")
    return (None, got) if isinstance(got, Outcome) else (got, None)


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


def noting_untrusted_certificate(kind: str, func: CheckFunc) -> CheckFunc:
    """``func``, whose verdict on the ``kind`` facts also says when they were read over a certificate the
    run does not trust (the facts' ``certificate_error``): a warning and a line of evidence. The
    certificate itself is the certificate checks' to judge (and perhaps a waiver's to accept)."""

    @functools.wraps(func)
    def check(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
        out = func(params, ctx)
        obs = ctx.observations.get(kind)
        why = getattr(getattr(obs, "facts", None), "certificate_error", None)
        if not why or out.verdict not in (Verdict.PASS, Verdict.FAIL):
            return out
        return replace(out, evidence=out.evidence + (evidence("web.ev.certificate_untrusted", why),),
                       warnings=out.warnings + (Message("web.warn.certificate_untrusted", {"error": why}),))

    return check
