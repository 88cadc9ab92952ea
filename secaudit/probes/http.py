"""Plain-HTTP probe (standard library): does ``GET /`` over HTTP redirect to HTTPS?

Redirects are never followed; the whole exchange is bounded by one deadline (connect, send,
status line and headers); the body is never read. Server-supplied strings (reason phrase,
Location) are kept verbatim as data.
"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import threading
import time
from typing import Any, Collection, Iterator, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from secaudit.model import Control, Endpoint, Message, Observation, ObservationStatus, Probe, Service, System
from secaudit.observations.http import HttpRedirect
from secaudit.probes.interface import BaseFamily, ProbeRunner, RunnerContext, Target
from secaudit.probes.ports import ScopeError
from secaudit.targets import format_url_host, reason, validate_host, validate_port

KIND = "http"
USER_AGENT = "secaudit"


def probe_for(endpoint: Endpoint) -> Probe:
    """The ``http`` probe of one plain-HTTP endpoint (pure). ``Host`` is the SNI name when declared."""
    host = validate_host(endpoint.host)
    port = validate_port(endpoint.port)
    return Probe(id=f"http:{host}:{port}", kind=KIND, target=endpoint.address,
                 params={"host": host, "port": port, "host_header": endpoint.sni or host})


def _shutdown(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def fetch(host: str, port: int, host_header: str | None = None, timeout_s: float = 5.0) -> HttpRedirect:
    """One ``GET /`` over plain HTTP, redirects not followed. Raises OSError/HTTPException on failure."""
    host = validate_host(host)
    port = validate_port(port)
    header_host = validate_host(host_header) if host_header else host
    netloc = format_url_host(header_host) + ("" if port == 80 else f":{port}")
    url = f"http://{netloc}/"
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    # Per-recv timeouts alone let a server that drips one byte at a time stretch the exchange: a timer
    # shuts the socket down at the deadline, which wakes any blocked read (then HTTPException/OSError).
    expired = threading.Event()
    timer = threading.Timer(timeout_s, _shutdown, args=(conn, expired))
    timer.daemon = True
    timer.start()
    try:
        conn.putrequest("GET", "/", skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", netloc)
        conn.putheader("User-Agent", USER_AGENT)
        conn.putheader("Connection", "close")
        conn.endheaders()
        resp = conn.getresponse()
        location = resp.getheader("Location")
        status, reason = resp.status, resp.reason or ""
    finally:
        timer.cancel()
        conn.close()
    if expired.is_set():  # whatever was read before the shutdown is a truncated answer, not a result
        raise TimeoutError(f"no complete answer within {timeout_s:g} s")
    scheme = loc_host = ""
    if location is not None:
        target = urlsplit(urljoin(url, location.strip()))
        scheme = target.scheme.lower()
        loc_host = (target.hostname or "").lower().rstrip(".")
    return HttpRedirect(url=url, status=status, reason=reason, location=location, location_scheme=scheme,
                        location_host=loc_host, same_host=bool(loc_host) and loc_host == header_host)


def check_scope(probes: Sequence[Probe], scope: Collection[str]) -> None:
    """Every probe's ``host``/``port`` params are valid and the host is one of the inventory's scope; raises
    ScopeError otherwise, before anything runs (the guard of every family that fetches over HTTP)."""
    allowed = set()
    for h in scope:
        try:
            allowed.add(validate_host(h))
        except ValueError:
            continue
    for p in probes:
        try:
            host = validate_host(p.params["host"])
            validate_port(p.params["port"])
        except ValueError as e:
            raise ScopeError("ports.scope.invalid_host", host=repr(p.params.get("host")), reason=reason(e)) from None
        if host not in allowed:
            raise ScopeError("ports.scope.not_in_inventory", host=host)


def run_probes(probes: Sequence[Probe], scope: Collection[str], *, timeout_s: float = 5.0) -> list[Observation]:
    """Run ``http`` probes one after another; a failure is an ERROR observation. Out-of-scope hosts are refused."""
    check_scope(probes, scope)
    out = []
    for p in probes:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        t0 = time.monotonic()
        try:
            facts = fetch(p.params["host"], p.params["port"], p.params.get("host_header"), timeout_s)
        except (OSError, socket.timeout, http.client.HTTPException, ValueError) as e:
            why = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            out.append(Observation.failed(p, Message("http.probe.request_failed", {"error": why}), started,
                                          round(time.monotonic() - t0, 3)))
            continue
        out.append(Observation(p.id, KIND, p.target, ObservationStatus.OK, facts, None, started,
                               round(time.monotonic() - t0, 3)))
    return out


class HttpRunner:
    kind = KIND
    batch_size = 1
    parallel = 1

    def __init__(self, scope: Sequence[str]):
        self.scope = list(scope)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        yield from run_probes(probes, self.scope, timeout_s=min(timeout_s, 10.0))


class HttpFamily(BaseFamily):
    """Plain HTTP (standard library): one ``GET /`` per plain-HTTP endpoint, redirects not followed."""

    kind = KIND
    provides = frozenset({KIND})
    facts_type = HttpRedirect

    def applies(self, endpoint: Endpoint) -> bool:
        return endpoint.service is Service.HTTP

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        ep = next(t.endpoint for t in targets if t.endpoint is not None)
        return {"host": ep.host, "port": ep.port, "host_header": ep.sni or ep.host}

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return HttpRunner(ctx.scope)
