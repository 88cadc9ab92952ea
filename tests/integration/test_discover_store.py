"""A discovery run enters the history store like a scan, and is resumed only by `discover`.

Given real listeners on loopback addresses of a declared network (every 127/8 address answers nmap's TCP
ping), when `secaudit discover` runs with --data-dir (and again with --db, after one undeclared listener
stopped), then both runs are in the store with each zone as a system `zone:<id>` and the discovery policy's
digest, `runs` lists them without claiming a level for the zone, `diff` shows the undeclared port's failure
gone (unverified: never counted as fixed), and `report RUN_ID --db` re-renders the stored findings. `discover --resume` given a scan's run id, and
`scan --resume` given a discovery run's id, exit 2 saying (in English and Vietnamese) which command resumes it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_discover_pipeline import listening
from tests.support.zones import ROOT

pytestmark = pytest.mark.integration

ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en", "PYTHONPATH": str(ROOT)}
NET = "127.33.10.0/30"
DECLARED, UNDECLARED = ("127.33.10.2", 8443), ("127.33.10.2", 8080)
INVENTORY = f"""\
kind: inventory
version: 1
organisation: {{name: "Lab agency"}}
zones:
  - {{id: lan, description: "Office LAN", networks: ["{NET}"]}}
systems:
  - id: web
    name: Web server
    purpose: internal
    information: [private]
    zone: lan
    endpoints:
      - {{host: 127.33.10.2, port: 8443, service: https}}
"""


def secaudit(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=cwd, env=env or ENV, capture_output=True,
                          text=True, timeout=300)


def findings(report: Path) -> set[tuple[str, str, str, str]]:
    return {(f["system_id"], f["control_id"], f["target"], f["verdict"])
            for f in json.loads(report.read_text())["findings"]}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    """Two discovery runs in one store: the first with an undeclared port open, the second after it closed."""
    work = tmp_path_factory.mktemp("discover-store")
    inv = work / "inventory.yaml"
    inv.write_text(INVENTORY)
    common = [str(inv), "--runs-dir", str(work / "runs"), "--format", "json", "--format", "sarif"]
    with listening([DECLARED, UNDECLARED]):
        first = secaudit(work, "discover", *common, "--out", str(work / "first"), "--data-dir", str(work / "data"))
    with listening([DECLARED]):
        second = secaudit(work, "discover", *common, "--out", str(work / "second"),
                          "--db", f"sqlite:///{work / 'data' / 'store.sqlite'}")
    return {"work": work, "inventory": inv, "first": first, "second": second}


def test_discovery_runs_are_stored_and_listed_diffed_and_reported_from_the_store(stored):
    w = stored["work"]
    for run in (stored["first"], stored["second"]):
        assert run.returncode == 1, run.stdout + run.stderr           # undeclared addresses of the /30 answer
        assert "stored in sqlite:///" in run.stdout
    first = json.loads((w / "first" / "report.json").read_text())
    assert ("zone:lan", "DISC-01", "127.33.10.2:8080", "fail") in findings(w / "first" / "report.json")
    assert ("zone:lan", "DISC-01", "127.33.10.2:8080", "fail") not in findings(w / "second" / "report.json")
    # the discovery policy is in the library: its id and the digest of its file, as a scan's level policies
    policy = ROOT / "policies" / "families" / "discovery.yaml"
    assert first["run"]["policies"] == {"discovery": "sha256:" + hashlib.sha256(policy.read_bytes()).hexdigest()}
    assert first["run"]["regime"] == "-"

    listed = secaudit(w, "runs", "--data-dir", str(w / "data"), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert [(r["id"], r["systems"], r["regime"], r["complete"]) for r in doc["runs"]] == [
        (json.loads((w / out / "report.json").read_text())["run"]["id"], ["zone:lan"], "-", True)
        for out in ("second", "first")]
    assert [r for r in doc["requirements"] if r["system"] == "zone:lan"] == []   # a zone claims no level
    text = secaudit(w, "runs", "--data-dir", str(w / "data"))
    assert text.returncode == 0 and "zone:lan: requirements" not in text.stdout, text.stdout

    diff = secaudit(w, "diff", "--data-dir", str(w / "data"), "--format", "json")
    assert diff.returncode == 0, diff.stderr
    changes = json.loads(diff.stdout)
    assert changes["run_a"]["id"] == first["run"]["id"]
    # the undeclared port's FAIL has no finding now (a closed port is not one): unverified, never counted fixed
    assert [(c["system"], c["control"], c["target"], c["verdict_after"]) for c in changes["findings"]["unverified"]
            ] == [("zone:lan", "DISC-01", "127.33.10.2:8080", None)]
    assert changes["changed"] and changes["summary"]["new"] == 0 and changes["summary"]["fixed"] == 0

    again = secaudit(w, "report", first["run"]["id"], "--runs-dir", str(w / "runs"), "--db",
                     f"sqlite:///{w / 'data' / 'store.sqlite'}", "--out", str(w / "again"), "--format", "json")
    assert again.returncode == 1, again.stdout + again.stderr
    assert findings(w / "again" / "report.json") == findings(w / "first" / "report.json")


def test_a_run_is_resumed_only_by_the_command_that_started_it(stored):
    from secaudit.run import ScanRequest, start_run

    w = stored["work"]
    _, scan_run = start_run(ScanRequest(inventory_file=str(stored["inventory"])), w / "runs")   # interrupted scan
    discovery_run = json.loads((w / "first" / "report.json").read_text())["run"]["id"]
    refused = secaudit(w, "discover", "--resume", scan_run, "--runs-dir", str(w / "runs"), "--out", str(w / "x"))
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert (f"run {scan_run} was started by `secaudit scan`, not `secaudit discover`: resume it with "
            f"`secaudit scan --resume {scan_run}`") in refused.stderr and "Traceback" not in refused.stderr
    refused = secaudit(w, "scan", "--resume", discovery_run, "--runs-dir", str(w / "runs"), "--out", str(w / "y"),
                       "--no-store", env={**ENV, "SECAUDIT_LANG": "vi"})
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert (f"lượt chạy {discovery_run} được bắt đầu bằng `secaudit discover`, không phải `secaudit scan`: "
            f"hãy tiếp tục bằng `secaudit discover --resume {discovery_run}`") in refused.stderr
    assert not (w / "x").exists() and not (w / "y").exists()
    assert (w / "runs" / scan_run / "journal.jsonl").read_text() == ""        # nothing ran as the wrong kind
