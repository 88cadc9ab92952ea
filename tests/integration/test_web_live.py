"""Web headers and security.txt against nginx configurations with and without each header, an expired
security.txt, and one served over plain HTTP only (127.8.2.x).

Given a site sending every header, a secure cookie and a valid security.txt, a bare site, a site whose
security.txt expired, and a site whose security.txt is only on its plain-HTTP port, when the web and
security.txt probes fetch them and the checks judge, then each control passes or fails for the reason
built in; a site that does not answer is an error, and one whose certificate is not trusted is judged on
what it sent, each verdict saying so.
"""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import sectxt, web
from secaudit.checks.base import CheckContext
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site, free_port
from secaudit.model import Endpoint, ObservationStatus, Probe, Purpose, Service, System, Verdict
from secaudit.probes.ports import ScopeError
from secaudit.probes.web import run_headers, run_security_txt

pytestmark = pytest.mark.integration

NOW = dt.datetime.now(dt.timezone.utc)
FUTURE = (NOW + dt.timedelta(days=180)).strftime("%Y-%m-%dT%H:%M:%SZ")
PAST = (NOW - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
HEADERS = (
    'add_header Content-Security-Policy "default-src \'self\'; frame-ancestors \'none\'" always;',
    'add_header X-Content-Type-Options nosniff always;',
    'add_header X-Frame-Options DENY always;',
    'add_header Referrer-Policy strict-origin-when-cross-origin always;',
    'add_header Set-Cookie "sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax" always;',
)

NO_SECTXT = "location = /.well-known/security.txt { return 404; }"


def sectxt_location(expires: str) -> str:
    return ('location = /.well-known/security.txt { default_type "text/plain; charset=utf-8"; '
            f'return 200 "Contact: mailto:security@agency.example\\nExpires: {expires}\\n"; }}')


@pytest.fixture(scope="module")
def farm(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    pki = TestPKI()
    ca = pki.write_ca_file(tmp / "ca.pem")

    def site(name: str, host: str, extra: tuple[str, ...]) -> Site:
        crt, key = pki.write_leaf(pki.leaf(names=(host,)), tmp, name)
        return Site(name, crt, key, host=host, extra=extra)

    sites = [
        site("full", "127.8.2.10", HEADERS + (sectxt_location(FUTURE),)),
        site("bare", "127.8.2.11", ('add_header Set-Cookie "track=1; Path=/" always;', NO_SECTXT)),
        site("expired", "127.8.2.12", HEADERS + (sectxt_location(PAST),)),
        site("plainonly", "127.8.2.13", HEADERS + (NO_SECTXT,)),
        Site("plainonly-http", tmp / "none", tmp / "none", plain=True, host="127.8.2.13",
             extra=(sectxt_location(FUTURE),)),
    ]
    with NginxFarm(sites, tmp) as f:
        yield f, ca


def probe(kind: str, site: Site, plain_port: int | None = None) -> Probe:
    params = {"host": site.host, "port": site.port, "server_name": site.host, "path": "/"}
    if kind == "sectxt":
        params["plain_port"] = plain_port
    return Probe(f"{kind}|{site.address}", kind, site.address, params)


def judge(obs, check, params=None):
    ep = Endpoint(obs.target.rsplit(":", 1)[0], int(obs.target.rsplit(":", 1)[1]), Service.HTTPS, tls=True)
    ctx = CheckContext(System("w", "Web", Purpose.INTERNAL, endpoints=(ep,)), obs.target, ep, {obs.kind: obs}, NOW)
    return check(params or {}, ctx)


def headers_of(farm_ca, name: str, ca=True):
    farm, ca_file = farm_ca
    s = farm[name]
    return next(iter(run_headers([probe("web", s)], [s.host], ca_file if ca else None, 10)))


def sectxt_of(farm_ca, name: str, plain: str | None = None):
    farm, ca_file = farm_ca
    s = farm[name]
    return next(iter(run_security_txt([probe("sectxt", s, farm[plain].port if plain else None)], [s.host],
                                      ca_file, 10)))


def test_every_header_present(farm):
    obs = headers_of(farm, "full")
    for spec in web.CHECKS:
        params = {"require": ["secure", "httponly", "samesite"]} if spec.name == "web.cookies" else {}
        out = judge(obs, spec.func, params)
        assert out.verdict is Verdict.PASS, (spec.name, out.message.render("en"))


def test_every_header_missing(farm):
    obs = headers_of(farm, "bare")
    for spec in web.CHECKS:
        out = judge(obs, spec.func)
        assert out.verdict is Verdict.FAIL, (spec.name, out.message.render("en"))
    assert "track" in judge(obs, web.cookies).message.render("en")


def test_an_untrusted_certificate_is_noted_and_silence_is_an_error(farm):
    # issue 25 item 4: a certificate the run does not trust is the certificate controls' finding; the
    # headers are still judged on what the server sent, each verdict saying over what it was read
    obs = headers_of(farm, "full", ca=False)
    assert obs.status is ObservationStatus.OK and "certificate" in (obs.facts.certificate_error or "")
    for spec in web.CHECKS:
        params = {"require": ["secure", "httponly", "samesite"]} if spec.name == "web.cookies" else {}
        out = judge(obs, spec.func, params)
        assert out.verdict is Verdict.PASS, (spec.name, out.message.render("en"))
        assert [w.key for w in out.warnings] == ["web.warn.certificate_untrusted"]
    port = free_port("127.8.2.14")
    gone = Probe("web|gone", "web", f"127.8.2.14:{port}", {"host": "127.8.2.14", "port": port, "path": "/"})
    obs = next(iter(run_headers([gone], ["127.8.2.14"], None, 5)))
    assert all(judge(obs, s.func).verdict is Verdict.ERROR for s in web.CHECKS)


def test_a_host_outside_the_scope_is_refused(farm):
    with pytest.raises(ScopeError):
        list(run_headers([probe("web", farm[0]["full"])], ["127.8.2.99"], None, 5))


def test_security_txt_valid_expired_missing_plain_only(farm):
    assert judge(sectxt_of(farm, "full"), sectxt.security_txt).verdict is Verdict.PASS
    expired = judge(sectxt_of(farm, "expired"), sectxt.security_txt)
    assert expired.verdict is Verdict.FAIL and "expired" in expired.message.render("en")
    missing = judge(sectxt_of(farm, "bare"), sectxt.security_txt)
    assert missing.verdict is Verdict.FAIL and "404" in missing.message.render("en")
    plain = judge(sectxt_of(farm, "plainonly", plain="plainonly-http"), sectxt.security_txt)
    assert plain.verdict is Verdict.FAIL and "plain HTTP" in plain.message.render("en")
    assert "chỉ được phục vụ qua HTTP" in plain.message.render("vi")
