"""Every TLS, certificate and HSTS check shown passing on one real server and failing on another."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, Purpose, Service, Starttls, System, Verdict

pytestmark = pytest.mark.integration


def judge(full_scan, name, check, params=None, service=Service.HTTPS):
    obs = full_scan[name]
    host, port = obs.target.rsplit(":", 1)
    starttls = Starttls.SMTP if name == "smtp" else None
    ep = Endpoint(host, int(port), Service.SMTP if starttls else service, starttls, "localhost", tls=True)
    ctx = CheckContext(System("lab", "Lab", Purpose.INTERNAL, endpoints=(ep,)), ep.address, ep, {"tls": obs},
                       dt.datetime.now(dt.timezone.utc))
    return REGISTRY[check].func(params or {}, ctx)


CASES = [
    # check, params, passing server, failing server, expected failure message key
    ("tls.protocols.forbidden", {}, "modern", "legacy", "tls.protocols.forbidden.fail"),
    ("tls.protocols.required", {"protocols": ["TLSv1.2", "TLSv1.3"]}, "modern", "legacy",
     "tls.protocols.required.fail_any"),
    ("tls.ciphers.forbidden", {"categories": ["static_rsa", "CBC"]}, "modern", "legacy", "tls.ciphers.forbidden.fail"),
    ("tls.forward_secrecy", {}, "modern", "legacy", "tls.forward_secrecy.fail"),
    ("tls.aead_only", {}, "modern", "legacy", "tls.aead_only.fail"),
    ("tls.ciphers.allowed", {"tls13": ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                       "TLS_CHACHA20_POLY1305_SHA256"],
                             "tls12_and_below": ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384",
                                                 "ECDHE-RSA-CHACHA20-POLY1305"]},
     "modern", "legacy", "tls.ciphers.allowed.fail"),
    ("tls.groups.allowed", {"groups": ["X25519", "prime256v1", "secp384r1"]}, "modern", "modern",
     None),  # the lab's curves are all Mozilla's; failure shown below with a narrower list
    ("tls.ocsp_stapling", {}, "modern", "ocsp_unstapled", "tls.ocsp.fail_missing"),
    ("cert.trusted", {}, "modern", "self_signed", "cert.trusted.fail_self_signed"),
    ("cert.hostname", {}, "modern", "wrong_host", "cert.hostname.fail"),
    ("cert.expiry", {}, "modern", "expired", "cert.expiry.fail_expired"),
    ("cert.key_strength", {}, "modern", "rsa1024", "cert.key_strength.fail_size"),
    ("cert.signature", {}, "modern", "sha1", "cert.signature.fail_hash"),
    ("http.hsts", {"min_max_age": 31536000}, "modern", "modern_nohsts", "http.hsts.fail_missing"),
    ("tls.key_exchange.size", {"dh_min_bits": 2048, "ecdh_min_bits": 256}, "modern", "dhe1024", "tls.kx_size.fail"),
    ("cert.lifespan", {"max_days": 366}, "modern", "long_lived", "cert.lifespan.fail"),
    ("cert.chain_order", {}, "modern", "bad_order", "cert.chain_order.fail"),
]


@pytest.mark.parametrize("check, params, good, bad, key", CASES, ids=[c[0] for c in CASES])
def test_check_passes_on_one_server_and_fails_on_another(full_scan, check, params, good, bad, key):
    ok = judge(full_scan, good, check, params)
    assert ok.verdict == Verdict.PASS, (ok.message, ok.evidence)
    if key is None:
        return
    ko = judge(full_scan, bad, check, params)
    assert ko.verdict == Verdict.FAIL, (ko.message, ko.evidence)
    assert ko.message.key == key
    assert ko.evidence, "a failure must carry evidence"


def test_ocsp_stapling_without_a_responder_is_not_applicable_and_must_staple_fails(full_scan):
    # the lab's other leaves name no OCSP responder (like Let's Encrypt's since 2025): nothing to staple
    o = judge(full_scan, "modern_nohsts", "tls.ocsp_stapling")
    assert o.verdict == Verdict.NOT_APPLICABLE and o.message.key == "tls.ocsp.na_no_responder", o.message
    assert {e.label: e.value for e in o.evidence}["tls.ev.ocsp_responders"] == "-"
    o = judge(full_scan, "ocsp_unstapled", "tls.ocsp_stapling")
    assert {e.label: e.value for e in o.evidence}["tls.ev.ocsp_responders"] == "http://127.0.0.1:9/ocsp"
    o = judge(full_scan, "must_staple_unstapled", "tls.ocsp_stapling")
    assert o.verdict == Verdict.FAIL and o.message.key == "tls.ocsp.fail_must_staple"
    assert judge(full_scan, "modern", "tls.ocsp_stapling").verdict == Verdict.PASS


@pytest.mark.parametrize("level, expected", [(2, None), (3, ("medium", Verdict.FAIL)), (4, ("high", Verdict.FAIL))])
def test_misordered_chain_fails_from_level_3(full_scan, level, expected):
    from secaudit.evaluate import judge_endpoint
    from secaudit.policy import load_profile

    def verdicts(name):
        host, port = full_scan[name].target.rsplit(":", 1)
        ep = Endpoint(host, int(port), Service.HTTPS, None, "localhost", tls=True)
        return {f.control_id.split("@")[0]: (f.severity.value, f.verdict)
                for f in judge_endpoint(policy, ep, [full_scan[name]], REGISTRY)}

    policy = load_profile(f"level-{level}")
    assert verdicts("bad_order").get("CERT-ORDER-01") == expected
    if expected:   # the well-ordered server passes the same control
        assert verdicts("modern")["CERT-ORDER-01"][1] == Verdict.PASS


def test_groups_fail_when_the_server_offers_a_group_outside_the_list(full_scan):
    o = judge(full_scan, "modern", "tls.groups.allowed", {"groups": ["X25519"]})
    assert o.verdict == Verdict.FAIL and "secp256r1" in o.message.args["groups"]


def test_vulnerabilities_pass_on_patched_servers(full_scan):
    o = judge(full_scan, "modern", "tls.vulnerabilities", {})
    assert o.verdict == Verdict.PASS
    # Debian's OpenSSL cannot be made vulnerable to Heartbleed, ROBOT or CCS injection: those failing
    # sides are on canned facts (tests/unit/test_tls_checks.py::test_vulnerabilities); client-initiated
    # renegotiation fails live below.


def test_evidence_names_the_protocols_suites_and_certificate(full_scan):
    o = judge(full_scan, "legacy", "tls.ciphers.forbidden", {"categories": ["static_rsa"]})
    suites = next(e.value for e in o.evidence if e.label == "tls.ev.offending_suites")
    assert "TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA" in suites
    o = judge(full_scan, "expired", "cert.expiry")
    ev = {e.label: e.value for e in o.evidence}
    assert "localhost" in ev["cert.ev.subject"] and "intermediate" in ev["cert.ev.issuer"]
    assert ".." in ev["cert.ev.validity"]


def test_certificate_causes_are_told_apart(full_scan):
    assert judge(full_scan, "not_yet_valid", "cert.expiry").message.key == "cert.expiry.fail_not_yet_valid"
    assert judge(full_scan, "no_intermediate", "cert.trusted").message.key == "cert.trusted.fail_incomplete"
    assert judge(full_scan, "expired", "cert.trusted").message.key == "cert.trusted.fail_dates"
    # a wrong name is a hostname finding only: the chain itself is trusted
    assert judge(full_scan, "wrong_host", "cert.trusted").verdict == Verdict.PASS
    soon = judge(full_scan, "expiring_soon", "cert.expiry", {"warn_days": 30})
    assert soon.verdict == Verdict.PASS and soon.warnings[0].key == "cert.expiry.warn_soon"


def test_hsts_short_max_age_fails_and_smtp_is_not_applicable(full_scan):
    o = judge(full_scan, "hsts_short", "http.hsts", {"min_max_age": 31536000})
    assert o.verdict == Verdict.FAIL and o.message.args["max_age"] == 300
    assert judge(full_scan, "smtp", "http.hsts").verdict == Verdict.NOT_APPLICABLE
    assert judge(full_scan, "smtp", "tls.protocols.forbidden").verdict == Verdict.PASS


def test_unreachable_endpoints_are_errors_for_every_check_never_a_pass(full_scan):
    tls_checks = [name for name, spec in REGISTRY.items() if any(n.startswith("tls:") for n in spec.needs)]
    assert len(tls_checks) >= 14
    for name in ("silent", "closed", "plain_http"):
        for check in tls_checks:
            assert judge(full_scan, name, check).verdict == Verdict.ERROR, (name, check)


def test_cipher_checks_on_a_protocols_only_scan_are_errors_not_passes(protocols_scan):
    for check in ("tls.ciphers.forbidden", "tls.forward_secrecy", "tls.aead_only", "cert.trusted", "http.hsts"):
        assert judge(protocols_scan, "legacy", check).verdict == Verdict.ERROR, check
    assert judge(protocols_scan, "legacy", "tls.protocols.forbidden").verdict == Verdict.FAIL
    assert judge(protocols_scan, "modern", "tls.protocols.forbidden").verdict == Verdict.PASS


@pytest.fixture(scope="module")
def renegotiating_server_scan(tmp_path_factory):
    """`openssl s_server -client_renegotiation`: accepts client-initiated renegotiation (a DoS vector)."""
    from secaudit.probes.tls import TlsTarget, params_for_needs, scan
    from secaudit.lab.pki import TestPKI
    from secaudit.lab.servers import openssl_s_server

    d = tmp_path_factory.mktemp("s_server")
    pki = TestPKI()
    crt, key = pki.write_leaf(pki.leaf(), d, "reneg")
    with openssl_s_server(crt, key, "-client_renegotiation") as port:
        [obs] = list(scan([TlsTarget("127.0.0.1", port, probe_id="reneg")], params_for_needs({"tls:vulnerabilities"}),
                          timeout_s=60, per_server_connections=1))
    return {"reneg": obs}


def test_vulnerability_check_fails_live_on_client_renegotiation(full_scan, renegotiating_server_scan):
    params = {"vulnerabilities": ["client_renegotiation_dos", "insecure_renegotiation", "heartbleed"]}
    assert judge(full_scan, "modern", "tls.vulnerabilities", params).verdict == Verdict.PASS
    o = judge(renegotiating_server_scan, "reneg", "tls.vulnerabilities", params)
    assert o.verdict == Verdict.FAIL, (o.message, o.evidence)
    assert "client_renegotiation_dos" in o.message.args["names"] and "renegotiations accepted" in o.message.args["names"]
