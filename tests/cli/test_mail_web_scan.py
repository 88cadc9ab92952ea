"""`secaudit scan` end to end with the new families: mail domains through `--resolver` (real nsd), web
headers and security.txt (real nginx), every report format, level-3 and level-4 controls.

Given a level-3 system with a good and a bad mail domain and two HTTPS endpoints (one with every header
and a security.txt, one bare), when scanned with --only mail,web,sectxt, then the findings carry the
expected verdicts and clauses, the JSON validates against the results schema, and the exit status is 1.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from secaudit.lab.dns import authoritative, zone_text
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site

pytestmark = pytest.mark.integration

GOOD = """
@ IN MX 10 mx.agency.example.
mx IN A 127.8.1.21
@ IN TXT "v=spf1 mx -all"
_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@agency.example"
_mta-sts IN TXT "v=STSv1; id=1"
mta-sts IN A 127.8.2.21
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls@agency.example"
"""
BAD = """
@ IN MX 10 mx.legacy.example.
@ IN TXT "v=spf1 a mx ?all"
"""
POLICY = "version: STSv1\\nmode: enforce\\nmx: mx.agency.example\\nmax_age: 86400\\n"
INVENTORY = """\
organisation: {{name: Agency}}
systems:
  - id: portal
    name: Portal
    purpose: public_service
    information: [public, personal]
    administrative_procedures: true
    declared_level: 3
    domains: [agency.example, legacy.example]
    endpoints:
      - {{host: 127.8.2.22, port: {full}, service: https}}
      - {{host: 127.8.2.23, port: {bare}, service: https}}
      - {{host: mx.agency.example, port: 25, service: smtp, starttls: smtp}}
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scan")
    pki = TestPKI()
    ca = pki.write_ca_file(tmp / "ca.pem")

    def site(name, host, extra, server_name="localhost", port=0):
        crt, key = pki.write_leaf(pki.leaf(names=(server_name, host)), tmp, name)
        return Site(name, crt, key, host=host, server_name=server_name, port=port, extra=extra)

    sites = [
        site("mta-sts", "127.8.2.21", (f'location = /.well-known/mta-sts.txt {{ default_type text/plain; '
                                       f'return 200 "{POLICY}"; }}',), "mta-sts.agency.example", 443),
        site("full", "127.8.2.22", (
            'add_header Content-Security-Policy "default-src \'self\'" always;',
            'add_header X-Content-Type-Options nosniff always;', 'add_header X-Frame-Options SAMEORIGIN always;',
            'add_header Referrer-Policy no-referrer always;',
            'location = /.well-known/security.txt { default_type text/plain; '
            'return 200 "Contact: mailto:sec@agency.example\\nExpires: 2099-01-01T00:00:00Z\\n"; }')),
        site("bare", "127.8.2.23", ("location = /.well-known/security.txt { return 404; }",)),
    ]
    zones = {"agency.example": zone_text("agency.example", GOOD), "legacy.example": zone_text("legacy.example", BAD)}
    with authoritative(zones, tmp / "dns") as dns, NginxFarm(sites, tmp) as farm:
        inv = tmp / "inventory.yaml"
        inv.write_text(INVENTORY.format(full=farm["full"].port, bare=farm["bare"].port))
        yield dns, ca, inv, tmp


def test_scan_judges_mail_headers_and_security_txt(lab, tmp_path):
    dns, ca, inv, _ = lab
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", str(inv), "--resolver", dns.resolver,
                        "--ca-file", str(ca), "--only", "mail", "--only", "web", "--only", "sectxt",
                        "--format", "json", "--format", "sarif", "--format", "html", "--out", str(tmp_path),
                        "--runs-dir", str(tmp_path / "runs"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((tmp_path / "report.json").read_text())
    v = {(f["control_id"], f["target"]): f["verdict"] for f in data["findings"]}
    full, bare = [t for (c, t) in v if c == "WEB-CSP-01"]
    assert v[("MAIL-SPF-01", "agency.example")] == "pass"
    assert v[("MAIL-SPF-01", "legacy.example")] == "fail"                # ?all
    assert v[("MAIL-DMARC-01", "agency.example")] == "pass"
    assert v[("MAIL-DMARC-01", "legacy.example")] == "fail"
    assert v[("MAIL-STS-01", "agency.example")] == "pass"
    assert v[("MAIL-MX-01", "agency.example")] == "pass"                  # declared as SMTP + STARTTLS
    assert v[("MAIL-MX-01", "legacy.example")] == "error"                 # its MX host is not declared
    assert {v[("WEB-CSP-01", t)] for t in (full, bare)} == {"pass", "fail"}
    assert {v[("SECTXT-01", t)] for t in (full, bare)} == {"pass", "fail"}
    refs = {f["control_id"]: " ".join(f["references"]) for f in data["findings"]}
    assert "5.9.2.1 c" in refs["MAIL-SPF-01"] and "5.17.2.2 a" in refs["SECTXT-01"]
    from secaudit.serialize import results_schema
    import jsonschema

    jsonschema.validate(data, results_schema())
    assert "MAIL-DMARC-01" in (tmp_path / "report.sarif").read_text()


def test_level_4_asks_more_of_the_same_domain(lab, tmp_path):
    dns, ca, inv, tmp = lab
    l4 = tmp / "level4.yaml"
    l4.write_text(inv.read_text().replace("declared_level: 3", "declared_level: 4"))
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", str(l4), "--resolver", dns.resolver,
                        "--ca-file", str(ca), "--only", "mail", "--format", "json", "--out", str(tmp_path),
                        "--runs-dir", str(tmp_path / "runs"), "--quiet"], capture_output=True, text=True, timeout=300)
    data = json.loads((tmp_path / "report.json").read_text())
    v = {(f["control_id"].split("@")[0], f["target"]): f["verdict"] for f in data["findings"]
         if f["control_id"].endswith("@level-4") or "@" not in f["control_id"]}
    assert v[("MAIL-DMARC-01", "agency.example")] == "pass"             # quarantine is enough at level 4
    assert v[("MAIL-STS-01", "agency.example")] == "pass"               # enforce
    assert r.returncode == 1


def test_bad_resolver_is_an_input_error(lab, tmp_path):
    _dns, _ca, inv, _ = lab
    r = subprocess.run([sys.executable, "-m", "secaudit", "scan", str(inv), "--resolver", "-x", "--only", "mail",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
