"""The sslyze adapter against real servers on loopback (one nginx, SMTP STARTTLS, silent and closed ports)."""

from __future__ import annotations

import json
import time

import pytest

from secaudit.model import ObservationStatus
from secaudit.observations.tls import Measure, TlsFacts
from secaudit.probes.tls import TlsTarget, params_for_needs, scan

pytestmark = pytest.mark.integration


def test_every_endpoint_yields_exactly_one_observation(lab, full_scan, protocols_scan):
    assert set(full_scan) == set(lab.ports)
    assert set(protocols_scan) == set(lab.ports)


def test_modern_server_facts(full_scan):
    f: TlsFacts = full_scan["modern"].facts
    assert full_scan["modern"].status == ObservationStatus.OK
    assert f.protocols.accepted() == ("TLSv1.2", "TLSv1.3")
    assert f.protocols.method == "handshake_per_version+elimination"
    suites = f.protocols.suites()
    assert suites and all(s.aead and s.forward_secrecy for s in suites)
    assert {s.name for s in suites if s.protocol == "TLSv1.2"} >= {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
    assert f.groups.supported == ("X25519", "secp256r1", "secp384r1")
    dep = f.certificate.deployments[0]
    assert dep.hostname_matches and dep.chain_complete
    assert any(t.store == "Supplied CA file" and t.trusted for t in dep.trust)
    assert dep.ocsp_stapled and dep.ocsp_status == "SUCCESSFUL"
    assert dep.leaf.key_type == "RSA" and dep.leaf.key_size == 2048 and dep.leaf.signature_hash == "sha256"
    assert dep.chain[1].subject.startswith("CN=secaudit test intermediate CA")
    assert f.hsts.status == Measure.MEASURED and f.hsts.present and f.hsts.max_age == 63072000
    assert all(flag.status == Measure.MEASURED and flag.value is False for _, flag in f.vulnerabilities.items())


def test_legacy_server_static_rsa_cbc_on_tls10_and_11(full_scan):
    f: TlsFacts = full_scan["legacy"].facts
    assert f.protocols.accepted() == ("TLSv1.0", "TLSv1.1")
    names = {s.name for s in f.protocols.suites()}
    assert names == {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_RSA_WITH_AES_256_CBC_SHA"}
    assert all(s.kx == "RSA" and s.mode == "CBC" and not s.forward_secrecy for s in f.protocols.suites())


def test_certificate_failures_are_recorded_with_their_cause(full_scan):
    def dep(name):
        return full_scan[name].facts.certificate.deployments[0]

    assert not dep("wrong_host").hostname_matches
    assert any(t.chain_trusted_ignoring_hostname for t in dep("wrong_host").trust)  # trusted apart from the name
    assert dep("self_signed").leaf.self_signed and not dep("self_signed").trusted
    assert dep("no_intermediate").chain_complete is None and len(dep("no_intermediate").chain) == 1
    assert dep("rsa1024").leaf.key_size == 1024
    assert dep("sha1").leaf.signature_hash == "sha1"
    assert not dep("expired").trusted and not dep("not_yet_valid").trusted


def test_protocols_only_scan_uses_one_handshake_per_version_and_agrees_with_enumeration(full_scan, protocols_scan):
    for name, obs in protocols_scan.items():
        if obs.status != ObservationStatus.OK:
            continue
        f: TlsFacts = obs.facts
        assert f.protocols.method == "handshake_per_version"
        assert f.protocols.accepted() == full_scan[name].facts.protocols.accepted(), name
        assert f.certificate.status == Measure.NOT_REQUESTED and f.hsts.status == Measure.NOT_REQUESTED
        assert f.vulnerabilities.robot.status == Measure.NOT_REQUESTED


def test_starttls_smtp(full_scan):
    obs = full_scan["smtp"]
    assert obs.status == ObservationStatus.OK
    f: TlsFacts = obs.facts
    assert f.starttls == "smtp" and f.protocols.accepted() == ("TLSv1.2", "TLSv1.3")
    assert f.hsts.status == Measure.NOT_REQUESTED      # HTTP headers are not asked of an SMTP server
    assert f.certificate.deployments[0].hostname_matches


def test_silent_and_closed_ports_are_error_observations_quickly(full_scan):
    silent, closed = full_scan["silent"], full_scan["closed"]
    assert silent.status == ObservationStatus.ERROR and silent.facts is None
    assert "did not answer a TLS ClientHello" in silent.error
    assert silent.duration_s < 5
    assert closed.status == ObservationStatus.ERROR and "refused" in closed.error


def test_port_speaking_plain_http_is_an_error_observation_with_sslyze_reason(full_scan):
    obs = full_scan["plain_http"]
    assert obs.status == ObservationStatus.ERROR and obs.facts is None
    assert obs.error.startswith("TLS connection failed:") and "sslyze." not in obs.error


def test_observations_round_trip_through_json(full_scan):
    for obs in full_scan.values():
        if obs.facts is not None:
            assert TlsFacts.from_dict(json.loads(json.dumps(obs.facts.to_dict()))) == obs.facts


def test_own_deadline_turns_an_overrun_into_an_error(lab):
    # A deadline shorter than the scan itself (the per-endpoint pipeline scans this server in about 0.3 s):
    # the endpoint comes back as an ERROR, not a hang or a pass.
    t0 = time.monotonic()
    target = TlsTarget("127.0.0.1", lab.ports["legacy"], sni="localhost", probe_id="legacy")
    [obs] = list(scan([target], params_for_needs({"tls:ciphers", "tls:protocols", "tls:vulnerabilities"}),
                      timeout_s=0.05, network_timeout_s=2))
    assert obs.status == ObservationStatus.ERROR and "did not finish within" in obs.error
    assert time.monotonic() - t0 < 5


def test_unresolvable_name_is_an_error_observation():
    [obs] = list(scan([TlsTarget("does-not-exist.invalid", 443, probe_id="x")], params_for_needs({"tls:protocols"}),
                      timeout_s=5, network_timeout_s=1))
    assert obs.status == ObservationStatus.ERROR and obs.error


def test_missing_ca_file_is_refused_before_scanning(tmp_path):
    with pytest.raises(FileNotFoundError):
        list(scan([TlsTarget("127.0.0.1", 1)], params_for_needs({"tls:certificate"}), ca_file=tmp_path / "nope.pem"))


def test_sni_override_selects_the_certificate_and_the_name_checked(lab):
    port = lab.ports["modern_nohsts"]   # also serves other.test's certificate to clients asking for it
    params = params_for_needs({"tls:certificate"})
    obs = {o.probe_id: o for o in scan([TlsTarget("127.0.0.1", port, sni="other.test", probe_id="other"),
                                        TlsTarget("127.0.0.1", port, sni="localhost", probe_id="local")],
                                       params, ca_file=lab.ca_file, timeout_s=30)}
    other = obs["other"].facts.certificate.deployments[0]
    local = obs["local"].facts.certificate.deployments[0]
    assert other.leaf.dns_names == ("other.test",) and other.hostname == "other.test" and other.hostname_matches
    assert "localhost" in local.leaf.dns_names and local.hostname_matches
    assert other.trusted and local.trusted


def test_organisation_ca_file_is_an_extra_trust_store(lab):
    from secaudit.checks.cert import trusted as cert_trusted
    from tests.support.canned import ctx

    target = TlsTarget("127.0.0.1", lab.ports["modern"], sni="localhost", probe_id="m")
    params = params_for_needs({"tls:certificate"})
    [without] = list(scan([target], params, timeout_s=30))
    [with_ca] = list(scan([target], params, ca_file=lab.ca_file, timeout_s=30))
    assert "Supplied CA file" not in {t.store for t in without.facts.certificate.deployments[0].trust}
    assert cert_trusted({}, ctx(without.facts)).verdict.value == "fail"
    assert cert_trusted({}, ctx(with_ca.facts)).verdict.value == "pass"
