"""The import rules of design §3, checked over the source (every import statement, also those inside
functions): probes/ import none of plan, checks, report, cli; checks/ import no probe; report/ imports
no probe; nothing outside cli/ imports cli/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "secaudit"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every secaudit module ``path`` imports (``from secaudit import plan`` counts as secaudit.plan)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    here = module_name(path, root)
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                                  # relative: resolve against this module's package
                pkg = here.split(".") if is_package else here.split(".")[:-1]
                pkg = pkg[:len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in out if m == "secaudit" or m.startswith("secaudit.")}


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(source_pkg: str, forbidden: tuple[str, ...], graph: dict[str, set[str]] = GRAPH) -> list[str]:
    return sorted(f"{m} imports {i}" for m, imps in graph.items() if under(m, source_pkg)
                  for i in imps if any(under(i, f) for f in forbidden))


def test_the_graph_sees_the_package():
    assert len(GRAPH) > 50
    assert "secaudit.checks.base" in GRAPH["secaudit.plan"]         # the walker finds top-level imports
    assert "secaudit.probes.registry" in GRAPH["secaudit.serialize"]  # ... and those inside functions


@pytest.mark.parametrize("source, forbidden", [
    ("secaudit.probes", ("secaudit.plan", "secaudit.checks", "secaudit.report", "secaudit.cli")),
    ("secaudit.checks", ("secaudit.probes",)),
    ("secaudit.report", ("secaudit.probes",)),
    # importers read files; the one exception below is the evidence item's dataclass (a leaf of requirements)
    ("secaudit.importers", ("secaudit.plan", "secaudit.checks", "secaudit.report", "secaudit.cli", "secaudit.probes")),
])
def test_layer_rules(source, forbidden):
    assert violations(source, forbidden) == []


ABOVE_CLI = {"secaudit.__main__"}        # `python -m secaudit`: the program entry sits above the CLI


def test_nothing_outside_cli_imports_cli():
    bad = sorted(f"{m} imports {i}" for m, imps in GRAPH.items()
                 if not under(m, "secaudit.cli") and m not in ABOVE_CLI
                 for i in imps if under(i, "secaudit.cli"))
    assert bad == []


def test_the_walker_catches_a_violation(tmp_path):
    """The rules can fail: a probe module importing checks inside a function, or plan relatively, is caught."""
    root = tmp_path / "secaudit"
    src = root / "probes" / "bad.py"
    src.parent.mkdir(parents=True)
    src.write_text("def f():\n    from secaudit.checks import REGISTRY\n    from .. import plan\n")
    graph = {module_name(src, root): imports_of(src, root)}
    assert violations("secaudit.probes", ("secaudit.plan", "secaudit.checks"), graph) == [
        "secaudit.probes.bad imports secaudit.checks", "secaudit.probes.bad imports secaudit.checks.REGISTRY",
        "secaudit.probes.bad imports secaudit.plan"]


def test_importers_import_of_requirements_only_the_evidence_item():
    bad = sorted(f"{m} imports {i}" for m, imps in GRAPH.items() if under(m, "secaudit.importers")
                 for i in imps if under(i, "secaudit.requirements")
                 and i not in ("secaudit.requirements.model", "secaudit.requirements.model.EvidenceItem"))
    assert bad == []
