"""One pipeline per endpoint: a silent or stalling endpoint costs its own budget, never a neighbour's time.

Given a well-behaved lab server scanned in one call beside a silent port and a drip-feeding one, then
the good server's observation arrives while the others are still being waited for, and each of the
others ends within its own quick check and budget, with its own reason.
"""

from __future__ import annotations

import time

import pytest

from secaudit.model import ObservationStatus
from secaudit.probes.tls import TlsTarget, params_for_needs, scan
from tests.support import hostile

pytestmark = pytest.mark.integration


def test_a_silent_neighbour_does_not_hold_back_an_answering_endpoint(lab):
    with hostile.serve(hostile.silent, host="127.2.0.21") as silent, \
            hostile.serve(hostile.drip, host="127.2.0.22") as drip:
        targets = [TlsTarget("127.0.0.1", lab.ports["modern"], sni="localhost", probe_id="good"),
                   TlsTarget(silent.host, silent.port, probe_id="silent"),
                   TlsTarget(drip.host, drip.port, probe_id="drip")]
        t0 = time.monotonic()
        arrived = {}
        for obs in scan(targets, params_for_needs({"tls:protocols", "tls:ciphers", "tls:certificate"}),
                        ca_file=lab.ca_file, timeout_s=4, quick_check_timeout_s=3, network_timeout_s=2):
            arrived[obs.probe_id] = (time.monotonic() - t0, obs)
    good_at, good = arrived["good"]
    assert good.status == ObservationStatus.OK, good.error
    # batch-synchronous stages made every endpoint wait for the slowest quick check (3 s) first
    assert good_at < 2.5, good_at
    silent_at, silent_obs = arrived["silent"]
    assert silent_obs.status == ObservationStatus.ERROR and "did not answer a TLS ClientHello" in silent_obs.error
    drip_at, drip_obs = arrived["drip"]
    assert drip_obs.status == ObservationStatus.ERROR and drip_obs.error   # a ClientHello answered one byte a second
    assert good_at < silent_at and good_at < drip_at
    assert drip_at < 3 + 2 + 4 + 2                      # its quick check, then its own budget, plus slack
