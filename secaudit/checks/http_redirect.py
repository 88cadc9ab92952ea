"""``http.redirects_to_https``: a plain-HTTP endpoint must send its visitors to HTTPS."""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._common import evidence, observation_or_error
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Message, Outcome, Service, Verdict
from secaudit.observations.http import HttpRedirect


def redirects_to_https(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """PASS when ``GET /`` over plain HTTP answers a redirect (301/302/303/307/308) to ``https://``.

    ``params.same_host`` (default true): the redirect must stay on the same host name.
    ``params.permanent`` (default false): only 301/308 count.
    """
    if ctx.endpoint is None or ctx.endpoint.service is not Service.HTTP or ctx.endpoint.tls:
        return Outcome(Verdict.NOT_APPLICABLE, Message("http.redirect.not_http", {"target": ctx.target}))
    facts, error = observation_or_error(ctx, "http", HttpRedirect)
    if error:
        return error
    ev = (evidence("http.redirect.evidence.url", facts.url),
          evidence("http.redirect.evidence.status", f"{facts.status} {facts.reason}".strip()),
          evidence("http.redirect.evidence.location", facts.location if facts.location is not None else "-"))
    if not facts.is_redirect:
        return Outcome(Verdict.FAIL, Message("http.redirect.none", {"target": ctx.target, "status": facts.status}), ev)
    if not facts.redirects_to_https:
        return Outcome(Verdict.FAIL, Message("http.redirect.not_https", {"target": ctx.target}), ev)
    if params.get("same_host", True) and not facts.same_host:
        return Outcome(Verdict.FAIL, Message("http.redirect.other_host", {"target": ctx.target,
                                                                          "host": facts.location_host}), ev)
    if params.get("permanent", False) and facts.status not in (301, 308):
        return Outcome(Verdict.FAIL, Message("http.redirect.not_permanent", {"target": ctx.target,
                                                                             "status": facts.status}), ev)
    return Outcome(Verdict.PASS, Message("http.redirect.pass", {"target": ctx.target}), ev)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(name="http.redirects_to_https", func=redirects_to_https, needs=frozenset({"http:redirect"}),
              params_schema={"type": "object", "additionalProperties": False,
                             "properties": {"same_host": {"type": "boolean"}, "permanent": {"type": "boolean"}}},
              services=(Service.HTTP,), scope="endpoint"),
)
