"""What a check is: a pure function from (params, context) to an Outcome, plus what it needs measured.

Each family module (``tls``, ``cert``, ``ports``, ``ssh``, ``http``) exports a tuple
``CHECKS`` of :class:`CheckSpec`; ``secaudit.checks.REGISTRY`` maps names to specs
explicitly (no registration by import side effect).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from secaudit.model import Endpoint, Observation, Outcome, Service, System


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may read about one target. Checks never do I/O."""

    system: System
    target: str                                    # host:port for endpoint checks, host for host checks
    endpoint: Endpoint | None                      # None for host-level checks (ports)
    observations: Mapping[str, Observation]        # by probe kind: "tls", "ports", "http"
    now: dt.datetime                               # timezone-aware UTC; injected so checks stay pure


CheckFunc = Callable[[Mapping[str, Any], CheckContext], Outcome]
# A check that judges many things inside one target (discovery: every host and port of a network):
# (item, outcome) pairs, each item a finding's target; none when there is nothing to report.
ItemsFunc = Callable[[Mapping[str, Any], CheckContext], Sequence[tuple[str, Outcome]]]


@dataclass(frozen=True)
class CheckSpec:
    name: str                                      # the name policies use, e.g. "tls.protocols.forbidden"
    func: CheckFunc
    needs: frozenset[str]                          # measurements required, e.g. {"tls:protocols"}; plan derives probes
    params_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    services: tuple[Service, ...] = ()             # services it applies to by default; empty: decided by the check
    scope: str = "endpoint"                        # "endpoint" (host:port) or "host"
    # the needs of one control's params, when they are fewer than ``needs`` (e.g. only the vulnerability
    # tests a control lists); None: always ``needs``. Never more than ``needs`` in kinds.
    needs_for_params: Callable[[Mapping[str, Any]], frozenset[str]] | None = None
    # the catalog message of a not-applicable finding when the system has no target of the check's kind
    no_target: str = "evaluate.no_target"
    # set: evaluation takes one finding per item of the target from this instead of ``func``'s one outcome
    items: ItemsFunc | None = None

    def needs_for(self, params: Mapping[str, Any]) -> frozenset[str]:
        """What a control with these params needs measured (the plan asks probes for exactly this)."""
        return self.needs if self.needs_for_params is None else self.needs_for_params(params)
