"""STARTTLS beyond SMTP: IMAP, POP3, FTP and PostgreSQL upgrades scanned through sslyze's
opportunistic TLS, against minimal real servers on loopback."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, ObservationStatus, Purpose, Service, Starttls, System, Verdict
from secaudit.probes.tls import TlsTarget, params_for_needs, scan
from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import starttls_server

pytestmark = pytest.mark.integration
PROTOCOLS = ("imap", "pop3", "ftp", "postgres")


@pytest.fixture(scope="module")
def starttls_scan(tmp_path_factory):
    d = tmp_path_factory.mktemp("starttls")
    pki = TestPKI()
    ca = pki.write_ca_file(d / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(), d, "mail")
    with contextlib.ExitStack() as stack:
        ports = {p: stack.enter_context(starttls_server(p, crt, key)) for p in PROTOCOLS}
        targets = [TlsTarget("127.0.0.1", port, sni="localhost", starttls=p, probe_id=p) for p, port in ports.items()]
        obs = list(scan(targets, params_for_needs({"tls:protocols", "tls:certificate"}), ca_file=ca, timeout_s=60))
    return {o.probe_id: o for o in obs}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_starttls_endpoint_is_scanned_and_judged(starttls_scan, protocol):
    obs = starttls_scan[protocol]
    assert obs.status == ObservationStatus.OK, obs.error
    assert obs.facts.starttls == protocol
    assert obs.facts.protocols.accepted() == ("TLSv1.2", "TLSv1.3")
    ep = Endpoint("127.0.0.1", 1, Service(protocol), Starttls(protocol), "localhost", tls=True)
    ctx = CheckContext(System("s", "S", Purpose.INTERNAL, endpoints=(ep,)), ep.address, ep, {"tls": obs},
                       dt.datetime.now(dt.timezone.utc))
    for check in ("tls.protocols.forbidden", "cert.trusted", "cert.hostname", "cert.expiry"):
        assert REGISTRY[check].func({}, ctx).verdict == Verdict.PASS, check
    assert REGISTRY["http.hsts"].func({}, ctx).verdict == Verdict.NOT_APPLICABLE
