"""The probe families the plan and the executor know: tls (sslyze), ports (nmap), http (stdlib).

For each family: how needs become probe parameters (``params_for``, pure) and a runner that
executes a batch of probes (``runners``). Explicit, one place: adding a family is one entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from secaudit.model import Control, Inventory, Observation, Probe, System
from secaudit.plan import ParamsFor, Target


# ----------------------------------------------------------------------------- params (pure)


def _tls_params(needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
                controls: Sequence[Control]) -> Mapping[str, Any]:
    from secaudit.probes.tls import params_for_needs

    ep = next(t.endpoint for t in targets if t.endpoint is not None)
    return {"host": ep.host, "port": ep.port, "sni": ep.sni,
            "starttls": ep.starttls.value if ep.starttls else None,
            "scan": params_for_needs(needs).to_dict()}


def _ports_params(needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
                  controls: Sequence[Control]) -> Mapping[str, Any]:
    from secaudit.probes.ports import options_for_needs, select_ports

    host = targets[0].host
    ports: set[int] = set()
    for system in systems:
        for control in controls or [None]:      # each asking control may widen the port set
            ports.update(select_ports(system, dict(control.params) if control else {}))
    # A host shared by systems: every system's allowed and endpoint ports are scanned there.
    return {**options_for_needs(needs).to_params(), "ports": sorted(ports), "host": host}


def _http_params(needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
                 controls: Sequence[Control]) -> Mapping[str, Any]:
    ep = next(t.endpoint for t in targets if t.endpoint is not None)
    return {"host": ep.host, "port": ep.port, "host_header": ep.sni or ep.host}


def params_for(req: Any = None, inventory: Inventory | None = None) -> dict[str, ParamsFor]:
    return {"tls": _tls_params, "ports": _ports_params, "http": _http_params}


# ----------------------------------------------------------------------------- runners


class TlsRunner:
    kind = "tls"
    batch_size = 10          # one sslyze Scanner per batch (its defaults: 10 servers at once)
    parallel = 10

    @property
    def overhead_s(self) -> float:
        """Time a batch may spend in the "does it speak?" check before its endpoints' budgets start."""
        from secaudit.probes.tls import quick_check_overhead_s

        return quick_check_overhead_s()

    def __init__(self, ca_file: str | None = None):
        self.ca_file = Path(ca_file) if ca_file else None

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        from secaudit.probes.tls import TlsProbeParams, TlsTarget, scan

        groups: dict[TlsProbeParams, list[TlsTarget]] = {}
        for p in probes:
            params = TlsProbeParams.from_dict(p.params["scan"])
            groups.setdefault(params, []).append(TlsTarget(p.params["host"], p.params["port"], p.params.get("sni"),
                                                           p.params.get("starttls"), probe_id=p.id))
        for params, targets in groups.items():
            for obs in scan(targets, params, timeout_s=timeout_s, ca_file=self.ca_file, batch_size=len(targets)):
                yield obs


class PortsRunner:
    kind = "ports"
    batch_size = 16          # hosts per nmap invocation
    parallel = 16            # nmap scans the hosts of a batch in parallel

    def __init__(self, scope: Sequence[str]):
        self.scope = list(scope)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        from secaudit.probes.ports import run_probes

        yield from run_probes(probes, self.scope, deadline_s=timeout_s, batch_size=self.batch_size)


class HttpRunner:
    kind = "http"
    batch_size = 1
    parallel = 1

    def __init__(self, scope: Sequence[str]):
        self.scope = list(scope)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        from secaudit.probes.http import run_probes

        yield from run_probes(probes, self.scope, timeout_s=min(timeout_s, 10.0))


def inventory_scope(inventory: Inventory) -> list[str]:
    """The only hosts any probe may touch: the inventory's endpoint hosts."""
    return sorted({e.host for s in inventory.systems for e in s.endpoints})


def runners(req: Any, inventory: Inventory, kinds: Sequence[str] | None = None) -> dict[str, Any]:
    """Runners for the plan's probe kinds; checks that external tools exist first (clear error, exit 2)."""
    scope = inventory_scope(inventory)
    out: dict[str, Any] = {"tls": TlsRunner(getattr(req, "ca_file", None)), "http": HttpRunner(scope),
                           "ports": PortsRunner(scope)}
    if kinds is None or "ports" in kinds:
        from secaudit.probes.ports import find_nmap

        find_nmap()          # raises ToolMissingError with the install command when nmap is missing or too old
    return {k: v for k, v in out.items() if kinds is None or k in kinds}
