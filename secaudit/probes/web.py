"""Web probes over HTTPS (standard library): the headers of ``GET /`` and ``/.well-known/security.txt``.

Both families contact only declared endpoints (hosts from the inventory's scope, checked with
``targets.py``), never follow a redirect, and bound each exchange by one deadline. A fetch that
gets no usable answer (refused, TLS failure, timeout) makes an ERROR observation for headers; for
security.txt the failure is recorded in the facts, so the check can tell "no answer" (error) from
"not found" (fail). A certificate the run does not trust is not such a failure: the answer is
taken anyway and the facts say why the certificate was not trusted (``certificate_error``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Callable, Collection, Iterator, Mapping, Sequence

from secaudit.model import Control, Endpoint, Message, Observation, ObservationStatus, Probe, Service, System
from secaudit.observations.web import Fetched, SecurityTxtFacts, WebHeaders
from secaudit.probes import _https
from secaudit.probes.http import check_scope
from secaudit.probes.interface import BaseFamily, RunnerContext, Target

SECURITY_TXT = "/.well-known/security.txt"
MAX_SECTXT = 32768


def _fetch(host: str, port: int, path: str, server_name: str | None, tls: bool, ca_file: str | None,
           timeout_s: float, max_body: int) -> Fetched:
    url = _https.url_for("https" if tls else "http", server_name or host, port, path)
    untrusted = None
    try:
        if tls:
            r, untrusted = _https.get_noting_trust(host, port, path, server_name=server_name, ca_file=ca_file,
                                                   timeout_s=timeout_s, max_body=max_body)
        else:
            r = _https.get(host, port, path, server_name=server_name, tls=False, timeout_s=timeout_s,
                           max_body=max_body)
    except _https.FetchError as e:
        return Fetched(url, error=f"{e.kind}: {e.detail}"[:400])
    return Fetched(r.url, r.status, (r.header("Content-Type") or "")[:200], r.body.decode("utf-8", "replace"),
                   r.truncated, certificate_error=untrusted)


def headers_of(p: Probe, ca_file: str | None, timeout_s: float) -> WebHeaders:
    """Raises FetchError when there is no usable answer (a certificate the run does not trust is noted, not one)."""
    r, untrusted = _https.get_noting_trust(p.params["host"], p.params["port"], p.params.get("path", "/"),
                                           server_name=p.params.get("server_name"), ca_file=ca_file,
                                           timeout_s=timeout_s, max_body=0)
    return WebHeaders(r.url, r.status, tuple((k, v[:2000]) for k, v in r.headers), certificate_error=untrusted)


def security_txt_of(p: Probe, ca_file: str | None, timeout_s: float) -> SecurityTxtFacts:
    prm = p.params
    https = _fetch(prm["host"], prm["port"], SECURITY_TXT, prm.get("server_name"), True, ca_file, timeout_s,
                   MAX_SECTXT)
    plain = None
    if prm.get("plain_port") and (https.error is not None or https.status != 200):
        plain = _fetch(prm["host"], prm["plain_port"], SECURITY_TXT, prm.get("server_name"), False, None,
                       timeout_s, MAX_SECTXT)
    return SecurityTxtFacts(https, plain)


def _observe(p: Probe, kind: str, measure: Callable[[], object]) -> Observation:
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    try:
        facts = measure()
    except _https.FetchError as e:
        why = Message("web.probe.request_failed", {"error": str(e)[:480]})
        return Observation(p.id, kind, p.target, ObservationStatus.ERROR, None, why.render("en"), started,
                           round(time.monotonic() - t0, 3), reason=why)
    return Observation(p.id, kind, p.target, ObservationStatus.OK, facts, None, started,
                       round(time.monotonic() - t0, 3))


def run_headers(probes: Sequence[Probe], scope: Collection[str], ca_file: str | None,
                timeout_s: float) -> Iterator[Observation]:
    check_scope(probes, scope)
    for p in probes:
        yield _observe(p, "web", lambda p=p: headers_of(p, ca_file, timeout_s))


def run_security_txt(probes: Sequence[Probe], scope: Collection[str], ca_file: str | None,
                     timeout_s: float) -> Iterator[Observation]:
    check_scope(probes, scope)
    for p in probes:
        yield _observe(p, "sectxt", lambda p=p: security_txt_of(p, ca_file, timeout_s))


# ----------------------------------------------------------------------------- the plug-ins


class _Runner:
    batch_size = 1
    parallel = 1

    def __init__(self, kind: str, run, scope: Sequence[str], ca_file: str | None):
        self.kind = kind
        self._run = run
        self.scope = list(scope)
        self.ca_file = ca_file

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        yield from self._run(probes, self.scope, self.ca_file, min(timeout_s, 15.0))


def _endpoint_params(targets: Sequence[Target]) -> dict[str, Any]:
    ep = next(t.endpoint for t in targets if t.endpoint is not None)
    return {"host": ep.host, "port": ep.port, "server_name": ep.sni or ep.host}


class WebFamily(BaseFamily):
    """The response headers of ``GET /`` on each HTTPS endpoint."""

    kind = "web"
    provides = frozenset({"web"})
    facts_type = WebHeaders

    def applies(self, endpoint: Endpoint) -> bool:
        return endpoint.service is Service.HTTPS

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        return {**_endpoint_params(targets), "path": "/"}

    def runner(self, ctx: RunnerContext) -> _Runner:
        return _Runner(self.kind, run_headers, ctx.scope, ctx.ca_file)


class SecurityTxtFamily(BaseFamily):
    """``/.well-known/security.txt`` on each HTTPS endpoint; over a plain-HTTP endpoint of the same host too,
    when HTTPS has none, to tell "missing" from "served over plain HTTP only"."""

    kind = "sectxt"
    provides = frozenset({"sectxt"})
    facts_type = SecurityTxtFacts

    def applies(self, endpoint: Endpoint) -> bool:
        return endpoint.service is Service.HTTPS

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        params = _endpoint_params(targets)
        plain = sorted({e.port for s in systems for e in s.endpoints
                        if e.host == params["host"] and e.service is Service.HTTP and not e.tls})
        return {**params, "plain_port": plain[0] if plain else None}

    def runner(self, ctx: RunnerContext) -> _Runner:
        return _Runner(self.kind, run_security_txt, ctx.scope, ctx.ca_file)
