"""Facts of a discovery sweep over one declared network: the hosts that answered and their open ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict

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
        return fields_to_dict(self, SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "DiscoveryFacts":
        return fields_from_dict(cls, d, SCHEMA)