"""`make demo`: the main job on the shipped examples.

Today: validate the example inventory, show what validation errors look like, and list
the systems. Each step is the real `secaudit` command a user would type.
"""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SECAUDIT = [sys.executable, "-m", "secaudit"]


def step(title: str, *args: str, expect: int = 0) -> None:
    print(f"\n\033[1m$ secaudit {' '.join(args)}\033[0m   # {title}", flush=True)
    rc = subprocess.run(SECAUDIT + list(args), cwd=ROOT).returncode
    if rc != expect:
        sys.exit(f"demo: `secaudit {' '.join(args)}` exited {rc}, expected {expect}")


def list_systems() -> None:
    sys.path.insert(0, ROOT)
    from rich.console import Console
    from rich.table import Table

    from secaudit.load import load_inventory

    inv = load_inventory(os.path.join(ROOT, "examples/inventory.yaml"))
    table = Table(title=inv.organisation.name)
    for col in ("id", "name", "purpose", "declared", "endpoints"):
        table.add_column(col)
    for s in inv.systems:
        table.add_row(s.id, s.name, s.purpose.value, str(s.declared_level or "-"),
                      ", ".join(e.address for e in s.endpoints) or "(none)")
    Console().print(table)


def main() -> None:
    step("a valid inventory", "validate", "examples/inventory.yaml")
    step("what mistakes look like (exit status 2)", "validate", "examples/invalid-inventory.yaml", expect=2)
    print()
    list_systems()
    step("security level of every system (Decree 331/2026, the default regime)",
         "classify", "examples/inventory.yaml", "--lang", "vi")
    step("the same inventory under Decree 85/2016; a declared level that is too low fails CI (exit 1)",
         "classify", "examples/inventory.yaml", "--regime", "decree-85-2016", "--fail-on-underclassified",
         expect=1)


if __name__ == "__main__":
    main()
