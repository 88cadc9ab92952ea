"""What the TLS, certificate and HSTS checks share: getting the TLS facts out of the context,
turning "not measured" and "measurement failed" into ERROR outcomes, building outcomes."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from secaudit.checks._common import facts_or_error
from secaudit.checks.base import CheckContext
from secaudit.model import Evidence, Message, Outcome, Service, Verdict
from secaudit.observations.tls import Measure, TlsFacts


def outcome(verdict: Verdict, key: str, evidence: Iterable[tuple[str, Any]] = (), warnings: Iterable[Message] = (),
            **args: Any) -> Outcome:
    return Outcome(verdict=verdict, message=Message(key, args),
                   evidence=tuple(Evidence(label, _text(value)) for label, value in evidence),
                   warnings=tuple(warnings))


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in value) if value else "-"
    if value is None:
        return "-"
    return str(value)


def error(key: str, **args: Any) -> Outcome:
    return outcome(Verdict.ERROR, key, **args)


def is_tls_endpoint(ctx: CheckContext) -> bool:
    e = ctx.endpoint
    if e is None:
        return "tls" in ctx.observations
    return bool(e.tls or e.starttls or e.service == Service.HTTPS)


def get_facts(ctx: CheckContext) -> TlsFacts | Outcome:
    """The endpoint's TLS facts, or the Outcome to return instead (NOT_APPLICABLE or ERROR)."""
    if not is_tls_endpoint(ctx):
        return outcome(Verdict.NOT_APPLICABLE, "tls.na.not_tls")
    facts = facts_or_error(ctx, "tls", object, "tls.error.no_observation", "tls.error.probe", {}, missing="unknown")
    if isinstance(facts, Outcome):
        return facts
    if isinstance(facts, Mapping):
        facts = TlsFacts.from_dict(dict(facts))
    return facts


def measure_problem(status: Measure, what: str, reason: str | None) -> Outcome | None:
    """ERROR outcome when a sub-measurement was not made or failed; None when it was measured."""
    if status == Measure.NOT_REQUESTED:
        return error("tls.error.not_measured", what=what)
    if status == Measure.ERROR:
        return error("tls.error.measure", what=what, reason=reason or "unknown")
    return None


def param(params: Mapping[str, Any], key: str, default: Any) -> Any:
    value = params.get(key)
    return default if value is None else value


STRING_LIST = {"type": "array", "items": {"type": "string"}}
