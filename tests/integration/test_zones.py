"""The distributed executor end to end: a real redis-server (password required) on loopback, two real
`secaudit worker` processes for two zones, each zone's TLS targets on their own loopback addresses
(zone a: 127.7.1.x, zone b: 127.7.2.x), scans through the CLI compared with a local run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.support.pki import TestPKI, days
from tests.support.servers import NginxFarm, Site
from tests.support.zones import listener, redis_server, run_scan, workers, write_inventory

pytestmark = pytest.mark.integration

A1, B1 = "zone-a-1@tests", "zone-b-1@tests"
SCOPE_A, SCOPE_B = "127.7.1.0/24", "127.7.2.0/24"


@pytest.fixture(scope="module")
def zones_lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("zones")
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    hosts = ["127.7.1.1", "127.7.1.2", "127.7.2.1", "127.7.2.2"]
    crt, key = pki.write_leaf(pki.leaf(names=tuple(hosts)), work, "leaf")
    old_crt, old_key = pki.write_leaf(pki.leaf(names=tuple(hosts), not_before=days(-100), not_after=days(-10)),
                                      work, "expired")
    sites = [Site("a-modern", crt, key, host=hosts[0], hsts="max-age=63072000"),
             Site("a-legacy", crt, key, host=hosts[1], protocols="TLSv1 TLSv1.1 TLSv1.2",
                  ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0"),
             Site("b-modern", crt, key, host=hosts[2]),
             Site("b-expired", old_crt, old_key, host=hosts[3], hsts="max-age=300")]
    (work / "nginx").mkdir()
    with redis_server(work / "redis") as redis, NginxFarm(sites, work / "nginx") as farm, \
            workers(redis, [(A1, "a", [SCOPE_A]), (B1, "b", [SCOPE_B])], work, ca_file=ca) as procs:
        inv = write_inventory(work / "inventory.yaml", [
            ("sa", "a", [farm["a-modern"].address, farm["a-legacy"].address]),
            ("sb", "b", [farm["b-modern"].address, farm["b-expired"].address]),
        ])
        yield {"work": work, "ca": ca, "redis": redis, "farm": farm, "inventory": inv, "workers": procs}


def test_every_probe_runs_on_its_zone_worker_and_findings_equal_a_local_run(zones_lab):
    lab = zones_lab
    ca = ["--ca-file", str(lab["ca"])]
    dist = run_scan(lab["inventory"], lab["work"] / "celery", lab["redis"], *ca)
    local = run_scan(lab["inventory"], lab["work"] / "local", None, *ca)
    assert dist.rc == local.rc == 1, (dist.stderr, local.stderr)     # the legacy and expired sites fail controls
    assert dist.findings() == local.findings()
    assert any(f[3] == "fail" for f in dist.findings()) and any(f[3] == "pass" for f in dist.findings())
    journal = dist.journal()
    assert len(journal) == 4 and len({o["probe_id"] for o in journal}) == 4
    for obs in journal:
        zone_worker = A1 if obs["target"].startswith("127.7.1.") else B1
        assert obs["worker"] == zone_worker, obs
        assert obs["status"] == "ok", obs
    assert all(o["worker"] == "" for o in local.journal())
    meta = json.loads((dist.run_dir / "run.json").read_text())
    assert meta["request"]["executor"] == "celery"
    assert lab["redis"].password not in (dist.run_dir / "run.json").read_text()   # never stored
    assert meta["complete"] is True
    report = dist.report()
    assert {o["worker"] for o in report["observations"]} == {A1, B1}


def test_an_out_of_scope_target_is_refused_and_the_scan_reports_it(zones_lab, tmp_path: Path):
    lab = zones_lab
    with listener("127.7.3.9") as seen:
        # the inventory puts 127.7.3.9 in zone a, but zone a's worker may only probe 127.7.1.0/24
        inv = write_inventory(tmp_path / "inv.yaml", [("sx", "a", [f"127.7.3.9:{seen.port}"]),
                                                       ("sa", "a", [lab["farm"]["a-modern"].address])])
        run = run_scan(inv, tmp_path / "scan", lab["redis"], "--ca-file", str(lab["ca"]), "--format", "text")
        assert seen.connections() == 0                  # the worker never touched it
    assert run.rc == 3, run.stderr                      # scan errors left controls without a verdict
    refused = [o for o in run.journal() if o["target"].startswith("127.7.3.9")]
    assert len(refused) == 1 and refused[0]["status"] == "error"
    assert "outside its scope" in refused[0]["error"] and SCOPE_A in refused[0]["error"]
    assert refused[0]["worker"] == A1
    errors = [f for f in run.report()["findings"] if f["target"].startswith("127.7.3.9")]
    assert errors and all(f["verdict"] == "error" for f in errors)
    assert all('"worker.out_of_scope"' in json.dumps(f) for f in errors)   # the reason reaches the findings
    words = " ".join((run.out / "report.txt").read_text().split())     # the text report wraps at 80 columns
    assert f"refused by worker {A1} (zone a): 127.7.3.9 is out" in words
    assert any(f["verdict"] == "pass" for f in run.report()["findings"] if f["system_id"] == "sa")


def test_a_forged_task_on_the_broker_is_refused(zones_lab):
    from secaudit.execute.broker import TASK_NAME, broker_config, make_app, zone_queue
    from secaudit.execute.wire import batch_message
    from secaudit.model import Probe

    lab = zones_lab
    app = make_app(broker_config(lab["redis"].url))
    with listener("127.7.2.77") as seen:
        port = seen.port
        probe = Probe("tls|forged", "tls", f"127.7.2.77:{port}",
                      {"host": "127.7.2.77", "port": port, "sni": None, "starttls": None, "scan": {}})
        sneaky = Probe("tls|sneaky", "tls", "127.7.1.1:443",      # target in scope, connection host not
                       {"host": "127.7.2.77", "port": port, "sni": None, "starttls": None, "scan": {}})
        res = app.send_task(TASK_NAME, args=[batch_message("forged", "a", "tls", [probe, sneaky], 5)],
                            queue=zone_queue("a"))
        answer = res.get(timeout=60)
        res.forget()
        wrong_zone = app.send_task(TASK_NAME, args=[batch_message("forged", "b", "tls", [probe], 5)],
                                   queue=zone_queue("a")).get(timeout=60)
        garbage = app.send_task(TASK_NAME, args=[{"v": 1, "probes": "rm -rf /"}], queue=zone_queue("a")).get(timeout=60)
        # every answer is in: the worker is done with the three batches, and a connection it made before
        # answering is counted (connections() waits until the listener's queue holds none of them)
        assert seen.connections() == 0
    assert answer["worker"] == A1
    assert [o["status"] for o in answer["observations"]] == ["error", "error"]
    assert all("outside its scope" in o["error"] and "127.7.2.77" in o["error"] for o in answer["observations"])
    assert "zone 'b' reached the queue of zone 'a'" in wrong_zone["observations"][0]["error"]
    assert garbage["observations"] == [] and "malformed batch" in garbage["error"]


def test_a_pickled_task_is_never_deserialised_by_a_worker(zones_lab):
    from secaudit.execute.broker import TASK_NAME, broker_config, make_app, zone_queue
    from secaudit.execute.wire import batch_message
    from secaudit.model import Probe

    app = make_app(broker_config(zones_lab["redis"].url))
    assert app.conf.accept_content == ["json"] and app.conf.result_accept_content == ["json"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    probe = Probe("tls|pickled", "tls", "127.7.1.1:443", {"host": "127.7.1.1", "port": 443})
    res = app.send_task(TASK_NAME, args=[batch_message("pickled", "a", "tls", [probe], 5)], queue=zone_queue("a"),
                        serializer="pickle")
    log = zones_lab["workers"][A1].log
    end = time.monotonic() + 30
    while "untrusted content of type pickle" not in log.read_text(errors="replace") and time.monotonic() < end:
        time.sleep(0.2)
    assert "untrusted content of type pickle" in log.read_text(errors="replace")
    assert res.state == "PENDING"                   # refused and dropped: never run, no result


def test_workers_lists_the_live_workers_per_zone(zones_lab):
    import subprocess
    import sys

    from tests.support.zones import ROOT, secaudit_env

    redis = zones_lab["redis"]
    done = subprocess.run([sys.executable, "-m", "secaudit", "workers", "--broker", redis.bare_url, "--json"],
                          capture_output=True, text=True, timeout=60, env=secaudit_env(redis), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"a": [A1], "b": [B1]}
    text = subprocess.run([sys.executable, "-m", "secaudit", "workers", "--broker", redis.bare_url, "--lang", "vi"],
                          capture_output=True, text=True, timeout=60, env=secaudit_env(redis), cwd=ROOT)
    assert "vùng a: 1 worker: zone-a-1@tests" in text.stdout


def test_a_zone_without_a_live_worker_fails_fast(zones_lab, tmp_path: Path):
    lab = zones_lab
    inv = write_inventory(tmp_path / "inv.yaml", [("sa", "a", [lab["farm"]["a-modern"].address]),
                                                   ("sc", "c", ["127.7.3.1:443"]), ("sd", None, ["127.7.3.2:443"])])
    run = run_scan(inv, tmp_path / "scan", lab["redis"], timeout_s=60)
    assert run.rc == 2, run.stderr
    assert "no live worker for zone(s) c, default" in run.stderr
    assert lab["redis"].password not in run.stderr
    assert run.wall_s < 30
    assert run.journal() == []


def test_the_broker_must_have_a_password(zones_lab, tmp_path: Path):
    import os
    import subprocess

    from tests.support.zones import ROOT, scan_argv

    lab = zones_lab
    argv, _, _ = scan_argv(lab["inventory"], tmp_path, "--executor", "celery", "--broker", lab["redis"].bare_url)
    env = {k: v for k, v in os.environ.items() if k != "SECAUDIT_BROKER_PASSWORD"}
    env["PYTHONPATH"] = str(ROOT)
    none = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert none.returncode == 2 and "has no password" in none.stderr, none.stderr
    env["SECAUDIT_BROKER_PASSWORD"] = "not-the-password"
    wrong = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert wrong.returncode == 2 and "cannot reach the broker" in wrong.stderr, wrong.stderr
    assert "not-the-password" not in wrong.stderr
