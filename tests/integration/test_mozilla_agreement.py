"""Our Mozilla-profile verdicts agree with sslyze's own checker on the same real servers,
except where ours checks more (HSTS, OCSP stapling, which sslyze's checker skips)."""

from __future__ import annotations

import datetime as dt

import pytest

from secaudit.checks import REGISTRY
from secaudit.evaluate import judge_endpoint
from secaudit.model import Endpoint, Service, Verdict
from secaudit.policy import load_profile

pytestmark = pytest.mark.integration

SERVERS = ["modern", "modern13_ecdsa", "legacy", "expired", "not_yet_valid", "self_signed", "wrong_host", "rsa1024",
           "sha1", "no_intermediate", "modern_nohsts", "dhe1024", "long_lived", "bad_order"]
OURS_ONLY = {"http.hsts", "tls.ocsp_stapling"}

# sslyze issue key -> area; our check -> area
SSLYZE_AREA = {"tls_versions": "protocols", "ciphers": "ciphers", "ciphersuites": "ciphers", "ecdh_param_size": "kx",
               "dh_param_size": "kx", "tls_curves": "groups", "certificate_path_validation": "validation",
               "rsa_key_size": "key", "certificate_curves": "key", "certificate_types": "key",
               "certificate_signatures": "signature", "maximum_certificate_lifespan": "lifespan"}
OUR_AREA = {"tls.protocols.forbidden": "protocols", "tls.protocols.required": "protocols",
            "tls.ciphers.allowed": "ciphers", "tls.ciphers.forbidden": "ciphers", "tls.key_exchange.size": "kx",
            "tls.groups.allowed": "groups", "cert.trusted": "validation", "cert.hostname": "validation",
            "cert.expiry": "validation", "cert.key_strength": "key", "cert.signature": "signature",
            "cert.lifespan": "lifespan", "tls.vulnerabilities": "vulnerabilities"}


def evaluate(policy, endpoint, observations, now=None):
    """(check, verdict) of every control of ``policy`` on ``endpoint``, through the pipeline's evaluate."""
    checks = {c.id: c.check for c in policy.controls}
    return [(checks[f.control_id], f.control_id, f.verdict)
            for f in judge_endpoint(policy, endpoint, observations.values(), REGISTRY, now)]


@pytest.fixture(scope="module")
def sslyze_results(lab):
    from sslyze import (CertificateInfoExtraArgument, Scanner, ScanCommandsExtraArguments,
                        ServerNetworkConfiguration, ServerNetworkLocation, ServerScanRequest)
    from sslyze.mozilla_tls_profile.tls_config_checker import SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER

    scanner = Scanner()
    names, requests = {}, []
    for name in SERVERS:
        req = ServerScanRequest(
            server_location=ServerNetworkLocation("127.0.0.1", lab.ports[name], ip_address="127.0.0.1"),
            network_configuration=ServerNetworkConfiguration("localhost"),
            scan_commands=set(SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER),
            scan_commands_extra_arguments=ScanCommandsExtraArguments(
                certificate_info=CertificateInfoExtraArgument(custom_ca_file=lab.ca_file)))
        names[req.uuid] = name
        requests.append(req)
    scanner.queue_scans(requests)
    return {names[r.uuid]: r for r in scanner.get_results()}


def sslyze_issues(result, level: str) -> dict[str, str]:
    from sslyze.mozilla_tls_profile.tls_config_checker import (MozillaTlsConfiguration,
                                                               ServerNotCompliantWithTlsConfiguration,
                                                               TlsConfigurationEnum,
                                                               check_server_against_tls_configuration)

    try:
        check_server_against_tls_configuration(result, MozillaTlsConfiguration.get(TlsConfigurationEnum(level)))
    except ServerNotCompliantWithTlsConfiguration as e:
        return e.issues
    return {}


def areas_of_sslyze(issues: dict[str, str]) -> set[str]:
    return {"vulnerabilities" if k.startswith("tls_vulnerability_") else SSLYZE_AREA[k] for k in issues}


@pytest.mark.parametrize("level", ["intermediate", "modern", "old"])
def test_our_profile_verdicts_agree_with_sslyze_checker(lab, full_scan, sslyze_results, level):
    policy = load_profile(f"mozilla-{level}")
    now = dt.datetime.now(dt.timezone.utc)
    disagreements = []
    for name in SERVERS:
        host, port = full_scan[name].target.rsplit(":", 1)
        ep = Endpoint(host, int(port), Service.HTTPS, None, "localhost", tls=True)
        results = evaluate(policy, ep, {"tls": full_scan[name]}, now)
        assert not [cid for _, cid, verdict in results if verdict == Verdict.ERROR], name
        failed = {check for check, _, verdict in results if verdict == Verdict.FAIL}
        ours = {OUR_AREA[c] for c in failed - OURS_ONLY}
        theirs = areas_of_sslyze(sslyze_issues(sslyze_results[name], level))
        if ours != theirs:
            disagreements.append((name, sorted(ours), sorted(theirs)))
    assert disagreements == []


def test_ours_checks_more_hsts_and_ocsp(full_scan, sslyze_results):
    # modern_nohsts: compliant for sslyze's checker, but ours fails HSTS; its certificate names no OCSP
    # responder, so stapling is not applicable (no exit 1 for it), while a leaf naming one must be stapled
    assert sslyze_issues(sslyze_results["modern_nohsts"], "intermediate") == {}
    policy = load_profile("mozilla-intermediate")
    host, port = full_scan["modern_nohsts"].target.rsplit(":", 1)
    ep = Endpoint(host, int(port), Service.HTTPS, None, "localhost", tls=True)
    failed = {check for check, _, verdict in evaluate(policy, ep, {"tls": full_scan["modern_nohsts"]})
              if verdict == Verdict.FAIL}
    assert failed == {"http.hsts"}
    na = {check for check, _, verdict in evaluate(policy, ep, {"tls": full_scan["modern_nohsts"]})
          if verdict == Verdict.NOT_APPLICABLE}
    assert na == {"tls.ocsp_stapling"}
    host, port = full_scan["ocsp_unstapled"].target.rsplit(":", 1)
    ep = Endpoint(host, int(port), Service.HTTPS, None, "localhost", tls=True)
    failed = {check for check, _, verdict in evaluate(policy, ep, {"tls": full_scan["ocsp_unstapled"]})
              if verdict == Verdict.FAIL}
    assert failed == {"tls.ocsp_stapling"}
    # and the fully configured server passes every control, HSTS and stapling included
    host, port = full_scan["modern"].target.rsplit(":", 1)
    ep = Endpoint(host, int(port), Service.HTTPS, None, "localhost", tls=True)
    verdicts = {cid: verdict for _, cid, verdict in evaluate(policy, ep, {"tls": full_scan["modern"]})}
    assert set(verdicts.values()) == {Verdict.PASS}, verdicts
