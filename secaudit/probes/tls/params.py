"""What to measure on a TLS endpoint (pure): the needs of checks become sslyze scan commands.

The measurements checks need ("tls:protocols", "tls:ciphers", "tls:certificate", ...) map to
the sslyze ``ScanCommand`` values to run, plus the cheap protocol sweep (see :mod:`.sweep`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from secaudit.observations.tls import VULNERABILITY_NEED
from secaudit.model import format_hostport

# sslyze ScanCommand values, by protocol name
CIPHER_COMMANDS: dict[str, str] = {
    "SSLv2": "ssl_2_0_cipher_suites",
    "SSLv3": "ssl_3_0_cipher_suites",
    "TLSv1.0": "tls_1_0_cipher_suites",
    "TLSv1.1": "tls_1_1_cipher_suites",
    "TLSv1.2": "tls_1_2_cipher_suites",
    "TLSv1.3": "tls_1_3_cipher_suites",
}
ROBOT = "robot"
ELLIPTIC_CURVES = "elliptic_curves"
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
    "tls:ciphers": frozenset(CIPHER_COMMANDS.values()),
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
    unknown = {n for n in wanted - KNOWN_NEEDS
               if not (n.startswith(VULNERABILITY_NEED) and n[len(VULNERABILITY_NEED):] in _VULN_COMMANDS)}
    if unknown:
        raise ValueError(f"unknown TLS measurements: {sorted(unknown)}")
    commands: set[str] = set()
    for n in wanted:
        if n.startswith(VULNERABILITY_NEED):
            commands.add(_VULN_COMMANDS[n[len(VULNERABILITY_NEED):]])
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
        return format_hostport(self.host, self.port)
