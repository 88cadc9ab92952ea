"""History end to end: real scans (sslyze against real nginx on 127.6.0.x) into a real store.

Given two systems, one of which gets its HSTS header fixed between two scans, when both scans are
stored, then ``diff`` shows exactly that one finding fixed; two scans at once into one SQLite store
both land; a scan killed with SIGKILL while it writes to the store leaves all of its run or none,
and ``secaudit store RUN_ID`` stores it from its journal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from tests.support.postgres import postgres_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "CI": "1", "SECAUDIT_LANG": "en"}
YEAR = "max-age=31536000"
HOSTS = {"steady": "127.6.0.11", "fixme": "127.6.0.12"}


def secaudit(*args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env or ENV)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    w = tmp_path_factory.mktemp("history")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    leaves = {name: pki.write_leaf(pki.leaf(names=(host,)), w, name) for name, host in HOSTS.items()}
    inventory = w / "inventory.yaml"
    # both systems also accept TLS 1.0 in both runs: their achieved level stays the same when HSTS is fixed
    inventory.write_text("kind: inventory\norganisation: {name: History test}\nsystems:\n" + "".join(
        f"  - {{id: {name}, name: {name.title()}, purpose: internal, information: [private], declared_level: 3, "
        f"endpoints: ['https://{host}:8443']}}\n" for name, host in HOSTS.items()))
    return {"dir": w, "ca": str(ca), "inventory": str(inventory), "leaves": leaves}


def farm(lab, fixed: bool, name: str) -> NginxFarm:
    sites = [Site(n, *lab["leaves"][n], host=host, port=8443, protocols="TLSv1 TLSv1.2",
                  ciphers="ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
                  hsts=YEAR if (n == "steady" or fixed) else "max-age=300")
             for n, host in HOSTS.items()]
    (lab["dir"] / name).mkdir(exist_ok=True)
    return NginxFarm(sites, lab["dir"] / name)


def scan_args(lab, store: list[str], runs: Path, out: Path, *formats: str) -> list[str]:
    fmt = [a for f in (formats or ("json",)) for a in ("--format", f)]
    return ["scan", lab["inventory"], "--only", "tls", "--ca-file", lab["ca"], "--runs-dir", str(runs),
            "--out", str(out), *fmt, "-q", *store]


def test_two_stored_scans_diff_to_exactly_the_fixed_finding(lab):
    data = lab["dir"] / "data-diff"
    store = ["--data-dir", str(data)]
    for i, fixed in enumerate((False, True)):
        with farm(lab, fixed, f"nginx-diff-{i}"):
            r = secaudit(*scan_args(lab, store, lab["dir"] / "runs-diff", lab["dir"] / f"out-{i}", "json", "sarif",
                                    "html"))
        assert r.returncode in (0, 1), r.stdout + r.stderr
        assert "stored in" in r.stdout
    runs = json.loads(secaudit("runs", "--format", "json", *store).stdout)["runs"]
    assert len(runs) == 2
    r = secaudit("diff", "--format", "json", *store)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert [(f["system"], f["target"], f["verdict_before"], f["verdict_after"]) for f in d["findings"]["fixed"]] == [
        ("fixme", "127.6.0.12:8443", "fail", "pass")]
    assert "HSTS" in d["findings"]["fixed"][0]["control"]
    assert {k: v for k, v in d["summary"].items() if v and k != "still_failing"} == {"fixed": 1}
    assert d["levels"] == [] and d["ports"] == [] and d["certificates"] == []
    # the other way round the same finding is new: CI fails on it
    older, newer = runs[1]["id"], runs[0]["id"]
    r = secaudit("diff", newer, older, "--fail-on-new", "low", *store)
    assert r.returncode == 1 and "New findings (1)" in r.stdout, r.stdout + r.stderr
    assert secaudit("diff", newer, older, "--fail-on-new", "critical", *store).returncode == 0
    r = secaudit("diff", "--format", "html", "--out", str(lab["dir"] / "diff.html"), *store)
    assert r.returncode == 0 and "Fixed (1)" in (lab["dir"] / "diff.html").read_text()
    # the second scan's SARIF knows its baseline: the fixed HSTS result is absent, the rest unchanged
    sarif = json.loads((lab["dir"] / "out-1" / "report.sarif").read_text())["runs"][0]
    states = {(r["properties"]["system"], r["ruleId"]): r["baselineState"] for r in sarif["results"]}
    assert sarif["properties"]["baselineRunId"] == older
    assert [k for k, v in states.items() if v == "absent"] == [("fixme", d["findings"]["fixed"][0]["control"])]
    assert set(states.values()) == {"unchanged", "absent"}
    first = json.loads((lab["dir"] / "out-0" / "report.sarif").read_text())["runs"][0]
    assert all("baselineState" not in r for r in first["results"])          # nothing stored before it
    assert '<section id="trend">' in (lab["dir"] / "out-1" / "report.html").read_text()
    r = secaudit("trend", "--system", "fixme", *store)
    rows = r.stdout.splitlines()
    assert r.returncode == 0 and len(rows) == 4, r.stdout                # title, two runs oldest first, sparkline
    assert older in rows[1] and newer in rows[2]
    assert int(rows[1].split(" failing")[0].rsplit(" ", 1)[1]) == int(rows[2].split(" failing")[0].rsplit(" ", 1)[1]) + 1


def test_two_concurrent_scans_into_one_sqlite_store_both_land(lab):
    data = lab["dir"] / "data-concurrent"          # a fresh store: both processes also migrate it at once
    store = ["--data-dir", str(data)]
    with farm(lab, True, "nginx-concurrent"):
        procs = [subprocess.Popen([sys.executable, "-m", "secaudit",
                                   *scan_args(lab, store, lab["dir"] / f"runs-c{i}", lab["dir"] / f"out-c{i}")],
                                  cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(2)]
        outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode in (0, 1), out + err
        assert "locked" not in (out + err).lower() and "stored in" in out
    runs = json.loads(secaudit("runs", "--format", "json", *store).stdout)["runs"]
    ids = {path.name for i in range(2) for path in (lab["dir"] / f"runs-c{i}").iterdir()}
    assert {r["id"] for r in runs} == ids and len(ids) == 2


def test_a_run_killed_mid_scan_is_stored_when_resume_completes_it(lab):
    data, runs_dir = lab["dir"] / "data-resume", lab["dir"] / "runs-resume"
    store = ["--data-dir", str(data)]
    with farm(lab, True, "nginx-resume"):
        proc = subprocess.Popen([sys.executable, "-m", "secaudit",
                                 *scan_args(lab, store, runs_dir, lab["dir"] / "out-resume"), "--concurrency", "1"],
                                cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        end = time.monotonic() + 120
        while time.monotonic() < end and proc.poll() is None:
            journals = list(runs_dir.glob("*/journal.jsonl"))
            if journals and journals[0].read_bytes().count(b"\n") >= 1:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        (run_id,) = [p.name for p in runs_dir.iterdir()]
        assert json.loads(secaudit("runs", "--format", "json", *store).stdout)["runs"] == []   # incomplete: not stored
        r = secaudit("scan", "--resume", run_id, "--runs-dir", str(runs_dir), "--out", str(lab["dir"] / "out-r2"),
                     "--format", "json", "-q", *store)
    assert r.returncode in (0, 1), r.stdout + r.stderr
    runs = json.loads(secaudit("runs", "--format", "json", *store).stdout)["runs"]
    assert [(x["id"], x["complete"]) for x in runs] == [(run_id, True)]


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server


def test_kill_9_while_storing_leaves_none_of_the_run_and_it_stores_from_its_journal(lab, postgres):
    """The scan's store transaction is held mid-way (another session locks the last table it writes), then the
    scan is killed with SIGKILL: its earlier inserts never become visible; `secaudit store` completes it."""
    import psycopg

    url = postgres.create_database("killed")
    db = ["--db", url]
    assert secaudit("runs", *db).returncode == 0                     # create the schema before locking a table
    runs_dir = lab["dir"] / "runs-kill"
    with farm(lab, True, "nginx-kill"):
        with psycopg.connect(host=postgres.host, port=postgres.port, user="secaudit", dbname="killed") as locker:
            locker.execute("LOCK TABLE certificates IN EXCLUSIVE MODE")        # held until this transaction ends
            proc = subprocess.Popen([sys.executable, "-m", "secaudit",
                                     *scan_args(lab, db, runs_dir, lab["dir"] / "out-kill")],
                                    cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                waiting = _wait_for_blocked_insert(postgres, proc, timeout=240)
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.communicate(timeout=30)
            assert "certificates" in waiting                             # its insert (COPY) waits on the lock
            locker.rollback()
    with psycopg.connect(host=postgres.host, port=postgres.port, user="secaudit", dbname="killed") as conn:
        counts = [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("runs", "run_systems", "findings", "certificates")]
    assert counts == [0, 0, 0, 0]                                    # none of the run
    (run_id,) = [p.name for p in runs_dir.iterdir()]
    r = secaudit("store", run_id, "--runs-dir", str(runs_dir), *db)
    assert r.returncode == 0, r.stdout + r.stderr
    stored = json.loads(secaudit("runs", "--format", "json", *db).stdout)["runs"]
    assert [(s["id"], s["complete"], sorted(s["systems"])) for s in stored] == [(run_id, True, ["fixme", "steady"])]
    with psycopg.connect(host=postgres.host, port=postgres.port, user="secaudit", dbname="killed") as conn:
        assert conn.execute("SELECT count(*) FROM certificates").fetchone()[0] == 2
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] > 10


def _wait_for_blocked_insert(postgres, proc: subprocess.Popen, timeout: float) -> str:
    import psycopg

    end = time.monotonic() + timeout
    with psycopg.connect(host=postgres.host, port=postgres.port, user="secaudit", dbname="killed",
                         autocommit=True) as watch:
        while time.monotonic() < end and proc.poll() is None:
            row = watch.execute("SELECT query FROM pg_stat_activity WHERE datname = 'killed' "
                                "AND wait_event_type = 'Lock'").fetchone()
            if row:
                return row[0]
            time.sleep(0.1)
    raise AssertionError(f"the scan never blocked on the store (exit {proc.poll()})")
