"""Session fixtures: the TLS lab (real servers on loopback) and its scans, made once per session."""

from __future__ import annotations

import pytest

from secaudit.model import Observation
from secaudit.probes.tls import TlsTarget, params_for_needs, scan
from tests.support.lab import Lab, tls_lab

FULL_NEEDS = {"tls:protocols", "tls:ciphers", "tls:certificate", "tls:ocsp", "tls:hsts", "tls:vulnerabilities",
              "tls:groups"}


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory):
    with tls_lab(tmp_path_factory.mktemp("tls-lab")) as the_lab:
        yield the_lab


def targets(lab: Lab) -> list[TlsTarget]:
    return [TlsTarget("127.0.0.1", port, sni="localhost", starttls=lab.starttls.get(name), probe_id=name)
            for name, port in lab.ports.items()]


@pytest.fixture(scope="session")
def full_scan(lab: Lab) -> dict[str, Observation]:
    """Every lab endpoint scanned once with every TLS measurement, in one batch."""
    obs = scan(targets(lab), params_for_needs(FULL_NEEDS), ca_file=lab.ca_file, timeout_s=60, batch_size=30,
               quick_check_timeout_s=2)
    return {o.probe_id: o for o in obs}


@pytest.fixture(scope="session")
def protocols_scan(lab: Lab) -> dict[str, Observation]:
    obs = scan(targets(lab), params_for_needs({"tls:protocols"}), timeout_s=30, batch_size=30, quick_check_timeout_s=2)
    return {o.probe_id: o for o in obs}
