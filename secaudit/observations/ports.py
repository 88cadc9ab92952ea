"""Normalised facts of a port scan of one host (nmap through python-nmap).

Everything here is plain data: the python-nmap dictionaries never leave
``secaudit.probes.ports``. Strings that come from the scanned server (product, version,
script output) are kept verbatim as data; escaping happens in reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

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

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "product": self.product, "version": self.version,
                "extrainfo": self.extrainfo, "method": self.method, "confidence": self.confidence, "tunnel": self.tunnel}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ServiceInfo":
        return cls(name=str(d.get("name", "")), product=str(d.get("product", "")),
                   version=str(d.get("version", "")), extrainfo=str(d.get("extrainfo", "")),
                   method=str(d.get("method", "")), confidence=int(d.get("confidence", 0)),
                   tunnel=str(d.get("tunnel", "")))


@dataclass(frozen=True)
class SshAlgorithms:
    """Parsed output of NSE ``ssh2-enum-algos``: what the server offers, in its order of preference."""

    kex: tuple[str, ...] = ()
    hostkey: tuple[str, ...] = ()
    ciphers: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    compression: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kex": list(self.kex), "hostkey": list(self.hostkey), "ciphers": list(self.ciphers),
                "macs": list(self.macs), "compression": list(self.compression)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SshAlgorithms":
        return cls(**{k: tuple(str(x) for x in d.get(k, ())) for k in ("kex", "hostkey", "ciphers", "macs", "compression")})


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

    def to_dict(self) -> dict[str, Any]:
        return {"methods": list(self.methods), "source": self.source}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SshAuthMethods":
        return cls(methods=tuple(str(x) for x in d.get("methods", ())),
                   source=str(d.get("source", "nse:ssh-auth-methods")))


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "port": self.port, "protocol": self.protocol, "state": self.state.value, "reason": self.reason,
            "service": self.service.to_dict() if self.service else None,
            "ssh_algorithms": self.ssh_algorithms.to_dict() if self.ssh_algorithms else None,
            "ssh_auth_methods": self.ssh_auth_methods.to_dict() if self.ssh_auth_methods else None,
            "scripts": dict(self.scripts),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PortFact":
        return cls(
            port=int(d["port"]), protocol=str(d.get("protocol", "tcp")), state=PortState(d["state"]),
            reason=str(d.get("reason", "")),
            service=ServiceInfo.from_dict(d["service"]) if d.get("service") else None,
            ssh_algorithms=SshAlgorithms.from_dict(d["ssh_algorithms"]) if d.get("ssh_algorithms") else None,
            ssh_auth_methods=SshAuthMethods.from_dict(d["ssh_auth_methods"]) if d.get("ssh_auth_methods") else None,
            scripts={str(k): str(v) for k, v in (d.get("scripts") or {}).items()},
        )


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
        return {
            "schema": SCHEMA, "host": self.host, "address": self.address,
            "ports": [p.to_dict() for p in self.ports], "requested_ports": list(self.requested_ports),
            "service_detection": self.service_detection, "scripts": list(self.scripts),
            "nmap_version": self.nmap_version, "command": list(self.command), "elapsed_s": self.elapsed_s,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "PortScan":
        if d.get("schema", SCHEMA) != SCHEMA:
            raise ValueError(f"unsupported ports observation schema {d.get('schema')!r}")
        return cls(
            host=str(d["host"]), address=str(d.get("address", "")),
            ports=tuple(PortFact.from_dict(p) for p in d.get("ports", ())),
            requested_ports=tuple(int(p) for p in d.get("requested_ports", ())),
            service_detection=bool(d.get("service_detection", False)),
            scripts=tuple(str(s) for s in d.get("scripts", ())),
            nmap_version=str(d.get("nmap_version", "")), command=tuple(str(a) for a in d.get("command", ())),
            elapsed_s=float(d.get("elapsed_s", 0.0)),
        )


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
