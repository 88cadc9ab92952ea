"""Web security headers of ``GET /`` over HTTPS (pure), anchored on Mozilla's HTTP Observatory scoring.

What the Observatory penalises is what the level policies make required (CSP missing -25, framing
unprotected -20, X-Content-Type-Options missing -5, cookies without Secure -20/-40, session cookies
without HttpOnly -30); what it only rewards (Referrer-Policy, SameSite) the policies keep as
advice at a low severity. The severities themselves live in the policy data.
"""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._common import facts_or_error, noting_untrusted_certificate
from secaudit.checks._tls_common import outcome, param
from secaudit.checks.base import CheckContext, CheckFunc, CheckSpec
from secaudit.model import Outcome, Service, Verdict
from secaudit.observations.web import WebHeaders, csp_directives, parse_set_cookie

_PRIVATE_REFERRER = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
_UNSAFE = ("'unsafe-inline'", "'unsafe-eval'")


def _facts(ctx: CheckContext) -> WebHeaders | Outcome:
    return facts_or_error(ctx, "web", WebHeaders, "web.error.not_measured", "web.error.probe")


def _ev(h: WebHeaders, name: str) -> list[tuple[str, Any]]:
    return [("web.ev.url", f"{h.url} (HTTP {h.status})"), ("web.ev.header", f"{name}: " + (" | ".join(h.values(name))
                                                                                         or "-"))]


def csp(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    h = _facts(ctx)
    if isinstance(h, Outcome):
        return h
    values = h.values("Content-Security-Policy")
    ev = _ev(h, "Content-Security-Policy")
    if not values:
        only_report = bool(h.values("Content-Security-Policy-Report-Only"))
        return outcome(Verdict.FAIL, "web.csp.fail_report_only" if only_report else "web.csp.fail_missing", ev)
    if bool(param(params, "forbid_unsafe", False)):
        d = csp_directives(values)
        sources = d.get("script-src", d.get("default-src", []))
        strict = any(s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) or s == "'strict-dynamic'"
                     for s in sources)
        unsafe = [s for s in _UNSAFE if s in sources and not (s == "'unsafe-inline'" and strict)]
        if "script-src" not in d and "default-src" not in d:
            return outcome(Verdict.FAIL, "web.csp.fail_no_script_src", ev)
        if unsafe:
            return outcome(Verdict.FAIL, "web.csp.fail_unsafe", ev, sources=" ".join(unsafe))
    return outcome(Verdict.PASS, "web.csp.pass", ev)


def nosniff(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    h = _facts(ctx)
    if isinstance(h, Outcome):
        return h
    values = [v.strip().lower() for v in h.values("X-Content-Type-Options")]
    ev = _ev(h, "X-Content-Type-Options")
    if values and all(v == "nosniff" for v in values):
        return outcome(Verdict.PASS, "web.nosniff.pass", ev)
    return outcome(Verdict.FAIL, "web.nosniff.fail", ev)


def framing(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    h = _facts(ctx)
    if isinstance(h, Outcome):
        return h
    ancestors = csp_directives(h.values("Content-Security-Policy")).get("frame-ancestors")
    xfo = [v.strip().upper() for v in h.values("X-Frame-Options")]
    ev = _ev(h, "Content-Security-Policy") + [_ev(h, "X-Frame-Options")[1]]
    if ancestors is not None and "*" not in ancestors:
        return outcome(Verdict.PASS, "web.framing.pass_csp", ev, sources=" ".join(ancestors) or "-")
    if xfo and all(v in ("DENY", "SAMEORIGIN") for v in xfo):
        return outcome(Verdict.PASS, "web.framing.pass_xfo", ev, value=xfo[0])
    return outcome(Verdict.FAIL, "web.framing.fail", ev)


def referrer_policy(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    h = _facts(ctx)
    if isinstance(h, Outcome):
        return h
    values = h.values("Referrer-Policy")
    ev = _ev(h, "Referrer-Policy")
    if not values:
        return outcome(Verdict.FAIL, "web.referrer.fail_missing", ev)
    # the last policy a browser understands wins (comma-separated fallbacks)
    tokens = [t.strip().lower() for v in values for t in v.split(",") if t.strip()]
    effective = tokens[-1] if tokens else ""
    allowed = list(param(params, "allowed", list(_PRIVATE_REFERRER)))
    if effective not in allowed:
        return outcome(Verdict.FAIL, "web.referrer.fail_value", ev, value=effective or "-")
    return outcome(Verdict.PASS, "web.referrer.pass", ev, value=effective)


def cookies(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    h = _facts(ctx)
    if isinstance(h, Outcome):
        return h
    jar = [parse_set_cookie(v) for v in h.values("Set-Cookie")]
    if not jar:
        return outcome(Verdict.NOT_APPLICABLE, "web.cookies.na_none", [("web.ev.url", h.url)])
    need = list(param(params, "require", ["secure", "httponly"]))
    bad = []
    for c in jar:
        missing = [a for a in need if (a == "secure" and not c.secure) or (a == "httponly" and not c.httponly)
                   or (a == "samesite" and c.samesite not in ("strict", "lax"))]
        if missing:
            bad.append(f"{c.name or '?'} ({', '.join(missing)})")
    ev = [("web.ev.url", h.url), ("web.ev.cookies", [c.name or "?" for c in jar])]
    if bad:
        return outcome(Verdict.FAIL, "web.cookies.fail", ev, cookies="; ".join(bad), attributes=", ".join(need))
    return outcome(Verdict.PASS, "web.cookies.pass", ev, count=len(jar), attributes=", ".join(need))


_NEEDS = frozenset({"web:headers"})
_OBJ = {"type": "object", "additionalProperties": False}
_SERVICES = (Service.HTTPS,)



def _noting(func: CheckFunc) -> CheckFunc:
    return noting_untrusted_certificate("web", func)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("web.csp", _noting(csp), _NEEDS, {**_OBJ, "properties": {"forbid_unsafe": {"type": "boolean"}}},
              services=_SERVICES),
    CheckSpec("web.nosniff", _noting(nosniff), _NEEDS, {**_OBJ, "properties": {}}, services=_SERVICES),
    CheckSpec("web.framing", _noting(framing), _NEEDS, {**_OBJ, "properties": {}}, services=_SERVICES),
    CheckSpec("web.referrer_policy", _noting(referrer_policy), _NEEDS, {**_OBJ, "properties": {
        "allowed": {"type": "array", "items": {"type": "string"}}}}, services=_SERVICES),
    CheckSpec("web.cookies", _noting(cookies), _NEEDS, {**_OBJ, "properties": {
        "require": {"type": "array", "items": {"enum": ["secure", "httponly", "samesite"]}}}}, services=_SERVICES),
)
