"""Synthetic large runs for the store's tests and benchmark: a real inventory, the real plan and
evaluation, canned observations for every probe (no network).

``synthetic_run(directory, endpoints=1000, fixed=0)`` gives Results of ``endpoints`` HTTPS
endpoints (10 per system, level 3); ``fixed`` endpoints answer with a one-year HSTS header
instead of none, so two runs with different ``fixed`` differ by exactly that many findings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from secaudit.model import Observation, ObservationStatus, Results
from secaudit.observations.http import HttpRedirect
from secaudit.observations.ports import PortFact, PortGroup, PortScan, PortState, compress, expand
from secaudit.observations.tls import CertificateFacts, HstsFacts, Measure
from tests.support.canned import MODERN, cert, deployment, facts, protocols, vulns

PER_SYSTEM = 10


def write_inventory(directory: Path, endpoints: int) -> Path:
    systems = (endpoints + PER_SYSTEM - 1) // PER_SYSTEM
    lines = ["kind: inventory", "organisation: {name: Synthetic agency}", "systems:"]
    for s in range(systems):
        eps = ", ".join(f"'https://h{s}-{e}.example:443'" for e in range(min(PER_SYSTEM, endpoints - s * PER_SYSTEM)))
        lines.append(f"  - {{id: sys-{s:04d}, name: System {s}, purpose: internal, information: [private], "
                     f"declared_level: 3, endpoints: [{eps}]}}")
    path = directory / f"inventory-{endpoints}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _observation(probe, index: int, fixed: bool) -> Observation:
    started = "2026-11-23T10:00:00+00:00"
    if probe.kind == "tls":
        host, port = probe.target.rsplit(":", 1)
        leaf = dataclasses.replace(cert(f"CN={host}", dns=(host,)), sha256=f"{index:064x}")
        f = dataclasses.replace(
            facts(prot=protocols(MODERN), vulnerabilities=vulns(),
                  certificate=CertificateFacts(Measure.MEASURED, sni=host,
                                               deployments=(deployment(leaf, hostname=host),)),
                  hsts=HstsFacts(Measure.MEASURED, present=fixed, max_age=31536000 if fixed else None)),
            host=host, port=int(port), sni=host)
        return Observation(probe.id, "tls", probe.target, ObservationStatus.OK, f, None, started, 0.5)
    if probe.kind == "ports":
        # the plan asks for its ports compressed ("1,3-4,...": the top 1,000 at level 3); as nmap reports them,
        # 443 open and listed, every other one closed in one collapsed group
        requested = expand(probe.params.get("ports") or "443")
        closed = [p for p in requested if p != 443]
        scan = PortScan(probe.target, "127.6.0.1", (PortFact(443, "tcp", PortState.OPEN),), requested, False, (),
                        "7.93", (), collapsed=(PortGroup(PortState.CLOSED, "conn-refused", compress(closed),
                                                         len(closed)),) if closed else ())
        return Observation(probe.id, "ports", probe.target, ObservationStatus.OK, scan, None, started, 1.0)
    if probe.kind == "http":
        host = probe.target.rsplit(":", 1)[0]
        redirect = HttpRedirect(f"http://{probe.target}/", 301, "Moved", f"https://{host}/", "https", host, True)
        return Observation(probe.id, "http", probe.target, ObservationStatus.OK, redirect, None, started, 0.1)
    return Observation(probe.id, probe.kind, probe.target, ObservationStatus.ERROR, None, "not canned", started, 0.0)


def synthetic_run(directory: Path, endpoints: int = 1000, fixed: int = 0, run_id: str = "synthetic",
                  started: str = "2026-11-23T10:00:00+00:00") -> Results:
    from secaudit.checks import REGISTRY
    from secaudit.run import ScanRequest, assess, build_results, load_inputs, make_plan

    inventory_file = directory / f"inventory-{endpoints}.yaml"
    if not inventory_file.exists():
        write_inventory(directory, endpoints)
    req = ScanRequest(inventory_file=str(inventory_file))
    inventory, waivers, library = load_inputs(req)
    assessments = assess(req, inventory, library)
    plan = make_plan(req, assessments, inventory)
    tls_index = {p.id: i for i, p in enumerate(p for p in plan.probes if p.kind == "tls")}
    observations = tuple(_observation(p, tls_index.get(p.id, 0), tls_index.get(p.id, endpoints) < fixed)
                         for p in plan.probes)
    now = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
    return build_results(req, run_id, started, started, inventory, library, assessments, observations, waivers,
                         REGISTRY, True, now)
