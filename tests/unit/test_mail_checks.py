"""Mail-domain parsers and checks on canned DNS answers (pure): each check has passing and failing examples,
and a DNS error is an ERROR, never a pass or a "missing record"."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import mail
from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, Observation, ObservationStatus, Purpose, Service, Starttls, System, Verdict
from secaudit.observations.mail import (
    ERROR, MISSING, OK, DnsAnswer, HttpsFetch, MailFacts, evaluate_spf, parse_dmarc, parse_spf, parse_sts_policy,
    sts_mx_matches, tlsa_problems,
)

D = "good.example"
GOOD_TLSA = "3 1 1 " + "ab" * 32
POLICY = "version: STSv1\nmode: enforce\nmx: mx.good.example\nmax_age: 86400\n"


def txt(name: str, *records: str, status: str = OK, error: str | None = None) -> DnsAnswer:
    return DnsAnswer(name, "TXT", status if records or status != OK else MISSING, tuple(records), error=error)


def facts(**kw) -> MailFacts:
    base = dict(
        domain=D, resolver="127.8.0.53:53", txt=txt(D, "v=spf1 mx -all", "other"),
        dmarc=txt(f"_dmarc.{D}", "v=DMARC1; p=reject; rua=mailto:dmarc@good.example"),
        mta_sts=txt(f"_mta-sts.{D}", "v=STSv1; id=20261201"),
        mta_sts_policy=HttpsFetch(f"https://mta-sts.{D}/.well-known/mta-sts.txt", 200, "text/plain", POLICY),
        tlsrpt=txt(f"_smtp._tls.{D}", "v=TLSRPTv1; rua=mailto:tls@good.example"),
        mx=DnsAnswer(D, "MX", OK, ("10 mx.good.example.",)),
        tlsa=(DnsAnswer("_25._tcp.mx.good.example", "TLSA", OK, (GOOD_TLSA,), authenticated=True),),
    )
    base.update(kw)
    return MailFacts(**base)


def judge(check, f: MailFacts, params=None, endpoints=()) -> Verdict:
    system = System("s", "S", Purpose.INTERNAL, endpoints=tuple(endpoints), domains=(D,))
    obs = Observation("mail|x", "mail", D, ObservationStatus.OK, f)
    ctx = CheckContext(system, D, None, {"mail": obs}, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    out = check(params or {}, ctx)
    assert out.message.render("en") and out.message.render("vi")
    return out.verdict


def test_spf_syntax_and_lookup_count():
    rec = parse_spf("v=spf1 a mx include:_spf.example ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{i}.x.example ~all")
    assert rec.lookups == 4 and rec.all_qualifier == "~" and not rec.problems
    assert parse_spf("v=spf1 foo -all").problems
    assert parse_spf("v=spf1 ip4:300.1.1.1 -all").problems
    assert parse_spf("v=spf1 ip4:2001:db8::1 -all").problems
    assert parse_spf("v=spf1 redirect=_spf.example").redirect == "_spf.example"


def test_spf_follows_includes_and_counts_over_ten():
    chain = tuple(txt(f"i{n}.example", f"v=spf1 include:i{n + 1}.example a") for n in range(11)) + \
        (txt("i11.example", "v=spf1 -all"),)
    f = facts(txt=txt(D, "v=spf1 include:i0.example -all"), spf_includes=chain)
    ev = evaluate_spf(f)
    assert ev.lookups == 1 + 11 * 2 and not ev.problems
    assert judge(mail.spf, f) is Verdict.FAIL


def test_spf_redirect_takes_its_all():
    f = facts(txt=txt(D, "v=spf1 redirect=_spf.example"), spf_includes=(txt("_spf.example", "v=spf1 +all"),))
    assert evaluate_spf(f).effective_all == "+"
    assert judge(mail.spf, f) is Verdict.FAIL


@pytest.mark.parametrize("record,params,verdict", [
    ("v=spf1 mx -all", {}, Verdict.PASS),
    ("v=spf1 mx ~all", {}, Verdict.PASS),
    ("v=spf1 mx ~all", {"all": ["-"]}, Verdict.FAIL),
    ("v=spf1 mx ?all", {}, Verdict.FAIL),
    ("v=spf1 +all", {}, Verdict.FAIL),
    ("v=spf1 mx", {}, Verdict.FAIL),          # no all: neutral by default
    ("v=spf1 mx bogus -all", {}, Verdict.FAIL),
])
def test_spf_all_qualifier(record, params, verdict):
    assert judge(mail.spf, facts(txt=txt(D, record)), params) is verdict


def test_spf_missing_several_and_dns_error():
    assert judge(mail.spf, facts(txt=txt(D, "google-site-verification=x"))) is Verdict.FAIL
    assert judge(mail.spf, facts(txt=txt(D, "v=spf1 -all", "v=spf1 ~all"))) is Verdict.FAIL
    assert judge(mail.spf, facts(txt=txt(D, status=ERROR, error="DNS timeout"))) is Verdict.ERROR
    f = facts(txt=txt(D, "v=spf1 include:gone.example -all"),
              spf_includes=(txt("gone.example", status=ERROR, error="SERVFAIL"),))
    assert judge(mail.spf, f) is Verdict.ERROR


def test_dmarc_parse_and_levels():
    d = parse_dmarc("v=DMARC1; p=quarantine; pct=50; rua=mailto:a@x.example,https://r.example/")
    assert d.policy == "quarantine" and d.pct == 50 and len(d.rua) == 2 and not d.problems
    assert parse_dmarc("p=none; v=DMARC1").problems
    l4 = {"policies": ["quarantine", "reject"], "require_rua": True}
    assert judge(mail.dmarc, facts(), l4) is Verdict.PASS
    none = facts(dmarc=txt(f"_dmarc.{D}", "v=DMARC1; p=none; rua=mailto:d@good.example"))
    assert judge(mail.dmarc, none) is Verdict.PASS
    assert judge(mail.dmarc, none, l4) is Verdict.FAIL
    assert judge(mail.dmarc, facts(dmarc=txt(f"_dmarc.{D}", "v=DMARC1; p=reject"))) is Verdict.FAIL   # no rua
    assert judge(mail.dmarc, facts(dmarc=txt(f"_dmarc.{D}", "v=DMARC1; p=reject; pct=20; rua=mailto:a@b.example"))) \
        is Verdict.FAIL
    assert judge(mail.dmarc, facts(dmarc=txt(f"_dmarc.{D}"))) is Verdict.FAIL
    assert judge(mail.dmarc, facts(dmarc=txt(f"_dmarc.{D}", status=ERROR, error="REFUSED"))) is Verdict.ERROR


def test_mta_sts():
    assert judge(mail.mta_sts, facts(), {"modes": ["enforce"]}) is Verdict.PASS
    testing = HttpsFetch("u", 200, "text/plain", POLICY.replace("enforce", "testing"))
    assert judge(mail.mta_sts, facts(mta_sts_policy=testing)) is Verdict.PASS
    assert judge(mail.mta_sts, facts(mta_sts_policy=testing), {"modes": ["enforce"]}) is Verdict.FAIL
    other_mx = HttpsFetch("u", 200, "text/plain", POLICY.replace("mx.good", "mail.other"))
    assert judge(mail.mta_sts, facts(mta_sts_policy=other_mx)) is Verdict.FAIL
    assert judge(mail.mta_sts, facts(mta_sts_policy=HttpsFetch("u", 404, "text/html", "nope"))) is Verdict.FAIL
    assert judge(mail.mta_sts, facts(mta_sts_policy=HttpsFetch("u", 200, "text/html", POLICY))) is Verdict.FAIL
    assert judge(mail.mta_sts, facts(mta_sts_policy=HttpsFetch("u", error="certificate: expired"))) is Verdict.ERROR
    assert judge(mail.mta_sts, facts(mta_sts=txt(f"_mta-sts.{D}", "v=STSv1; id=bad-id!"))) is Verdict.FAIL
    assert judge(mail.mta_sts, facts(mta_sts=txt(f"_mta-sts.{D}"))) is Verdict.FAIL


def test_sts_policy_parser_and_patterns():
    p = parse_sts_policy("version: STSv1\r\nmode: enforce\r\nmx: *.good.example\r\nmax_age: 604800\r\n")
    assert p.mode == "enforce" and p.max_age == 604800 and not p.problems
    assert parse_sts_policy("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n").problems
    assert parse_sts_policy("version: STSv1\nmode: enforce\nmax_age: 99999999999\n").problems
    assert sts_mx_matches("*.good.example", "mx1.good.example")
    assert not sts_mx_matches("*.good.example", "a.mx1.good.example")
    assert not sts_mx_matches("*.good.example", "good.example")


def test_tlsrpt():
    assert judge(mail.tlsrpt, facts()) is Verdict.PASS
    assert judge(mail.tlsrpt, facts(tlsrpt=txt(f"_smtp._tls.{D}", "v=TLSRPTv1;"))) is Verdict.FAIL
    assert judge(mail.tlsrpt, facts(tlsrpt=txt(f"_smtp._tls.{D}", "v=TLSRPTv1; rua=ftp://x"))) is Verdict.FAIL
    assert judge(mail.tlsrpt, facts(tlsrpt=txt(f"_smtp._tls.{D}"))) is Verdict.FAIL


def test_dane_advisory():
    assert judge(mail.dane, facts()) is Verdict.PASS
    unauth = (DnsAnswer("_25._tcp.mx.good.example", "TLSA", OK, (GOOD_TLSA,)),)
    assert judge(mail.dane, facts(tlsa=unauth)) is Verdict.PASS          # with a warning
    assert tlsa_problems("3 1 1 abcd") and tlsa_problems("4 1 1 " + "ab" * 32)
    broken = (DnsAnswer("_25._tcp.mx.good.example", "TLSA", OK, ("3 1 1 abcd",)),)
    assert judge(mail.dane, facts(tlsa=broken)) is Verdict.FAIL
    assert judge(mail.dane, facts(tlsa=(DnsAnswer("_25._tcp.mx.good.example", "TLSA", MISSING),))) is Verdict.FAIL
    assert judge(mail.dane, facts(mx=DnsAnswer(D, "MX", OK, ("0 .",)))) is Verdict.NOT_APPLICABLE
    assert judge(mail.dane, facts(mx=DnsAnswer(D, "MX", ERROR, error="timeout"))) is Verdict.ERROR


def test_mx_starttls_coverage():
    smtp = Endpoint("mx.good.example", 25, Service.SMTP, Starttls.SMTP, tls=True)
    assert judge(mail.mx_starttls, facts(), endpoints=[smtp]) is Verdict.PASS
    assert judge(mail.mx_starttls, facts()) is Verdict.ERROR
    https = Endpoint("mx.good.example", 443, Service.HTTPS, tls=True)
    assert judge(mail.mx_starttls, facts(), endpoints=[https]) is Verdict.ERROR
    by_address = Endpoint("127.8.1.1", 2525, Service.SMTP, Starttls.SMTP, tls=True)
    resolved = facts(mx_addresses=(DnsAnswer("mx.good.example", "A", OK, ("127.8.1.1",)),))
    assert judge(mail.mx_starttls, resolved, endpoints=[by_address]) is Verdict.PASS     # with a port-25 warning
    assert judge(mail.mx_starttls, facts(), endpoints=[by_address]) is Verdict.ERROR


def test_facts_round_trip():
    f = facts(spf_includes=(txt("a.example", "v=spf1 -all"),))
    assert MailFacts.from_dict(f.to_dict()) == f


def test_failed_probe_is_error():
    system = System("s", "S", Purpose.INTERNAL, domains=(D,))
    obs = Observation("mail|x", "mail", D, ObservationStatus.ERROR, None, "no resolver")
    ctx = CheckContext(system, D, None, {"mail": obs}, dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc))
    for spec in mail.CHECKS:
        assert spec.func({}, ctx).verdict is Verdict.ERROR
