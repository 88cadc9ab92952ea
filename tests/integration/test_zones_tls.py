"""The broker over TLS (rediss://): Debian's redis-server on a TLS-only port, a worker and the
`workers` command verifying its certificate against the given CA, and refusing another CA."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.pki import TestPKI
from tests.support.zones import ROOT, redis_server, secaudit_env, workers

pytestmark = pytest.mark.integration


def test_rediss_broker_with_a_verified_certificate(tmp_path: Path):
    from secaudit.execute.broker import TASK_NAME, make_app, zone_queue
    from secaudit.execute.wire import batch_message
    from secaudit.model import Probe

    pki = TestPKI()
    ca = pki.write_ca_file(tmp_path / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=("127.0.0.1",)), tmp_path, "broker")
    other_ca = TestPKI().write_ca_file(tmp_path / "other-ca.pem")
    with redis_server(tmp_path / "redis", tls=(crt, key, ca)) as redis, \
            workers(redis, [("tls-a@zones", "a", ["127.7.1.0/24"])], tmp_path):
        assert redis.bare_url.startswith("rediss://")
        listed = subprocess.run([sys.executable, "-m", "secaudit", "workers", *redis.broker_args(), "--json"],
                                capture_output=True, text=True, timeout=60, env=secaudit_env(redis), cwd=ROOT)
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout) == {"a": ["tls-a@zones"]}
        wrong = subprocess.run([sys.executable, "-m", "secaudit", "workers", "--broker", redis.bare_url,
                                "--broker-ca", str(other_ca)],
                               capture_output=True, text=True, timeout=60, env=secaudit_env(redis), cwd=ROOT)
        assert wrong.returncode == 2 and "cannot reach the broker" in wrong.stderr, wrong.stderr
        app = make_app(redis.config())
        probe = Probe("tls|x", "tls", "127.7.2.1:443", {"host": "127.7.2.1", "port": 443})
        answer = app.send_task(TASK_NAME, args=[batch_message("r", "a", "tls", [probe], 5)],
                               queue=zone_queue("a")).get(timeout=60)
        assert "outside its scope" in answer["observations"][0]["error"]
