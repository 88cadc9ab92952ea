"""Time every report format on a large synthetic run (pure rendering, no network).

    .venv/bin/python benchmarks/reports.py [SYSTEMS] [ENDPOINTS_PER_SYSTEM] [CONTROLS]
"""

from __future__ import annotations

import dataclasses
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secaudit.model import (  # noqa: E402
    Endpoint, Evidence, Finding, Message, Service, Severity, SourceRef, System, SystemResult, Verdict,
)
from secaudit.report import FORMATS, get_format  # noqa: E402
from tests.report.conftest import make_results  # noqa: E402

SEVS = list(Severity)
VERDICTS = [Verdict.PASS, Verdict.PASS, Verdict.PASS, Verdict.FAIL, Verdict.NOT_APPLICABLE, Verdict.ERROR]


def synthetic(n_systems: int, n_endpoints: int, n_controls: int):
    base = make_results()
    controls = tuple(dataclasses.replace(base.controls[i % len(base.controls)], id=f"CTRL-{i:03d}",
                                         severity=SEVS[i % len(SEVS)]) for i in range(n_controls))
    systems, results, findings = [], [], []
    for s in range(n_systems):
        sid = f"sys-{s:04d}"
        eps = tuple(Endpoint(f"127.0.{s % 250}.{e + 1}", 443, Service.HTTPS, tls=True) for e in range(n_endpoints))
        systems.append(System(sid, f"System {s}", base.inventory.systems[0].purpose, endpoints=eps,
                              source=SourceRef("inv.yaml", 10 + s * 20, 5)))
        for c in controls:
            for ep in eps:
                v = VERDICTS[(s + hash(c.id) + ep.port) % len(VERDICTS)]
                findings.append(Finding(c.id, sid, ep.address, v, c.severity, Message("x.y", {"v": "TLS 1.0"}),
                                        (Evidence("Accepted versions", "TLS 1.0, TLS 1.1"),), (), c.references))
        results.append(SystemResult(sid, f"System {s}", 3, None, 3, 2, "Art. 13", "level-3", {}, {}))
    inv = dataclasses.replace(base.inventory, systems=tuple(systems))
    return dataclasses.replace(base, inventory=inv, systems=tuple(results), controls=controls,
                               findings=tuple(findings), observations=(), expired_waivers=())


def main() -> None:
    args = [int(a) for a in sys.argv[1:]] or [100, 5, 20]
    results = synthetic(*args)
    print(f"{len(results.systems)} systems, {len(results.findings)} findings")
    for name in FORMATS:
        fmt = get_format(name)
        fmt.render(results, "vi")     # warm up (template compilation)
        t0 = time.perf_counter()
        text = fmt.render(results, "vi")
        dt = time.perf_counter() - t0
        tracemalloc.start()         # a second render for memory: tracing slows rendering down
        fmt.render(results, "vi")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name:6s} {dt:7.2f} s  {len(text.encode()) / 1e6:7.2f} MB output  peak traced {peak / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
