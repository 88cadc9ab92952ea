"""Hostile and broken servers: the scan finishes within its deadline, records a readable error or the
correct facts, and every report escapes what the servers sent.

Given twelve misbehaving loopback servers, when one `secaudit scan` covers them all with a short probe
deadline, then it ends in time and nothing crashes, hangs or leaks markup into a report.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import hostile
from secaudit.lab.pki import TestPKI

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROBE_TIMEOUT = 8
GRACE = 5                 # the executor's grace before it abandons a batch
SLACK = 20                # process start, policy loading, nmap-free planning, report writing
EVIL_CN = "<img src=x onerror=alert(1)>=HYPERLINK(\"http://x\")"

BROKEN = ("silent", "stall_after_hello", "random_bytes", "reset", "drip", "invalid_der", "close", "alert_flood")
ANSWERING = ("evil_cn", "ipv6_only")                  # serve real certificates: facts expected
OVERSIZED = ("huge_chain", "many_sans")               # larger than a TLS client accepts: error or facts


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    w = tmp_path_factory.mktemp("hostile")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    names = ("127.0.0.1", "::1", "localhost")
    crt, key = pki.write_leaf(pki.leaf(names=names), w, "plain")
    # a name mismatch puts the subject into a failing finding's evidence, hence into every report
    evil_crt, evil_key = pki.write_leaf(pki.leaf(names=("evil.example",), cn=EVIL_CN), w, "evil")
    sans = names + tuple(f"h{i}.many.example" for i in range(10_000))
    many_crt, many_key = pki.write_leaf(pki.leaf(names=sans), w, "many")
    big = w / "big-chain.pem"
    big.write_bytes(hostile.hostile_certificate_chain(crt.read_bytes(), pki.intermediate.cert_pem(), megabytes=3))

    ctx = hostile.tls_context(crt, key)
    tls12 = hostile.tls_context(crt, key, max_version=ssl.TLSVersion.TLSv1_2)
    handlers = {
        "silent": hostile.silent,
        "stall_after_hello": hostile.proxy_handler(ctx, hostile.stall_after_server_hello),
        "random_bytes": hostile.random_bytes,
        "reset": hostile.reset_mid_handshake,
        "drip": hostile.drip,
        "huge_chain": hostile.tls_handler(hostile.tls_context(big, key)),
        "many_sans": hostile.tls_handler(hostile.tls_context(many_crt, many_key)),
        "evil_cn": hostile.tls_handler(hostile.tls_context(evil_crt, evil_key)),
        "invalid_der": hostile.proxy_handler(tls12, hostile.corrupt_certificate_der),
        "close": hostile.close_immediately,
        "alert_flood": hostile.alert_flood,
    }
    with contextlib.ExitStack() as stack:
        running = {name: stack.enter_context(hostile.serve(h)) for name, h in handlers.items()}
        running["ipv6_only"] = stack.enter_context(hostile.serve(hostile.tls_handler(ctx), host="::1"))
        yield {"dir": w, "ca": str(ca), "servers": running}


@pytest.fixture(scope="module")
def scanned(servers):
    w = servers["dir"]
    lines = ["kind: inventory", "systems:"]
    for name, srv in servers["servers"].items():
        sid = name.replace("_", "-")
        lines.append(f"  - {{id: {sid}, name: '{name}', purpose: internal, information: [private], "
                     f"declared_level: 3, endpoints: ['https://{srv.address}']}}")
    inv = w / "inventory.yaml"
    inv.write_text("\n".join(lines) + "\n")
    start = time.monotonic()
    r = subprocess.run(
        [sys.executable, "-m", "secaudit", "scan", str(inv), "--only", "tls", "--ca-file", servers["ca"],
         "--timeout", str(PROBE_TIMEOUT), "--concurrency", "6", "--runs-dir", str(w / "runs"), "--out", str(w / "out"),
         "--format", "json", "--format", "html", "--format", "md", "--format", "csv", "--format", "text"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, "CI": "1", "SECAUDIT_LANG": "en"})
    elapsed = time.monotonic() - start
    data = json.loads((w / "out" / "report.json").read_text()) if (w / "out" / "report.json").exists() else None
    return r, elapsed, data, w / "out"


def test_the_scan_ends_within_its_deadline_without_a_traceback(scanned):
    r, elapsed, data, _ = scanned
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert data is not None, r.stdout + r.stderr
    # two waves of TLS batches at most, each bounded by the quick check, the probe deadline and the grace
    from secaudit.probes.tls import quick_check_overhead_s

    assert elapsed < 2 * (quick_check_overhead_s() + PROBE_TIMEOUT + GRACE) + SLACK, elapsed
    assert r.returncode in (1, 3)


def _by_target(data):
    return {o["target"]: o for o in data["observations"] if o["kind"] == "tls"}


@pytest.mark.parametrize("name", BROKEN)
def test_broken_servers_are_readable_errors_never_passes(scanned, servers, name):
    _, _, data, _ = scanned
    o = _by_target(data)[servers["servers"][name].address]
    assert o["status"] == "error", (name, o)
    assert o["error"] and len(o["error"]) < 500 and "Traceback" not in o["error"], o["error"]
    sid = name.replace("_", "-")
    verdicts = {f["verdict"] for f in data["findings"] if f["system_id"] == sid and f["verdict"] != "not_applicable"}
    assert verdicts == {"error"}, (name, verdicts)


@pytest.mark.parametrize("name", OVERSIZED)
def test_oversized_certificates_are_a_readable_error_or_correct_facts(scanned, servers, name):
    # OpenSSL clients refuse certificate lists over 100 KB: a 3 MB chain and a 10,000-name certificate
    # end as a failed handshake; never a pass, never a hang.
    _, _, data, _ = scanned
    o = _by_target(data)[servers["servers"][name].address]
    if o["status"] == "error":
        assert o["error"] and len(o["error"]) < 500
        sid = name.replace("_", "-")
        assert "pass" not in {f["verdict"] for f in data["findings"] if f["system_id"] == sid}
    else:
        assert o["facts"]["certificate"]


@pytest.mark.parametrize("name", ANSWERING)
def test_answering_servers_give_correct_facts(scanned, servers, name):
    _, _, data, _ = scanned
    o = _by_target(data)[servers["servers"][name].address]
    assert o["status"] == "ok", (name, o.get("error"))
    text = json.dumps(o["facts"])
    if name == "evil_cn":
        assert "onerror=alert(1)" in text                   # the fact is kept as data, verbatim


def test_reports_escape_every_string_from_the_servers(scanned):
    _, _, _, out = scanned
    html = (out / "report.html").read_text()
    assert "onerror=alert(1)" in html                       # shown, as text
    assert "<img" not in html and "<IMG" not in html
    md = (out / "report.md").read_text()
    assert "onerror" in md and "<img" not in md
    for row in csv.reader(io.StringIO((out / "report.csv").read_text(encoding="utf-8-sig"))):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell
    text = (out / "report.txt").read_text()
    assert "\x1b" not in text
