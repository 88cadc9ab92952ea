"""`secaudit tls HOST:PORT` end to end against the lab's real servers."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def secaudit(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True, timeout=timeout)


def by_check(doc: dict) -> dict[str, dict]:
    """The findings of a results document (secaudit/results/v2) by the check of their control."""
    checks = {c["id"]: c["check"] for c in doc["controls"]}
    return {checks[f["control_id"]]: f for f in doc["findings"]}


def test_compliant_server_exits_0_with_every_control_passing(lab):
    r = secaudit("tls", lab.address("modern"), "--sni", "localhost", "--ca-file", str(lab.ca_file),
                 "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    doc = json.loads(r.stdout)
    assert doc["schema"] == "secaudit/results/v2" and doc["run"]["profiles"] == ["mozilla-intermediate"]
    assert {x["verdict"] for x in doc["findings"]} == {"pass"}
    assert doc["observations"][0]["facts"]["protocols"]["status"] == "measured"


def test_legacy_server_exits_1_and_says_what_to_fix(lab):
    r = secaudit("tls", lab.address("legacy"), "--sni", "localhost", "--ca-file", str(lab.ca_file), "--lang", "en")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "[FAIL] MOZ-I-PROTO-01" in r.stdout
    assert "TLSv1.0, TLSv1.1" in r.stdout
    assert "TLSv1.0 TLS_RSA_WITH_AES_128_CBC_SHA" in r.stdout     # evidence: which suites
    assert "How to fix" in r.stdout


def test_vietnamese_output(lab):
    r = secaudit("tls", lab.address("expired"), "--sni", "localhost", "--ca-file", str(lab.ca_file), "--lang", "vi")
    assert r.returncode == 1
    assert "[KHÔNG ĐẠT] MOZ-I-CERT-03" in r.stdout and "đã hết hạn" in r.stdout


def test_starttls_smtp_hsts_not_applicable(lab):
    r = secaudit("tls", lab.address("smtp"), "--starttls", "smtp", "--sni", "localhost", "--ca-file",
                 str(lab.ca_file), "--format", "json")
    verdicts = {check: f["verdict"] for check, f in by_check(json.loads(r.stdout)).items()}
    assert verdicts["http.hsts"] == "not_applicable"
    assert verdicts["tls.protocols.forbidden"] == "pass" and verdicts["cert.trusted"] == "pass"
    # aiosmtpd cannot staple, and its certificate names no OCSP responder: not applicable, no exit 1 for it
    assert verdicts["tls.ocsp_stapling"] == "not_applicable"
    # (Python's ssl offers suites and groups outside the profile: those, not stapling, make the exit 1)
    assert {c for c, v in verdicts.items() if v == "fail"} == {"tls.ciphers.allowed", "tls.groups.allowed"}


def test_port_that_never_speaks_exits_3_quickly(lab):
    r = secaudit("tls", lab.address("silent"), "--timeout", "3", "--format", "json", timeout=30)
    assert r.returncode == 3
    doc = json.loads(r.stdout)
    assert [o["status"] for o in doc["observations"]] == ["error"]
    assert {x["verdict"] for x in doc["findings"]} == {"error"}


def test_protocols_only_profile_file(lab, tmp_path):
    prof = tmp_path / "p.yaml"
    prof.write_text("kind: policy\nid: p\ntitle: {en: P, vi: P}\ncontrols:\n"
                    "  - {id: P-1, title: {en: t, vi: t}, check: tls.protocols.forbidden, severity: high}\n")
    assert secaudit("tls", lab.address("modern"), "--profile", str(prof)).returncode == 0
    assert secaudit("tls", lab.address("legacy"), "--profile", str(prof)).returncode == 1


@pytest.mark.parametrize("target", ["-oX:443", "host", "host:0", "[::1:443", "bad_host!:443", "a..b:443"])
def test_bad_targets_exit_2_without_traceback(target):
    r = secaudit("tls", "--", target) if target.startswith("-") else secaudit("tls", target)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip()


def test_bad_profile_and_missing_ca_file_exit_2(lab, tmp_path):
    assert secaudit("tls", lab.address("modern"), "--profile", "no-such-profile").returncode == 2
    assert secaudit("tls", lab.address("modern"), "--ca-file", str(tmp_path / "none.pem")).returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ncontrols:\n  - {id: X, check: no.such.check}\n")
    r = secaudit("tls", lab.address("modern"), "--profile", str(bad))
    assert r.returncode == 2 and "no.such.check" in r.stderr


def test_sni_option_is_sent_and_checked(lab):
    r = secaudit("tls", lab.address("modern_nohsts"), "--sni", "other.test", "--ca-file", str(lab.ca_file),
                 "--format", "json")
    found = by_check(json.loads(r.stdout))
    assert found["cert.hostname"]["verdict"] == "pass"
    assert found["cert.hostname"]["message"]["args"]["hostname"] == "other.test"
    # without --sni the IP literal is the name checked, and the certificate does not carry it
    r = secaudit("tls", lab.address("wrong_host"),
                 "--ca-file", str(lab.ca_file), "--format", "json")
    assert by_check(json.loads(r.stdout))["cert.hostname"]["verdict"] == "fail" and r.returncode == 1
