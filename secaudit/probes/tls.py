"""sslyze 6 adapter: scan TLS endpoints and turn the results into :class:`TlsFacts` observations.

Only this module imports sslyze; nothing sslyze-typed leaves it.

* :func:`params_for_needs` (pure) maps the measurements checks need ("tls:protocols",
  "tls:ciphers", "tls:certificate", ...) to the sslyze scan commands to run.
* :func:`scan` feeds endpoints to sslyze ``Scanner`` objects in bounded batches (one
  ``Scanner`` per batch, as ``queue_scans`` may be called once per scanner), streams one
  :class:`~secaudit.model.Observation` per endpoint as results arrive, and enforces a
  per-probe deadline of its own: an endpoint without a result by then becomes an ERROR
  observation with a readable reason (sslyze alone can spend ~55 s on a port that accepts
  and never speaks).

Protocol versions: the sweep. In sslyze, protocol support is the by-product of the
per-version cipher-suite commands, which try every suite sslyze knows one connection at a
time (7 for SSLv2, 121 each for SSLv3/TLS 1.0/TLS 1.1, 158 for TLS 1.2, 5 for TLS 1.3).
This adapter first does what sslyze's own connectivity test does for the highest version:
one handshake per version offering every suite the client can offer (sslyze's "modern"
OpenSSL first, then its legacy OpenSSL 1.0.2 build for suites only that one has). A server
that accepts a version accepts at least one suite, which such a ClientHello offers, so the
answer is the enumeration's, for 6–8 handshakes instead of ~530.
* protocols needed, ciphers not: the sweep is the whole measurement (no sslyze command runs);
* ciphers needed: the sweep runs first and sslyze enumerates suites only for the versions it
  did not find refused (a version refused with every suite offered has no suite to list),
  which removes ~370 handshakes per modern server (SSLv2, SSLv3, TLS 1.0, TLS 1.1).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import queue
import re
import threading
import time
import traceback
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from secaudit.model import Observation, ObservationStatus
from secaudit.observations.tls import (
    PROTOCOLS,
    AcceptedSuite,
    CertDeployment,
    CertificateFacts,
    CertInfo,
    Flag,
    GroupsFacts,
    HstsFacts,
    Measure,
    ProtocolResult,
    ProtocolsFacts,
    TlsFacts,
    TrustResult,
    VulnerabilityFacts,
)

# --------------------------------------------------------------------------- needs -> scan commands (pure)

# sslyze ScanCommand values, by protocol name
_CIPHER_COMMANDS: dict[str, str] = {
    "SSLv2": "ssl_2_0_cipher_suites",
    "SSLv3": "ssl_3_0_cipher_suites",
    "TLSv1.0": "tls_1_0_cipher_suites",
    "TLSv1.1": "tls_1_1_cipher_suites",
    "TLSv1.2": "tls_1_2_cipher_suites",
    "TLSv1.3": "tls_1_3_cipher_suites",
}
_VULN_COMMANDS: dict[str, str] = {
    "heartbleed": "heartbleed",
    "robot": "robot",
    "ccs_injection": "openssl_ccs_injection",
    "insecure_renegotiation": "session_renegotiation",
    "client_renegotiation_dos": "session_renegotiation",
    "compression": "tls_compression",
    "no_fallback_scsv": "tls_fallback_scsv",
    "no_extended_master_secret": "tls_extended_master_secret",
}
_NEED_COMMANDS: dict[str, frozenset[str]] = {
    "tls:ciphers": frozenset(_CIPHER_COMMANDS.values()),
    "tls:certificate": frozenset({"certificate_info"}),
    "tls:ocsp": frozenset({"certificate_info"}),
    "tls:hsts": frozenset({"http_headers"}),
    "tls:vulnerabilities": frozenset(_VULN_COMMANDS.values()),
    "tls:groups": frozenset({"elliptic_curves"}),
}
KNOWN_NEEDS: frozenset[str] = frozenset(_NEED_COMMANDS) | {"tls:protocols"}


@dataclass(frozen=True)
class TlsProbeParams:
    """What to measure on a TLS endpoint: sslyze scan commands plus the cheap protocol sweep."""

    scan_commands: frozenset[str] = frozenset()    # sslyze ScanCommand values
    protocol_sweep: bool = False                   # one handshake per version (before any cipher enumeration)

    def to_dict(self) -> dict[str, Any]:
        return {"scan_commands": sorted(self.scan_commands), "protocol_sweep": self.protocol_sweep}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TlsProbeParams":
        return cls(frozenset(d.get("scan_commands", ())), bool(d.get("protocol_sweep", False)))


def params_for_needs(needs: Iterable[str]) -> TlsProbeParams:
    """The scan to run for a set of needs. Unknown ``tls:`` needs raise ValueError; other families are ignored."""
    wanted = {n for n in needs if n.startswith("tls:")}
    unknown = wanted - KNOWN_NEEDS
    if unknown:
        raise ValueError(f"unknown TLS measurements: {sorted(unknown)}")
    commands: set[str] = set()
    for n in wanted:
        commands |= _NEED_COMMANDS.get(n, frozenset())
    # The sweep answers "tls:protocols" alone, and before a cipher enumeration it tells which
    # versions are worth enumerating.
    sweep = "tls:protocols" in wanted or "tls:ciphers" in wanted
    return TlsProbeParams(frozenset(commands), sweep)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class TlsTarget:
    host: str
    port: int
    sni: str | None = None
    starttls: str | None = None                    # secaudit.model.Starttls value
    probe_id: str = ""

    @property
    def address(self) -> str:
        from secaudit.model import format_hostport

        return format_hostport(self.host, self.port)


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _error_obs(t: TlsTarget, reason: str, started: str, t0: float) -> Observation:
    return Observation(probe_id=t.probe_id or f"tls:{t.address}", kind="tls", target=t.address,
                       status=ObservationStatus.ERROR, facts=None, error=reason, started_at=started,
                       duration_s=round(time.monotonic() - t0, 3))


# --------------------------------------------------------------------------- scanning


def scan(
    targets: Sequence[TlsTarget],
    params: TlsProbeParams,
    *,
    timeout_s: float = 60.0,
    ca_file: Path | None = None,
    batch_size: int = 50,
    concurrency: int = 10,
    network_timeout_s: int = 5,
    network_max_retries: int = 2,
    quick_check_timeout_s: float | None = None,
    per_server_connections: int | None = None,
) -> Iterator[Observation]:
    """Scan ``targets``; yield one Observation per target (order of completion), never raise for a target.

    ``batch_size`` endpoints go to one sslyze Scanner, which scans ``concurrency`` of them at a
    time (sslyze's default; more is slower on 2 cores, design §6). ``timeout_s`` is the budget of
    one endpoint: a batch gets ``timeout_s`` per wave of ``concurrency`` endpoints for all its
    stages, and whatever has no result when the budget is spent becomes an ERROR observation.
    ``network_timeout_s``/``network_max_retries`` go to sslyze; the first "does it speak?"
    check waits ``quick_check_timeout_s`` (default: the network timeout).
    ``per_server_connections`` caps sslyze's simultaneous connections to one server (its
    default is 5); 1 is gentle enough for servers that handle one connection at a time.
    """
    if ca_file is not None and not Path(ca_file).is_file():
        raise FileNotFoundError(str(ca_file))
    # sslyze's bundled trust stores hold a root with a negative serial number; cryptography warns on
    # every load. It says nothing about the scanned server, so it must not reach users' terminals.
    warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive", module=r"sslyze\.")
    for i in range(0, len(targets), max(1, batch_size)):
        yield from _scan_batch(list(targets[i:i + batch_size]), params, timeout_s=timeout_s, ca_file=ca_file,
                               concurrency=max(1, concurrency), network_timeout_s=network_timeout_s,
                               network_max_retries=network_max_retries,
                               quick_check_timeout_s=quick_check_timeout_s or network_timeout_s,
                               per_server_connections=per_server_connections)


def _build_request(t: TlsTarget, params: TlsProbeParams, ca_file: Path | None, network_timeout_s: int,
                   network_max_retries: int):
    from sslyze import (
        CertificateInfoExtraArgument,
        ProtocolWithOpportunisticTlsEnum,
        ScanCommand,
        ScanCommandsExtraArguments,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
    )

    ip = None
    try:
        ip = str(ipaddress.ip_address(t.host))
    except ValueError:
        pass
    location = ServerNetworkLocation(hostname=t.host, port=t.port, ip_address=ip)  # resolves names (may raise)
    starttls = ProtocolWithOpportunisticTlsEnum[t.starttls.upper()] if t.starttls else None
    config = ServerNetworkConfiguration(
        tls_server_name_indication=t.sni or t.host,
        tls_opportunistic_encryption=starttls,
        network_timeout=network_timeout_s,
        network_max_retries=network_max_retries,
    )
    commands = {ScanCommand(c) for c in params.scan_commands}
    if starttls is not None:
        commands.discard(ScanCommand.HTTP_HEADERS)  # HTTP headers only make sense on HTTPS
    extra = ScanCommandsExtraArguments()
    if ca_file is not None and ScanCommand.CERTIFICATE_INFO in commands:
        extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca_file)))
    return ServerScanRequest(server_location=location, network_configuration=config, scan_commands=commands,
                             scan_commands_extra_arguments=extra)


def _run_daemon(fn: Any, out: queue.Queue, key: Any) -> None:
    """Run ``fn()`` in a daemon thread and put ``(key, result, exception)`` on ``out``.

    Daemon threads, not an executor: a thread stuck on a silent server is abandoned at the
    deadline and must not keep the process alive at exit (sslyze bounds it by its own timeouts).
    """
    def body() -> None:
        try:
            out.put((key, fn(), None))
        except BaseException as e:  # noqa: BLE001 - reported as the target's error
            out.put((key, None, e))

    threading.Thread(target=body, name=f"secaudit-tls-{key}", daemon=True).start()


def _collect(out: queue.Queue, keys: set[Any], deadline: float) -> Iterator[tuple[Any, Any, BaseException | None]]:
    while keys:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        try:
            key, value, exc = out.get(timeout=remaining)
        except queue.Empty:
            return
        if key in keys:
            keys.discard(key)
            yield key, value, exc


def _scan_batch(batch: list[TlsTarget], params: TlsProbeParams, *, timeout_s: float, ca_file: Path | None,
                concurrency: int, network_timeout_s: int, network_max_retries: int,
                quick_check_timeout_s: float, per_server_connections: int | None = None) -> Iterator[Observation]:
    started = _now_iso()
    t0 = time.monotonic()
    # One budget for the whole batch: timeout_s per wave of `concurrency` endpoints. It never
    # exceeds the executor's own hard deadline (the same product plus a grace period), so each
    # endpoint left over gets this module's readable reason rather than a generic one.
    budget = t0 + timeout_s * -(-len(batch) // concurrency)
    by_uuid: dict[Any, TlsTarget] = {}
    requests: dict[Any, Any] = {}
    for t in batch:
        try:
            req = _build_request(t, params, ca_file, network_timeout_s, network_max_retries)
        except Exception as e:  # unresolvable name, bad configuration: an error observation, not a crash
            yield _error_obs(t, _readable(e), started, t0)
            continue
        by_uuid[req.uuid] = t
        requests[req.uuid] = req
    if not requests:
        return

    # 1. A quick "does it speak?" check, each endpoint on its own, bounded by the network timeout:
    #    sslyze's Scanner yields nothing until every connectivity test of its batch is done, and
    #    its connectivity test alone spends ~55 s on a port that accepts and never speaks.
    out: queue.Queue = queue.Queue()
    gate = threading.BoundedSemaphore(max(concurrency, 16))

    def checked(t: TlsTarget) -> str | None:
        with gate:
            return quick_check(t, quick_check_timeout_s)

    for uuid in requests:
        _run_daemon(lambda t=by_uuid[uuid]: checked(t), out, uuid)
    reachable: set[Any] = set()
    pending = set(requests)
    for uuid, problem, exc in _collect(out, pending, min(budget, t0 + quick_check_timeout_s + 2)):
        problem = problem if exc is None else _readable(exc)
        if problem:
            yield _error_obs(by_uuid[uuid], problem, started, t0)
        else:
            reachable.add(uuid)
    for uuid in pending:
        yield _error_obs(by_uuid[uuid], f"no answer within {quick_check_timeout_s:g} s", started, t0)
    if not reachable:
        return
    # The endpoints that answered get their whole budget from here: time spent waiting for a silent
    # neighbour in the quick check must not be taken from them (one hostile endpoint would otherwise
    # turn its whole batch into errors). Callers allow for this with QUICK_CHECK_OVERHEAD_S.
    budget = max(budget, time.monotonic() + timeout_s * -(-len(reachable) // concurrency))

    # 2. The protocol sweep (one handshake per version), when protocols or ciphers are needed.
    sweeps: dict[Any, ProtocolsFacts | None] = {}
    if params.protocol_sweep:
        out = queue.Queue()
        sweep_gate = threading.BoundedSemaphore(concurrency)

        def sweep_only(r: Any) -> tuple[Any, ProtocolsFacts | None]:
            with sweep_gate:
                return _sweep_only(r, params)

        for uuid in reachable:
            _run_daemon(lambda r=requests[uuid]: sweep_only(r), out, uuid)
        pending = set(reachable)
        for uuid, value, exc in _collect(out, pending, budget):
            t = by_uuid[uuid]
            if exc is not None:
                yield _error_obs(t, f"scan failure: {_readable(exc)}", started, t0)
                reachable.discard(uuid)
                continue
            result, sweep = value
            if not params.scan_commands or result.connectivity_result is None:
                yield _to_observation(t, result, sweep, started, t0)
                reachable.discard(uuid)
            else:
                sweeps[uuid] = sweep
        for uuid in pending:
            yield _error_obs(by_uuid[uuid], f"TLS scan did not finish within its budget ({timeout_s:g} s per "
                                            f"endpoint)", started, t0)
            reachable.discard(uuid)
        if not reachable:
            return
        # Enumerate cipher suites only for the versions the sweep did not find refused: a version
        # refused with every suite offered has no suite to enumerate (saves ~120 handshakes each).
        for uuid in reachable:
            refused = {_CIPHER_COMMANDS[r.protocol] for r in (sweeps[uuid].results if sweeps[uuid] else ())
                       if r.accepted is False}
            if refused:
                req = requests[uuid]
                requests[uuid] = replace(req, scan_commands={c for c in req.scan_commands if c.value not in refused})

    # 3. The sslyze scan commands, within what is left of the budget.
    out = queue.Queue()

    def run_scanner() -> None:
        from sslyze import Scanner

        scanner = Scanner(concurrent_server_scans_limit=max(1, min(concurrency, len(reachable))),
                          per_server_concurrent_connections_limit=per_server_connections)
        scanner.queue_scans([requests[u] for u in reachable])
        for result in scanner.get_results():
            _run_daemon(lambda r=result: (r, sweeps.get(r.uuid)), out, result.uuid)

    _run_daemon(run_scanner, out, "scanner")
    pending = set(reachable) | {"scanner"}
    for uuid, value, exc in _collect(out, pending, budget):
        if uuid == "scanner":
            if exc is not None:
                for u in [u for u in pending if u != "scanner"]:
                    yield _error_obs(by_uuid[u], f"scanner failure: {_readable(exc)}", started, t0)
                    pending.discard(u)
            continue
        t = by_uuid[uuid]
        if exc is not None:
            yield _error_obs(t, f"scan failure: {_readable(exc)}", started, t0)
        else:
            result, sweep = value
            yield _to_observation(t, result, sweep, started, t0)
    for uuid in pending - {"scanner"}:
        yield _error_obs(by_uuid[uuid], f"TLS scan did not finish within its budget ({timeout_s:g} s per endpoint)",
                         started, t0)


@dataclass(frozen=True)
class _SweepOnlyResult:
    """Stands in for a sslyze ServerScanResult when no sslyze scan command is needed."""

    uuid: Any
    server_location: Any
    network_configuration: Any
    connectivity_result: Any
    scan_result: Any = None
    connectivity_error_trace: Any = None
    scan_status: Any = "COMPLETED"


def _sweep_only(req: Any, params: TlsProbeParams) -> tuple[Any, ProtocolsFacts | None]:
    from sslyze.server_connectivity import check_connectivity_to_server

    try:
        probing = check_connectivity_to_server(req.server_location, req.network_configuration)
    except Exception as e:  # noqa: BLE001 - the endpoint is unreachable or does not speak TLS
        return _SweepOnlyResult(req.uuid, req.server_location, req.network_configuration, None,
                                connectivity_error_trace=traceback.TracebackException.from_exception(e),
                                scan_status="ERROR_NO_CONNECTIVITY"), None
    result = _SweepOnlyResult(req.uuid, req.server_location, req.network_configuration, probing)
    return result, _safe_sweep(result)


def _safe_sweep(result: Any) -> ProtocolsFacts:
    try:
        return _protocol_sweep(result)
    except Exception as e:  # noqa: BLE001
        return ProtocolsFacts(status=Measure.ERROR, error=_readable(e), method="handshake_per_version")


# Protocols whose server speaks first after the TCP connection (a banner or greeting).
_SERVER_SPEAKS_FIRST = {"smtp", "imap", "pop3", "ftp"}


def quick_check_overhead_s(network_timeout_s: float = 5, quick_check_timeout_s: float | None = None) -> float:
    """The most the quick check can add before an endpoint's own budget starts (see ``_scan_batch``)."""
    return (quick_check_timeout_s or network_timeout_s) + 2


def quick_check(t: TlsTarget, timeout_s: float) -> str | None:
    """Connect and see whether the endpoint speaks at all within ``timeout_s``; return a problem or None.

    Plain TLS: send a ClientHello (Python's ssl, any version and suite) and wait for any
    answer — a handshake, an alert, even a reset is "speaking". STARTTLS protocols whose
    server greets first: wait for the greeting. Others: only the TCP connection is tested.
    """
    import socket
    import ssl

    try:
        sock = socket.create_connection((t.host, t.port), timeout=timeout_s)
    except socket.timeout:
        return f"TCP connection to {t.address} timed out after {timeout_s:g} s"
    except OSError as e:
        return f"cannot connect to {t.address}: {e.strerror or e}"
    try:
        sock.settimeout(timeout_s)
        if t.starttls:
            if t.starttls in _SERVER_SPEAKS_FIRST:
                try:
                    if not sock.recv(1):
                        return f"{t.address} closed the connection without a {t.starttls.upper()} greeting"
                except socket.timeout:
                    return (f"{t.address} accepted the connection but sent no {t.starttls.upper()} greeting "
                            f"within {timeout_s:g} s")
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            pass
        try:
            with ctx.wrap_socket(sock, server_hostname=t.sni or t.host, do_handshake_on_connect=False) as tls:
                tls.do_handshake()
        except socket.timeout:
            return (f"{t.address} accepts TCP connections but did not answer a TLS ClientHello within "
                    f"{timeout_s:g} s (not a TLS port?)")
        except (ssl.SSLError, OSError):
            return None  # it answered (an alert, a reset, an unexpected protocol): let sslyze tell what it is
        return None
    finally:
        sock.close()


def _readable(e: BaseException) -> str:
    msg = getattr(e, "error_message", None) or str(e) or type(e).__name__
    return f"{type(e).__name__}: {msg}" if not msg.startswith(type(e).__name__) else msg


# --------------------------------------------------------------------------- protocol sweep


def _protocol_sweep(result: Any) -> ProtocolsFacts:
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze import TlsVersionEnum
    from sslyze.errors import ServerRejectedTlsHandshake, ServerTlsConfigurationNotSupported, TlsHandshakeTimedOut
    from sslyze.server_connectivity import ServerConnectivityInfo

    info = ServerConnectivityInfo(result.server_location, result.network_configuration, result.connectivity_result)
    highest = result.connectivity_result.highest_tls_version_supported
    results = []
    for name, version in zip(PROTOCOLS, TlsVersionEnum):
        if version == highest:
            results.append(ProtocolResult(name, True))
            continue
        if version.value > highest.value:
            # the connectivity test tried this version with every suite and was refused
            results.append(ProtocolResult(name, False))
            continue
        if version == TlsVersionEnum.TLS_1_3:
            variants = [(False, None)]
        elif version == TlsVersionEnum.TLS_1_2:
            variants = [(False, "ALL:COMPLEMENTOFALL"), (True, "ALL:COMPLEMENTOFALL")]
        elif version == TlsVersionEnum.SSL_2_0:
            variants = [(True, "SSLv2:ALL:COMPLEMENTOFALL")]
        else:
            variants = [(True, "ALL:COMPLEMENTOFALL")]
        accepted: bool | None = False
        error = None
        for legacy, cipher_list in variants:
            for attempt in range(2):
                conn = info.get_preconfigured_tls_connection(override_tls_version=version,
                                                             should_use_legacy_openssl=legacy)
                if cipher_list:
                    conn.ssl_client.set_cipher_list(cipher_list)
                try:
                    conn.connect()
                    accepted = True
                except (ServerTlsConfigurationNotSupported, ClientCertificateRequested):
                    accepted = True  # the server negotiated this version
                except ServerRejectedTlsHandshake:
                    accepted = False
                except TlsHandshakeTimedOut:
                    # A slow or loaded server is not a refusal: counting it as one could pass a forbidden
                    # version silently. Try once more, then say the version could not be tested.
                    accepted, error = None, f"{name} handshake timed out twice"
                    continue
                except Exception as e:  # noqa: BLE001 - a network failure: this version is unknown
                    accepted, error = None, _readable(e)
                finally:
                    conn.close()
                break
            if accepted or accepted is None:
                break
        if accepted is not None:
            error = None
        results.append(ProtocolResult(name, accepted, error))
    failed = [r.protocol for r in results if r.accepted is None]
    return ProtocolsFacts(
        status=Measure.ERROR if failed else Measure.MEASURED,
        error=f"could not test {', '.join(failed)}" if failed else None,
        method="handshake_per_version", results=tuple(results))


# --------------------------------------------------------------------------- sslyze result -> facts


_PROTOCOL_BY_VERSION = {1: "SSLv2", 2: "SSLv3", 3: "TLSv1.0", 4: "TLSv1.1", 5: "TLSv1.2", 6: "TLSv1.3"}


def _to_observation(t: TlsTarget, result: Any, sweep: ProtocolsFacts | None, started: str, t0: float) -> Observation:
    if str(getattr(result.scan_status, "value", result.scan_status)) != "COMPLETED" \
            or result.connectivity_result is None:
        reason = "could not connect"
        trace = result.connectivity_error_trace
        if trace is not None:
            # "sslyze.errors.ServerRejectedConnection: ..." -> "ServerRejectedConnection: ..."
            reason = re.sub(r"^[\w.]+\.(\w+):", r"\1:", "".join(trace.format_exception_only()).strip())
        return _error_obs(t, f"TLS connection failed: {reason}", started, t0)
    try:
        facts = _facts(t, result, sweep)
    except Exception as e:  # noqa: BLE001 - a bug in normalisation must not lose the endpoint
        return _error_obs(t, f"could not read the scan result: {_readable(e)}", started, t0)
    return Observation(probe_id=t.probe_id or f"tls:{t.address}", kind="tls", target=t.address,
                       status=ObservationStatus.OK, facts=facts, started_at=started,
                       duration_s=round(time.monotonic() - t0, 3))


def _attempt(scan_result: Any, command: str) -> tuple[Measure, Any, str | None]:
    from sslyze import ScanCommandAttemptStatusEnum as S

    if scan_result is None:
        return Measure.NOT_REQUESTED, None, None
    attempt = getattr(scan_result, command)
    if attempt.status == S.NOT_SCHEDULED:
        return Measure.NOT_REQUESTED, None, None
    if attempt.status == S.ERROR:
        reason = attempt.error_reason.value if attempt.error_reason else "error"
        if attempt.error_trace is not None:
            text = "".join(attempt.error_trace.format_exception_only()).strip()
            reason += ": " + re.sub(r"^[\w.]+\.(\w+):", r"\1:", text)[:300]
        return Measure.ERROR, None, reason
    return Measure.MEASURED, attempt.result, None


def _facts(t: TlsTarget, result: Any, sweep: ProtocolsFacts | None) -> TlsFacts:
    sr = result.scan_result
    conn = result.connectivity_result
    enumerated = _protocols_from_ciphers(sr)
    if enumerated.status == Measure.NOT_REQUESTED:
        protocols = sweep if sweep is not None else enumerated
    elif sweep is not None:
        protocols = _merge_protocols(sweep, enumerated)
    else:
        protocols = enumerated
    return TlsFacts(
        host=t.host, port=t.port, ip_address=result.server_location.ip_address or "",
        sni=result.network_configuration.tls_server_name_indication, starttls=t.starttls,
        highest_protocol=_PROTOCOL_BY_VERSION.get(conn.highest_tls_version_supported.value),
        protocols=protocols,
        certificate=_certificate(sr),
        hsts=_hsts(sr),
        vulnerabilities=_vulnerabilities(sr),
        groups=_groups(sr),
    )


def _protocols_from_ciphers(sr: Any) -> ProtocolsFacts:
    results = []
    requested = False
    for name, command in _CIPHER_COMMANDS.items():
        status, res, err = _attempt(sr, command)
        if status == Measure.NOT_REQUESTED:
            continue
        requested = True
        if status == Measure.ERROR:
            results.append(ProtocolResult(name, None, err))
            continue
        suites = tuple(_accepted_suite(a, name) for a in res.accepted_cipher_suites)
        # sslyze counts a timed-out handshake as a rejected suite; on a slow or loaded server that could
        # hide an accepted weak suite. Keep what was seen, but never let a check pass on a short list.
        timed_out = [r.cipher_suite.name for r in res.rejected_cipher_suites
                     if "timed out" in (getattr(r, "error_message", "") or "").lower()]
        note = (f"{len(timed_out)} suite handshake(s) timed out, e.g. {timed_out[0]}: "
                "cannot tell whether they are accepted") if timed_out else None
        if timed_out and not suites:
            results.append(ProtocolResult(name, None, note))
            continue
        results.append(ProtocolResult(name, bool(suites), note, suites, suites_enumerated=True))
    if not requested:
        return ProtocolsFacts()
    failed = [r.protocol for r in results if r.accepted is None]
    return ProtocolsFacts(status=Measure.ERROR if failed else Measure.MEASURED,
                          error=f"could not test {', '.join(failed)}" if failed else None,
                          method="cipher_enumeration", results=tuple(results))


def _merge_protocols(sweep: ProtocolsFacts, enumerated: ProtocolsFacts) -> ProtocolsFacts:
    """Sweep + enumeration of the versions the sweep did not find refused."""
    by_version = {r.protocol: r for r in enumerated.results}
    results = []
    for s in sweep.results:
        e = by_version.get(s.protocol)
        if e is None:   # not enumerated: refused by the sweep with every suite offered, so no suite to list
            results.append(ProtocolResult(s.protocol, s.accepted, s.error, (), s.accepted is False))
            continue
        if e.accepted is None:
            accepted = True if s.accepted else None
        else:
            accepted = bool(e.accepted or s.accepted)
        if accepted and e.suites_enumerated and not e.suites:
            # the version handshakes, yet no suite sslyze knows is accepted: do not let checks pass on nothing
            results.append(ProtocolResult(s.protocol, True, "accepted, but no suite known to sslyze was accepted "
                                          "one at a time", (), False))
            continue
        results.append(ProtocolResult(s.protocol, accepted, e.error if (accepted is None or e.error) else None,
                                      e.suites, e.suites_enumerated))
    failed = [r.protocol for r in results if r.accepted is None]
    return ProtocolsFacts(status=Measure.ERROR if failed else Measure.MEASURED,
                          error=f"could not test {', '.join(failed)}" if failed else None,
                          method="handshake_per_version+cipher_enumeration", results=tuple(results))


def _accepted_suite(a: Any, protocol: str) -> AcceptedSuite:
    key = a.ephemeral_key
    kind = size = None
    if key is not None:
        curve = getattr(key, "curve_name", None)
        kind = f"ECDH {curve}" if curve else getattr(key, "type_name", "DH")
        size = key.size
    return AcceptedSuite.build(a.cipher_suite.name, a.cipher_suite.openssl_name, protocol, kind, size)


def _cert_info(cert: Any) -> CertInfo:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(i) for i in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        pass
    except Exception:  # noqa: BLE001 - malformed SAN: keep going without it
        pass
    is_ca = False
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except Exception:  # noqa: BLE001
        pass
    pk = cert.public_key()
    curve = None
    if isinstance(pk, rsa.RSAPublicKey):
        ktype, ksize = "RSA", pk.key_size
    elif isinstance(pk, ec.EllipticCurvePublicKey):
        ktype, ksize, curve = "EC", pk.curve.key_size, pk.curve.name
    elif isinstance(pk, dsa.DSAPublicKey):
        ktype, ksize = "DSA", pk.key_size
    elif isinstance(pk, ed25519.Ed25519PublicKey):
        ktype, ksize = "Ed25519", 256
    elif isinstance(pk, ed448.Ed448PublicKey):
        ktype, ksize = "Ed448", 456
    else:
        ktype, ksize = type(pk).__name__, 0
    try:
        sig_hash = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except Exception:  # noqa: BLE001 - unsupported algorithm
        sig_hash = None
    sig_name = getattr(cert.signature_algorithm_oid, "_name", None) or cert.signature_algorithm_oid.dotted_string
    return CertInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"), sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=cert.not_valid_after_utc.isoformat(),
        dns_names=dns, ip_addresses=ips, key_type=ktype, key_size=ksize, key_curve=curve,
        signature_algorithm=sig_name, signature_hash=sig_hash, self_signed=cert.issuer == cert.subject,
        is_ca=is_ca, ocsp_urls=_ocsp_urls(cert), crl_urls=_crl_urls(cert),
    )


def _ocsp_urls(cert: Any) -> tuple[str, ...] | None:
    """The OCSP responder URLs of the Authority Information Access extension; () when none, None if unreadable."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    except Exception:  # noqa: BLE001 - malformed extension: unknown, never "no responder"
        return None
    return tuple(str(d.access_location.value) for d in aia
                 if d.access_method == AuthorityInformationAccessOID.OCSP
                 and isinstance(d.access_location, x509.UniformResourceIdentifier))


def _crl_urls(cert: Any) -> tuple[str, ...] | None:
    """The CRL distribution point URLs; () when none, None if unreadable."""
    from cryptography import x509

    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return ()
    except Exception:  # noqa: BLE001
        return None
    return tuple(str(n.value) for p in points for n in (p.full_name or ())
                 if isinstance(n, x509.UniformResourceIdentifier))


def hostname_matches(hostname: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """RFC 6125 matching of a name (or IP literal) against a certificate's SANs; one left-most wildcard label."""
    try:
        ip = ipaddress.ip_address(hostname.strip("[]"))
        return any(ipaddress.ip_address(a) == ip for a in ip_addresses)
    except ValueError:
        pass
    host = hostname.rstrip(".").lower()
    for pattern in dns_names:
        p = pattern.rstrip(".").lower()
        if p == host:
            return True
        if p.startswith("*.") and "*" not in p[2:]:
            head, _, rest = host.partition(".")
            if head and rest == p[2:] and rest.count(".") >= 1:
                return True
    return False


def _subject_for(leaf: CertInfo):
    from cryptography.x509 import DNSName, IPAddress

    if leaf.dns_names:
        name = leaf.dns_names[0]
        return DNSName("x" + name[1:] if name.startswith("*.") else name)
    if leaf.ip_addresses:
        return IPAddress(ipaddress.ip_address(leaf.ip_addresses[0]))
    return None


def _deployment(dep: Any, hostname: str) -> CertDeployment:
    chain = tuple(_cert_info(c) for c in dep.received_certificate_chain)
    pem = dep.received_certificate_chain_as_pem
    leaf = chain[0]
    subject = _subject_for(leaf)
    trust = []
    for pv in dep.path_validation_results:
        ignoring = True if pv.was_validation_successful else None
        if not pv.was_validation_successful and subject is not None:
            try:
                ignoring = pv.trust_store.verify_certificate_chain(pem, subject).was_validation_successful
            except Exception:  # noqa: BLE001
                ignoring = None
        trust.append(TrustResult(store=pv.trust_store.name, store_version=str(pv.trust_store.version),
                                 trusted=pv.was_validation_successful, error=pv.validation_error,
                                 chain_trusted_ignoring_hostname=ignoring))
    verified = dep.verified_certificate_chain
    complete = True if any(t.chain_trusted_ignoring_hostname for t in trust) else None
    if complete is None and chain[-1].self_signed:
        complete = True  # nothing to add: the chain ends in a self-signed certificate (trusted or not)
    ocsp = dep.ocsp_response
    return CertDeployment(
        chain=chain, trust=tuple(trust), hostname=hostname,
        hostname_matches=hostname_matches(hostname, leaf.dns_names, leaf.ip_addresses),
        chain_order_valid=dep.received_chain_has_valid_order, chain_complete=complete,
        contains_anchor=dep.received_chain_contains_anchor_certificate,
        verified_chain=tuple(c.subject.rfc4514_string() for c in verified) if verified else (),
        ocsp_stapled=ocsp is not None,
        ocsp_status=ocsp.response_status.name if ocsp is not None else None,
        ocsp_trusted=dep.ocsp_response_is_trusted,
        must_staple=dep.leaf_certificate_has_must_staple_extension,
    )


def _certificate(sr: Any) -> CertificateFacts:
    status, res, err = _attempt(sr, "certificate_info")
    if status != Measure.MEASURED:
        return CertificateFacts(status=status, error=err)
    host = res.hostname_used_for_server_name_indication
    deps = tuple(_deployment(d, host) for d in res.certificate_deployments)
    if not deps:
        return CertificateFacts(status=Measure.ERROR, error="the server sent no certificate", sni=host)
    return CertificateFacts(status=Measure.MEASURED, sni=host, deployments=deps)


def _hsts(sr: Any) -> HstsFacts:
    status, res, err = _attempt(sr, "http_headers")
    if status != Measure.MEASURED:
        return HstsFacts(status=status, error=err)
    if res.http_error_trace is not None:
        reason = "".join(res.http_error_trace.format_exception_only()).strip()[:300]
        return HstsFacts(status=Measure.ERROR, error=f"HTTP request failed: {reason}")
    h = res.strict_transport_security_header
    if h is None:
        return HstsFacts(status=Measure.MEASURED, present=False, redirected_to=res.http_path_redirected_to)
    return HstsFacts(status=Measure.MEASURED, present=True, max_age=h.max_age, include_subdomains=h.include_subdomains,
                     preload=h.preload, redirected_to=res.http_path_redirected_to)


def _flag(sr: Any, command: str, read) -> Flag:
    status, res, err = _attempt(sr, command)
    if status != Measure.MEASURED:
        return Flag(status=status, error=err)
    value, detail = read(res)
    return Flag(status=Measure.MEASURED, value=value, detail=detail)


def _vulnerabilities(sr: Any) -> VulnerabilityFacts:
    from sslyze import RobotScanResultEnum as R

    def robot(r: Any) -> tuple[bool | None, str]:
        v = r.robot_result
        if v == R.UNKNOWN_INCONSISTENT_RESULTS:
            return None, v.value
        return v in (R.VULNERABLE_STRONG_ORACLE, R.VULNERABLE_WEAK_ORACLE), v.value

    robot_flag = _flag(sr, "robot", robot)
    if robot_flag.status == Measure.MEASURED and robot_flag.value is None:
        robot_flag = replace(robot_flag, status=Measure.ERROR, error="ROBOT test gave inconsistent results")
    return VulnerabilityFacts(
        heartbleed=_flag(sr, "heartbleed", lambda r: (r.is_vulnerable_to_heartbleed, None)),
        robot=robot_flag,
        ccs_injection=_flag(sr, "openssl_ccs_injection", lambda r: (r.is_vulnerable_to_ccs_injection, None)),
        insecure_renegotiation=_flag(sr, "session_renegotiation", lambda r: (not r.supports_secure_renegotiation, None)),
        client_renegotiation_dos=_flag(sr, "session_renegotiation",
                                       lambda r: (r.is_vulnerable_to_client_renegotiation_dos,
                                                  f"{r.client_renegotiations_success_count} renegotiations accepted")),
        compression=_flag(sr, "tls_compression", lambda r: (r.supports_compression, None)),
        no_fallback_scsv=_flag(sr, "tls_fallback_scsv", lambda r: (not r.supports_fallback_scsv, None)),
        no_extended_master_secret=_flag(sr, "tls_extended_master_secret", lambda r: (not r.supports_ems_extension, None)),
    )


def _groups(sr: Any) -> GroupsFacts:
    status, res, err = _attempt(sr, "elliptic_curves")
    if status != Measure.MEASURED:
        return GroupsFacts(status=status, error=err)
    return GroupsFacts(status=Measure.MEASURED, supports_ecdh=res.supports_ecdh_key_exchange,
                       supported=tuple(c.name for c in res.supported_curves or ()),
                       rejected=tuple(c.name for c in res.rejected_curves or ()))
