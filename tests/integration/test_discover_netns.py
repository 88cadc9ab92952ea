"""`secaudit discover` inside network namespaces the test creates: real nmap, real listeners.

Given a declared network 10.213.7.0/28 holding a declared host (.2, ports 22 declared, 3306 not), an
undeclared host (.3, port 8080) and a declared host that is down (.9), and beside it an out-of-scope
network 10.213.8.0/24 reachable from the scanner with a listener on 10.213.8.5:80, when secaudit runs
discover inside the scanner namespace, then the three cases are told apart in the reports, the
out-of-scope listener never sees a connection, and a network outside the declared one is refused with
exit 2 before nmap runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.netns import SCANNER_ADDR, available, netns_lab

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(available() is not None, reason=available() or "")]

INVENTORY = """\
kind: inventory
version: 1
organisation: {name: "Lab agency"}
zones:
  - id: lab
    description: "Lab LAN"
    networks: ["10.213.7.0/28"]
systems:
  - id: db-host
    name: Database host
    purpose: internal
    information: [private]
    zone: lab
    endpoints:
      - {host: 10.213.7.2, port: 22, service: ssh}
  - id: printer
    name: Printer that is switched off
    purpose: internal
    information: [public]
    zone: lab
    endpoints:
      - {host: 10.213.7.9, port: 443, service: https}
"""


def run_secaudit(lab, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(lab.exec_argv([sys.executable, "-m", "secaudit", *args]), cwd=cwd, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("netns")
    with netns_lab(work, ["10.213.7.2/28", "10.213.7.3/28", "10.213.8.5/24"],
                   ["10.213.7.0/28", "10.213.8.0/24"]) as lab:
        lab.listen(["10.213.7.2:22", "10.213.7.2:3306", "10.213.7.3:8080", "10.213.8.5:80"])
        (work / "inventory.yaml").write_text(INVENTORY)
        yield lab


def test_declared_undeclared_host_and_port_are_told_apart(lab, tmp_path):
    inv = lab.workdir / "inventory.yaml"
    r = run_secaudit(lab, ["discover", str(inv), "--zone", "lab", "--format", "json", "--format", "sarif",
                           "--format", "junit", "--format", "csv", "--format", "md", "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    data = json.loads((tmp_path / "report.json").read_text())
    by_target = {f["target"]: f for f in data["findings"]}
    assert by_target["10.213.7.3"]["verdict"] == "fail"               # undeclared host
    assert by_target["10.213.7.2:3306"]["verdict"] == "fail"          # undeclared port on a declared host
    assert "10.213.7.2" not in by_target or by_target["10.213.7.2"]["verdict"] != "pass"
    assert by_target["10.213.7.9"]["verdict"] == "not_applicable"     # declared, switched off: not a pass
    assert all(f["control_id"] == "DISC-01" for f in data["findings"])
    assert all("TCVN 14423:2026 [hw-assets.rogue-detect]" in f["references"] for f in data["findings"])
    assert not any(t.startswith(("10.213.8.", SCANNER_ADDR, "10.213.6.")) for t in by_target)
    # every report format carries the findings
    assert "10.213.7.2:3306" in (tmp_path / "report.sarif").read_text()
    assert "10.213.7.3" in (tmp_path / "report.xml").read_text()
    assert "10.213.7.3" in (tmp_path / "report.csv").read_text()
    assert "10.213.7.3" in (tmp_path / "report.md").read_text()


def test_nothing_outside_the_declared_network_is_probed(lab, tmp_path):
    inv = lab.workdir / "inventory.yaml"
    run_secaudit(lab, ["discover", str(inv), "--format", "json", "--out", str(tmp_path)], tmp_path)
    listened = {spec for spec, _peer in lab.connections()}
    assert "10.213.7.2:3306" in listened and "10.213.7.3:8080" in listened     # the sweep did reach inside
    assert "10.213.8.5:80" not in listened                                    # and never outside


def test_a_network_outside_the_declared_scope_is_refused(lab, tmp_path):
    inv = lab.workdir / "inventory.yaml"
    before = len(lab.connections())
    r = run_secaudit(lab, ["discover", str(inv), "--network", "10.213.8.0/24", "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "10.213.8.0/24" in r.stderr and "outside" in r.stderr
    r = run_secaudit(lab, ["discover", str(inv), "--network", "10.213.7.0/24", "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 2                                                  # wider than the declared /28
    assert len(lab.connections()) == before
    assert not (tmp_path / "report.json").exists()


def test_a_large_network_needs_the_flag(lab, tmp_path):
    inv = tmp_path / "large.yaml"
    inv.write_text(INVENTORY.replace('["10.213.7.0/28"]', '["10.213.0.0/16", "10.0.0.0/8"]'))
    r = run_secaudit(lab, ["discover", str(inv), "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 2 and "10.0.0.0/8" in r.stderr
    r = run_secaudit(lab, ["--lang", "vi", "discover", str(inv), "--out", str(tmp_path)], tmp_path)
    assert r.returncode == 2 and "từ chối" in r.stderr
