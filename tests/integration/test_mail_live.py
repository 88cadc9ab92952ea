"""Mail-domain probe and checks against a real authoritative DNS server (nsd) and MTA-STS policies
served over HTTPS by nginx, all on 127.8.x.x.

Given zones for a good domain, a domain with too many SPF lookups and weak DMARC/MTA-STS/TLSA, and a
domain with +all, two DMARC records and an MTA-STS host that does not resolve, when the probe asks
through ``--resolver`` and the checks judge the answers, then each control passes or fails for the
reason built into its zone, and a resolver that does not answer makes every control an error.
"""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import mail
from secaudit.checks.base import CheckContext
from secaudit.lab.dns import authoritative, zone_text
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from secaudit.model import Endpoint, Observation, ObservationStatus, Purpose, Service, Starttls, System, Verdict
from secaudit.probes.mail import probe_domain, parse_resolver

pytestmark = pytest.mark.integration

TLSA = "3 1 1 " + "5a" * 32
GOOD = f"""
@ IN MX 10 mx.good.example.
mx IN A 127.8.1.1
@ IN TXT "v=spf1 mx include:_spf.good.example -all"
_spf IN TXT "v=spf1 ip4:127.8.1.0/24 -all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.example"
_mta-sts IN TXT "v=STSv1; id=20261201T000000"
mta-sts IN A 127.8.2.1
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@good.example"
_25._tcp.mx IN TLSA {TLSA}
"""
CHAIN = "\n".join(f'i{n} IN TXT "v=spf1 a mx include:i{n + 1}.bad.example"' for n in range(6))
BAD = f"""
@ IN MX 10 mx.bad.example.
mx IN A 127.8.1.2
@ IN TXT "v=spf1 a include:i0.bad.example -all"
{CHAIN}
i6 IN TXT "v=spf1 -all"
_dmarc IN TXT "v=DMARC1; p=none"
_mta-sts IN TXT "v=STSv1; id=2"
mta-sts IN A 127.8.2.2
_25._tcp.mx IN TLSA 4 1 1 {"ab" * 32}
"""
WEAK = """
@ IN MX 10 mail.weak.example.
mail IN A 127.8.1.3
@ IN TXT "v=spf1 +all"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:a@weak.example"
_dmarc IN TXT "v=DMARC1; p=none; rua=mailto:b@weak.example"
_mta-sts IN TXT "v=STSv1; id=3"
_25._tcp.mail IN TLSA 3 1 1 abcd
"""
GOOD_POLICY = "version: STSv1\\nmode: enforce\\nmx: mx.good.example\\nmax_age: 604800\\n"
BAD_POLICY = "version: STSv1\\nmode: testing\\nmx: mail.other.example\\nmax_age: 604800\\n"
NOW = dt.datetime.now(dt.timezone.utc)


def policy_site(name: str, host: str, pki: TestPKI, tmp, body: str) -> Site:
    crt, key = pki.write_leaf(pki.leaf(names=(f"mta-sts.{name}",)), tmp, name)
    return Site(name, crt, key, host=host, port=443, server_name=f"mta-sts.{name}",
                extra=(f'location = /.well-known/mta-sts.txt {{ default_type text/plain; return 200 "{body}"; }}',))


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mail")
    pki = TestPKI()
    ca = pki.write_ca_file(tmp / "ca.pem")
    zones = {"good.example": zone_text("good.example", GOOD), "bad.example": zone_text("bad.example", BAD),
             "weak.example": zone_text("weak.example", WEAK)}
    sites = [policy_site("good.example", "127.8.2.1", pki, tmp, GOOD_POLICY),
             policy_site("bad.example", "127.8.2.2", pki, tmp, BAD_POLICY)]
    with authoritative(zones, tmp / "dns") as dns, NginxFarm(sites, tmp):
        yield dns, ca


def judge(facts, check, params=None, endpoints=()):
    system = System("m", "Mail", Purpose.INTERNAL, endpoints=tuple(endpoints), domains=(facts.domain,))
    obs = Observation("mail|x", "mail", facts.domain, ObservationStatus.OK, facts)
    return check(params or {}, CheckContext(system, facts.domain, None, {"mail": obs}, NOW))


def test_good_domain_passes_every_mail_control(lab):
    dns, ca = lab
    f = probe_domain("good.example", parse_resolver(dns.resolver), ca, timeout_s=20)
    smtp = Endpoint("mx.good.example", 25, Service.SMTP, Starttls.SMTP, tls=True)
    level4 = {mail.spf: {"all": ["-"]}, mail.dmarc: {"policies": ["quarantine", "reject"]},
              mail.mta_sts: {"modes": ["enforce"]}}
    for spec in mail.CHECKS:
        out = judge(f, spec.func, level4.get(spec.func), [smtp])
        assert out.verdict is Verdict.PASS, (spec.name, out.message.render("en"))
    dane = judge(f, mail.dane)
    assert dane.warnings                 # nsd's answers carry no DNSSEC authentication: said, not hidden
    assert f.spf_includes[0].name == "_spf.good.example"


def test_bad_domain_fails_for_the_built_in_reasons(lab):
    dns, ca = lab
    f = probe_domain("bad.example", parse_resolver(dns.resolver), ca, timeout_s=20)
    spf = judge(f, mail.spf)
    assert spf.verdict is Verdict.FAIL and "20 DNS lookups" in spf.message.render("en")
    assert judge(f, mail.dmarc).verdict is Verdict.FAIL                       # no rua
    assert judge(f, mail.dmarc, {"require_rua": False}).verdict is Verdict.PASS   # p=none is level-3 advice
    sts = judge(f, mail.mta_sts)
    assert sts.verdict is Verdict.FAIL and "mx.bad.example" in sts.message.render("en")   # policy names other MX
    assert judge(f, mail.mta_sts, {"modes": ["enforce"]}).verdict is Verdict.FAIL
    assert judge(f, mail.tlsrpt).verdict is Verdict.FAIL                      # none published
    dane = judge(f, mail.dane)
    assert dane.verdict is Verdict.FAIL and "usage 4" in dane.message.render("en")
    assert judge(f, mail.mx_starttls).verdict is Verdict.ERROR                # MX host not declared


def test_weak_domain(lab):
    dns, ca = lab
    f = probe_domain("weak.example", parse_resolver(dns.resolver), ca, timeout_s=20)
    assert judge(f, mail.spf).verdict is Verdict.FAIL                         # +all
    dmarc = judge(f, mail.dmarc)
    assert dmarc.verdict is Verdict.FAIL and "2 DMARC records" in dmarc.message.render("en")
    sts = judge(f, mail.mta_sts)
    assert sts.verdict is Verdict.ERROR and "does not resolve" in sts.message.render("en")
    dane = judge(f, mail.dane)                                                # 2-byte SHA-256: unparseable
    assert dane.verdict is Verdict.ERROR and "malformed" in dane.message.render("en")


def test_policy_with_untrusted_certificate_is_an_error(lab):
    dns, _ca = lab
    f = probe_domain("good.example", parse_resolver(dns.resolver), None, timeout_s=20)   # test CA not trusted
    out = judge(f, mail.mta_sts)
    assert out.verdict is Verdict.ERROR and "certificate" in out.message.render("en")


def test_a_domain_that_does_not_exist_is_said_so_by_every_mail_control(lab):
    """NXDOMAIN is not "SPF missing": there is no domain to publish a record; every control says so."""
    dns, ca = lab
    f = probe_domain("nowhere.good.example", parse_resolver(dns.resolver), ca, timeout_s=20)
    assert f.domain_absent
    for spec in mail.CHECKS:
        out = judge(f, spec.func)
        assert out.verdict is Verdict.ERROR, (spec.name, out.message.render("en"))
        assert "nowhere.good.example does not exist" in out.message.render("en")
        assert "không tồn tại" in out.message.render("vi")


def test_a_domain_that_exists_without_mail_records_is_missing_not_error(lab):
    dns, ca = lab
    f = probe_domain("mx.good.example", parse_resolver(dns.resolver), ca, timeout_s=20)   # an A record only
    assert not f.domain_absent and f.txt.status == "missing"
    spf = judge(f, mail.spf)
    assert spf.verdict is Verdict.FAIL and "SPF" in spf.message.render("en")
    assert judge(f, mail.dmarc).verdict is Verdict.FAIL


def test_a_resolver_that_does_not_answer_is_an_error_everywhere(lab):
    from secaudit.lab.servers import free_port

    f = probe_domain("good.example", ("127.8.0.54", free_port("127.8.0.54")), None, timeout_s=4)
    for spec in mail.CHECKS:
        assert judge(f, spec.func).verdict is Verdict.ERROR, spec.name
