"""TLS, certificate and HSTS checks on canned observations: pass, fail, error, not applicable."""

import dataclasses

import pytest

from secaudit.checks import REGISTRY
from secaudit.model import Service, Starttls, Verdict
from secaudit.observations.tls import (
    CertificateFacts, Flag, GroupsFacts, HstsFacts, Measure, VulnerabilityFacts,
)
from tests.support import canned
from tests.support.canned import ANCIENT, MODERN, cert, ctx, deployment, facts, protocols


def run(check, f=None, params=None, **kw):
    return REGISTRY[check].func(params or {}, ctx(f, **kw))


def with_cert(*deps):
    return facts(certificate=CertificateFacts(Measure.MEASURED, None, "localhost", deps))


# ---------------------------------------------------------------- protocols

def test_forbidden_protocols_pass_on_modern_and_fail_on_ancient_naming_them():
    assert run("tls.protocols.forbidden", facts(prot=protocols(MODERN))).verdict == Verdict.PASS
    o = run("tls.protocols.forbidden", facts(prot=protocols({**MODERN, **ANCIENT})))
    assert o.verdict == Verdict.FAIL
    assert o.message.args["protocols"] == "SSLv2, SSLv3, TLSv1.0"


def test_forbidden_protocols_accept_aliases_in_params():
    o = run("tls.protocols.forbidden", facts(prot=protocols(MODERN)), {"protocols": ["TLSv1.2"]})
    assert o.verdict == Verdict.FAIL


def test_forbidden_protocol_not_tested_is_an_error_never_a_pass():
    o = run("tls.protocols.forbidden", facts(prot=protocols(MODERN, unknown=("TLSv1.0",))))
    assert o.verdict == Verdict.ERROR
    # but an accepted forbidden version is a certain failure even when another test failed
    o = run("tls.protocols.forbidden", facts(prot=protocols({**MODERN, "SSLv3": ("RC4-SHA",)}, unknown=("TLSv1.0",))))
    assert o.verdict == Verdict.FAIL


def test_required_protocols():
    assert run("tls.protocols.required", facts(prot=protocols(MODERN))).verdict == Verdict.PASS
    o = run("tls.protocols.required", facts(prot=protocols({"TLSv1.0": ("AES128-SHA",)})))
    assert o.verdict == Verdict.FAIL
    o = run("tls.protocols.required", facts(prot=protocols({"TLSv1.2": MODERN["TLSv1.2"]})),
            {"protocols": ["TLSv1.2", "TLSv1.3"], "mode": "all"})
    assert o.verdict == Verdict.FAIL and o.message.args["protocols"] == "TLSv1.3"


def test_not_measured_and_probe_error_and_missing_observation_are_errors():
    assert run("tls.protocols.forbidden", facts()).verdict == Verdict.ERROR
    o = run("tls.protocols.forbidden", error="TLS connection failed: refused")
    assert o.verdict == Verdict.ERROR and "refused" in o.message.args["reason"]
    assert run("tls.protocols.forbidden").verdict == Verdict.ERROR


# ---------------------------------------------------------------- cipher suites

@pytest.mark.parametrize("category, suite", [
    ("NULL", "NULL-SHA"), ("EXPORT", "EXP-RC4-MD5"), ("anonymous", "ADH-AES128-SHA"), ("RC4", "RC4-SHA"),
    ("DES", "DES-CBC-SHA"), ("3DES", "DES-CBC3-SHA"), ("MD5", "SSL_CK_RC4_128_WITH_MD5"),
    ("static_rsa", "AES128-SHA"), ("CBC", "ECDHE-RSA-AES128-SHA"),
])
def test_each_forbidden_category_is_caught(category, suite):
    f = facts(prot=protocols({**MODERN, "TLSv1.0": (suite,)}))
    o = run("tls.ciphers.forbidden", f, {"categories": [category]})
    assert o.verdict == Verdict.FAIL
    assert category in o.message.args["categories"]
    assert any(suite in e.value or "TLS_" in e.value for e in o.evidence if e.label == "tls.ev.offending_suites")
    assert run("tls.ciphers.forbidden", facts(prot=protocols(MODERN)), {"categories": [category]}).verdict == Verdict.PASS


def test_cbc_can_be_forbidden_under_some_versions_only():
    f = facts(prot=protocols({"TLSv1.0": ("ECDHE-RSA-AES128-SHA",), "TLSv1.2": ("ECDHE-RSA-AES128-SHA",)}))
    o = run("tls.ciphers.forbidden", f, {"categories": ["CBC"], "cbc_protocols": ["TLSv1.2"]})
    assert o.verdict == Verdict.FAIL and o.message.args["count"] == 1
    o = run("tls.ciphers.forbidden", f, {"categories": ["CBC"], "cbc_protocols": ["TLSv1.3"]})
    assert o.verdict == Verdict.PASS


def test_cipher_checks_need_the_enumeration_not_the_sweep():
    f = facts(prot=protocols(MODERN, enumerated=False))
    for check in ("tls.ciphers.forbidden", "tls.forward_secrecy", "tls.aead_only", "tls.ciphers.allowed"):
        assert run(check, f).verdict == Verdict.ERROR, check


def test_allowed_list():
    allowed = {"tls13": list(MODERN["TLSv1.3"]), "tls12_and_below": ["ECDHE-RSA-AES128-GCM-SHA256"]}
    o = run("tls.ciphers.allowed", facts(prot=protocols(MODERN)), allowed)
    assert o.verdict == Verdict.FAIL and o.message.args["count"] == 1   # the CHACHA20 suite is not listed
    allowed["tls12_and_below"].append("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
    assert run("tls.ciphers.allowed", facts(prot=protocols(MODERN)), allowed).verdict == Verdict.PASS


def test_forward_secrecy_and_aead():
    assert run("tls.forward_secrecy", facts(prot=protocols(MODERN))).verdict == Verdict.PASS
    legacy = facts(prot=protocols({"TLSv1.0": ("AES128-SHA", "ECDHE-RSA-AES128-SHA")}))
    assert run("tls.forward_secrecy", legacy).verdict == Verdict.FAIL
    assert run("tls.forward_secrecy", legacy, {"mode": "any"}).verdict == Verdict.PASS
    assert run("tls.aead_only", facts(prot=protocols(MODERN))).verdict == Verdict.PASS
    assert run("tls.aead_only", legacy).verdict == Verdict.FAIL
    assert run("tls.aead_only", legacy, {"protocols": ["TLSv1.3"]}).verdict == Verdict.PASS


def test_groups_allowed():
    ok = facts(groups=GroupsFacts(Measure.MEASURED, None, True, ("X25519", "secp256r1")))
    bad = facts(groups=GroupsFacts(Measure.MEASURED, None, True, ("X25519", "X448", "secp521r1")))
    assert run("tls.groups.allowed", ok, {"groups": ["X25519", "prime256v1"]}).verdict == Verdict.PASS
    o = run("tls.groups.allowed", bad)
    assert o.verdict == Verdict.FAIL and "X448" in o.message.args["groups"]


# ---------------------------------------------------------------- vulnerabilities, OCSP

def test_vulnerabilities():
    assert run("tls.vulnerabilities", facts(vulnerabilities=canned.vulns())).verdict == Verdict.PASS
    o = run("tls.vulnerabilities", facts(vulnerabilities=canned.vulns(heartbleed=True)))
    assert o.verdict == Verdict.FAIL and "heartbleed" in o.message.args["names"]
    half = VulnerabilityFacts(heartbleed=Flag(Measure.MEASURED, False), robot=Flag(Measure.ERROR, None, "timeout"))
    assert run("tls.vulnerabilities", facts(vulnerabilities=half)).verdict == Verdict.ERROR
    assert run("tls.vulnerabilities", facts(vulnerabilities=half), {"vulnerabilities": ["heartbleed"]}).verdict \
        == Verdict.PASS
    o = run("tls.vulnerabilities", facts(vulnerabilities=canned.vulns(no_extended_master_secret=True)),
            {"vulnerabilities": ["no_extended_master_secret"]})
    assert o.verdict == Verdict.FAIL


def test_ocsp_stapling():
    assert run("tls.ocsp_stapling", with_cert(deployment(stapled=True))).verdict == Verdict.PASS
    assert run("tls.ocsp_stapling", with_cert(deployment())).verdict == Verdict.FAIL


def _leaf(ocsp_urls, crl_urls=()):
    return dataclasses.replace(cert(), ocsp_urls=ocsp_urls, crl_urls=crl_urls)


def test_ocsp_without_a_responder_is_not_applicable_with_the_reason():
    dep = deployment(_leaf((), ("http://crl.example/ca.crl",)), cert("CN=Intermediate", "CN=Root"))
    o = run("tls.ocsp_stapling", with_cert(dep))
    assert o.verdict == Verdict.NOT_APPLICABLE and o.message.key == "tls.ocsp.na_no_responder"
    assert "http://crl.example/ca.crl" in {e.value for e in o.evidence}


def test_ocsp_with_a_responder_must_be_stapled_and_must_staple_always_fails_without_one():
    with_responder = deployment(_leaf(("http://ocsp.example",)), cert("CN=Intermediate", "CN=Root"))
    o = run("tls.ocsp_stapling", with_cert(with_responder))
    assert o.verdict == Verdict.FAIL and o.message.key == "tls.ocsp.fail_missing"
    assert "http://ocsp.example" in {e.value for e in o.evidence}
    must = dataclasses.replace(deployment(_leaf(()), cert("CN=Intermediate", "CN=Root")), must_staple=True)
    assert run("tls.ocsp_stapling", with_cert(must)).message.key == "tls.ocsp.fail_must_staple"
    stapled = dataclasses.replace(with_responder, ocsp_stapled=True, ocsp_status="SUCCESSFUL")
    assert run("tls.ocsp_stapling", with_cert(stapled)).verdict == Verdict.PASS
    # unknown (an observation recorded before responders were read): never not-applicable
    assert run("tls.ocsp_stapling", with_cert(deployment(_leaf(None)))).verdict == Verdict.FAIL


# ---------------------------------------------------------------- certificates

def test_trusted_and_why_not():
    assert run("cert.trusted", with_cert(deployment())).verdict == Verdict.PASS
    # a hostname mismatch alone is cert.hostname's finding, not cert.trusted's
    assert run("cert.trusted", with_cert(deployment(trusted=False, ignoring=True, matches=False))).verdict \
        == Verdict.PASS
    o = run("cert.trusted", with_cert(deployment(cert(self_signed=True, issuer="CN=localhost"), trusted=False)))
    assert o.verdict == Verdict.FAIL and o.message.key == "cert.trusted.fail_self_signed"
    o = run("cert.trusted", with_cert(deployment(cert(issuer="CN=Intermediate"), trusted=False)))
    assert o.verdict == Verdict.FAIL and o.message.key == "cert.trusted.fail_incomplete"
    assert o.message.args["issuer"] == "CN=Intermediate"
    o = run("cert.trusted", with_cert(deployment(cert(days_after=-3), cert("CN=Intermediate", "CN=Root"),
                                                 trusted=False)))
    assert o.message.key == "cert.trusted.fail_dates"


def test_hostname():
    assert run("cert.hostname", with_cert(deployment())).verdict == Verdict.PASS
    o = run("cert.hostname", with_cert(deployment(matches=False, hostname="www.example.org")))
    assert o.verdict == Verdict.FAIL and o.message.args["hostname"] == "www.example.org"


def test_expiry_fails_expired_and_not_yet_valid_and_warns_inside_horizon():
    assert run("cert.expiry", with_cert(deployment())).verdict == Verdict.PASS
    o = run("cert.expiry", with_cert(deployment(cert(days_after=-2))))
    assert o.verdict == Verdict.FAIL and o.message.key == "cert.expiry.fail_expired" and o.message.args["days"] == 2
    o = run("cert.expiry", with_cert(deployment(cert(days_before=-5))))
    assert o.verdict == Verdict.FAIL and o.message.key == "cert.expiry.fail_not_yet_valid"
    o = run("cert.expiry", with_cert(deployment(cert(days_after=10))), {"warn_days": 30})
    assert o.verdict == Verdict.PASS and o.warnings and o.warnings[0].key == "cert.expiry.warn_soon"
    assert not run("cert.expiry", with_cert(deployment(cert(days_after=10))), {"warn_days": 5}).warnings


def test_key_strength():
    assert run("cert.key_strength", with_cert(deployment())).verdict == Verdict.PASS
    o = run("cert.key_strength", with_cert(deployment(cert(key=("RSA", 1024)))))
    assert o.verdict == Verdict.FAIL and o.message.args["bits"] == 1024
    o = run("cert.key_strength", with_cert(deployment()), {"allowed_types": ["EC"]})
    assert o.verdict == Verdict.FAIL
    assert run("cert.key_strength", with_cert(deployment(cert(key=("EC", 256))))).verdict == Verdict.PASS


def test_signature():
    assert run("cert.signature", with_cert(deployment())).verdict == Verdict.PASS
    o = run("cert.signature", with_cert(deployment(cert(sig="sha1WithRSAEncryption", sig_hash="sha1"))))
    assert o.verdict == Verdict.FAIL and "sha1" in o.message.args["algorithm"]
    o = run("cert.signature", with_cert(deployment()), {"allowed_leaf_algorithms": ["ecdsa-with-SHA256"]})
    assert o.verdict == Verdict.FAIL


def test_lifespan():
    assert run("cert.lifespan", with_cert(deployment()), {"max_days": 366}).verdict == Verdict.PASS
    assert run("cert.lifespan", with_cert(deployment(cert(days_after=400))), {"max_days": 366}).verdict == Verdict.FAIL


def test_certificate_not_measured_is_an_error():
    assert run("cert.trusted", facts()).verdict == Verdict.ERROR
    f = facts(certificate=CertificateFacts(Measure.ERROR, "handshake failed"))
    o = run("cert.expiry", f)
    assert o.verdict == Verdict.ERROR and "handshake failed" in o.message.args["reason"]


# ---------------------------------------------------------------- HSTS

def test_hsts():
    good = facts(hsts=HstsFacts(Measure.MEASURED, None, True, 63072000))
    short = facts(hsts=HstsFacts(Measure.MEASURED, None, True, 300))
    none = facts(hsts=HstsFacts(Measure.MEASURED, None, False))
    assert run("http.hsts", good).verdict == Verdict.PASS
    o = run("http.hsts", short)
    assert o.verdict == Verdict.FAIL and o.message.args["max_age"] == 300
    assert run("http.hsts", none).verdict == Verdict.FAIL
    assert run("http.hsts", good, {"include_subdomains": True}).verdict == Verdict.FAIL
    assert run("http.hsts", good, service=Service.SMTP, starttls=Starttls.SMTP).verdict == Verdict.NOT_APPLICABLE
    assert run("http.hsts", facts()).verdict == Verdict.ERROR


def test_every_check_has_a_params_schema_that_accepts_empty_params():
    import jsonschema

    for spec in REGISTRY.values():
        jsonschema.validate({}, spec.params_schema)
        jsonschema.Draft202012Validator.check_schema(spec.params_schema)


def test_every_message_key_used_by_checks_exists():
    import pathlib
    import re

    from secaudit.i18n import catalog

    src = "".join(p.read_text() for p in pathlib.Path("secaudit/checks").glob("*.py"))
    keys = set(re.findall(r'"((?:tls|cert|http)\.(?:[a-z0-9_]+\.)*[a-z0-9_]+)"', src)) - set(REGISTRY)
    keys = {k for k in keys if k.count(".") >= 2 or k.startswith(("tls.ev", "cert.ev", "http.ev"))}
    assert sorted(k for k in keys if k not in catalog()) == []
