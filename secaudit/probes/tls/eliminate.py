"""Accepted cipher suites by elimination: a version's suites in (accepted + 1) handshakes, not one per suite.

sslyze enumerates a version by trying every suite it knows alone, one connection each (121 for
SSLv3–TLS 1.1, 158 for TLS 1.2). This module offers, in one ClientHello, every suite of the
version that is not yet known to be accepted. The server either picks one (that suite is accepted:
it is recorded with the ephemeral key of that very handshake, and taken off the next offer) or
refuses (none of the suites still offered is accepted). A server accepting N suites costs N + 1
handshakes; the last one is the proof that nothing else is accepted: "offered these M suites,
refused" (the count is kept as evidence). The list is the one sslyze's enumeration gives, suite for suite, because the offers
use sslyze's own suite tables and the same client (sslyze's legacy OpenSSL for every suite it
supports, its modern OpenSSL for the rest, exactly as sslyze's TLS 1.2 workaround picks).

Nothing is guessed: a handshake that times out twice, or fails in a way that names no suite,
makes the version "unknown" (never refused), and a handshake the client aborts after the server
chose its suite (DH parameters too small, a client certificate requested) still names the
suite; if it cannot, the remaining suites are tried one at a time as sslyze does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Mapping

from secaudit.observations.tls import AcceptedSuite, ProtocolResult, ProtocolsFacts
from secaudit.probes.tls.reach import readable

# versions this module enumerates (SSLv2 keeps sslyze's per-suite command: 7 suites, other framing)
ELIMINATED: tuple[str, ...] = ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_MAX_STEPS = 400        # more than every suite sslyze knows for one version: a bound, never reached


@dataclass
class _Offer:
    """One client type's share of a version's suites, and what the handshakes found out."""

    legacy: bool
    remaining: dict[str, Any]                    # openssl name -> sslyze CipherSuite, still to be offered
    accepted: list[AcceptedSuite] = field(default_factory=list)
    refused_offer: int = 0                       # how many suites the final, refused offer held
    error: str | None = None
    handshakes: int = 0


def enumerate_version(info: Any, protocol: str, stop: threading.Event | None = None,
                      connect_one: Callable[[Any, Any, Any], Any] | None = None) -> ProtocolResult:
    """The accepted suites of ``protocol`` on the endpoint of sslyze ``info`` (a ServerConnectivityInfo).

    ``accepted`` is True with the full list, False when the first offer is refused, None when it could
    not be told; ``error`` says why a list may be short (checks then never pass on it)."""
    # start-up: sslyze loaded only when needed
    from sslyze import TlsVersionEnum
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import connect_with_cipher_suite

    version = TlsVersionEnum[_VERSION_ENUM[protocol]]
    offers = [_Offer(legacy, dict(group)) for legacy, group in _groups(version) if group]
    for offer in offers:
        _eliminate(info, version, protocol, offer, connect_one or connect_with_cipher_suite, stop or threading.Event())
    accepted = [s for o in offers for s in o.accepted]
    errors = [o.error for o in offers if o.error]
    refused = sum(o.refused_offer for o in offers)
    if errors and not accepted:
        return ProtocolResult(protocol, None, "; ".join(errors))
    return ProtocolResult(protocol, bool(accepted), "; ".join(errors) or None,
                          tuple(sorted(accepted, key=lambda s: s.name, reverse=True)),
                          suites_enumerated=True, refused_offer=refused)


_VERSION_ENUM = {"SSLv3": "SSL_3_0", "TLSv1.0": "TLS_1_0", "TLSv1.1": "TLS_1_1", "TLSv1.2": "TLS_1_2",
                 "TLSv1.3": "TLS_1_3"}


def _groups(version: Any) -> list[tuple[bool, dict[str, Any]]]:
    """(legacy client?, suites by openssl name) for the version, split as sslyze splits them."""
    return _groups_cached(version.name)


@lru_cache(maxsize=None)
def _groups_cached(version_name: str) -> list[tuple[bool, dict[str, Any]]]:
    # start-up: sslyze loaded only when needed
    from sslyze import TlsVersionEnum
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository

    version = TlsVersionEnum[version_name]
    suites = CipherSuitesRepository.get_all_cipher_suites(version)
    if version == TlsVersionEnum.TLS_1_3:
        return [(False, {s.openssl_name: s for s in suites})]
    if version != TlsVersionEnum.TLS_1_2:
        return [(True, {s.openssl_name: s for s in suites})]
    legacy_names = _legacy_tls12_names()
    return [(True, {s.openssl_name: s for s in suites if s.openssl_name in legacy_names}),
            (False, {s.openssl_name: s for s in suites if s.openssl_name not in legacy_names})]


@lru_cache(maxsize=1)
def _legacy_tls12_names() -> frozenset[str]:
    """The TLS 1.2 suites sslyze tests with its legacy OpenSSL (its WorkaroundForTls12ForCipherSuites rule)."""
    # start-up: nassl loaded only when needed
    from nassl.legacy_ssl_client import LegacySslClient
    from nassl.ssl_client import OpenSslVerifyEnum, OpenSslVersionEnum

    client = LegacySslClient(ssl_version=OpenSslVersionEnum.TLSV1_2, ssl_verify=OpenSslVerifyEnum.NONE)
    client.set_cipher_list("ALL:COMPLEMENTOFALL")
    return frozenset(client.get_cipher_list())


def _eliminate(info: Any, version: Any, protocol: str, offer: _Offer,
               connect_one: Callable[[Any, Any, Any], Any], stop: threading.Event) -> None:
    for _ in range(_MAX_STEPS):
        if not offer.remaining:
            return
        if stop.is_set():
            offer.error = f"{protocol}: stopped (the endpoint's budget is spent)"
            return
        step = _handshake(info, version, offer)
        if step.kind == "accepted":
            suite = offer.remaining.pop(step.name)
            offer.accepted.append(_accepted(suite, step.key, protocol))
        elif step.kind == "refused":
            offer.refused_offer = len(offer.remaining)
            return
        elif step.kind == "nothing_to_offer":
            return      # the client cannot offer what is left at this version; sslyze skips those suites too
        elif step.kind == "unnamed":
            _one_by_one(info, version, protocol, offer, connect_one)
            return
        else:
            offer.error = f"{protocol}: {step.error}"
            return
    offer.error = f"{protocol}: no end after {_MAX_STEPS} handshakes"


@dataclass(frozen=True)
class _Step:
    kind: str                  # accepted | refused | nothing_to_offer | unnamed | error
    name: str = ""
    key: Any = None
    error: str = ""


def _handshake(info: Any, version: Any, offer: _Offer) -> _Step:
    """One ClientHello offering every remaining suite; a timeout is tried once more, then it is an error."""
    # start-up: nassl, sslyze loaded only when needed
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze import TlsVersionEnum
    from sslyze.connection_helpers.tls_connection import NoCiphersAvailableBugInSSlyze
    from sslyze.errors import ServerRejectedTlsHandshake, ServerTlsConfigurationNotSupported, TlsHandshakeTimedOut

    names = ":".join(offer.remaining)
    last = "timed out"
    for _attempt in range(2):
        conn = info.get_preconfigured_tls_connection(override_tls_version=version, should_use_legacy_openssl=offer.legacy)
        offer.handshakes += 1
        try:
            try:
                if version == TlsVersionEnum.TLS_1_3:
                    conn.ssl_client.set_ciphersuites(names)
                else:
                    conn.ssl_client.set_cipher_list(names)
            except Exception:  # noqa: BLE001 - OpenSSL knows none of the names at this version
                offer.handshakes -= 1
                return _Step("nothing_to_offer")
            try:
                conn.connect()
                return _named(conn, offer, with_key=True)
            except ClientCertificateRequested:
                return _named(conn, offer, with_key=True)
            except ServerTlsConfigurationNotSupported:
                return _named(conn, offer, with_key=False)     # our client refused the server's DH: accepted
            except ServerRejectedTlsHandshake:
                return _Step("refused")
            except NoCiphersAvailableBugInSSlyze:
                offer.handshakes -= 1
                return _Step("nothing_to_offer")
            except TlsHandshakeTimedOut:
                last = "handshake timed out twice"     # a loaded server is not a refusal: once more, then unknown
                continue
            except Exception as e:  # noqa: BLE001 - a network failure: this offer's answer is unknown
                return _Step("error", error=readable(e))
        finally:
            conn.close()
    return _Step("error", error=last)


def _named(conn: Any, offer: _Offer, with_key: bool) -> _Step:
    try:
        name = conn.ssl_client.get_current_cipher_name()
    except Exception:  # noqa: BLE001
        name = None
    if not name or name not in offer.remaining:
        return _Step("unnamed")
    key = None
    if with_key:
        try:
            key = conn.ssl_client.get_ephemeral_key()
        except Exception:  # noqa: BLE001 - no key information: as sslyze, the suite is still accepted
            key = None
    return _Step("accepted", name=name, key=key)


def _one_by_one(info: Any, version: Any, protocol: str, offer: _Offer,
                connect_one: Callable[[Any, Any, Any], Any]) -> None:
    """sslyze's way for what is left: one handshake per suite (a timeout makes the list possibly short)."""
    # start-up: sslyze loaded only when needed
    from sslyze.connection_helpers.tls_connection import NoCiphersAvailableBugInSSlyze
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import CipherSuiteAcceptedByServer

    timed_out = []
    for name, suite in list(offer.remaining.items()):
        offer.handshakes += 1
        try:
            result = connect_one(info, version, suite)
        except NoCiphersAvailableBugInSSlyze:
            continue
        except Exception as e:  # noqa: BLE001
            offer.error = f"{protocol}: {readable(e)}"
            return
        if isinstance(result, CipherSuiteAcceptedByServer):
            offer.accepted.append(_accepted(suite, result.ephemeral_key, protocol))
            del offer.remaining[name]
        elif "timed out" in (getattr(result, "error_message", "") or "").lower():
            timed_out.append(suite.name)
    if timed_out:
        offer.error = (f"{protocol}: {len(timed_out)} suite handshake(s) timed out, e.g. {timed_out[0]}: "
                       "cannot tell whether they are accepted")
    offer.refused_offer = len(offer.remaining) - len(timed_out)


def _accepted(suite: Any, key: Any, protocol: str) -> AcceptedSuite:
    kind = size = None
    if key is not None:
        curve = getattr(key, "curve_name", None)
        kind = f"ECDH {curve}" if curve else getattr(key, "type_name", "DH")
        size = key.size
    return AcceptedSuite.build(suite.name, suite.openssl_name, protocol, kind, size)


def versions_to_enumerate(sweep: ProtocolsFacts | None) -> tuple[str, ...]:
    """The versions the sweep did not find refused (a refused version has no suite to list)."""
    if sweep is None:
        return ELIMINATED
    refused = {r.protocol for r in sweep.results if r.accepted is False}
    return tuple(p for p in ELIMINATED if p not in refused)


def rsa_key_exchange_ruled_out(sweep: ProtocolsFacts | None, eliminated: Mapping[str, ProtocolResult]) -> bool:
    """Whether the suite lists prove that no version up to TLS 1.2 accepts an RSA key exchange: each
    version refused by the sweep, or listed in full (no error) without a suite whose key exchange is RSA.
    That is sslyze's ROBOT verdict "RSA not supported", reached from every suite offered."""
    refused = {r.protocol for r in (sweep.results if sweep else ()) if r.accepted is False}
    for protocol in ("SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2"):
        if protocol in refused:
            continue
        r = eliminated.get(protocol)
        if r is None or r.accepted is None or r.error or (r.accepted and not r.suites_enumerated):
            return False
        if any(s.kx == "RSA" for s in r.suites):
            return False
    return True


def enumerate_versions(info: Any, protocols: tuple[str, ...], stop: threading.Event | None = None
                       ) -> dict[str, ProtocolResult]:
    """:func:`enumerate_version` for each version; a failure of one is that version's error, never a raise."""
    out = {}
    for p in protocols:
        try:
            out[p] = enumerate_version(info, p, stop)
        except Exception as e:  # noqa: BLE001 - a bug or a network failure: the version is unknown
            out[p] = ProtocolResult(p, None, f"{p}: {readable(e)}")
    return out
