"""What a probe family is: the one plug-in interface of measurements (design §3).

A *probe family* (``tls``, ``ports``, ``http``, ...) measures one kind of fact about the targets of a
system. Everything the rest of secaudit needs to know about it sits behind :class:`ProbeFamily`:

* ``kind`` — the name probes, observations and ``--only`` use;
* ``provides`` — the need prefixes it measures (a check's ``needs`` say ``"tls:protocols"``,
  ``"nse:ssh2-enum-algos"``...: the ports family provides ``"ports"`` and ``"nse"``);
* ``facts_type`` — the frozen dataclass its OK observations carry, with ``to_dict()`` /
  ``from_dict()`` as its JSON form (the serialisation layer decodes facts by kind with it);
* ``targets(system, scope)`` and ``applies(endpoint)`` — where it can measure on a system;
* ``probe_target(target)`` — which probe serves a target (ports: one probe per host);
* ``params(needs, targets, systems, controls)`` — pure: the parameters of one probe;
* ``runner(ctx)`` — the :class:`ProbeRunner` the executor calls;
* ``check_tools()`` — raises :class:`~secaudit.errors.ToolMissingError` (with an install hint) when
  an external tool is missing, before anything runs.

Families are listed explicitly in :mod:`secaudit.probes.registry`, which ``plan``, ``evaluate``,
the serialisation layer, the CLI's ``--only`` and the results schema all read. :class:`BaseFamily`
gives the usual defaults, so a family overrides only what differs.

This module imports only :mod:`secaudit.model`, :mod:`secaudit.targets` and :mod:`secaudit.errors`:
probes never import plan, checks, report or cli.

Writing a new family (e.g. ``banner``) takes: ``observations/banner.py`` (the facts),
``probes/banner.py`` (the probe and a ``BaseFamily`` subclass), ``checks/banner.py`` (its checks),
one entry in :data:`secaudit.probes.registry.BUILTIN` and one in ``secaudit.checks._FAMILIES``, plus
its policy data and catalog messages. Tests may instead register a family and its checks at run
time (:func:`secaudit.probes.registry.registered`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from secaudit.model import Control, Endpoint, Observation, Probe, System

# What a target is (a check's ``scope`` says which it judges).
ENDPOINT = "endpoint"       # host:port of a declared endpoint
HOST = "host"               # a host, every port of it (ports)
DOMAIN = "domain"           # a DNS domain of a system (mail: MX, SPF, DMARC...)
NETWORK = "network"         # a network (CIDR) of a zone (discovery of undeclared hosts)
SCOPES = (ENDPOINT, HOST, DOMAIN, NETWORK)


@dataclass(frozen=True)
class Target:
    """One place a control is judged: its ``name`` is what findings carry (the target of the
    (system, control, target) identity).

    ``host`` is the network host to contact when there is one (endpoints, hosts; a domain's own
    name); ``endpoint`` is set for endpoint targets only."""

    name: str                              # "host:port", "host", "example.vn", "10.0.0.0/24"
    host: str = ""
    endpoint: Endpoint | None = None
    scope: str = ENDPOINT

    @classmethod
    def of_endpoint(cls, endpoint: Endpoint) -> "Target":
        return cls(endpoint.address, endpoint.host, endpoint, ENDPOINT)

    @classmethod
    def of_host(cls, host: str) -> "Target":
        return cls(host, host, None, HOST)

    @classmethod
    def of_domain(cls, domain: str) -> "Target":
        return cls(domain, domain, None, DOMAIN)

    @classmethod
    def of_network(cls, cidr: str) -> "Target":
        return cls(cidr, "", None, NETWORK)


@dataclass(frozen=True)
class RunnerContext:
    """What a runner is given to work with, the same for every family."""

    scope: tuple[str, ...] = ()            # the only hosts (or networks) any probe may touch: from the inventory
    ca_file: str | None = None             # the organisation's extra trust store (PEM)
    options: Mapping[str, Any] = field(default_factory=dict)   # family-specific run options, e.g. a DNS resolver


@runtime_checkable
class ProbeRunner(Protocol):
    """Runs probes of one kind. Must never raise for a target's fault: a target that refuses, stalls
    or lies becomes an ERROR observation."""

    kind: str
    batch_size: int          # probes handed over in one call (one sslyze Scanner, one nmap invocation)
    parallel: int            # probes of a batch that run at the same time (bounds the batch's deadline)
    # optional: overhead_s, seconds a batch may spend before its probes' own deadlines start

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        """Yield one observation per probe, as each completes, each within about ``timeout_s``."""
        ...


@runtime_checkable
class ProbeFamily(Protocol):
    """A probe family as the plan, the executor, evaluation and serialisation see it."""

    kind: str
    provides: frozenset[str]
    facts_type: type

    def targets(self, system: System, scope: str) -> Sequence[Target]:
        """The targets of ``scope`` on ``system`` this family can measure (empty: none)."""
        ...

    def applies(self, endpoint: Endpoint) -> bool:
        """Whether this family can measure ``endpoint`` at all (tls: a TLS endpoint)."""
        ...

    def probe_target(self, target: Target) -> str:
        """The probe target serving ``target`` (the ``target`` of the probe and its observation)."""
        ...

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        """Pure: the parameters of the one probe measuring ``needs`` on ``targets`` (all served by the same
        probe target), for these systems and the controls that asked (their params may widen the probe)."""
        ...

    def runner(self, ctx: RunnerContext) -> ProbeRunner: ...

    def check_tools(self) -> None:
        """Raise ToolMissingError (its message says how to install) when a tool the runner needs is missing."""
        ...


class BaseFamily:
    """Defaults for a family: endpoint and host targets from the system's endpoints, every endpoint
    applicable, one probe per target name, no external tool. Subclasses set ``kind``, ``provides``
    and ``facts_type`` and implement ``params`` and ``runner``."""

    kind: ClassVar[str]
    provides: ClassVar[frozenset[str]]
    facts_type: ClassVar[type]

    def targets(self, system: System, scope: str) -> Sequence[Target]:
        if scope == ENDPOINT:
            return [Target.of_endpoint(e) for e in system.endpoints if self.applies(e)]
        if scope == HOST:
            hosts = [e.host for e in system.endpoints] + list(system.hosts)
            return [Target.of_host(h) for h in dict.fromkeys(hosts)]
        return []

    def applies(self, endpoint: Endpoint) -> bool:
        return True

    def probe_target(self, target: Target) -> str:
        return target.name

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        raise NotImplementedError

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        raise NotImplementedError

    def check_tools(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<probe family {self.kind}>"


def need_prefix(need: str) -> str:
    """``"tls:protocols"`` -> ``"tls"``; ``"nse:ssh2-enum-algos"`` -> ``"nse"``."""
    return need.split(":", 1)[0]
