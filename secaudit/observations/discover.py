"""Facts of a discovery sweep over one declared network: the hosts that answered and their open ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from secaudit.observations.serial import from_jsonable, to_jsonable

SCHEMA = "secaudit/observation/discover/v1"


@dataclass(frozen=True)
class LiveHost:
    address: str
    reason: str = ""                          # nmap's reason the host is up (syn-ack, conn-refused, ...)
    open_ports: tuple[int, ...] = ()


@dataclass(frozen=True)
class DiscoveryFacts:
    network: str                              # the declared network swept (CIDR)
    addresses: int                            # addresses in it
    ports_scanned: tuple[int, ...]            # the top ports asked of every live host
    hosts: tuple[LiveHost, ...] = ()
    nmap_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **to_jsonable(self)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "DiscoveryFacts":
        if d.get("schema", SCHEMA) != SCHEMA:
            raise ValueError(f"unsupported discovery observation schema {d.get('schema')!r}")
        return from_jsonable(cls, {k: v for k, v in d.items() if k != "schema"})
