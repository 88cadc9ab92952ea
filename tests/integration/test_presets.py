"""`secaudit tls` and `secaudit ports` are presets of the one pipeline: on the same real endpoints they
give the same findings (system, control, target, verdict) and the same exit status as
`secaudit scan --target`, which runs the same plan, executor, evaluation and exit-status mapping.

Given two nginx sites on this test's own loopback address (one compliant, one accepting TLS 1.0/1.1
with a CBC-SHA1 suite), when each is checked with `tls`, with `ports` and with `scan --target` and the
matching profile, then every pair agrees, and one `scan --target` with both profiles finds the union.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site

pytestmark = pytest.mark.integration

HOST = "127.1.0.20"                    # this test's own loopback address
ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en"}


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    w = tmp_path_factory.mktemp("presets")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,)), w, "leaf")
    farm_sites = [
        Site("good", crt, key, host=HOST, hsts="max-age=63072000"),
        Site("legacy", crt, key, host=HOST, protocols="TLSv1 TLSv1.1 TLSv1.2", hsts="max-age=63072000",
             ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0"),
    ]
    (w / "nginx").mkdir()
    with NginxFarm(farm_sites, w / "nginx") as farm:
        yield {"dir": w, "ca": str(ca), "good": farm["good"].address, "legacy": farm["legacy"].address,
               "ports": sorted(s.port for s in farm.sites)}


def secaudit(*args: str) -> tuple[int, dict]:
    r = subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True, timeout=300,
                       env=ENV)
    assert r.returncode in (0, 1, 3), r.stdout + r.stderr
    return r.returncode, json.loads(r.stdout)


def scan_target(sites, tmp_path: Path, targets: list[str], *profiles: str) -> tuple[int, dict]:
    out = tmp_path / "out"
    args = ["scan", *[x for t in targets for x in ("--target", t)], *[x for p in profiles for x in ("--profile", p)],
            "--ca-file", sites["ca"], "--format", "json", "--out", str(out), "--runs-dir", str(tmp_path / "runs"),
            "--no-store", "--quiet"]
    r = subprocess.run([sys.executable, "-m", "secaudit", *args], capture_output=True, text=True, timeout=300,
                       env=ENV)
    assert r.returncode in (0, 1, 3), r.stdout + r.stderr
    return r.returncode, json.loads((out / "report.json").read_text())


def verdicts(doc: dict) -> set[tuple[str, str, str, str]]:
    return {(f["system_id"], f["control_id"], f["target"], f["verdict"]) for f in doc["findings"]}


@pytest.mark.parametrize("site, status", [("good", 0), ("legacy", 1)])
def test_tls_preset_equals_scan_target(sites, tmp_path, site, status):
    code, quick = secaudit("tls", sites[site], "--ca-file", sites["ca"], "--format", "json")
    same_code, full = scan_target(sites, tmp_path, [sites[site]], "mozilla-intermediate")
    assert (code, same_code) == (status, status)
    assert verdicts(quick) == verdicts(full)
    # (no OCSP responder in the test certificate: stapling is not applicable)
    assert {v for *_, v in verdicts(quick)} == ({"pass", "not_applicable"} if site == "good"
                                               else {"pass", "fail", "not_applicable"})
    if site == "legacy":
        assert ("target", "MOZ-I-PROTO-01", sites["legacy"], "fail") in verdicts(quick)


def test_ports_preset_equals_scan_target(sites, tmp_path):
    allow = ",".join(str(p) for p in sites["ports"])
    code, quick = secaudit("ports", HOST, "--allow", allow, "--format", "json", "--timeout", "60")
    same_code, full = scan_target(sites, tmp_path, [sites["good"], sites["legacy"]], "ports-exposure")
    assert code == same_code
    assert verdicts(quick) == verdicts(full)
    assert ("target", "EXPO-PORT-01", HOST, "pass") in verdicts(quick)        # both nginx ports are allowed
    # a port scanned but not allowed fails (the `--scan` ports are watched, never allowed)
    code, quick = secaudit("ports", HOST, "--allow", str(sites["ports"][0]), "--scan", str(sites["ports"][1]),
                           "--format", "json", "--timeout", "60")
    assert code == 1 and ("target", "EXPO-PORT-01", HOST, "fail") in verdicts(quick)


def test_one_scan_with_both_profiles_finds_the_union(sites, tmp_path):
    allow = ",".join(str(p) for p in sites["ports"])
    union: set[tuple[str, str, str, str]] = set()
    for site in ("good", "legacy"):
        union |= verdicts(secaudit("tls", sites[site], "--ca-file", sites["ca"], "--format", "json")[1])
    union |= verdicts(secaudit("ports", HOST, "--allow", allow, "--format", "json", "--timeout", "60")[1])
    code, both = scan_target(sites, tmp_path, [sites["good"], sites["legacy"]], "mozilla-intermediate",
                             "ports-exposure")
    assert code == 1 and verdicts(both) == union
