"""A suite whose handshake timed out is not a refused suite: cipher checks may fail on what was seen,
never pass on a list that may be short (sslyze itself counts such timeouts as rejections)."""

from types import SimpleNamespace

from secaudit.checks.tls import CHECKS
from secaudit.model import Verdict
from secaudit.observations.tls import Measure, ProtocolResult, ProtocolsFacts
from secaudit.probes.tls import _protocols_from_ciphers
from tests.support import canned

CHECK = {c.name: c for c in CHECKS}
TIMEOUT = "Connection to server timed out during the TLS handshake"


def _sr(accepted: list[str], rejected: list[tuple[str, str]]):
    """A stand-in for sslyze's scan result: TLS 1.2 enumerated, other versions not scheduled."""
    from sslyze import ScanCommandAttemptStatusEnum as S

    def suite(name):
        return SimpleNamespace(name=name, openssl_name=name, key_size=128, is_anonymous=False)

    result = SimpleNamespace(
        accepted_cipher_suites=[SimpleNamespace(cipher_suite=suite(n), ephemeral_key=None) for n in accepted],
        rejected_cipher_suites=[SimpleNamespace(cipher_suite=suite(n), error_message=m) for n, m in rejected])
    attempts = {}
    for cmd in ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites", "tls_1_1_cipher_suites",
                "tls_1_2_cipher_suites", "tls_1_3_cipher_suites"):
        attempts[cmd] = SimpleNamespace(status=S.NOT_SCHEDULED, result=None, error_reason=None, error_trace=None)
    attempts["tls_1_2_cipher_suites"] = SimpleNamespace(status=S.COMPLETED, result=result, error_reason=None,
                                                        error_trace=None)
    return SimpleNamespace(**attempts)


def test_timed_out_suites_leave_the_version_partially_enumerated():
    facts = _protocols_from_ciphers(_sr(["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
                                        [("TLS_RSA_WITH_AES_128_CBC_SHA", TIMEOUT),
                                         ("TLS_RSA_WITH_NULL_SHA", "Server rejected the connection")]))
    [r] = facts.results
    assert r.accepted is True and r.suites_enumerated and "timed out" in r.error
    assert facts.partially_enumerated() == ("TLSv1.2",)


def test_a_version_with_only_timeouts_is_unknown():
    facts = _protocols_from_ciphers(_sr([], [("TLS_RSA_WITH_AES_128_CBC_SHA", TIMEOUT)]))
    assert facts.results[0].accepted is None


def test_cipher_checks_error_instead_of_passing_on_a_possibly_short_list():
    modern = canned.protocols({"TLSv1.2": ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",)})
    short = ProtocolsFacts(Measure.MEASURED, None, modern.method, tuple(
        ProtocolResult(r.protocol, r.accepted, "1 suite handshake(s) timed out" if r.accepted else None, r.suites,
                       r.suites_enumerated) for r in modern.results))
    for name in ("tls.ciphers.forbidden", "tls.forward_secrecy", "tls.aead_only"):
        complete = CHECK[name].func({}, canned.ctx(canned.facts(prot=modern)))
        partial = CHECK[name].func({}, canned.ctx(canned.facts(prot=short)))
        assert complete.verdict is Verdict.PASS, name
        assert partial.verdict is Verdict.ERROR, (name, partial)


def test_a_weak_suite_that_was_seen_still_fails_despite_timeouts():
    weak = canned.protocols({"TLSv1.2": ("TLS_RSA_WITH_3DES_EDE_CBC_SHA",)})
    short = ProtocolsFacts(Measure.MEASURED, None, weak.method, tuple(
        ProtocolResult(r.protocol, r.accepted, "timed out" if r.accepted else None, r.suites, r.suites_enumerated)
        for r in weak.results))
    out = CHECK["tls.ciphers.forbidden"].func({"categories": ["3DES"]}, canned.ctx(canned.facts(prot=short)))
    assert out.verdict is Verdict.FAIL
