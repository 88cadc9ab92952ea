"""HTTP Strict Transport Security (registered as ``http.hsts``), read from the TLS probe's HTTP request.

Kept apart from the other HTTP checks (``http.redirects_to_https`` lives in its own module)
because it needs the TLS probe, not a plain-HTTP one.
"""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._tls_common import get_facts, measure_problem, outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Outcome, Service, Verdict


def hsts(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    e = ctx.endpoint
    if e is not None and (e.starttls is not None or e.service not in (Service.HTTPS, Service.HTTP, Service.OTHER)):
        return outcome(Verdict.NOT_APPLICABLE, "http.hsts.na_not_https", service=e.service.value)
    if e is not None and e.service == Service.HTTP and not e.tls:
        return outcome(Verdict.NOT_APPLICABLE, "http.hsts.na_not_https", service=e.service.value)
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    h = facts.hsts
    problem = measure_problem(h.status, "HSTS header", h.error)
    if problem:
        return problem
    min_age = int(param(params, "min_max_age", 31536000))
    need_sub = bool(param(params, "include_subdomains", False))
    need_preload = bool(param(params, "preload", False))
    if not h.present:
        return outcome(Verdict.FAIL, "http.hsts.fail_missing", [("http.ev.hsts", None)])
    value = f"max-age={h.max_age}" + ("; includeSubDomains" if h.include_subdomains else "") + \
        ("; preload" if h.preload else "")
    ev = [("http.ev.hsts", value), ("http.ev.hsts_min", min_age)]
    if h.max_age is None or h.max_age < min_age:
        return outcome(Verdict.FAIL, "http.hsts.fail_max_age", ev, max_age=h.max_age, min=min_age)
    if need_sub and not h.include_subdomains:
        return outcome(Verdict.FAIL, "http.hsts.fail_subdomains", ev)
    if need_preload and not h.preload:
        return outcome(Verdict.FAIL, "http.hsts.fail_preload", ev)
    return outcome(Verdict.PASS, "http.hsts.pass", ev, max_age=h.max_age)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("http.hsts", hsts, frozenset({"tls:hsts"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"min_max_age": {"type": "integer", "minimum": 0},
                              "include_subdomains": {"type": "boolean"}, "preload": {"type": "boolean"}}},
              services=(Service.HTTPS,)),
)
