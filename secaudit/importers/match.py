"""Which inventory systems an imported report speaks about (pure).

A host of the report (or one of its aliases: the FQDN of an address, a host's other addresses) is
compared with the inventory's endpoint hosts and declared ``hosts``, case-insensitively. A finding with a
port goes to the systems with that very endpoint (host and port); when no endpoint has that port, to
every system on that host (a host is its systems' however it is reached). A host that matches no system
is listed in :attr:`Matching.unmatched_hosts`: its findings are stored and shown, never dropped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from secaudit.importers.common import host_key
from secaudit.importers.model import ImportedReport
from secaudit.model import Inventory


@dataclass(frozen=True)
class Matching:
    systems: tuple[str, ...]                       # systems whose hosts the report covered, inventory order
    by_finding: tuple[tuple[str, ...], ...]        # for each of report.findings: the systems it belongs to
    unmatched_hosts: tuple[str, ...]               # hosts of the report that match no system


class Index:
    """The inventory's hosts and endpoints, built once per import."""

    def __init__(self, inventory: Inventory):
        self.order = {s.id: n for n, s in enumerate(inventory.systems)}
        self.hosts: dict[str, list[str]] = defaultdict(list)
        self.endpoints: dict[tuple[str, int], list[str]] = defaultdict(list)
        for s in inventory.systems:
            for e in s.endpoints:
                self._add(self.hosts[host_key(e.host)], s.id)
                self._add(self.endpoints[(host_key(e.host), e.port)], s.id)
            for h in s.hosts:
                self._add(self.hosts[host_key(h)], s.id)

    @staticmethod
    def _add(target: list[str], system_id: str) -> None:
        if system_id not in target:
            target.append(system_id)

    def on_host(self, names: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for n in names:
            for sid in self.hosts.get(n, ()):
                self._add(out, sid)
        return out

    def on_endpoint(self, names: tuple[str, ...], port: int) -> list[str]:
        out: list[str] = []
        for n in names:
            for sid in self.endpoints.get((n, port), ()):
                self._add(out, sid)
        return out

    def sort(self, ids: list[str]) -> tuple[str, ...]:
        return tuple(sorted(ids, key=lambda sid: self.order.get(sid, 0)))


def match(report: ImportedReport, inventory: Inventory) -> Matching:
    index = Index(inventory)
    names = lambda host: (host_key(host),) + tuple(host_key(a) for a in report.aliases.get(host, ()))  # noqa: E731
    covered: list[str] = []
    unmatched: list[str] = []
    for host in dict.fromkeys(list(report.hosts) + [f.host for f in report.findings]):
        systems = index.on_host(names(host))
        if not systems and host not in unmatched:
            unmatched.append(host)
        for sid in systems:
            index._add(covered, sid)
    by_finding = []
    for f in report.findings:
        found = index.on_endpoint(names(f.host), f.port) if f.port is not None else []
        by_finding.append(index.sort(found or index.on_host(names(f.host))))
    return Matching(index.sort(covered), tuple(by_finding), tuple(unmatched))
