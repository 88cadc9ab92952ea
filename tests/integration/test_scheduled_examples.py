"""examples/scheduled: the systemd units pass `systemd-analyze verify` (Debian's systemd), the cron
line is well formed, and the audit script they run really scans into the store, keeps the reports
and exits non-zero on a new finding.

Given a real nginx on 127.6.0.21 and the shipped script, when it runs twice with the server made
worse in between, then the first run succeeds and the second fails naming the new finding."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "scheduled"
SCRIPT = EXAMPLES / "secaudit-audit"
HOST = "127.6.0.21"


def _verify(directory: Path, *units: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(directory / u) for u in units)],
                          capture_output=True, text=True, timeout=60)


def test_the_systemd_units_verify(tmp_path):
    assert shutil.which("systemd-analyze"), "systemd-analyze missing: run scripts/ensure-sysdeps.sh"
    for name in ("secaudit-audit.service", "secaudit-audit.timer"):
        text = (EXAMPLES / name).read_text()
        # the installed script path, as the unit's comments say; here the repository's copy stands in
        (tmp_path / name).write_text(text.replace("/usr/local/bin/secaudit-audit", str(SCRIPT)))
    r = _verify(tmp_path, "secaudit-audit.service", "secaudit-audit.timer")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Persistent=true" in (tmp_path / "secaudit-audit.timer").read_text()
    # and verify does catch a broken unit (the check can fail)
    (tmp_path / "secaudit-audit.timer").write_text(
        (tmp_path / "secaudit-audit.timer").read_text().replace("OnCalendar=Mon", "OnCalendar=Mox"))
    assert _verify(tmp_path, "secaudit-audit.timer").returncode != 0


def test_the_cron_line_runs_the_audit_weekly():
    lines = [ln for ln in (EXAMPLES / "secaudit.cron").read_text().splitlines() if ln and not ln.startswith("#")]
    jobs = [ln for ln in lines if not re.match(r"^[A-Z_]+=", ln)]
    assert jobs == ["0 2 * * 1 secaudit /usr/local/bin/secaudit-audit"]
    env = dict(ln.split("=", 1) for ln in lines if re.match(r"^[A-Z_]+=", ln))
    assert env["SECAUDIT_INVENTORY"] == "/etc/secaudit/inventory.yaml" and env["MAILTO"].endswith(".example")


@pytest.mark.integration
def test_the_audit_script_stores_keeps_reports_and_fails_on_a_new_finding(tmp_path):
    pki = TestPKI()
    ca = pki.write_ca_file(tmp_path / "ca.pem")
    leaf = pki.write_leaf(pki.leaf(names=(HOST,)), tmp_path, "leaf")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("kind: inventory\nsystems:\n  - {id: web, name: Web, purpose: internal, "
                         f"information: [private], declared_level: 3, endpoints: ['https://{HOST}:8443']}}\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    wrapper = bindir / "secaudit"                   # `secaudit` on PATH, limited to TLS with the test CA
    wrapper.write_text(f"#!/bin/sh\nif [ \"$1\" = scan ]; then set -- \"$@\" --only tls --ca-file {ca}; fi\n"
                       f"exec {sys.executable} -m secaudit \"$@\"\n")
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "CI": "1", "SECAUDIT_LANG": "en",
           "SECAUDIT_INVENTORY": str(inventory), "SECAUDIT_REPORTS": str(tmp_path / "reports"),
           "SECAUDIT_DATA_DIR": str(tmp_path / "data"), "SECAUDIT_RUNS_DIR": str(tmp_path / "runs")}

    def audit(hsts: str | None, name: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / name).mkdir()
        with NginxFarm([Site("web", *leaf, host=HOST, port=8443, hsts=hsts)], tmp_path / name):
            return subprocess.run([str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)

    first = audit("max-age=31536000", "nginx-1")
    assert first.returncode == 0, first.stdout + first.stderr
    second = audit(None, "nginx-2")                  # HSTS removed: a new finding
    assert second.returncode == 1, second.stdout + second.stderr
    assert "new findings since the last run" in second.stderr
    kept = sorted((tmp_path / "reports").iterdir())
    assert len(kept) == 2
    for d in kept:
        assert {"report.html", "report.json", "report.sarif", "report.md", "due.txt", "diff.md"} <= {
            p.name for p in d.iterdir()}
    assert "New findings (1)" in (kept[1] / "diff.md").read_text().replace("## ", "")
    assert "no earlier run" in (kept[0] / "diff.md").read_text()
