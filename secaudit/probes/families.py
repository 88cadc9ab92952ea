"""The TLS (sslyze) and ports (nmap) families: glue between :mod:`secaudit.probes.interface` and the
adapters in :mod:`secaudit.probes.tls` and :mod:`secaudit.probes.ports`, which stay black boxes here.

The HTTP family lives beside its probe in :mod:`secaudit.probes.http` (the pattern for a new family);
the list of families is :mod:`secaudit.probes.registry`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from secaudit.model import Control, Endpoint, LocalText, Observation, Probe, System
from secaudit.observations.ports import PortScan
from secaudit.observations.tls import TlsFacts
from secaudit.probes.interface import BaseFamily, FamilyOption, ProbeRunner, RunnerContext, Target
from secaudit.probes.tls import quick_check_overhead_s
from secaudit.probes.tls import TlsProbeParams, TlsTarget, scan_endpoints
from secaudit.probes.tls import params_for_needs
from secaudit.probes.ports import iter_probes
from secaudit.probes.ports import probe_params
from secaudit.probes.ports import find_nmap

# ----------------------------------------------------------------------------- tls


class TlsRunner:
    kind = "tls"
    batch_size = 10          # endpoints per batch, all started at once (each its own pipeline and budget)
    parallel = 10

    @property
    def overhead_s(self) -> float:
        """Time an endpoint may spend in the "does it speak?" check before its own budget starts."""
        return quick_check_overhead_s()

    def __init__(self, ca_file: str | None = None):
        self.ca_file = Path(ca_file) if ca_file else None

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        jobs = [(TlsTarget(p.params["host"], p.params["port"], p.params.get("sni"), p.params.get("starttls"),
                           probe_id=p.id), TlsProbeParams.from_dict(p.params["scan"])) for p in probes]
        yield from scan_endpoints(jobs, timeout_s=timeout_s, ca_file=self.ca_file, concurrency=max(1, len(jobs)))


class TlsFamily(BaseFamily):
    """sslyze through its Python API: one probe per TLS endpoint with exactly the scan commands needed."""

    kind = "tls"
    provides = frozenset({"tls"})
    facts_type = TlsFacts

    def applies(self, endpoint: Endpoint) -> bool:
        return endpoint.tls

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        ep = next(t.endpoint for t in targets if t.endpoint is not None)
        return {"host": ep.host, "port": ep.port, "sni": ep.sni,
                "starttls": ep.starttls.value if ep.starttls else None,
                "scan": params_for_needs(needs).to_dict()}

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return TlsRunner(ctx.ca_file)


# ----------------------------------------------------------------------------- ports


class PortsRunner:
    kind = "ports"
    batch_size = 16          # hosts handed over at once
    parallel = 8             # one nmap per host, this many at a time (a slow host costs no neighbour)

    def __init__(self, scope: Sequence[str]):
        self.scope = list(scope)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        yield from iter_probes(probes, self.scope, deadline_s=timeout_s, parallel=self.parallel)


class PortsFamily(BaseFamily):
    """nmap (connect scan, -sV and NSE scripts when needed): one probe per host with the union of its ports."""

    kind = "ports"
    provides = frozenset({"ports", "nse"})
    facts_type = PortScan
    options = (FamilyOption("ports_timeout", "float", 120.0, LocalText(
        en="Deadline of one nmap batch, in seconds (service detection on silent ports is slow).",
        vi="Thời hạn của một lượt nmap, tính bằng giây (nhận diện dịch vụ trên cổng im lặng rất chậm)."),
        minimum=5, maximum=3600),)                   # nmap: -sV on a silent port alone costs about 48 s
    batch_timeout_option = "ports_timeout"

    def probe_target(self, target: Target) -> str:
        return target.host

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        # A host shared by systems: every system's allowed and endpoint ports are scanned there.
        return probe_params(needs, targets[0].host, systems, controls)

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return PortsRunner(ctx.scope)

    def check_tools(self) -> None:
        find_nmap()          # raises ToolMissingError with the install command when nmap is missing or too old
