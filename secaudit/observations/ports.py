"""Normalised facts of a port scan of one host (nmap through python-nmap).

Everything here is plain data: the python-nmap dictionaries never leave
``secaudit.probes.ports``. Strings that come from the scanned server (product, version,
script output) are kept verbatim as data; escaping happens in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict

SCHEMA = "secaudit/observation/ports/v2"
SCHEMA_V1 = "secaudit/observation/ports/v1"   # still read: requested ports as a list, no groups, no coverage


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
class PortGroup:
    """Ports nmap reported together (its ``<extraports>``: one state and reason), kept compressed."""

    state: PortState
    reason: str
    ports: str                                     # "1-21,24-79": only requested ports
    count: int


@dataclass(frozen=True)
class Coverage:
    """How wide the scan was, in words a verdict can state ("the 1,000 most common ports")."""

    spec: str = ""          # "top-1000", "1-65535" ... beyond the declared and watched ports; "" for none
    source: str = ""        # "policy" (the level's default), "inventory", "cli" (--ports-range), "" (none)
    default: str = ""       # what the level's policy asked for ("" when it asked nothing)

    @property
    def narrowed(self) -> bool:
        """An override asked for less than the level's default (a PASS then covers less than the level asks)."""
        return bool(self.default) and self.source in ("inventory", "cli") and _count(self.spec) < _count(self.default)


def _count(spec: str) -> int:
    total = 0
    for part in (p for p in spec.split("+") if p):
        if part.startswith("top-"):
            total = max(total, int(part[4:]))
        else:
            lo, _, hi = part.partition("-")
            total = max(total, int(hi or lo) - int(lo) + 1)
    return total


def compress(ports: Any) -> str:
    """``[1,2,3,5]`` -> ``"1-3,5"``."""
    ordered = sorted(set(ports))
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)


def expand(spec: str) -> tuple[int, ...]:
    """``"1-3,5"`` -> ``(1, 2, 3, 5)``."""
    out: set[int] = set()
    for part in (x.strip() for x in spec.split(",") if x.strip()):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return tuple(sorted(out))


@dataclass(frozen=True)
class PortScan:
    """The port-scan facts of one host: what was asked, how, and what nmap saw on every requested port.

    Ports nmap listed one by one (every open port) are in ``ports``; the rest, which nmap collapsed
    ("999 closed ports"), are in ``collapsed`` groups, so a full-range scan stays small."""

    host: str                                      # the validated target as given to nmap
    address: str                                   # the address nmap scanned (resolved)
    ports: tuple[PortFact, ...]                    # ports nmap listed individually, sorted by (protocol, port)
    requested_ports: tuple[int, ...]
    service_detection: bool                        # -sV was used: service names are measured, not guessed
    scripts: tuple[str, ...]                       # NSE scripts requested
    nmap_version: str
    command: tuple[str, ...]                       # the exact argv nmap was run with
    elapsed_s: float = 0.0                         # nmap's own elapsed time for the scan
    collapsed: tuple[PortGroup, ...] = ()
    coverage: Coverage = Coverage()

    def port(self, number: int, protocol: str = "tcp") -> PortFact | None:
        for p in self.ports:
            if p.port == number and p.protocol == protocol:
                return p
        if protocol == "tcp":
            for g in self.collapsed:
                if number in expand(g.ports):
                    return PortFact(number, "tcp", g.state, g.reason)
        return None

    def every_port(self) -> tuple[PortFact, ...]:
        """One fact per requested port, the collapsed ones expanded (small scans, tests)."""
        listed = list(self.ports)
        for g in self.collapsed:
            listed += [PortFact(n, "tcp", g.state, g.reason) for n in expand(g.ports)]
        return tuple(sorted(listed, key=lambda p: (p.protocol, p.port)))

    @property
    def open_ports(self) -> tuple[PortFact, ...]:
        return tuple(sorted((p for p in self.ports if p.is_open), key=lambda p: (p.protocol, p.port)))

    @property
    def scanned_count(self) -> int:
        return len(self.requested_ports)

    def state_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.ports:
            counts[p.state.value] = counts.get(p.state.value, 0) + 1
        for g in self.collapsed:
            counts[g.state.value] = counts.get(g.state.value, 0) + g.count
        return counts

    def to_dict(self) -> dict[str, Any]:
        d = fields_to_dict(self, SCHEMA)
        d["requested_ports"] = compress(self.requested_ports)     # 65,535 ports are "1-65535"
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PortScan":
        d = dict(d)
        if d.get("schema") == SCHEMA_V1:
            d["schema"] = SCHEMA
        if isinstance(d.get("requested_ports"), str):
            d["requested_ports"] = list(expand(d["requested_ports"]))
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
