"""Pieces more than one benchmark script uses.

The scripts run as files (``benchmarks/run.py`` starts ``python benchmarks/<name>.py`` from the repository root);
each puts the repository root on ``sys.path`` first, so ``from benchmarks.support import ...`` finds this module.
"""

from __future__ import annotations

from pathlib import Path


def inventory(path: Path, endpoints: list[str]) -> None:
    """Write an inventory of one level-3 internal system per HTTPS endpoint (``host:port``), ids s0, s1, ..."""
    lines = ["kind: inventory", "systems:"]
    for i, ep in enumerate(endpoints):
        lines.append(f"  - {{id: s{i}, name: S{i}, purpose: internal, information: [private], declared_level: 3, "
                     f"endpoints: ['https://{ep}']}}")
    path.write_text("\n".join(lines) + "\n")
