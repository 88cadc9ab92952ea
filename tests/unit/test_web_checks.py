"""Web-header and security.txt checks on canned answers (pure): passing and failing examples side by side."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import sectxt, web
from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, Observation, ObservationStatus, Purpose, Service, System, Verdict
from secaudit.observations.web import Fetched, SecurityTxtFacts, WebHeaders

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
EP = Endpoint("127.8.2.1", 443, Service.HTTPS, tls=True)
URL = "https://127.8.2.1/.well-known/security.txt"


def run(check, kind: str, facts, params=None, status=ObservationStatus.OK):
    system = System("s", "S", Purpose.INTERNAL, endpoints=(EP,))
    obs = Observation(f"{kind}|x", kind, EP.address, status, facts, None if facts else "refused")
    out = check(params or {}, CheckContext(system, EP.address, EP, {kind: obs}, NOW))
    assert out.message.render("en") and out.message.render("vi")
    return out


def headers(*pairs: tuple[str, str]) -> WebHeaders:
    return WebHeaders("https://127.8.2.1/", 200, tuple(pairs))


@pytest.mark.parametrize("pairs,params,verdict", [
    ([("Content-Security-Policy", "default-src 'self'")], {}, Verdict.PASS),
    ([], {}, Verdict.FAIL),
    ([("Content-Security-Policy-Report-Only", "default-src 'self'")], {}, Verdict.FAIL),
    ([("Content-Security-Policy", "script-src 'self' 'unsafe-inline'")], {"forbid_unsafe": True}, Verdict.FAIL),
    ([("Content-Security-Policy", "script-src 'nonce-abc' 'unsafe-inline'")], {"forbid_unsafe": True}, Verdict.PASS),
    ([("Content-Security-Policy", "img-src *")], {"forbid_unsafe": True}, Verdict.FAIL),
])
def test_csp(pairs, params, verdict):
    assert run(web.csp, "web", headers(*pairs), params).verdict is verdict


def test_nosniff_framing_referrer():
    assert run(web.nosniff, "web", headers(("X-Content-Type-Options", "nosniff"))).verdict is Verdict.PASS
    assert run(web.nosniff, "web", headers(("X-Content-Type-Options", "sniff"))).verdict is Verdict.FAIL
    assert run(web.framing, "web", headers(("X-Frame-Options", "DENY"))).verdict is Verdict.PASS
    assert run(web.framing, "web", headers(("Content-Security-Policy", "frame-ancestors 'none'"))).verdict \
        is Verdict.PASS
    assert run(web.framing, "web", headers(("Content-Security-Policy", "frame-ancestors *"))).verdict is Verdict.FAIL
    assert run(web.framing, "web", headers(("X-Frame-Options", "ALLOW-FROM https://x.example"))).verdict \
        is Verdict.FAIL
    assert run(web.referrer_policy, "web", headers(("Referrer-Policy", "no-referrer, strict-origin-when-cross-origin"))) \
        .verdict is Verdict.PASS
    assert run(web.referrer_policy, "web", headers(("Referrer-Policy", "unsafe-url"))).verdict is Verdict.FAIL
    assert run(web.referrer_policy, "web", headers()).verdict is Verdict.FAIL


def test_cookies():
    good = ("Set-Cookie", "sid=1; Path=/; Secure; HttpOnly; SameSite=Lax")
    bad = ("Set-Cookie", "track=2; Path=/")
    assert run(web.cookies, "web", headers(good)).verdict is Verdict.PASS
    out = run(web.cookies, "web", headers(good, bad))
    assert out.verdict is Verdict.FAIL and "track" in out.message.render("en")
    assert run(web.cookies, "web", headers(("Set-Cookie", "a=1; Secure; HttpOnly")), {"require": ["samesite"]}) \
        .verdict is Verdict.FAIL
    assert run(web.cookies, "web", headers()).verdict is Verdict.NOT_APPLICABLE


def test_failed_fetch_is_error_for_every_header_check():
    for spec in web.CHECKS:
        assert run(spec.func, "web", None, status=ObservationStatus.ERROR).verdict is Verdict.ERROR


def body(expires: str, contact: str = "Contact: mailto:security@agency.example\n") -> str:
    return f"{contact}Expires: {expires}\n"


def sec(text: str | None = None, status: int = 200, ctype: str = "text/plain; charset=utf-8", error=None,
        plain: Fetched | None = None) -> SecurityTxtFacts:
    return SecurityTxtFacts(Fetched(URL, None if error else status, ctype, text or "", error=error), plain)


def test_security_txt():
    assert run(sectxt.security_txt, "sectxt", sec(body("2027-06-01T00:00:00Z"))).verdict is Verdict.PASS
    expired = run(sectxt.security_txt, "sectxt", sec(body("2026-01-01T00:00:00Z")))
    assert expired.verdict is Verdict.FAIL and "2026-01-01" in expired.message.render("en")
    assert run(sectxt.security_txt, "sectxt", sec(body("2027-06-01T00:00:00Z", contact=""))).verdict is Verdict.FAIL
    assert run(sectxt.security_txt, "sectxt", sec("Contact: mailto:a@b.example\n")).verdict is Verdict.FAIL
    assert run(sectxt.security_txt, "sectxt", sec(body("next year"))).verdict is Verdict.FAIL
    assert run(sectxt.security_txt, "sectxt", sec(body("2027-06-01T00:00:00Z"), ctype="text/html")).verdict \
        is Verdict.FAIL
    assert run(sectxt.security_txt, "sectxt", sec(status=404)).verdict is Verdict.FAIL
    plain = Fetched("http://127.8.2.1/.well-known/security.txt", 200, "text/plain", body("2027-06-01T00:00:00Z"))
    out = run(sectxt.security_txt, "sectxt", sec(status=404, plain=plain))
    assert out.verdict is Verdict.FAIL and "plain HTTP" in out.message.render("en")
    assert run(sectxt.security_txt, "sectxt", sec(error="certificate: self-signed")).verdict is Verdict.ERROR
    assert run(sectxt.security_txt, "sectxt", sec(body("2027-06-01T00:00:00Z")), {"require_signature": True}) \
        .verdict is Verdict.FAIL


def test_security_txt_expiry_follows_the_evaluation_clock():
    """The same stored file passes before its Expires and fails after: the check's clock, not sectxt's."""
    f = sec(body("2026-12-15T00:00:00Z"))
    assert run(sectxt.security_txt, "sectxt", f).verdict is Verdict.PASS
    system = System("s", "S", Purpose.INTERNAL, endpoints=(EP,))
    obs = Observation("sectxt|x", "sectxt", EP.address, ObservationStatus.OK, f)
    later = CheckContext(system, EP.address, EP, {"sectxt": obs}, NOW + dt.timedelta(days=30))
    assert sectxt.security_txt({}, later).verdict is Verdict.FAIL


def test_round_trips():
    h = headers(("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
    assert WebHeaders.from_dict(h.to_dict()) == h
    s = sec(body("2027-06-01T00:00:00Z"), plain=Fetched("http://x.example/", error="refused"))
    assert SecurityTxtFacts.from_dict(s.to_dict()) == s
