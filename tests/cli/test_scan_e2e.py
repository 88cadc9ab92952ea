"""`secaudit scan` and `secaudit report` end to end: the real console command, real nginx servers on
127.0.0.5x, real sslyze, real nmap. Exit statuses, waivers, every output format, hostile strings.

Given an inventory whose systems sit on their own loopback addresses (nothing else listens there),
when a user scans it, then each exit status and report says what the servers really do.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HOSTILE_CN = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
HSTS_YEAR = "max-age=31536000"


def run(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en", "CI": "1"}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    w = tmp_path_factory.mktemp("e2e")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")

    def leaf(stem, ip, **kw):
        return pki.write_leaf(pki.leaf(names=kw.pop("names", (ip,)), **kw), w, stem)

    good = leaf("good", "127.0.0.51")
    weak = leaf("weak", "127.0.0.52")
    medium = leaf("medium", "127.0.0.53")
    hostile = leaf("hostile", "127.0.0.54", names=("wrong.example",), cn=HOSTILE_CN + FORMULA)
    sites = [
        Site("good", *good, host="127.0.0.51", port=8443, hsts=HSTS_YEAR, hardened=True),
        Site("weak", *weak, host="127.0.0.52", port=8443, protocols="TLSv1 TLSv1.1 TLSv1.2",
             ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0"),
        Site("medium", *medium, host="127.0.0.53", port=8443, hsts="max-age=300", hardened=True),
        Site("hostile", *hostile, host="127.0.0.54", port=8443, hsts=HSTS_YEAR),
    ]
    (w / "nginx").mkdir()
    inventory = w / "inventory.yaml"
    inventory.write_text(textwrap.dedent("""\
        kind: inventory
        organisation: {name: "Test agency"}
        systems:
          - {id: good, name: Good, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://127.0.0.51:8443"]}
          - {id: weak, name: Weak, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://127.0.0.52:8443"]}
          - {id: medium, name: Medium, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://127.0.0.53:8443"]}
          - {id: hostile, name: Hostile, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://127.0.0.54:8443"]}
          - {id: down, name: Down, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://127.0.0.55:8443"]}
        """))
    with NginxFarm(sites, w / "nginx"):
        yield {"dir": w, "ca": str(ca), "inventory": str(inventory)}


def scan(lab, *args: str, out: str) -> subprocess.CompletedProcess[str]:
    return run("scan", lab["inventory"], "--ca-file", lab["ca"], "--runs-dir", str(lab["dir"] / "runs"),
               "--out", str(lab["dir"] / out), "--timeout", "20", "--ports-timeout", "60", *args)


@pytest.fixture(scope="module")
def full(lab):
    """One scan of every system, every format."""
    formats = [a for f in ("html", "md", "text", "json", "sarif", "junit", "csv") for a in ("--format", f)]
    r = scan(lab, *formats, out="full")
    return r, lab["dir"] / "full"


def test_compliant_system_exits_0(lab):
    r = scan(lab, "--system", "good", out="good")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "NETWORK CONTROLS PASS" in r.stdout and "Traceback" not in r.stderr


def test_failing_inventory_exits_1_and_reports_what_failed(full):
    r, out = full
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((out / "report.json").read_text())
    verdicts = {(f["system_id"], f["control_id"].split("@")[0]): f["verdict"] for f in data["findings"]}
    assert verdicts[("weak", "TLS-PROTO-01")] == "fail"
    assert verdicts[("weak", "TLS-FS-01")] == "fail"
    assert verdicts[("good", "TLS-PROTO-01")] == "pass"
    assert verdicts[("hostile", "CERT-HOST-01")] == "fail"
    assert verdicts[("down", "TLS-PROTO-01")] == "error"      # unreachable: an error, never a pass
    levels = {s["system_id"]: (s["required_level"], s["achieved_level"]) for s in data["systems"]}
    assert levels["good"] == (3, 3) and levels["weak"][1] < 3


def test_fail_on_high_ignores_medium_findings(lab):
    r = scan(lab, "--system", "medium", "--fail-on", "high", out="medium-high")
    assert r.returncode == 0, r.stdout + r.stderr
    r = scan(lab, "--system", "medium", out="medium-low")
    assert r.returncode == 1 and "HTTP-HSTS-01" in r.stdout


def test_unreachable_target_exits_3(lab):
    r = scan(lab, "--system", "down", out="down")
    assert r.returncode == 3, r.stdout + r.stderr


def test_bad_input_exits_2_without_traceback(lab, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: inventory\nsystems:\n  - {id: x, name: X, purpose: internl}\n")
    r = run("scan", str(bad), "--out", str(tmp_path / "o"))
    assert r.returncode == 2 and f"{bad}:3:" in r.stderr and "Traceback" not in r.stderr
    r = run("scan", "--target", "-oN/tmp/x:443", "--level", "3")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_waiver_turns_failure_into_waived_and_an_expired_one_does_not(full, lab, tmp_path):
    _, out = full
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(textwrap.dedent("""\
        kind: waivers
        waivers:
          - {control: TLS-PROTO-01, system: weak, endpoint: "127.0.0.52:8443", reason: "legacy client until Q3",
             approved_by: "Giám đốc Sở", expires: 2099-12-31}
          - {control: TLS-FS-01, system: weak, reason: "old appliance", approved_by: "Giám đốc Sở",
             expires: 2020-01-01}
        """))
    r = run("report", str(out / "report.json"), "--waivers", str(waivers), "--format", "json", "--format", "sarif",
            "--out", str(tmp_path / "re"))
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((tmp_path / "re" / "report.json").read_text())
    by = {(f["system_id"], f["control_id"].split("@")[0]): f for f in data["findings"]}
    assert by[("weak", "TLS-PROTO-01")]["verdict"] == "waived"
    assert by[("weak", "TLS-PROTO-01")]["evidence"], "a waiver never hides the evidence"
    assert by[("weak", "TLS-FS-01")]["verdict"] == "fail"
    assert [w["control"] for w in data["expired_waivers"]] == ["TLS-FS-01"]
    sarif = json.loads((tmp_path / "re" / "report.sarif").read_text())
    suppressed = [res for res in sarif["runs"][0]["results"] if res.get("suppressions")]
    assert suppressed and "legacy client until Q3" in json.dumps(suppressed)


def test_json_and_sarif_validate_against_their_schemas(full):
    import jsonschema

    _, out = full
    from secaudit.serialize import results_schema as published

    results_schema = published()           # the file, with run.only narrowed to the registered families
    data = json.loads((out / "report.json").read_text())
    assert data["schema"] == "secaudit/results/v2"
    jsonschema.validate(data, results_schema)
    sarif_schema = json.loads((ROOT / "tests/data/sarif-schema-2.1.0.json").read_text())
    sarif = json.loads((out / "report.sarif").read_text())
    jsonschema.Draft7Validator(sarif_schema).validate(sarif)
    assert all(loc["physicalLocation"]["region"]["startLine"] >= 1
               for res in sarif["runs"][0]["results"] for loc in res["locations"])


def test_junit_parses_with_a_real_junit_parser(full):
    from junitparser import JUnitXml

    _, out = full
    xml = JUnitXml.fromfile(str(out / "report.xml"))
    suites = {s.name: s for s in xml}
    assert {"good", "weak", "hostile"} <= {name.split()[0] for name in suites} | set(suites)
    assert sum(s.failures for s in suites.values()) >= 3


def test_hostile_certificate_strings_are_escaped_and_neutralised(full):
    _, out = full
    html = (out / "report.html").read_text()
    # the subject arrives RFC 4514-escaped (CN=\<script\>...), then HTML-escaped
    assert "&lt;script\\&gt;alert(1)" in html
    assert "<script>alert" not in html and "<script\\>" not in html

    class Scripts(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "script":
                self.found.append(dict(attrs).get("nonce", "") or "inline")

    p = Scripts()
    p.feed(html)
    assert len(p.found) <= 1                                 # only the report's own filter script
    md = (out / "report.md").read_text()
    assert "alert" in md and "<script>" not in md and "<script\\>" not in md
    text = (out / "report.csv").read_text(encoding="utf-8-sig")
    assert "calc" in text
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_adhoc_target_with_a_level_and_with_a_profile(lab, tmp_path):
    r = run("scan", "--target", "127.0.0.51:8443", "--level", "3", "--ca-file", lab["ca"], "--only", "tls",
            "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "a"), "--format", "junit", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "only" in r.stdout                                # the partial scope is said, not hidden
    # re-evaluating the stored run keeps its scope (--only tls, --level 3): same verdict, no scan
    r = run("report", str(tmp_path / "a" / "report.json"), "--format", "json", "--out", str(tmp_path / "a2"))
    assert r.returncode == 0, r.stdout + r.stderr
    again = json.loads((tmp_path / "a2" / "report.json").read_text())
    assert again["run"]["only"] == ["tls"] and again["systems"][0]["required_level"] == 3
    r = run("scan", "--target", "127.0.0.52:8443", "--profile", "mozilla-intermediate", "--ca-file", lab["ca"],
            "--only", "tls", "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "b"))
    assert r.returncode == 1, r.stdout + r.stderr


def test_a_scan_that_could_check_nothing_is_not_a_pass(tmp_path):
    # --only tls against a plain-HTTP endpoint: no TLS control applies, nothing is measured. The report says
    # NOT VERIFIED; the exit status says so too (3), so that a CI job gated on it does not pass on nothing.
    from secaudit.lab.ports_servers import http_server

    with http_server("127.0.0.56") as port:
        args = ["scan", "--target", f"127.0.0.56:{port}", "--service", "http", "--level", "3", "--only", "tls",
                "--no-store", "--runs-dir", str(tmp_path / "runs"), "--format", "json"]
        r = run(*args, "--out", str(tmp_path / "a"))
        accepted = run(*args, "--out", str(tmp_path / "b"), "--errors-ok")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "NOT VERIFIED" in r.stdout and "Traceback" not in r.stderr
    data = json.loads((tmp_path / "a" / "report.json").read_text())
    assert {f["verdict"] for f in data["findings"]} <= {"not_applicable"}
    assert data["systems"][0]["achieved_level"] is None
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
