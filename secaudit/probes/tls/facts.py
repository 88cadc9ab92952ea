"""sslyze's results -> :class:`~secaudit.observations.tls.TlsFacts` (nothing sslyze-typed leaves here).

Protocols merge the sweep with the cipher enumeration of the versions it did not find refused;
a suite handshake that timed out is unknown, never a refusal.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from secaudit.model import Message, Observation, ObservationStatus
from secaudit.observations.tls import (
    PROTOCOLS,
    AcceptedSuite,
    Flag,
    GroupsFacts,
    HstsFacts,
    Measure,
    ProtocolResult,
    ProtocolsFacts,
    TlsFacts,
    VulnerabilityFacts,
)
from secaudit.probes.tls.certfacts import certificate_facts
from secaudit.probes.tls.params import CIPHER_COMMANDS, TlsTarget
from secaudit.probes.tls.reach import readable


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def error_observation(t: TlsTarget, reason: str | Message, started: str, t0: float) -> Observation:
    """An ERROR observation; a catalog ``Message`` reason is shown in the reader's language (a library's
    own text, a plain string, verbatim)."""
    message = reason if isinstance(reason, Message) else None
    return Observation(probe_id=t.probe_id or f"tls:{t.address}", kind="tls", target=t.address,
                       status=ObservationStatus.ERROR, facts=None,
                       error=message.render("en") if message else str(reason), started_at=started,
                       duration_s=round(time.monotonic() - t0, 3), reason=message)


_PROTOCOL_BY_VERSION = {1: "SSLv2", 2: "SSLv3", 3: "TLSv1.0", 4: "TLSv1.1", 5: "TLSv1.2", 6: "TLSv1.3"}


@dataclass(frozen=True)
class OwnMeasurements:
    """What the adapter measured itself instead of through an sslyze command (see :mod:`.eliminate`)."""

    suites: Mapping[str, ProtocolResult] = field(default_factory=dict)   # by version, listed by elimination
    robot_ruled_out: bool = False           # no RSA key exchange at any version: ROBOT not run
    groups: GroupsFacts | None = None       # supported groups by elimination (None: not measured here)


def to_observation(t: TlsTarget, result: Any, sweep: ProtocolsFacts | None, started: str, t0: float,
                   own: OwnMeasurements | None = None) -> Observation:
    if str(getattr(result.scan_status, "value", result.scan_status)) != "COMPLETED" \
            or result.connectivity_result is None:
        reason = "could not connect"
        trace = result.connectivity_error_trace
        if trace is not None:
            # "sslyze.errors.ServerRejectedConnection: ..." -> "ServerRejectedConnection: ..."
            reason = re.sub(r"^[\w.]+\.(\w+):", r"\1:", "".join(trace.format_exception_only()).strip())
        return error_observation(t, Message("tls.probe.connection_failed", {"reason": reason}), started, t0)
    try:
        facts = _facts(t, result, sweep, own or OwnMeasurements())
    except Exception as e:  # noqa: BLE001 - a bug in normalisation must not lose the endpoint
        return error_observation(t, Message("tls.probe.unreadable_result", {"error": readable(e)}), started, t0)
    return Observation(probe_id=t.probe_id or f"tls:{t.address}", kind="tls", target=t.address,
                       status=ObservationStatus.OK, facts=facts, started_at=started,
                       duration_s=round(time.monotonic() - t0, 3))


def _attempt(scan_result: Any, command: str) -> tuple[Measure, Any, str | None]:
    # start-up: sslyze loaded only when needed
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


def _facts(t: TlsTarget, result: Any, sweep: ProtocolsFacts | None, own: OwnMeasurements) -> TlsFacts:
    sr = result.scan_result
    conn = result.connectivity_result
    enumerated = _with_eliminated(_protocols_from_ciphers(sr), own.suites)
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
        certificate=certificate_facts(*_attempt(sr, "certificate_info")),
        hsts=_hsts(sr),
        vulnerabilities=_vulnerabilities(sr, own.robot_ruled_out),
        groups=own.groups if own.groups is not None else _groups(sr),
    )


def _protocols_from_ciphers(sr: Any) -> ProtocolsFacts:
    results = []
    requested = False
    for name, command in CIPHER_COMMANDS.items():
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


def _with_eliminated(enumerated: ProtocolsFacts, eliminated: Mapping[str, ProtocolResult]) -> ProtocolsFacts:
    """sslyze's per-suite enumeration (SSLv2) and the versions listed by elimination, in version order."""
    if not eliminated:
        return enumerated
    by_version = {r.protocol: r for r in enumerated.results} | dict(eliminated)
    results = tuple(by_version[p] for p in PROTOCOLS if p in by_version)
    failed = [r.protocol for r in results if r.accepted is None]
    return ProtocolsFacts(status=Measure.ERROR if failed else Measure.MEASURED,
                          error=f"could not test {', '.join(failed)}" if failed else None,
                          method="elimination", results=results)


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
                                          "when offered", (), False))
            continue
        results.append(ProtocolResult(s.protocol, accepted, e.error if (accepted is None or e.error) else None,
                                      e.suites, e.suites_enumerated, e.refused_offer))
    failed = [r.protocol for r in results if r.accepted is None]
    return ProtocolsFacts(status=Measure.ERROR if failed else Measure.MEASURED,
                          error=f"could not test {', '.join(failed)}" if failed else None,
                          method=f"handshake_per_version+{enumerated.method}", results=tuple(results))


def _accepted_suite(a: Any, protocol: str) -> AcceptedSuite:
    key = a.ephemeral_key
    kind = size = None
    if key is not None:
        curve = getattr(key, "curve_name", None)
        kind = f"ECDH {curve}" if curve else getattr(key, "type_name", "DH")
        size = key.size
    return AcceptedSuite.build(a.cipher_suite.name, a.cipher_suite.openssl_name, protocol, kind, size)


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


def _vulnerabilities(sr: Any, robot_ruled_out: bool = False) -> VulnerabilityFacts:
    # start-up: sslyze loaded only when needed
    from sslyze import RobotScanResultEnum as R

    def robot(r: Any) -> tuple[bool | None, str]:
        v = r.robot_result
        if v == R.UNKNOWN_INCONSISTENT_RESULTS:
            return None, v.value
        return v in (R.VULNERABLE_STRONG_ORACLE, R.VULNERABLE_WEAK_ORACLE), v.value

    robot_flag = _flag(sr, "robot", robot)
    if robot_ruled_out:     # see probes.tls.eliminate.rsa_key_exchange_ruled_out
        robot_flag = Flag(status=Measure.MEASURED, value=False, detail=R.NOT_VULNERABLE_RSA_NOT_SUPPORTED.value
                          + ": no RSA key-exchange suite accepted at any version")
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
