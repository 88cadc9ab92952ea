"""Pure parts of suite elimination: which versions to list, and when the lists settle ROBOT."""

from __future__ import annotations

from secaudit.observations.tls import AcceptedSuite, Measure, ProtocolResult, ProtocolsFacts
from secaudit.probes.tls.eliminate import ELIMINATED, rsa_key_exchange_ruled_out, versions_to_enumerate


def _sweep(accepted: set[str], unknown: set[str] = frozenset()) -> ProtocolsFacts:
    return ProtocolsFacts(Measure.MEASURED, None, "handshake_per_version", tuple(
        ProtocolResult(p, None if p in unknown else p in accepted)
        for p in ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")))


def _listed(protocol: str, *names: str, error: str | None = None) -> ProtocolResult:
    suites = tuple(AcceptedSuite.build(n, n, protocol) for n in names)
    return ProtocolResult(protocol, bool(suites), error, suites, suites_enumerated=True, refused_offer=150)


def test_only_versions_not_refused_are_listed_and_never_sslv2():
    assert versions_to_enumerate(_sweep({"TLSv1.2", "TLSv1.3"})) == ("TLSv1.2", "TLSv1.3")
    assert versions_to_enumerate(_sweep({"TLSv1.3"}, unknown={"TLSv1.0"})) == ("TLSv1.0", "TLSv1.3")
    assert versions_to_enumerate(None) == ELIMINATED and "SSLv2" not in ELIMINATED


def test_robot_is_settled_only_when_every_version_up_to_tls12_is_refused_or_listed_without_rsa_kx():
    sweep = _sweep({"TLSv1.2", "TLSv1.3"})
    modern = {"TLSv1.2": _listed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
              "TLSv1.3": _listed("TLSv1.3", "TLS_AES_128_GCM_SHA256")}
    assert rsa_key_exchange_ruled_out(sweep, modern)
    static = dict(modern, **{"TLSv1.2": _listed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                                "TLS_RSA_WITH_AES_128_GCM_SHA256")})
    assert not rsa_key_exchange_ruled_out(sweep, static)                 # RSA key exchange: ROBOT must run
    short = dict(modern, **{"TLSv1.2": _listed("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                                               error="TLSv1.2: handshake timed out twice")})
    assert not rsa_key_exchange_ruled_out(sweep, short)                  # a list that may be short proves nothing
    assert not rsa_key_exchange_ruled_out(sweep, {"TLSv1.3": modern["TLSv1.3"]})   # TLS 1.2 not listed
    assert not rsa_key_exchange_ruled_out(_sweep({"TLSv1.2", "TLSv1.3"}, unknown={"TLSv1.0"}), modern)


def test_a_vulnerability_control_asks_only_for_the_tests_it_lists():
    from secaudit.checks import REGISTRY
    from secaudit.model import Control, LocalText, Severity
    from secaudit.plan import needs_of
    from secaudit.probes.tls import params_for_needs

    def control(params):
        return Control(id="V", title=LocalText("v", "v"), check="tls.vulnerabilities", severity=Severity.HIGH,
                       params=params)

    listed = params_for_needs(needs_of([control({"vulnerabilities": ["heartbleed", "robot"]})], REGISTRY))
    assert listed.scan_commands == {"heartbleed", "robot"}
    default = params_for_needs(needs_of([control({})], REGISTRY))
    assert "tls_extended_master_secret" not in default.scan_commands
    assert {"heartbleed", "robot", "session_renegotiation", "tls_fallback_scsv"} <= default.scan_commands
    # a bad name is the check's error to report; meanwhile everything is measured
    bad = params_for_needs(needs_of([control({"vulnerabilities": ["nope"]})], REGISTRY))
    assert "tls_extended_master_secret" in bad.scan_commands
