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
  an external tool is missing, before anything runs;
* ``options`` — the run options it owns (:class:`FamilyOption`: ``--resolver`` of the mail family): the
  CLI offers them, the run request keeps the values the user set, and the family's runner gets every one
  of them in ``RunnerContext.options`` (the user's value or the default). ``batch_timeout_option`` may name
  one of them as the deadline of one of its batches (ports: ``--ports-timeout``);
* ``subjects(inventory, options, ...)`` — the planning hook: what a run of this family judges. ``None``
  (the default): the inventory's systems, each against its level. A family that judges something else
  returns its :class:`Subject` list, built from the inventory and its own options (discovery: each chosen
  zone as a system ``zone:<id>`` whose networks it sweeps, from ``--zone`` / ``--network``); a run whose
  ``--only`` names the family judges those subjects instead of the systems, and the pipeline treats
  them like systems from there on (plan, executor, journal, evaluation, store, ``report RUN_ID``).

Families are listed explicitly in :mod:`secaudit.probes.registry`, which ``plan``, ``evaluate``,
the serialisation layer, the CLI's ``--only`` and the results schema all read. :class:`BaseFamily`
gives the usual defaults, so a family overrides only what differs.

This module imports only :mod:`secaudit.model`, :mod:`secaudit.targets` and :mod:`secaudit.errors`:
probes never import plan, checks, report or cli.

Writing a new family (e.g. ``banner``) takes: ``observations/banner.py`` (the facts),
``probes/banner.py`` (the probe, a ``BaseFamily`` subclass and its ``options``), ``checks/banner.py``
(its checks), one entry each in :data:`secaudit.probes.registry.BUILTIN`, the facts-type table of
:mod:`secaudit.observations.registry` and ``secaudit.checks._FAMILIES``, plus its policy data and
catalog messages: no edit of the run request, the CLI or the executors. A plug-in or a test instead
registers a family and its checks at run time (:mod:`secaudit.plugins`,
:func:`secaudit.probes.registry.registered`) and edits nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterator, Mapping, Protocol, Sequence, runtime_checkable

from secaudit.model import Control, Endpoint, Inventory, LocalText, Message, Observation, Probe, System

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


OPTION_TYPES = ("str", "int", "float", "bool", "choice", "multi")


@dataclass(frozen=True)
class FamilyOption:
    """One run option a family owns: ``--resolver`` of the mail family, ``--ports-timeout`` of ports.

    ``name`` is the key in ``RunnerContext.options`` and, with ``_`` as ``-``, the command-line option
    (``mta_sts_port`` -> ``--mta-sts-port``). ``type``: "str", "int", "float", "bool" (a flag),
    "choice" (one of ``choices``) or "multi" (a repeatable string, a tuple of them). ``minimum`` and
    ``maximum`` bound an int or float; ``metavar`` names the value in ``--help``. ``validate`` is pure:
    it returns the normalised value or raises :class:`~secaudit.targets.TargetError` or
    :class:`~secaudit.errors.InputError` (the user sees the catalog message, exit 2). No click here:
    the CLI builds its options from these."""

    name: str
    type: str
    default: Any
    help: LocalText
    choices: tuple[str, ...] = ()
    validate: Callable[[Any], Any] | None = None
    minimum: float | None = None
    maximum: float | None = None
    metavar: str | None = None

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise ValueError(f"option {self.name!r}: type {self.type!r} is not one of {OPTION_TYPES}")
        if not self.name.isidentifier() or self.name != self.name.lower():
            raise ValueError(f"option name {self.name!r}: lowercase letters, digits and '_' only")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"option {self.name!r}: a choice needs its choices")

    @property
    def flag(self) -> str:
        """The command-line option: ``--mta-sts-port``."""
        return "--" + self.name.replace("_", "-")

    def coerce(self, value: Any) -> Any:
        """A value as stored in JSON (run.json, a zone batch) back in this option's type: a list of a
        "multi" option is a tuple again. ``ValueError`` when it cannot be one of this option's values."""
        if value is None:
            return None
        if self.type == "multi":
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{self.flag}: expected a list of strings")
            return tuple(value)
        if self.type == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{self.flag}: expected true or false")
            return value
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{self.flag}: expected an integer")
        elif self.type == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{self.flag}: expected a number")
            value = float(value)
        elif not isinstance(value, str):
            raise ValueError(f"{self.flag}: expected a string")
        if self.type == "choice" and value not in self.choices:
            raise ValueError(f"{self.flag}: {value!r} is not one of {list(self.choices)}")
        if self.minimum is not None and value < self.minimum or self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.flag}: {value!r} is outside {self.minimum}..{self.maximum}")
        return value

    def normalise(self, value: Any) -> Any:
        """The value the family's runner gets: :meth:`coerce`, then ``validate`` (its result) when set.
        Raises ``ValueError`` (TargetError included) or InputError for a value this option refuses."""
        value = self.coerce(value)
        return self.validate(value) if self.validate is not None and value is not None else value


@dataclass(frozen=True)
class Subject:
    """One thing a family judges in place of the inventory's systems (:meth:`BaseFamily.subjects`).

    ``system`` is what findings, reports and the store name (discovery: ``zone:<id>``, its ``networks`` the
    networks to sweep, its ``endpoints`` what the inventory declares there); ``policy`` is the id of the
    policy it is judged against, looked up in the policy library like a level's (a plug-in ships it in its
    ``policy_dirs``), so the run records that policy's digest; ``check_params`` lays params over those of the
    policy's controls using a check (check name -> params: an option widening what the controls ask);
    ``notes`` are shown with the subject's results."""

    system: System
    policy: str
    check_params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notes: tuple[Message, ...] = ()


@dataclass(frozen=True)
class RunnerContext:
    """What a runner is given to work with, the same for every family."""

    scope: tuple[str, ...] = ()            # the only hosts (or networks) any probe may touch: from the inventory
    ca_file: str | None = None             # the organisation's extra trust store (PEM)
    options: Mapping[str, Any] = field(default_factory=dict)   # the family's own options (FamilyOption), by name


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
    options: ClassVar[tuple[FamilyOption, ...]] = ()        # the run options this family owns
    batch_timeout_option: ClassVar[str | None] = None      # the option that is one batch's deadline, if any

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

    def subjects(self, inventory: Inventory, options: Mapping[str, Any], *, source: str = "-",
                 observed: Sequence[str] | None = None, lookups: bool = True) -> Sequence[Subject] | None:
        """The planning hook: what a run naming this family in ``--only`` judges; ``None`` (here): the
        inventory's systems. ``options`` are the family's own (every option: the value set or the default).
        ``source`` names the inventory in messages. ``observed``, when re-judging stored observations
        (``report results.json``, whose run options are not kept): the probe targets the run measured, to be
        judged as they were. ``lookups=False``: called before anything runs only to refuse bad options (no
        name lookups then). Raises InputError, or ScopeError, for options that choose nothing or leave the
        declared scope (exit 2, before any probe)."""
        return None

    def __repr__(self) -> str:
        return f"<probe family {self.kind}>"


def need_prefix(need: str) -> str:
    """``"tls:protocols"`` -> ``"tls"``; ``"nse:ssh2-enum-algos"`` -> ``"nse"``."""
    return need.split(":", 1)[0]
