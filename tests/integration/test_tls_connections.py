"""How many TLS connections a level-3 scan opens, counted on the server side (a counting proxy on 127.28.x.x).

A compliant endpoint needs a verdict, not a list of every suite tried one at a time: at most 40
connections for every TLS control of level 3 (protocols, suites, forward secrecy, the level's
vulnerability tests, certificate, HSTS). A weak endpoint still gets its offending suites named.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.checks import REGISTRY
from secaudit.evaluate import judge_endpoint
from secaudit.lab.counting import counting_proxy
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from secaudit.model import Endpoint, ObservationStatus, Service, Verdict
from secaudit.plan import needs_of
from secaudit.policy import load_profile
from secaudit.probes.tls import TlsTarget, params_for_needs, scan

pytestmark = pytest.mark.integration

UPSTREAM = "127.28.0.2"
PROXY = "127.28.0.1"
MAX_COMPLIANT = 40


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("tls-connections")
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(), work, "leaf")
    sites = [Site("compliant", crt, key, hsts="max-age=63072000", host=UPSTREAM),
             Site("weak", crt, key, host=UPSTREAM, protocols="TLSv1 TLSv1.1 TLSv1.2",
                  ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AECDH-AES128-SHA:NULL-SHA256:@SECLEVEL=0")]
    with NginxFarm(sites, work) as f:
        yield f, ca


def _scan_level3(farm, name: str):
    nginx, ca = farm
    policy = load_profile("level-3")
    tls_controls = [c for c in policy.controls if any(n.startswith("tls:") for n in REGISTRY[c.check].needs)]
    params = params_for_needs(needs_of(tls_controls, REGISTRY))
    with counting_proxy((UPSTREAM, nginx[name].port), PROXY) as proxy:
        port = proxy.server_address[1]
        (obs,) = list(scan([TlsTarget(PROXY, port, sni="localhost", probe_id=name)], params,
                           ca_file=Path(ca), timeout_s=120))
        connections = proxy.connections
    ep = Endpoint(PROXY, port, Service.HTTPS, tls=True, sni="localhost")
    findings = {f.control_id: f for f in judge_endpoint(policy, ep, [obs], REGISTRY)
                if f.control_id in {c.id for c in tls_controls}}
    return obs, connections, findings


def test_compliant_endpoint_at_level_3_in_at_most_40_connections(farm):
    obs, connections, findings = _scan_level3(farm, "compliant")
    assert obs.status == ObservationStatus.OK
    verdicts = {cid: f.verdict for cid, f in findings.items()}
    assert verdicts and all(v == Verdict.PASS for v in verdicts.values()), verdicts
    assert connections <= MAX_COMPLIANT, f"{connections} connections for a compliant endpoint"
    # the PASS is backed by a complete list: every accepted suite, and the refused offer after it
    tls12 = obs.facts.protocols.result("TLSv1.2")
    assert tls12.suites_enumerated and tls12.suites and tls12.refused_offer > 100
    ciphers = next(e.value for e in findings["TLS-CIPH-01"].evidence if e.label == "tls.ev.refused_offers")
    assert ciphers.startswith("TLSv1.2 ") and "TLSv1.3 2" in ciphers
    assert obs.facts.protocols.result("TLSv1.0").accepted is False
    # no RSA key exchange in any list: ROBOT is settled without its 3 x 2 handshakes
    assert obs.facts.vulnerabilities.robot.detail.startswith("NOT_VULNERABLE_RSA_NOT_SUPPORTED")


def test_weak_endpoint_fail_names_the_offending_suites(farm):
    obs, connections, findings = _scan_level3(farm, "weak")
    ciphers = findings["TLS-CIPH-01"]
    assert ciphers.verdict == Verdict.FAIL
    offending = next(e.value for e in ciphers.evidence if e.label == "tls.ev.offending_suites")
    assert "TLS_RSA_WITH_NULL_SHA256" in offending and "TLS_ECDH_anon_WITH_AES_128_CBC_SHA" in offending
    assert findings["TLS-PROTO-01"].verdict == Verdict.FAIL
    assert findings["TLS-FS-01"].verdict == Verdict.FAIL
    robot = obs.facts.vulnerabilities.robot     # static RSA accepted: sslyze's ROBOT test ran
    assert robot.status.value == "measured" and not robot.detail.startswith("NOT_VULNERABLE_RSA_NOT_SUPPORTED")
    assert connections > 0
    # the list by elimination is sslyze's own one-suite-per-connection enumeration, suite for suite
    eliminated = {(s.protocol, s.name, s.ephemeral_key) for s in obs.facts.protocols.suites()}
    assert eliminated == _sslyze_enumeration(farm[0]["weak"].port)


def _sslyze_enumeration(port: int) -> set[tuple[str, str, str | None]]:
    from sslyze import Scanner, ScanCommand, ServerNetworkConfiguration, ServerNetworkLocation, ServerScanRequest

    commands = {"TLSv1.0": ScanCommand.TLS_1_0_CIPHER_SUITES, "TLSv1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
                "TLSv1.2": ScanCommand.TLS_1_2_CIPHER_SUITES, "TLSv1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
                "SSLv3": ScanCommand.SSL_3_0_CIPHER_SUITES}
    scanner = Scanner()
    scanner.queue_scans([ServerScanRequest(
        server_location=ServerNetworkLocation(UPSTREAM, port, ip_address=UPSTREAM),
        network_configuration=ServerNetworkConfiguration("localhost"), scan_commands=set(commands.values()))])
    (result,) = list(scanner.get_results())
    out = set()
    for protocol, cmd in commands.items():
        for a in getattr(result.scan_result, cmd.value).result.accepted_cipher_suites:
            key = a.ephemeral_key
            kind = None
            if key is not None:
                curve = getattr(key, "curve_name", None)
                kind = f"ECDH {curve}" if curve else getattr(key, "type_name", "DH")
            out.add((protocol, a.cipher_suite.name, kind))
    return out
