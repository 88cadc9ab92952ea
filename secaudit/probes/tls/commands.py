"""sslyze's scan commands for one endpoint, with a deadline and a way to stop.

sslyze's ``Scanner`` runs whole batches (``queue_scans`` may be called once per scanner), yields
nothing before every connectivity test of its batch is done, and cannot be told to stop; one
``Scanner`` per endpoint leaks memory (sslyze issue 603). So each endpoint runs its commands
the way the Scanner's workers do, through sslyze's plugin API: a command's implementation
splits it into scan jobs (one per cipher suite for an enumeration), a few daemon threads run
the jobs (``per_server_connections``, sslyze's default 5), and the implementation turns the
completed jobs into the command's result. Errors are classified as sslyze classifies them.
At the deadline the workers stop taking jobs and the caller gets ``None``.
"""

from __future__ import annotations

import ipaddress
import queue
import threading
import time
import traceback
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from secaudit.observations.tls import ProtocolsFacts
from secaudit.probes.tls.params import CIPHER_COMMANDS, TlsProbeParams, TlsTarget
from secaudit.probes.tls.sweep import Connected

DEFAULT_CONNECTIONS = 5          # sslyze's per_server_concurrent_connections_limit default
_TRUST_STORES = threading.Lock()


def build_request(t: TlsTarget, params: TlsProbeParams, ca_file: Path | None, network_timeout_s: int,
                  network_max_retries: int) -> Any:
    """A sslyze ServerScanRequest for the endpoint; resolves a host name (which may raise)."""
    # start-up: sslyze loaded only when needed
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
    location = ServerNetworkLocation(hostname=t.host, port=t.port, ip_address=ip)
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


def without_refused(req: Any, protocols: ProtocolsFacts | None, eliminated: tuple[str, ...] = ()) -> Any:
    """Enumerate suites only for the versions the sweep did not find refused (a version refused with
    every suite offered has no suite to list), and not for the versions listed by elimination."""
    refused = {CIPHER_COMMANDS[r.protocol] for r in (protocols.results if protocols else ()) if r.accepted is False}
    refused |= {CIPHER_COMMANDS[p] for p in eliminated}
    if not refused:
        return req
    return replace(req, scan_commands={c for c in req.scan_commands if c.value not in refused})


def only_commands(req: Any, commands: set[Any]) -> Any:
    """The request with only ``commands`` (and no extra argument of a command left out)."""
    # start-up: sslyze loaded only when needed
    from sslyze import ScanCommandsExtraArguments

    extra = req.scan_commands_extra_arguments
    kept = {f: getattr(extra, f) for f in ("certificate_info",) if getattr(extra, f, None) is not None
            and any(c.value == f for c in commands)}
    return replace(req, scan_commands=set(commands), scan_commands_extra_arguments=ScanCommandsExtraArguments(**kept))


def run_commands(req: Any, connected: Connected, deadline: float, connections: int | None = None,
                 stop: threading.Event | None = None) -> Connected | None:
    """Run the request's scan commands; ``connected`` with its ``scan_result`` set, or None at the deadline."""
    # start-up: sslyze loaded only when needed
    from sslyze.server_connectivity import ServerConnectivityInfo

    info = ServerConnectivityInfo(req.server_location, req.network_configuration, connected.connectivity_result)
    jobs, attempts = _jobs(req, info)
    done = _run_jobs(jobs, deadline, connections or DEFAULT_CONNECTIONS, stop or threading.Event())
    if done is None:
        return None
    attempts.update(_results(req, info, done))
    return replace(connected, scan_result=_all_attempts(attempts))


def _jobs(req: Any, info: Any) -> tuple[list[tuple[Any, Any]], dict[Any, Any]]:
    """(command, job) pairs, and the attempts of commands whose jobs could not even be made."""
    # start-up: sslyze loaded only when needed
    from sslyze import ScanCommandErrorReasonEnum as R
    from sslyze.plugins.plugin_base import ScanCommandWrongUsageError
    from sslyze.plugins.scan_commands import ScanCommandsRepository

    jobs: list[tuple[Any, Any]] = []
    failed: dict[Any, Any] = {}
    for cmd in req.scan_commands:
        impl = ScanCommandsRepository.get_implementation_cls(cmd)
        extra = getattr(req.scan_commands_extra_arguments, cmd.value, None)
        try:
            jobs.extend((cmd, job) for job in impl.scan_jobs_for_scan_command(server_info=info, extra_arguments=extra))
        except ScanCommandWrongUsageError as e:
            failed[cmd] = _error_attempt(cmd, R.WRONG_USAGE, e)
        except Exception as e:  # noqa: BLE001 - as sslyze: a bug in the plugin, reported on the command
            failed[cmd] = _error_attempt(cmd, R.BUG_IN_SSLYZE, e)
    return jobs, failed


def _run_jobs(jobs: list[tuple[Any, Any]], deadline: float, connections: int,
              stop: threading.Event) -> list[tuple[Any, Any, BaseException | None]] | None:
    todo: queue.Queue[tuple[Any, Any]] = queue.Queue()
    for item in jobs:
        todo.put(item)
    done: queue.Queue[tuple[Any, Any, BaseException | None]] = queue.Queue()

    def worker() -> None:
        while not stop.is_set():
            try:
                cmd, job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((cmd, job.function_to_call(*job.function_arguments), None))
            except Exception as e:  # noqa: BLE001 - the job's failure is the command's result
                done.put((cmd, None, e))

    for _ in range(min(connections, len(jobs))):
        threading.Thread(target=worker, name="secaudit-tls-job", daemon=True).start()
    results = []
    while len(results) < len(jobs):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or stop.is_set():
            stop.set()
            return None
        try:
            results.append(done.get(timeout=min(remaining, 0.5)))
        except queue.Empty:
            continue
    return results


def _results(req: Any, info: Any, done: list[tuple[Any, Any, BaseException | None]]) -> dict[Any, Any]:
    # start-up: nassl, sslyze loaded only when needed
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze import ScanCommandAttemptStatusEnum as S, ScanCommandErrorReasonEnum as R
    from sslyze.errors import ConnectionToServerTimedOut, ServerRejectedTlsHandshake, TlsHandshakeTimedOut
    from sslyze.plugins.plugin_base import ScanJobResult
    from sslyze.plugins.scan_commands import ScanCommandsRepository
    from sslyze.scanner.models import get_scan_command_attempt_cls

    by_cmd: dict[Any, list[Any]] = {}
    for cmd, value, exc in done:
        by_cmd.setdefault(cmd, []).append(ScanJobResult(_return_value=value, _exception=exc))
    if any(cmd.value == "certificate_info" for cmd in by_cmd):
        _load_trust_stores()
    attempts = {}
    for cmd, results in by_cmd.items():
        impl = ScanCommandsRepository.get_implementation_cls(cmd)
        try:
            result = impl.result_for_completed_scan_jobs(server_info=info, scan_job_results=results)
            attempts[cmd] = get_scan_command_attempt_cls(cmd)(status=S.COMPLETED, error_reason=None,
                                                              error_trace=None, result=result)
        except ClientCertificateRequested as e:
            attempts[cmd] = _error_attempt(cmd, R.CLIENT_CERTIFICATE_NEEDED, e)
        except (ConnectionToServerTimedOut, TlsHandshakeTimedOut, ServerRejectedTlsHandshake) as e:
            attempts[cmd] = _error_attempt(cmd, R.CONNECTIVITY_ISSUE, e)
        except Exception as e:  # noqa: BLE001
            attempts[cmd] = _error_attempt(cmd, R.BUG_IN_SSLYZE, e)
    return attempts


def _load_trust_stores() -> None:
    """Parse sslyze's bundled trust stores once. Its lazy singleton has no lock: endpoints finishing
    together would each parse all five stores (sslyze's Scanner builds results in one thread)."""
    # start-up: sslyze loaded only when needed
    from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository

    with _TRUST_STORES:
        TrustStoresRepository.get_default()


def _error_attempt(cmd: Any, reason: Any, e: BaseException) -> Any:
    # start-up: sslyze loaded only when needed
    from sslyze import ScanCommandAttemptStatusEnum as S
    from sslyze.scanner.models import get_scan_command_attempt_cls

    return get_scan_command_attempt_cls(cmd)(status=S.ERROR, error_reason=reason,
                                             error_trace=traceback.TracebackException.from_exception(e), result=None)


def _all_attempts(attempts: dict[Any, Any]) -> Any:
    """sslyze's AllScanCommandsAttempts: every command, the ones not run as NOT_SCHEDULED."""
    # start-up: sslyze loaded only when needed
    from sslyze import AllScanCommandsAttempts, ScanCommand, ScanCommandAttemptStatusEnum as S
    from sslyze.scanner.models import get_scan_command_attempt_cls

    values = {}
    for f in fields(AllScanCommandsAttempts):
        cmd = ScanCommand(f.name)
        values[f.name] = attempts.get(cmd) or get_scan_command_attempt_cls(cmd)(
            status=S.NOT_SCHEDULED, error_reason=None, error_trace=None, result=None)
    return AllScanCommandsAttempts(**values)
