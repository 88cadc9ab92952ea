"""Undeclared hosts and services in a declared network (pure): discovery facts against the inventory.

``judge_network`` gives one outcome per thing a person must act on: every live host no system
declares, every open port a declared host does not declare, and for each declared host that
answered, a pass saying how many ports were looked at (a PASS is only as wide as the ports
scanned). A declared host that did not answer is reported as not checked, never as a pass.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Mapping

from secaudit.checks._common import facts_or_error
from secaudit.checks._tls_common import outcome
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Outcome, System, Verdict
from secaudit.observations.discover import DiscoveryFacts


def declared_ports(system: System) -> dict[str, frozenset[int]]:
    """Address -> declared ports, from a zone's declared endpoints (one per host and allowed port)."""
    out: dict[str, set[int]] = {}
    for e in system.endpoints:
        out.setdefault(e.host, set()).add(e.port)
    return {h: frozenset(p) for h, p in out.items()}


def _inside(address: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network)
    except ValueError:
        return False


def judge_network(facts: DiscoveryFacts, declared: Mapping[str, frozenset[int]]) -> list[tuple[str, Outcome]]:
    """(target, outcome) for every undeclared host, undeclared port, declared host seen or not seen."""
    out: list[tuple[str, Outcome]] = []
    scanned = len(facts.ports_scanned)
    live = {h.address for h in facts.hosts}
    for h in facts.hosts:
        ports = ", ".join(str(p) for p in h.open_ports) or "-"
        if h.address not in declared:
            out.append((h.address, outcome(Verdict.FAIL, "discover.fail_host", [("discover.ev.open_ports", ports),
                                                                               ("discover.ev.reason", h.reason)],
                                           host=h.address, ports=ports, network=facts.network)))
            continue
        extra = [p for p in h.open_ports if p not in declared[h.address]]
        for p in extra:
            out.append((f"{h.address}:{p}", outcome(Verdict.FAIL, "discover.fail_port",
                                                    [("discover.ev.declared", sorted(declared[h.address]))],
                                                    host=h.address, port=p)))
        if not extra:
            out.append((h.address, outcome(Verdict.PASS, "discover.pass_host", [("discover.ev.open_ports", ports)],
                                           host=h.address, count=scanned)))
    for addr in sorted(a for a in declared if a not in live and _inside(a, facts.network)):
        out.append((addr, outcome(Verdict.NOT_APPLICABLE, "discover.na_silent", host=addr)))
    if not live:
        # the sweep ran and no address answered: that is a result (nothing undeclared was seen), stated with what
        # the sweep could see, rather than no finding at all (which reads as "nothing verified")
        out.append((facts.network, outcome(Verdict.PASS, "discover.pass_empty", network=facts.network,
                                           addresses=facts.addresses)))
    return out


def _facts(ctx: CheckContext) -> DiscoveryFacts | Outcome:
    return facts_or_error(ctx, "discover", DiscoveryFacts, "discover.error.not_measured", "discover.error.probe",
                          {"network": ctx.target})


def undeclared_items(params: Mapping[str, Any], ctx: CheckContext) -> list[tuple[str, Outcome]]:
    """What evaluation reports for a network target: one finding per undeclared host, undeclared port,
    declared host seen or not seen (``judge_network``), or the sweep's ERROR on the network."""
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return [(ctx.target, facts)]
    return judge_network(facts, declared_ports(ctx.system))


def undeclared(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """One summary outcome for a network target (the check's one-line form)."""
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    results = judge_network(facts, declared_ports(ctx.system))
    bad = [t for t, o in results if o.verdict is Verdict.FAIL]
    if bad:
        return outcome(Verdict.FAIL, "discover.fail_summary", [("discover.ev.undeclared", bad)],
                       network=facts.network, count=len(bad))
    return outcome(Verdict.PASS, "discover.pass_summary", network=facts.network, hosts=len(facts.hosts),
                   count=len(facts.ports_scanned))


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("discover.undeclared", undeclared, frozenset({"discover:sweep"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"top_ports": {"type": "integer", "minimum": 1, "maximum": 65535}}},
              scope="network", items=undeclared_items),
)
