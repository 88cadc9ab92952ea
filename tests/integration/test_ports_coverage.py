"""Ports coverage end to end (issue 12): real `secaudit scan`, real nmap, real listeners on 127.4.x.x.

Given a system whose only declared endpoint is an HTTP port, with a telnet-like server on 2323 and an
undeclared web server on 8081 beside it, when it is scanned at level 1, then the level's default coverage
(nmap's top 1,000 TCP ports) finds both, PORT-LEGACY-01 and PORT-UNDECL-01 fail, and every report format
says how many ports the verdicts covered. Given a host that accepts connections and never answers beside a
well-behaved one, when both are scanned with a short --ports-timeout, then only the silent host's controls
are errors.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from secaudit.lab import hostile
from tests.integration import ports_servers as srv

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not srv.nmap_available(), reason="nmap not installed (make sysdeps)")]

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.4.1.1"          # this helper's own loopback range (127.4.0.0/16): nothing else listens there
OTHER = "127.4.1.2"         # the override test's host (HOST's servers live as long as this module)
GOOD, SILENT = "127.4.2.1", "127.4.2.2"


def secaudit(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en", "CI": "1"}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


def inventory(path: Path, systems: str) -> str:
    path.write_text("kind: inventory\norganisation: {name: Test agency}\nsystems:\n" + textwrap.indent(
        textwrap.dedent(systems), "  "))
    return str(path)


def findings(report: Path) -> dict[tuple[str, str], dict]:
    doc = json.loads(report.read_text())
    return {(f["control_id"].split("@")[0], f["target"]): f for f in doc["findings"]}


@pytest.fixture(scope="module")
def exposed(tmp_path_factory):
    """One level-1 scan of HOST: declared HTTP endpoint, telnet on 2323 and HTTP on 8081 beside it."""
    w = tmp_path_factory.mktemp("coverage")
    with contextlib.ExitStack() as stack:
        declared = stack.enter_context(srv.http_server(HOST))
        stack.enter_context(srv.telnet_like_server(HOST, port=2323))
        stack.enter_context(srv.http_server(HOST, port=8081))
        inv = inventory(w / "inv.yaml", f"""\
            - {{id: intranet, name: Intranet, purpose: internal, information: [public],
               endpoints: ["http://{HOST}:{declared}"]}}
            """)
        formats = [a for f in ("json", "md", "text", "html", "sarif", "junit", "csv") for a in ("--format", f)]
        started = time.monotonic()
        r = secaudit("scan", inv, "--only", "ports", "--runs-dir", str(w / "runs"), "--out", str(w / "out"),
                     "--ports-timeout", "60", *formats)
        yield r, w / "out", declared, time.monotonic() - started


def test_telnet_on_2323_and_http_on_8081_fail_the_right_controls(exposed):
    r, out, declared, _ = exposed
    assert r.returncode == 1, r.stdout + r.stderr
    f = findings(out / "report.json")
    undeclared = f[("PORT-UNDECL-01", HOST)]
    assert undeclared["verdict"] == "fail"
    assert undeclared["message"]["args"]["ports"] == "2323, 8081"          # the declared endpoint is not one
    legacy = f[("PORT-LEGACY-01", HOST)]
    assert legacy["verdict"] == "fail" and legacy["message"]["args"]["ports"] == "2323"
    ev = {e["label"]: e["value"] for e in legacy["evidence"]}
    assert ev["ports.evidence.forbidden_service"].startswith("2323/tcp telnet")   # -sV: telnet by its protocol
    assert f[("PORT-NOAUTH-01", HOST)]["verdict"] == "pass"


def test_every_verdict_states_its_coverage_in_every_report_format(exposed):
    r, out, declared, _ = exposed
    f = findings(out / "report.json")
    for key in (("PORT-UNDECL-01", HOST), ("PORT-LEGACY-01", HOST), ("PORT-NOAUTH-01", HOST)):
        ev = {e["label"]: e["value"] for e in f[key]["evidence"]}
        assert ev["ports.evidence.coverage"].startswith("10"), ev      # 1,000 + declared + watched ports
        assert "top-1000" in ev["ports.evidence.coverage"] and "[policy]" in ev["ports.evidence.coverage"]
    noauth = f[("PORT-NOAUTH-01", HOST)]
    assert noauth["message"]["key"] == "ports.forbidden_services.pass.top"
    scanned = noauth["message"]["args"]["scanned"]
    assert 1000 < scanned < 1030 and noauth["message"]["args"]["n"] == 1000
    coverage = f"{scanned} = top-1000 + declared/watched"
    for name in ("report.md", "report.txt", "report.html", "report.sarif", "report.xml", "report.csv"):
        text = (out / name).read_text()
        assert coverage in text or coverage.replace("+", "\\+") in text, f"{name} does not state the coverage"
    # the failures say it in their own sentence too
    undeclared = f[("PORT-UNDECL-01", HOST)]
    assert undeclared["message"]["args"]["scanned"] == scanned
    assert f"(of {scanned} TCP ports scanned)" in (out / "report.html").read_text()
    rows = list(csv.DictReader(io.StringIO((out / "report.csv").read_text())))
    assert any("top-1000" in " ".join(row.values()) for row in rows if "PORT-UNDECL-01" in " ".join(row.values()))


def test_the_observation_keeps_a_top_1000_scan_small(exposed):
    r, out, declared, seconds = exposed
    doc = json.loads((out / "report.json").read_text())
    [obs] = [o for o in doc["observations"] if o["kind"] == "ports"]
    facts = obs["facts"]
    assert facts["coverage"] == {"spec": "top-1000", "source": "policy", "default": "top-1000"}
    assert {p["port"] for p in facts["ports"]} >= {declared, 2323, 8081}
    assert len(json.dumps(facts)) < 40_000                   # collapsed closed ports stay compressed
    assert seconds < 120


def test_inventory_and_command_line_override_the_level_default(tmp_path):
    with srv.telnet_like_server(OTHER, port=40023) as telnet, srv.http_server(OTHER) as declared:
        inv = inventory(tmp_path / "inv.yaml", f"""\
            - {{id: intranet, name: Intranet, purpose: internal, information: [public],
               port_coverage: "40000-40100", endpoints: ["http://{OTHER}:{declared}"]}}
            """)
        secaudit("scan", inv, "--only", "ports", "--runs-dir", str(tmp_path / "runs"), "--out",
                 str(tmp_path / "a"), "--format", "json")
        narrow = secaudit("scan", inv, "--only", "ports", "--runs-dir", str(tmp_path / "runs"), "--out",
                          str(tmp_path / "b"), "--format", "json", "--ports-range", "top-100")
    f = findings(tmp_path / "a" / "report.json")
    legacy = f[("PORT-LEGACY-01", OTHER)]
    assert legacy["verdict"] == "fail" and legacy["message"]["args"]["ports"] == str(telnet)   # only inside 40000-40100
    ev = {e["label"]: e["value"] for e in legacy["evidence"]}
    assert "40000-40100" in ev["ports.evidence.coverage"] and "[inventory; level default top-1000]" in \
        ev["ports.evidence.coverage"]
    assert narrow.returncode == 0, narrow.stdout + narrow.stderr      # telnet on 40023 is outside the top 100
    g = findings(tmp_path / "b" / "report.json")
    undeclared = g[("PORT-UNDECL-01", OTHER)]
    assert undeclared["verdict"] == "pass" and undeclared["message"]["key"] == "ports.only_allowed.pass.top"
    assert undeclared["message"]["args"]["n"] == 100
    assert [w["key"] for w in undeclared["warnings"]] == ["ports.warning.coverage_narrowed"]   # says so


def test_bad_coverage_is_an_input_error_with_position(tmp_path):
    inv = inventory(tmp_path / "inv.yaml", f"""\
        - {{id: intranet, name: Intranet, purpose: internal, information: [public], port_coverage: top-0,
           endpoints: ["http://{HOST}:80"]}}
        """)
    r = secaudit("validate", inv)
    assert r.returncode == 2 and "inv.yaml:4:" in r.stdout + r.stderr and "top-N" in r.stdout + r.stderr
    r = secaudit("scan", inv, "--only", "ports", "--ports-range", "9-1", "--runs-dir", str(tmp_path / "runs"))
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_a_silent_host_does_not_turn_its_neighbours_port_controls_into_errors(tmp_path):
    """A level-3 host whose ports accept and never answer (-sV waits ~48 s on each, then the SSH scripts)
    overruns --ports-timeout; before one nmap per host, it took its batch-mate down with it
    ("deadline exceeded" on every port control of the well-behaved host)."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(srv.telnet_like_server(GOOD, port=2323))
        good_port = stack.enter_context(srv.http_server(GOOD))
        quiet = [stack.enter_context(hostile.serve(hostile.silent, SILENT)).port for _ in range(4)]
        inv = inventory(tmp_path / "inv.yaml", f"""\
            - {{id: good, name: Good, purpose: internal, information: [public], endpoints: ["http://{GOOD}:{good_port}"]}}
            - {{id: quiet, name: Quiet, purpose: internal, information: [public], declared_level: 3,
               endpoints: ["http://{SILENT}:{quiet[0]}", "http://{SILENT}:{quiet[1]}", "http://{SILENT}:{quiet[2]}",
                           "ssh://{SILENT}:{quiet[3]}"]}}
            """)
        started = time.monotonic()
        r = secaudit("scan", inv, "--only", "ports", "--runs-dir", str(tmp_path / "runs"), "--out",
                     str(tmp_path / "out"), "--format", "json", "--ports-timeout", "8", timeout=120)
        seconds = time.monotonic() - started
    f = findings(tmp_path / "out" / "report.json")
    good = {c: v["verdict"] for (c, t), v in f.items() if t == GOOD and c.startswith("PORT-")}
    quiet_verdicts = {c: v for (c, t), v in f.items() if t == SILENT and not v["message"]["key"].startswith("evaluate.")}
    assert good == {"PORT-UNDECL-01": "fail", "PORT-LEGACY-01": "fail", "PORT-NOAUTH-01": "pass"}, good
    assert {v["verdict"] for v in quiet_verdicts.values()} == {"error"}, quiet_verdicts
    assert r.returncode == 1                      # findings beat scan errors in the exit status
    assert seconds < 60, seconds                  # bounded by the ports deadline, not by -sV's 48 s per port
