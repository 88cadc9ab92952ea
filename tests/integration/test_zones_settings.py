"""Zone workers observe with the run's settings, or refuse saying why (issue 25 item 3).

A worker started without the coordinator's --ca-file judged six certificate verdicts differently, without
a word. Given a real redis-server, one real `secaudit worker` started WITHOUT --ca-file and real nginx sites
whose certificates only the organisation's CA vouches for, when a scan with --ca-file goes through the
worker, then its findings equal a local scan's (the bundle travels with each batch); and when the run's
bundle is too large to travel and the worker holds no copy of it, then every probe is refused with a
reason naming the CA bundle: an error, never a different verdict.
"""

from __future__ import annotations

import pytest

from secaudit.execute.wire import MAX_CA_PEM
from secaudit.lab.pki import TestPKI, days
from secaudit.lab.servers import NginxFarm, Site
from tests.support.zones import redis_server, run_scan, workers, write_inventory

pytestmark = pytest.mark.integration

W = "zone-a-noca@settings"
HOSTS = ("127.25.1.1", "127.25.1.2")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("zones-settings")
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    big = work / "big-ca.pem"                       # the same CA, padded past what a batch may carry
    big.write_text(ca.read_text() + "".join(f"# padding line {i:06d} of an organisation's bundle\n"
                                            for i in range(MAX_CA_PEM // 40)))
    crt, key = pki.write_leaf(pki.leaf(names=HOSTS), work, "leaf")
    old_crt, old_key = pki.write_leaf(pki.leaf(names=HOSTS, not_before=days(-100), not_after=days(-10)), work, "old")
    sites = [Site("good", crt, key, host=HOSTS[0], server_name=HOSTS[0], hsts="max-age=63072000"),
             Site("expired", old_crt, old_key, host=HOSTS[1], server_name=HOSTS[1], hsts="max-age=63072000")]
    (work / "nginx").mkdir()
    with redis_server(work / "redis") as redis, NginxFarm(sites, work / "nginx") as farm, \
            workers(redis, [(W, "a", ["127.25.1.0/24"])], work):          # no --ca-file
        inv = write_inventory(work / "inventory.yaml", [("sa", "a", [farm["good"].address, farm["expired"].address])])
        yield {"work": work, "ca": ca, "big": big, "redis": redis, "inventory": inv}


def test_a_worker_without_the_ca_file_judges_as_a_local_scan(lab):
    ca = ["--ca-file", str(lab["ca"])]
    dist = run_scan(lab["inventory"], lab["work"] / "celery", lab["redis"], *ca)
    local = run_scan(lab["inventory"], lab["work"] / "local", None, *ca)
    assert dist.rc == local.rc == 1, (dist.stderr, local.stderr)
    assert dist.findings() == local.findings()
    trust = {(f[1], f[2]): f[3] for f in dist.findings() if f[0] == "CERT-TRUST-01"}
    assert "pass" in trust.values(), trust                       # the organisation's CA was used on the worker
    assert {o["worker"] for o in dist.journal()} == {W}


def test_a_bundle_too_large_to_travel_is_refused_with_its_reason(lab):
    run = run_scan(lab["inventory"], lab["work"] / "big", lab["redis"], "--ca-file", str(lab["big"]))
    assert run.rc == 3, run.stderr                                # controls left without a verdict, said so
    journal = run.journal()
    assert journal and all(o["status"] == "error" and o["worker"] == W for o in journal), journal
    assert all("CA bundle" in o["error"] and "too large to travel" in o["error"] for o in journal)
    assert not any(f[3] in ("pass", "fail") for f in run.findings() if f[0].startswith("CERT-"))
