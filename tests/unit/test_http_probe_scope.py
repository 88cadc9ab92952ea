"""The plain-HTTP probe refuses a bad or out-of-scope host with the project's own error, never a crash."""

import pytest

from secaudit.model import Probe
from secaudit.probes.http import run_probes
from secaudit.probes.ports import ScopeError


@pytest.mark.parametrize("host", ["-oN /tmp/x", "127.0.0.1;id", "$(reboot)"])
def test_invalid_host_is_a_scope_error(host):
    with pytest.raises(ScopeError):
        run_probes([Probe("http|x", "http", "x", {"host": host, "port": 80})], ["127.0.0.1"])


def test_host_outside_the_inventory_is_refused_before_any_request():
    with pytest.raises(ScopeError):
        run_probes([Probe("http|x", "http", "127.0.0.9:80", {"host": "127.0.0.9", "port": 80})], ["127.0.0.1"])
