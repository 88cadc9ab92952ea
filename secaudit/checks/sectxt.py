"""security.txt (RFC 9116), judged on what the probe fetched (pure).

The file is validated by ``rfc9116`` (our own parser, reporting the codes ``sectxt`` uses) for syntax,
required fields, PGP framing and Canonical; expiry is judged here against the evaluation's clock, so a
re-evaluation of stored observations does not depend on the day it runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from secaudit.checks import rfc9116
from secaudit.checks._common import facts_or_error, noting_untrusted_certificate
from secaudit.checks._tls_common import outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Message, Outcome, Service, Verdict
from secaudit.observations.web import Fetched, SecurityTxtFacts

def _facts(ctx: CheckContext) -> SecurityTxtFacts | Outcome:
    return facts_or_error(ctx, "sectxt", SecurityTxtFacts, "web.error.not_measured", "web.error.probe")


def _absent(f: SecurityTxtFacts) -> Outcome:
    """HTTPS did not serve the file: say whether plain HTTP does (RFC 9116 §3 requires HTTPS)."""
    https = f.https
    ev = [("web.ev.url", f"{https.url} (HTTP {https.status})")]
    if f.plain is not None and f.plain.status == 200 and f.plain.error is None:
        return outcome(Verdict.FAIL, "sectxt.fail_plain_only", ev + [("web.ev.plain_url", f.plain.url)],
                       url=f.plain.url)
    return outcome(Verdict.FAIL, "sectxt.fail_missing", ev, url=https.url, status=https.status)


def _parse_time(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return t if t.tzinfo else None


def security_txt(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    f = _facts(ctx)
    if isinstance(f, Outcome):
        return f
    https: Fetched = f.https
    if https.error is not None:
        return outcome(Verdict.ERROR, "sectxt.error_fetch", url=https.url, reason=https.error)
    if https.status != 200:
        return _absent(f)
    ev = [("web.ev.url", https.url)]
    if not https.content_type.lower().startswith("text/plain"):
        return outcome(Verdict.FAIL, "sectxt.fail_type", ev, type=https.content_type or "-")
    parsed = rfc9116.parse(https.body, url=https.url)
    errors = parsed.errors
    signed = parsed.signed
    ev += [("sectxt.ev.signed", "yes" if signed else "no"), ("sectxt.ev.expires", parsed.expires)]
    if errors:
        return outcome(Verdict.FAIL, "sectxt.fail_invalid", ev + [("sectxt.ev.errors", [e.code for e in errors])],
                       problems="; ".join(f"{e.code} (line {e.line})" if e.line else e.code for e in errors[:8]))
    expires = _parse_time(parsed.expires or "")
    if expires is None:
        return outcome(Verdict.FAIL, "sectxt.fail_invalid", ev, problems="invalid_expiry")
    if expires <= ctx.now:
        return outcome(Verdict.FAIL, "sectxt.fail_expired", ev, expires=expires.isoformat())
    if bool(param(params, "require_signature", False)) and not signed:
        return outcome(Verdict.FAIL, "sectxt.fail_unsigned", ev)
    warnings = []
    if (expires - ctx.now).days > 366:
        warnings.append(Message("sectxt.warn_long_expiry", {"expires": expires.isoformat()}))
    return outcome(Verdict.PASS, "sectxt.pass", ev, warnings, expires=expires.date().isoformat())


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("web.security_txt", noting_untrusted_certificate("sectxt", security_txt),
              frozenset({"sectxt:fetch"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"require_signature": {"type": "boolean"}}}, services=(Service.HTTPS,)),
)
