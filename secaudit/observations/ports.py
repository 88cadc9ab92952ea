"""Normalised facts of a port scan of one host (nmap through python-nmap).

Everything here is plain data: the python-nmap dictionaries never leave
``secaudit.probes.ports``. Strings that come from the scanned server (product, version,
script output) are kept verbatim as data; escaping happens in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from secaudit.serialize import fields_from_dict, fields_to_dict

SCHEMA = "secaudit/observation/ports/v1"


class PortState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    FILTERED = "filtered"
    UNFILTERED = "unfiltered"
    OPEN_FILTERED = "open|filtered"
    CLOSED_FILTERED = "closed|filtered"

    @classmethod
    def parse(cls, value: str) -> "PortState":
        try:
            return cls(value)
        except ValueError:
            return cls.FILTERED  # an unknown state is never treated as closed


@dataclass(frozen=True)
class ServiceInfo:
    """What nmap says runs on a port. ``method`` is ``probed`` (-sV matched) or ``table`` (guess from the port number)."""

    name: str = ""
    product: str = ""
    version: str = ""
    extrainfo: str = ""
    method: str = ""
    confidence: int = 0
    tunnel: str = ""                               # "ssl" when nmap found the service inside TLS

    @property
    def display_name(self) -> str:
        return f"{self.tunnel}/{self.name}" if self.tunnel else self.name

    @property
    def detected(self) -> bool:
        """True when the name comes from a real probe (-sV), not from nmap's port-number table."""
        return self.method == "probed"

    def describe(self) -> str:
        """``name (product version; extrainfo)`` for evidence lines."""
        detail = " ".join(p for p in (self.product, self.version) if p)
        if self.extrainfo:
            detail = f"{detail}; {self.extrainfo}" if detail else self.extrainfo
        name = self.display_name or "unknown"
        if self.method == "table" and name != "unknown":
            name += "?"  # nmap's convention: a guess from the port number, not a detection
        return f"{name} ({detail})" if detail else name



@dataclass(frozen=True)
class SshAlgorithms:
    """Parsed output of NSE ``ssh2-enum-algos``: what the server offers, in its order of preference."""

    kex: tuple[str, ...] = ()
    hostkey: tuple[str, ...] = ()
    ciphers: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    compression: tuple[str, ...] = ()



@dataclass(frozen=True)
class SshAuthMethods:
    """Parsed output of NSE ``ssh-auth-methods``: authentication methods offered before login."""

    methods: tuple[str, ...] = ()
    source: str = "nse:ssh-auth-methods"           # or "openssh-client" (fallback when libssh2 cannot negotiate)

    @property
    def password(self) -> bool:
        return "password" in self.methods

    @property
    def keyboard_interactive(self) -> bool:
        return "keyboard-interactive" in self.methods



@dataclass(frozen=True)
class PortFact:
    port: int
    protocol: str                                  # "tcp"
    state: PortState
    reason: str = ""                               # nmap's reason: syn-ack, conn-refused, no-response ...
    service: ServiceInfo | None = None
    ssh_algorithms: SshAlgorithms | None = None
    ssh_auth_methods: SshAuthMethods | None = None
    scripts: Mapping[str, str] = field(default_factory=dict)  # raw NSE output by script id (data, never markup)

    @property
    def is_open(self) -> bool:
        return self.state is PortState.OPEN

    @property
    def service_name(self) -> str:
        return self.service.name if self.service else ""



@dataclass(frozen=True)
class PortScan:
    """The port-scan facts of one host: what was asked, how, and what nmap saw on every requested port."""

    host: str                                      # the validated target as given to nmap
    address: str                                   # the address nmap scanned (resolved)
    ports: tuple[PortFact, ...]                    # one per requested port, sorted by (protocol, port)
    requested_ports: tuple[int, ...]
    service_detection: bool                        # -sV was used: service names are measured, not guessed
    scripts: tuple[str, ...]                       # NSE scripts requested
    nmap_version: str
    command: tuple[str, ...]                       # the exact argv nmap was run with
    elapsed_s: float = 0.0                         # nmap's own elapsed time for the whole batch

    def port(self, number: int, protocol: str = "tcp") -> PortFact | None:
        for p in self.ports:
            if p.port == number and p.protocol == protocol:
                return p
        return None

    @property
    def open_ports(self) -> tuple[PortFact, ...]:
        return tuple(sorted((p for p in self.ports if p.is_open), key=lambda p: (p.protocol, p.port)))

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PortScan":
        return fields_from_dict(cls, d, SCHEMA)


# ----------------------------------------------------------------------------- NSE output parsing (pure)

_SSH_ALGO_KEYS = {
    "kex_algorithms": "kex",
    "server_host_key_algorithms": "hostkey",
    "encryption_algorithms": "ciphers",
    "mac_algorithms": "macs",
    "compression_algorithms": "compression",
}


def parse_ssh2_enum_algos(output: str) -> SshAlgorithms:
    """Parse the text output of ``ssh2-enum-algos`` (as python-nmap returns it).

    Format: ``  kex_algorithms: (4)`` headers followed by indented algorithm names.
    Raise ``ValueError`` if no known section is found (the script failed or changed format).
    """
    found: dict[str, list[str]] = {}
    current: str | None = None
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.endswith(")") and ": (" in line or line.endswith(":"):
            head = line.split(":", 1)[0].strip()
            current = _SSH_ALGO_KEYS.get(head)
            if current is not None:
                found.setdefault(current, [])
            continue
        if current is not None:
            found[current].append(line)
    if not found:
        raise ValueError("ssh2-enum-algos output has no algorithm section")
    return SshAlgorithms(**{k: tuple(v) for k, v in found.items()})


def parse_ssh_auth_methods(output: str) -> SshAuthMethods:
    """Parse the text output of ``ssh-auth-methods``: ``Supported authentication methods:`` then one per line.

    Raise ``ValueError`` when the header is missing (e.g. the server refused the probe user).
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if line.lower().startswith("supported authentication methods"):
            return SshAuthMethods(methods=tuple(lines[i + 1:]))
    raise ValueError("ssh-auth-methods output has no 'Supported authentication methods' section")
