"""Supported key-exchange groups by elimination: (accepted + 1) handshakes instead of one per group.

sslyze's ``elliptic_curves`` command offers each of the 30 groups its modern OpenSSL knows alone, one
connection each, at the server's highest version with only (EC)DHE suites. Here one ClientHello,
configured the same way, offers every group not yet known to be accepted; the server's choice
(read from the ephemeral key of the handshake) is accepted and left out of the next offer, and a
refusal ends the list: what was still offered is rejected. A handshake that times out twice makes
the measurement an error; one that fails in a way sslyze treats as "this group is not accepted"
when offered alone (some servers answer a group they do not support with an unexpected message)
sends what is left through sslyze's own one-group-per-connection test.
"""

from __future__ import annotations

import threading
from typing import Any

from secaudit.observations.tls import GroupsFacts, Measure
from secaudit.probes.tls.reach import readable

_MAX_STEPS = 64          # more than every group the client knows: a bound, never reached


def supported_groups(info: Any, stop: threading.Event | None = None) -> GroupsFacts:
    """The groups the server of sslyze ``info`` (a ServerConnectivityInfo) accepts; never raises."""
    try:
        return _groups(info, stop or threading.Event())
    except Exception as e:  # noqa: BLE001 - a bug or a network failure: the groups are unknown
        return GroupsFacts(status=Measure.ERROR, error=readable(e))


def _groups(info: Any, stop: threading.Event) -> GroupsFacts:
    # start-up: nassl loaded only when needed
    from nassl.ephemeral_key_info import OpenSslEcNidEnum

    if not info.tls_probing_result.supports_ecdh_key_exchange:
        return GroupsFacts(status=Measure.MEASURED, supports_ecdh=False)
    remaining = list(OpenSslEcNidEnum.get_supported_by_ssl_client())
    accepted: list[Any] = []
    for _ in range(_MAX_STEPS):
        if not remaining:
            break
        if stop.is_set():
            return GroupsFacts(status=Measure.ERROR, error="stopped (the endpoint's budget is spent)")
        kind, nid = _offer(info, remaining)
        if kind == "accepted":
            accepted.append(nid)
            remaining.remove(nid)
        elif kind == "refused":
            break
        elif kind == "one_by_one":
            accepted += _one_by_one(info, remaining)
            remaining = [n for n in remaining if n not in accepted]
            break
        else:
            return GroupsFacts(status=Measure.ERROR, error=f"supported groups: {nid}")
    return GroupsFacts(status=Measure.MEASURED, supports_ecdh=True,
                       supported=tuple(sorted(_name(n) for n in accepted)),
                       rejected=tuple(sorted(_name(n) for n in remaining)))


def _offer(info: Any, groups: list[Any]) -> tuple[str, Any]:
    """One ClientHello offering ``groups``: ("accepted", nid) | ("refused", None) | ("one_by_one", None)
    | ("error", reason). A timeout is tried once more."""
    # start-up: nassl, sslyze loaded only when needed
    from nassl._nassl import OpenSSLError
    from nassl.ephemeral_key_info import EcDhEphemeralKeyInfo
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze.errors import ServerRejectedTlsHandshake, TlsHandshakeTimedOut
    from sslyze.server_connectivity import enable_ecdh_cipher_suites

    version = info.tls_probing_result.highest_tls_version_supported
    for _attempt in range(2):
        conn = info.get_preconfigured_tls_connection(override_tls_version=version, should_use_legacy_openssl=False)
        enable_ecdh_cipher_suites(version, conn.ssl_client)
        conn.ssl_client.set_groups(groups)
        try:
            try:
                conn.connect()
            except ClientCertificateRequested:
                pass
            key = conn.ssl_client.get_ephemeral_key()
        except ServerRejectedTlsHandshake:
            return "refused", None
        except TlsHandshakeTimedOut:
            continue
        except OpenSSLError:
            return "one_by_one", None     # the errors sslyze reads as "not accepted" for one group alone
        except Exception as e:  # noqa: BLE001
            return "error", readable(e)
        finally:
            conn.close()
        chosen = next((g for g in groups if isinstance(key, EcDhEphemeralKeyInfo) and g == key.curve), None)
        return ("accepted", chosen) if chosen is not None else ("one_by_one", None)
    return "error", "handshake timed out twice"


def _one_by_one(info: Any, groups: list[Any]) -> list[Any]:
    """sslyze's own test, one group per connection (it raises on errors it does not expect)."""
    # start-up: sslyze loaded only when needed
    from sslyze.plugins.elliptic_curves_plugin import _test_curve

    return [nid for nid in groups if _test_curve(info, nid).was_accepted_by_server]


def _name(nid: Any) -> str:
    # start-up: nassl loaded only when needed
    from nassl.ephemeral_key_info import _OPENSSL_NID_TO_SECG_ANSI_X9_62

    return _OPENSSL_NID_TO_SECG_ANSI_X9_62.get(nid, f"unknown-curve-with-openssl-id-{nid.value}")
