"""Mozilla profiles and the one-endpoint evaluator (pure: canned observations)."""

import jsonschema
import pytest

from secaudit.checks import REGISTRY
from secaudit.errors import InputError
from secaudit.model import Endpoint, Service, Starttls, Verdict
from secaudit.observations.tls import CertificateFacts, HstsFacts, Measure
from secaudit.probes.tls import _merge_protocols, params_for_needs
from secaudit.evaluate import judge_endpoint
from secaudit.plan import needs_of
from secaudit.policy import load_profile
from tests.support import canned

PROFILES = ["mozilla-modern", "mozilla-intermediate", "mozilla-old"]


@pytest.mark.parametrize("name", PROFILES)
def test_profile_loads_and_every_control_is_valid_and_bilingual(name):
    policy = load_profile(name)
    assert policy.id == name and policy.title.vi and policy.title.en
    ids = [c.id for c in policy.controls]
    assert len(ids) == len(set(ids))
    for c in policy.controls:
        jsonschema.validate(dict(c.params), REGISTRY[c.check].params_schema)
        assert c.title.vi and c.title.en and c.remediation.vi and c.remediation.en and (c.references or c.requirements)


def test_profiles_follow_mozilla_versions():
    def forbidden(name):
        c = next(c for c in load_profile(name).controls if c.check == "tls.protocols.forbidden")
        return c.params["protocols"]

    assert forbidden("mozilla-modern") == ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"]
    assert forbidden("mozilla-intermediate") == ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"]
    assert forbidden("mozilla-old") == ["SSLv2", "SSLv3"]


def test_full_profile_needs_everything_and_protocols_policy_needs_only_the_sweep(tmp_path):
    p = params_for_needs(needs_of(load_profile("mozilla-intermediate").controls, REGISTRY))
    assert {"certificate_info", "robot", "http_headers", "tls_1_2_cipher_suites"} <= p.scan_commands
    prof = tmp_path / "p.yaml"
    prof.write_text("id: p\ntitle: {en: P, vi: P}\ncontrols:\n"
                    "  - {id: A, title: {en: a, vi: a}, check: tls.protocols.forbidden, severity: high}\n")
    p = params_for_needs(needs_of(load_profile(str(prof)).controls, REGISTRY))
    assert p.scan_commands == frozenset() and p.protocol_sweep


def _ep(service=Service.HTTPS, starttls=None):
    return Endpoint("localhost", 443, service, starttls, None, tls=True)


def evaluate(policy, endpoint, observations, now):
    """(check, verdict) of every control of ``policy`` on ``endpoint``, through the pipeline's evaluate."""
    checks = {c.id: c.check for c in policy.controls}
    findings = judge_endpoint(policy, endpoint, observations.values(), REGISTRY, now)
    return [(checks[f.control_id], f.verdict) for f in findings]


def test_evaluate_modern_facts_against_intermediate():
    f = canned.facts(prot=canned.protocols(canned.MODERN),
                     certificate=CertificateFacts(Measure.MEASURED, None, "localhost",
                                                  (canned.deployment(stapled=True),)),
                     hsts=HstsFacts(Measure.MEASURED, None, True, 63072000),
                     vulnerabilities=canned.vulns(),
                     groups=canned.GroupsFacts(Measure.MEASURED, None, True, ("X25519", "secp256r1")))
    ctx = canned.ctx(f)
    results = evaluate(load_profile("mozilla-intermediate"), _ep(), ctx.observations, canned.NOW)
    assert {check: verdict for check, verdict in results if verdict != Verdict.PASS} == {}
    smtp = evaluate(load_profile("mozilla-intermediate"), _ep(Service.SMTP, Starttls.SMTP), ctx.observations,
                    canned.NOW)
    assert {check for check, verdict in smtp if verdict == Verdict.NOT_APPLICABLE} == {"http.hsts"}


def test_evaluate_without_observation_gives_errors_only():
    results = evaluate(load_profile("mozilla-old"), _ep(), {}, canned.NOW)
    assert {verdict for _, verdict in results} == {Verdict.ERROR}


def test_bad_params_in_a_profile_are_a_located_input_error_not_a_crash(tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text("id: p\ntitle: {en: P, vi: P}\ncontrols:\n  - {id: A, title: {en: a, vi: a}, "
                    "check: tls.protocols.forbidden, severity: high, params: {protocols: 3}}\n")
    with pytest.raises(InputError) as e:
        load_profile(str(prof))
    assert [(d.key, d.line) for d in e.value.diagnostics] == [("policy.bad_params", 4)]


def test_extends_merges_and_children_override(tmp_path):
    t = "title: {en: x, vi: x}"
    (tmp_path / "base.yaml").write_text(
        f"id: base\n{t}\ncontrols:\n  - {{id: A, {t}, check: tls.protocols.forbidden, severity: low}}\n"
        f"  - {{id: B, {t}, check: cert.expiry, severity: medium}}\n")
    (tmp_path / "child.yaml").write_text(
        f"id: child\n{t}\nextends: [base]\ncontrols:\n"
        f"  - {{id: A, {t}, check: tls.protocols.forbidden, severity: high}}\n")
    p = load_profile(str(tmp_path / "child.yaml"))
    # an overriding control keeps its inherited place (policy resolution merges in base order)
    assert [(c.id, c.severity.value) for c in p.controls] == [("A", "high"), ("B", "medium")]


@pytest.mark.parametrize("text", ["id: x\ncontrols:\n  - {id: A, check: no.such}\n", ": : :\n", "- 1\n",
                                  "id: x\ncontrols:\n  - {id: A, check: cert.expiry, severity: huge}\n"])
def test_bad_profiles_are_input_errors(tmp_path, text):
    prof = tmp_path / "bad.yaml"
    prof.write_text(text)
    with pytest.raises(InputError):
        load_profile(str(prof))


def test_merge_sweep_and_enumeration():
    sweep = canned.protocols({"TLSv1.2": (), "TLSv1.3": ()}, enumerated=False)
    enum = canned.protocols(canned.MODERN)
    enum = type(enum)(enum.status, enum.error, enum.method,
                      tuple(r for r in enum.results if r.protocol in ("TLSv1.2", "TLSv1.3")))
    merged = _merge_protocols(sweep, enum)
    assert merged.accepted() == ("TLSv1.2", "TLSv1.3")
    assert merged.ciphers_enumerated and len(merged.suites()) == 4
    # a version accepted by the sweep but with no suite enumerated must not look "clean"
    empty = type(enum)(enum.status, None, enum.method,
                       tuple(type(r)(r.protocol, r.accepted, None, (), True) for r in enum.results))
    assert not _merge_protocols(sweep, empty).ciphers_enumerated


def test_every_starttls_protocol_maps_to_sslyze():
    from sslyze import ProtocolWithOpportunisticTlsEnum

    for s in Starttls:
        ProtocolWithOpportunisticTlsEnum[s.value.upper()]
