"""Protocol versions by the sweep: one handshake per version instead of a cipher enumeration.

In sslyze, protocol support is the by-product of the per-version cipher-suite commands, which
try every suite sslyze knows one connection at a time (7 for SSLv2, 121 each for SSLv3/TLS 1.0/
TLS 1.1, 158 for TLS 1.2, 5 for TLS 1.3). The sweep does what sslyze's own connectivity test
does for the highest version: one handshake per version offering every suite the client can
offer (sslyze's "modern" OpenSSL first, then its legacy OpenSSL 1.0.2 build for suites only
that one has). A server that accepts a version accepts at least one suite, which such a
ClientHello offers, so the answer is the enumeration's, for 6–8 handshakes instead of ~530.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import Any

from secaudit.observations.tls import PROTOCOLS, Measure, ProtocolResult, ProtocolsFacts
from secaudit.probes.tls.reach import readable


@dataclass(frozen=True)
class Connected:
    """An endpoint after sslyze's connectivity test; stands in for sslyze's ServerScanResult."""

    uuid: Any
    server_location: Any
    network_configuration: Any
    connectivity_result: Any
    scan_result: Any = None
    connectivity_error_trace: Any = None
    scan_status: Any = "COMPLETED"


def connect(req: Any) -> Connected:
    """sslyze's connectivity test (it also finds the highest version); a failure is kept, not raised."""
    # start-up: sslyze loaded only when needed
    from sslyze.server_connectivity import check_connectivity_to_server

    try:
        probing = check_connectivity_to_server(req.server_location, req.network_configuration)
    except Exception as e:  # noqa: BLE001 - the endpoint is unreachable or does not speak TLS
        return Connected(req.uuid, req.server_location, req.network_configuration, None,
                         connectivity_error_trace=traceback.TracebackException.from_exception(e),
                         scan_status="ERROR_NO_CONNECTIVITY")
    return Connected(req.uuid, req.server_location, req.network_configuration, probing)


def sweep(connected: Connected) -> ProtocolsFacts:
    """One handshake per version below the highest; never raises (a failure is a measurement error)."""
    try:
        return _protocol_sweep(connected)
    except Exception as e:  # noqa: BLE001
        return ProtocolsFacts(status=Measure.ERROR, error=readable(e), method="handshake_per_version")


def _protocol_sweep(result: Any) -> ProtocolsFacts:
    # start-up: nassl, sslyze loaded only when needed
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
                    accepted, error = None, readable(e)
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
