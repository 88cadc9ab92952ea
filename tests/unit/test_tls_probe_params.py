"""Needs -> sslyze scan commands: only what the checks need runs."""

import pytest

from secaudit.checks import REGISTRY
from secaudit.probes.tls import TlsProbeParams, params_for_needs

CIPHER_CMDS = {"ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites",
               "tls_1_1_cipher_suites", "tls_1_2_cipher_suites", "tls_1_3_cipher_suites"}


def test_protocols_only_runs_no_sslyze_command_but_the_version_sweep():
    p = params_for_needs({"tls:protocols"})
    assert p.scan_commands == frozenset()
    assert p.protocol_sweep is True


def test_protocols_only_policy_never_runs_robot_heartbleed_or_certificate():
    needs = set().union(*(REGISTRY[c].needs for c in ("tls.protocols.forbidden", "tls.protocols.required")))
    p = params_for_needs(needs)
    assert not p.scan_commands & {"robot", "heartbleed", "certificate_info", *CIPHER_CMDS}


def test_ciphers_run_the_sweep_then_the_enumeration():
    p = params_for_needs({"tls:protocols", "tls:ciphers"})
    assert p.scan_commands == frozenset(CIPHER_CMDS)   # trimmed per endpoint to the versions the sweep accepts
    assert p.protocol_sweep is True


def test_each_need_maps_to_its_commands():
    assert params_for_needs({"tls:certificate"}).scan_commands == {"certificate_info"}
    assert params_for_needs({"tls:hsts"}).scan_commands == {"http_headers"}
    assert params_for_needs({"tls:groups"}).scan_commands == {"elliptic_curves"}
    v = params_for_needs({"tls:vulnerabilities"}).scan_commands
    assert {"heartbleed", "robot", "openssl_ccs_injection", "session_renegotiation", "tls_compression",
            "tls_fallback_scsv", "tls_extended_master_secret"} == v


def test_other_families_are_ignored_and_unknown_tls_needs_rejected():
    assert params_for_needs({"ports:scan"}) == TlsProbeParams()
    with pytest.raises(ValueError):
        params_for_needs({"tls:telepathy"})


def test_every_registered_tls_check_needs_only_known_measurements():
    for spec in REGISTRY.values():
        params_for_needs(spec.needs)  # raises on an unknown need


def test_params_round_trip():
    p = params_for_needs({"tls:protocols", "tls:hsts"})
    assert TlsProbeParams.from_dict(p.to_dict()) == p
