"""The plain-HTTP probe against real loopback servers: redirects are recorded, never followed; failures are errors."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.lab.servers import closed_port
from secaudit.model import Endpoint, ObservationStatus, Purpose, Service, System, Verdict
from secaudit.probes import http as hp
from secaudit.probes.ports import ScopeError
from tests.integration import ports_servers as srv

pytestmark = pytest.mark.integration
H = "127.0.0.1"


def judge(endpoint, obs, params=None):
    system = System(id="s", name="S", purpose=Purpose.INTERNAL, endpoints=(endpoint,))
    ctx = CheckContext(system=system, target=endpoint.address, endpoint=endpoint, observations={"http": obs},
                       now=dt.datetime.now(dt.timezone.utc))
    return REGISTRY["http.redirects_to_https"].func(params or {}, ctx)


def probe_one(port, **kw):
    ep = Endpoint(H, port, Service.HTTP)
    [obs] = hp.run_probes([hp.probe_for(ep)], scope=[H], **kw)
    return ep, obs


@pytest.mark.parametrize("status,location,verdict,key", [
    (308, "https://127.0.0.1/", Verdict.PASS, "http.redirect.pass"),
    (302, "/login", Verdict.FAIL, "http.redirect.not_https"),          # relative: stays on http://
    (301, "http://127.0.0.1/secure", Verdict.FAIL, "http.redirect.not_https"),
    (301, "https://portal.example.org/", Verdict.FAIL, "http.redirect.other_host"),
    (200, None, Verdict.FAIL, "http.redirect.none"),
])
def test_given_a_real_server_when_probed_then_the_redirect_is_judged(status, location, verdict, key):
    with srv.http_server(H, status, location) as port:
        ep, obs = probe_one(port)
    assert obs.status is ObservationStatus.OK, obs.error
    assert obs.facts.status == status and obs.facts.location == location
    out = judge(ep, obs)
    assert (out.verdict, out.message.key) == (verdict, key)


def test_closed_port_is_an_error_observation_and_an_error_verdict():
    with closed_port(H) as port:
        ep, obs = probe_one(port)
    assert obs.status is ObservationStatus.ERROR and "refused" in obs.error.lower()
    assert judge(ep, obs).verdict is Verdict.ERROR


def test_silent_server_is_bounded_by_the_timeout():
    with socket.socket() as s:
        s.bind((H, 0))
        s.listen(4)  # accepts (kernel backlog) and never answers
        t0 = time.monotonic()
        ep, obs = probe_one(s.getsockname()[1], timeout_s=1.0)
        elapsed = time.monotonic() - t0
    assert obs.status is ObservationStatus.ERROR and elapsed < 3


def test_out_of_scope_or_invalid_host_is_refused_before_any_request():
    with pytest.raises(ScopeError):
        hp.run_probes([hp.probe_for(Endpoint("127.0.0.3", 80, Service.HTTP))], scope=[H])
    with pytest.raises(ValueError):
        hp.probe_for(Endpoint("-oN /tmp/x", 80, Service.HTTP))


def test_server_dripping_headers_cannot_stretch_the_deadline():
    import socketserver

    class Drip(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(10)
            try:
                self.request.recv(1024)
                self.request.sendall(b"HTTP/1.1 301 Moved\r\n")
                for _ in range(40):  # one header byte every 0.2 s: each read is fast, the whole is slow
                    self.request.sendall(b"X")
                    time.sleep(0.2)
            except OSError:
                pass

    server = srv._QuietServer((H, 0), Drip)
    with srv._serving(server) as port:
        t0 = time.monotonic()
        _, obs = probe_one(port, timeout_s=1.0)
        elapsed = time.monotonic() - t0
    assert obs.status is ObservationStatus.ERROR and elapsed < 2.5
