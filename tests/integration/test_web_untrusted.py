"""A certificate the run does not trust leaves the web checks judging, not erroring (issue 25 item 4).

In the demo, scada-nuoc's self-signed certificate (waived) made its web-header and security.txt checks
ERROR, so the system was NOT VERIFIED. Given real nginx sites with self-signed certificates, one sending
the security headers and a valid security.txt and one sending none, when they are scanned, then the
certificate controls fail (the certificate is not trusted), the header and security.txt controls pass
or fail on what the servers sent, each saying it was read over a certificate the run does not trust,
and with the certificate waived the system is verified.
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

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.25.0.111"
ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    w = tmp_path_factory.mktemp("untrusted")
    pki = TestPKI()
    crt, key = pki.write_leaf(pki.leaf(names=(HOST,), self_signed=True), w, "self")
    sites = [Site("good", crt, key, host=HOST, server_name=HOST, hsts="max-age=31536000", hardened=True),
             Site("bare", crt, key, host=HOST, server_name=HOST, hsts="max-age=31536000")]
    (w / "nginx").mkdir()
    with NginxFarm(sites, w / "nginx") as farm:
        inv = w / "inventory.yaml"
        inv.write_text("kind: inventory\nsystems:\n" + "".join(
            f"  - {{id: {s.name}, name: {s.name}, purpose: internal, information: [private], declared_level: 3, "
            f"endpoints: ['https://{HOST}:{s.port}']}}\n" for s in farm.sites))
        r = subprocess.run([sys.executable, "-m", "secaudit", "scan", str(inv), "--only", "web", "--only", "sectxt", "--only", "tls",
                            "--runs-dir", str(w / "runs"), "--out", str(w / "out"), "--format", "json", "--no-store"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300, env=ENV)
        assert r.returncode in (0, 1), r.stdout + r.stderr
        yield json.loads((w / "out" / "report.json").read_text())


def judged(report, system: str) -> dict[str, dict]:
    """The header and security.txt findings of ``system`` that reached a verdict on what was sent."""
    return {f["control_id"]: f for f in report["findings"] if f["system_id"] == system
            and f["control_id"].startswith(("WEB-", "SECTXT-")) and f["verdict"] != "not_applicable"}


def test_header_and_security_txt_checks_judge_what_was_sent_and_say_over_what(scanned):
    for system, verdict in (("good", "pass"), ("bare", "fail")):
        found = judged(scanned, system)
        assert {c.split("-")[0] for c in found} == {"WEB", "SECTXT"} and len(found) >= 5, sorted(found)
        assert {f["verdict"] for f in found.values()} == {verdict}, {k: f["verdict"] for k, f in found.items()}
        for f in found.values():
            assert any(w["key"] == "web.warn.certificate_untrusted" for w in f["warnings"]), f
            assert any(e["label"] == "web.ev.certificate_untrusted" and "self" in e["value"].lower()
                       for e in f["evidence"]), f["evidence"]


def test_the_certificate_itself_fails_its_own_controls(scanned):
    verdicts = {f["control_id"]: f["verdict"] for f in scanned["findings"] if f["system_id"] == "good"}
    cert = {k: v for k, v in verdicts.items() if k.startswith("CERT-TRUST")}
    assert cert and "fail" in cert.values(), verdicts
    assert "error" not in verdicts.values(), verdicts
