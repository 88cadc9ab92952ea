"""Normalised TLS facts: what a TLS probe saw, free of sslyze types.

Every sub-measurement (protocols, cipher suites, certificate, HSTS, each vulnerability,
supported groups) carries its own :class:`Measure` status, so a check can tell
"not measured" (NOT_REQUESTED), "measurement failed" (ERROR + reason) and "measured,
absent" apart. Nothing here judges: checks in ``secaudit.checks`` do.

Cipher suites are named by their IANA (RFC) name and classified by
:func:`classify_suite`, which works on IANA names and on OpenSSL names alike
(a table maps the OpenSSL names sslyze and OpenSSL print to IANA names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from secaudit.codec import fields_from_dict, fields_to_dict
from secaudit.observations._suite_names import OPENSSL_TO_IANA


class Measure(StrEnum):
    MEASURED = "measured"
    ERROR = "error"
    NOT_REQUESTED = "not_requested"


# Protocol versions, oldest first, by the names reports use.
PROTOCOLS: tuple[str, ...] = ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3")
_PROTOCOL_ALIASES = {
    "sslv2": "SSLv2", "ssl2": "SSLv2", "ssl2.0": "SSLv2", "sslv2.0": "SSLv2",
    "sslv3": "SSLv3", "ssl3": "SSLv3", "ssl3.0": "SSLv3", "sslv3.0": "SSLv3",
    "tlsv1": "TLSv1.0", "tlsv1.0": "TLSv1.0", "tls1.0": "TLSv1.0", "tls1": "TLSv1.0",
    "tlsv1.1": "TLSv1.1", "tls1.1": "TLSv1.1",
    "tlsv1.2": "TLSv1.2", "tls1.2": "TLSv1.2",
    "tlsv1.3": "TLSv1.3", "tls1.3": "TLSv1.3",
}


def normalise_protocol(name: str) -> str | None:
    """``"TLSv1"``, ``"tls1.0"``, ``"TLS 1.0"`` -> ``"TLSv1.0"``; None when unknown."""
    return _PROTOCOL_ALIASES.get(name.strip().lower().replace(" ", "").replace("_", "."))


# --------------------------------------------------------------------------- cipher-suite classification


@dataclass(frozen=True)
class SuiteClass:
    """What a cipher suite is made of."""

    name: str                 # IANA name
    kx: str                   # RSA, DHE, ECDHE, DH, ECDH, PSK..., or "any" (TLS 1.3: negotiated separately)
    auth: str                 # RSA, DSS, ECDSA, anon, or "any" (TLS 1.3: from the certificate)
    cipher: str               # AES, CHACHA20, 3DES, DES, RC4, RC2, IDEA, CAMELLIA, ARIA, SEED, NULL
    mode: str                 # GCM, CCM, CCM_8, POLY1305, CBC, STREAM, NONE
    bits: int                 # symmetric key size (40 for export)
    mac: str                  # AEAD, SHA, SHA256, SHA384, MD5
    forward_secrecy: bool
    aead: bool
    export: bool
    anonymous: bool
    null: bool


# SSLv2 and TLS 1.3 names do not follow the TLS_<KX>_WITH_<ENC>_<MAC> pattern.
_IRREGULAR: dict[str, tuple[str, str, str, str, int, str, bool]] = {
    # name: (kx, auth, cipher, mode, bits, mac, export)
    "TLS_AES_128_GCM_SHA256": ("any", "any", "AES", "GCM", 128, "AEAD", False),
    "TLS_AES_256_GCM_SHA384": ("any", "any", "AES", "GCM", 256, "AEAD", False),
    "TLS_CHACHA20_POLY1305_SHA256": ("any", "any", "CHACHA20", "POLY1305", 256, "AEAD", False),
    "TLS_AES_128_CCM_SHA256": ("any", "any", "AES", "CCM", 128, "AEAD", False),
    "TLS_AES_128_CCM_8_SHA256": ("any", "any", "AES", "CCM_8", 128, "AEAD", False),
    "SSL_CK_RC4_128_WITH_MD5": ("RSA", "RSA", "RC4", "STREAM", 128, "MD5", False),
    "SSL_CK_RC4_128_EXPORT40_WITH_MD5": ("RSA", "RSA", "RC4", "STREAM", 40, "MD5", True),
    "SSL_CK_RC2_128_CBC_WITH_MD5": ("RSA", "RSA", "RC2", "CBC", 128, "MD5", False),
    "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5": ("RSA", "RSA", "RC2", "CBC", 40, "MD5", True),
    "SSL_CK_IDEA_128_CBC_WITH_MD5": ("RSA", "RSA", "IDEA", "CBC", 128, "MD5", False),
    "SSL_CK_DES_64_CBC_WITH_MD5": ("RSA", "RSA", "DES", "CBC", 56, "MD5", False),
    "SSL_CK_DES_192_EDE3_CBC_WITH_MD5": ("RSA", "RSA", "3DES", "CBC", 112, "MD5", False),
    "SSL_CK_RC4_64_WITH_MD5": ("RSA", "RSA", "RC4", "STREAM", 64, "MD5", False),
}

# Key exchange + authentication part of TLS_<KXAU>_WITH_...: (kx, auth, export)
_KXAU: dict[str, tuple[str, str, bool]] = {
    "RSA": ("RSA", "RSA", False),
    "RSA_EXPORT": ("RSA", "RSA", True),
    "RSA_EXPORT1024": ("RSA", "RSA", True),
    "DHE_RSA": ("DHE", "RSA", False),
    "DHE_RSA_EXPORT": ("DHE", "RSA", True),
    "DHE_DSS": ("DHE", "DSS", False),
    "DHE_DSS_EXPORT": ("DHE", "DSS", True),
    "DH_RSA": ("DH", "RSA", False),
    "DH_RSA_EXPORT": ("DH", "RSA", True),
    "DH_DSS": ("DH", "DSS", False),
    "DH_DSS_EXPORT": ("DH", "DSS", True),
    "DH_anon": ("DHE", "anon", False),          # anonymous DH uses ephemeral keys, without authentication
    "DH_anon_EXPORT": ("DHE", "anon", True),
    "ECDHE_RSA": ("ECDHE", "RSA", False),
    "ECDHE_ECDSA": ("ECDHE", "ECDSA", False),
    "ECDH_RSA": ("ECDH", "RSA", False),
    "ECDH_ECDSA": ("ECDH", "ECDSA", False),
    "ECDH_anon": ("ECDHE", "anon", False),
    "PSK": ("PSK", "PSK", False),
    "DHE_PSK": ("DHE", "PSK", False),
    "ECDHE_PSK": ("ECDHE", "PSK", False),
    "RSA_PSK": ("RSA", "PSK", False),
    "SRP_SHA": ("SRP", "SRP", False),
    "SRP_SHA_RSA": ("SRP", "RSA", False),
    "SRP_SHA_DSS": ("SRP", "DSS", False),
    "PSK_DHE": ("DHE", "PSK", False),
    "DHE_DSS_EXPORT1024": ("DHE", "DSS", True),
    "KRB5": ("KRB5", "KRB5", False),
    "KRB5_EXPORT": ("KRB5", "KRB5", True),
    "GOSTR341001": ("GOST", "GOST", False),
    "GOSTR341094": ("GOST", "GOST", False),
}

_ENC_RE = re.compile(
    r"^(?P<cipher>NULL|RC4|RC2|DES40|DES|3DES_EDE|IDEA|AES|CAMELLIA|ARIA|SEED|CHACHA20|28147)"
    r"(?:_(?P<bits>\d+))?"
    r"(?:_(?P<mode>CBC_40|CBC_56|CBC|GCM|CCM_8|CCM|POLY1305|CNT))?"
    r"(?:_(?P<mac>SHA384|SHA256|SHA|MD5|IMIT|GOSTR3411))?$"
)

_CIPHER_BITS = {"28147": 256, "DES": 56, "DES40": 40, "3DES_EDE": 112, "IDEA": 128, "SEED": 128, "CHACHA20": 256, "NULL": 0}


def _parse_regular(name: str) -> SuiteClass | None:
    m = re.match(r"^(?:OLD_)?TLS_(?P<kxau>.+?)_WITH_(?P<enc>.+)$", name)
    if not m:
        return None
    kxau = _KXAU.get(m.group("kxau"))
    e = _ENC_RE.match(m.group("enc"))
    if kxau is None or e is None:
        return None
    kx, auth, export = kxau
    raw_cipher = e.group("cipher")
    mode = e.group("mode") or ""
    bits = int(e.group("bits")) if e.group("bits") else _CIPHER_BITS.get(raw_cipher, 0)
    if mode == "CBC_40":
        mode, bits, export = "CBC", 40, True
    elif mode == "CBC_56":
        mode, bits = "CBC", 56
    if raw_cipher == "DES40":
        export = True
    cipher = {"DES40": "DES", "3DES_EDE": "3DES", "28147": "GOST28147"}.get(raw_cipher, raw_cipher)
    if cipher == "RC4":
        mode = "STREAM"
    elif cipher == "NULL":
        mode = "NONE"
    elif cipher == "CHACHA20":
        mode = "POLY1305"
    elif not mode:
        mode = "CBC"
    if bits == 40:
        export = True
    aead = mode in ("GCM", "CCM", "CCM_8", "POLY1305")
    mac = "AEAD" if aead else (e.group("mac") or "")
    return SuiteClass(
        name=name, kx=kx, auth=auth, cipher=cipher, mode=mode, bits=bits, mac=mac,
        forward_secrecy=kx in ("DHE", "ECDHE"), aead=aead, export=export,
        anonymous=auth == "anon", null=cipher == "NULL",
    )


@lru_cache(maxsize=1)
def _openssl_to_iana() -> dict[str, str]:
    return OPENSSL_TO_IANA


def iana_name(name: str) -> str:
    """The IANA name of a suite given by its IANA or OpenSSL name (unknown names come back unchanged)."""
    if name.startswith(("TLS_", "SSL_")):
        return name
    return _openssl_to_iana().get(name, name)


@lru_cache(maxsize=1024)
def classify_suite(name: str) -> SuiteClass | None:
    """Classify a suite by IANA or OpenSSL name; None when the name is not understood."""
    iana = iana_name(name)
    irregular = _IRREGULAR.get(iana)
    if irregular:
        kx, auth, cipher, mode, bits, mac, export = irregular
        aead = mac == "AEAD"
        return SuiteClass(
            name=iana, kx=kx, auth=auth, cipher=cipher, mode=mode, bits=bits, mac=mac,
            # TLS 1.3 only has (EC)DHE key exchanges (PSK-only resumption aside)
            forward_secrecy=kx == "any", aead=aead, export=export, anonymous=False, null=False,
        )
    return _parse_regular(iana)


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class AcceptedSuite:
    """One cipher suite the server accepted, with its classification."""

    name: str                           # IANA
    openssl_name: str
    protocol: str                       # one of PROTOCOLS
    kx: str
    auth: str
    cipher: str
    mode: str
    bits: int
    mac: str
    forward_secrecy: bool
    aead: bool
    export: bool
    anonymous: bool
    null: bool
    ephemeral_key: str | None = None     # e.g. "ECDH X25519", "DH"
    ephemeral_key_size: int | None = None

    @classmethod
    def build(cls, name: str, openssl_name: str, protocol: str,
              ephemeral_key: str | None = None, ephemeral_key_size: int | None = None) -> "AcceptedSuite":
        c = classify_suite(name) or classify_suite(openssl_name)
        if c is None:  # unknown suite: record it, classified as conservatively as possible
            return cls(name=name, openssl_name=openssl_name, protocol=protocol, kx="unknown", auth="unknown",
                       cipher="unknown", mode="unknown", bits=0, mac="unknown", forward_secrecy=False,
                       aead=False, export=False, anonymous=False, null=False,
                       ephemeral_key=ephemeral_key, ephemeral_key_size=ephemeral_key_size)
        return cls(name=c.name, openssl_name=openssl_name, protocol=protocol, kx=c.kx, auth=c.auth,
                   cipher=c.cipher, mode=c.mode, bits=c.bits, mac=c.mac, forward_secrecy=c.forward_secrecy,
                   aead=c.aead, export=c.export, anonymous=c.anonymous, null=c.null,
                   ephemeral_key=ephemeral_key, ephemeral_key_size=ephemeral_key_size)


@dataclass(frozen=True)
class ProtocolResult:
    """Whether one protocol version is accepted. ``accepted`` is None when the test failed (see ``error``)."""

    protocol: str
    accepted: bool | None
    error: str | None = None
    suites: tuple[AcceptedSuite, ...] = ()   # filled when cipher suites were enumerated
    suites_enumerated: bool = False
    # how many suites the last handshake offered together, which the server refused: with ``suites``
    # every suite known for the version (by elimination, see probes.tls.eliminate); 0 for other methods
    refused_offer: int = 0


@dataclass(frozen=True)
class ProtocolsFacts:
    status: Measure = Measure.NOT_REQUESTED
    error: str | None = None
    method: str = ""       # "handshake_per_version", "+elimination" / "+cipher_enumeration", "cipher_enumeration"
    results: tuple[ProtocolResult, ...] = ()

    def accepted(self) -> tuple[str, ...]:
        return tuple(r.protocol for r in self.results if r.accepted)

    def unknown(self) -> tuple[str, ...]:
        return tuple(r.protocol for r in self.results if r.accepted is None)

    def partially_enumerated(self) -> tuple[str, ...]:
        """Versions accepted but whose suite list may be short: some suite handshakes timed out."""
        return tuple(r.protocol for r in self.results if r.accepted and r.suites_enumerated and r.error)

    def result(self, protocol: str) -> ProtocolResult | None:
        return next((r for r in self.results if r.protocol == protocol), None)

    @property
    def ciphers_enumerated(self) -> bool:
        return bool(self.results) and all(r.suites_enumerated or r.accepted is None for r in self.results)

    def suites(self) -> tuple[AcceptedSuite, ...]:
        return tuple(s for r in self.results for s in r.suites)


@dataclass(frozen=True)
class TrustResult:
    store: str                               # "Mozilla", "Apple", ..., "Supplied CA file"
    store_version: str
    trusted: bool                            # full validation (chain + dates + hostname) succeeded
    error: str | None = None                 # the validator's message when not trusted
    chain_trusted_ignoring_hostname: bool | None = None   # chain builds to this store when the hostname is ignored


@dataclass(frozen=True)
class CertInfo:
    subject: str
    issuer: str
    serial: str
    sha256: str
    not_before: str                          # ISO 8601 UTC
    not_after: str
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    key_type: str = ""                       # RSA, EC, DSA, Ed25519, Ed448
    key_size: int = 0
    key_curve: str | None = None
    signature_algorithm: str = ""            # e.g. sha256WithRSAEncryption
    signature_hash: str | None = None        # e.g. sha256, sha1, md5; None for Ed25519
    self_signed: bool = False
    is_ca: bool = False
    ocsp_urls: tuple[str, ...] | None = None  # AIA OCSP responders; () none named; None not read (older runs)
    crl_urls: tuple[str, ...] | None = None   # CRL distribution points; same convention


@dataclass(frozen=True)
class CertDeployment:
    """One certificate chain the server sends (most servers have one)."""

    chain: tuple[CertInfo, ...]              # as received, leaf first
    trust: tuple[TrustResult, ...] = ()
    hostname: str = ""                       # the name checked (the SNI name)
    hostname_matches: bool | None = None
    chain_order_valid: bool | None = None
    chain_complete: bool | None = None       # the chain builds to a store using only certificates sent
    contains_anchor: bool | None = None
    verified_chain: tuple[str, ...] = ()     # subjects of one verified chain, leaf first
    ocsp_stapled: bool = False
    ocsp_status: str | None = None           # SUCCESSFUL, ...
    ocsp_trusted: bool | None = None
    must_staple: bool = False

    @property
    def leaf(self) -> CertInfo:
        return self.chain[0]

    @property
    def trusted(self) -> bool:
        return any(t.trusted for t in self.trust)


@dataclass(frozen=True)
class CertificateFacts:
    status: Measure = Measure.NOT_REQUESTED
    error: str | None = None
    sni: str = ""
    deployments: tuple[CertDeployment, ...] = ()


@dataclass(frozen=True)
class HstsFacts:
    status: Measure = Measure.NOT_REQUESTED
    error: str | None = None
    present: bool = False
    max_age: int | None = None
    include_subdomains: bool = False
    preload: bool = False
    redirected_to: str | None = None


@dataclass(frozen=True)
class Flag:
    """One yes/no measurement (a vulnerability, a feature)."""

    status: Measure = Measure.NOT_REQUESTED
    value: bool | None = None
    error: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class VulnerabilityFacts:
    heartbleed: Flag = Flag()                    # value: vulnerable
    robot: Flag = Flag()                         # value: vulnerable (strong or weak oracle); detail: sslyze result
    ccs_injection: Flag = Flag()                 # value: vulnerable
    insecure_renegotiation: Flag = Flag()        # value: vulnerable (no secure renegotiation)
    client_renegotiation_dos: Flag = Flag()      # value: vulnerable (client-initiated renegotiation accepted)
    compression: Flag = Flag()                   # value: TLS compression enabled (CRIME)
    no_fallback_scsv: Flag = Flag()              # value: vulnerable (downgrade not prevented)
    no_extended_master_secret: Flag = Flag()     # value: EMS extension not supported

    def items(self) -> tuple[tuple[str, Flag], ...]:
        return tuple((k, getattr(self, k)) for k in VULNERABILITIES)


VULNERABILITIES: tuple[str, ...] = (
    "heartbleed", "robot", "ccs_injection", "insecure_renegotiation", "client_renegotiation_dos",
    "compression", "no_fallback_scsv", "no_extended_master_secret",
)
# what tls.vulnerabilities tests when a control lists none
DEFAULT_VULNERABILITIES: tuple[str, ...] = tuple(v for v in VULNERABILITIES if v != "no_extended_master_secret")
# a need for one test: "tls:vulnerability:heartbleed" ("tls:vulnerabilities" is every test)
VULNERABILITY_NEED = "tls:vulnerability:"


@dataclass(frozen=True)
class GroupsFacts:
    status: Measure = Measure.NOT_REQUESTED
    error: str | None = None
    supports_ecdh: bool | None = None
    supported: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()


@dataclass(frozen=True)
class TlsFacts:
    """Everything one TLS probe saw on one endpoint."""

    host: str
    port: int
    ip_address: str = ""
    sni: str = ""
    starttls: str | None = None
    highest_protocol: str | None = None
    protocols: ProtocolsFacts = ProtocolsFacts()
    certificate: CertificateFacts = CertificateFacts()
    hsts: HstsFacts = HstsFacts()
    vulnerabilities: VulnerabilityFacts = VulnerabilityFacts()
    groups: GroupsFacts = GroupsFacts()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TlsFacts":
        return fields_from_dict(cls, data)
