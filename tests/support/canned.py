"""Canned TLS observations for pure-logic tests (suites Debian's OpenSSL cannot serve included)."""

from __future__ import annotations

import datetime as dt

from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, Observation, ObservationStatus, Service, Starttls, System, Purpose
from secaudit.observations.tls import (
    AcceptedSuite, CertDeployment, CertificateFacts, CertInfo, Flag, GroupsFacts, HstsFacts, Measure,
    PROTOCOLS, ProtocolResult, ProtocolsFacts, TlsFacts, TrustResult, VulnerabilityFacts, VULNERABILITIES,
)

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


def suites(protocol: str, *names: str) -> tuple[AcceptedSuite, ...]:
    return tuple(AcceptedSuite.build(n, n, protocol) for n in names)


def protocols(accepted: dict[str, tuple[str, ...]], *, enumerated: bool = True,
              unknown: tuple[str, ...] = ()) -> ProtocolsFacts:
    results = []
    for p in PROTOCOLS:
        if p in unknown:
            results.append(ProtocolResult(p, None, "timed out"))
        elif p in accepted:
            results.append(ProtocolResult(p, True, None, suites(p, *accepted[p]) if enumerated else (), enumerated))
        else:
            results.append(ProtocolResult(p, False, None, (), enumerated))
    return ProtocolsFacts(status=Measure.ERROR if unknown else Measure.MEASURED,
                          error="could not test " + ", ".join(unknown) if unknown else None,
                          method="cipher_enumeration" if enumerated else "handshake_per_version",
                          results=tuple(results))


MODERN = {"TLSv1.2": ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"),
          "TLSv1.3": ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384")}
ANCIENT = {"SSLv2": ("SSL_CK_RC4_128_WITH_MD5", "SSL_CK_DES_192_EDE3_CBC_WITH_MD5"),
           "SSLv3": ("RC4-SHA", "EXP-RC4-MD5", "DES-CBC-SHA", "DES-CBC3-SHA", "ADH-AES128-SHA", "NULL-SHA"),
           "TLSv1.0": ("EXP-EDH-RSA-DES-CBC-SHA", "AES128-SHA")}


def cert(subject: str = "CN=localhost", issuer: str = "CN=Intermediate", *, days_before: int = 10,
         days_after: int = 80, dns: tuple[str, ...] = ("localhost",), key: tuple[str, int] = ("RSA", 2048),
         sig: str = "sha256WithRSAEncryption", sig_hash: str = "sha256", self_signed: bool = False) -> CertInfo:
    return CertInfo(subject=subject, issuer=issuer, serial="1", sha256="00",
                    not_before=(NOW - dt.timedelta(days=days_before)).isoformat(),
                    not_after=(NOW + dt.timedelta(days=days_after)).isoformat(), dns_names=dns,
                    key_type=key[0], key_size=key[1], key_curve="secp256r1" if key[0] == "EC" else None,
                    signature_algorithm=sig, signature_hash=sig_hash, self_signed=self_signed)


def deployment(*chain: CertInfo, trusted: bool = True, ignoring: bool | None = None, hostname: str = "localhost",
               matches: bool = True, stapled: bool = False) -> CertDeployment:
    return CertDeployment(
        chain=chain or (cert(), cert("CN=Intermediate", "CN=Root")),
        trust=(TrustResult("Mozilla", "1", False, "validation failed", False),
               TrustResult("Supplied CA file", "N/A", trusted, None if trusted else "validation failed",
                           trusted if ignoring is None else ignoring)),
        hostname=hostname, hostname_matches=matches, chain_order_valid=True, chain_complete=trusted or None,
        ocsp_stapled=stapled, ocsp_status="SUCCESSFUL" if stapled else None, ocsp_trusted=stapled or None)


def vulns(**vulnerable: bool) -> VulnerabilityFacts:
    return VulnerabilityFacts(**{v: Flag(Measure.MEASURED, vulnerable.get(v, False)) for v in VULNERABILITIES})


def facts(*, prot: ProtocolsFacts | None = None, certificate: CertificateFacts | None = None,
          hsts: HstsFacts | None = None, vulnerabilities: VulnerabilityFacts | None = None,
          groups: GroupsFacts | None = None) -> TlsFacts:
    return TlsFacts(host="localhost", port=443, sni="localhost",
                    protocols=prot or ProtocolsFacts(), certificate=certificate or CertificateFacts(),
                    hsts=hsts or HstsFacts(), vulnerabilities=vulnerabilities or VulnerabilityFacts(),
                    groups=groups or GroupsFacts())


def ctx(f: TlsFacts | None = None, *, error: str | None = None, service: Service = Service.HTTPS,
        starttls: Starttls | None = None, now: dt.datetime = NOW) -> CheckContext:
    ep = Endpoint("localhost", 443, service, starttls, None, tls=True)
    system = System("s", "S", Purpose.INTERNAL, endpoints=(ep,))
    obs = {}
    if f is not None or error is not None:
        obs["tls"] = Observation("p", "tls", ep.address, ObservationStatus.ERROR if error else ObservationStatus.OK,
                                 f, error)
    return CheckContext(system, ep.address, ep, obs, now)
