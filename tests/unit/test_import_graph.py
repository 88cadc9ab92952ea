"""The import rules of design §3, checked over the source (every import statement, also those inside
functions): no cycle of modules at all; probes/ import none of plan, checks, report, cli; checks/ import no
probe; report/ imports no probe; observations never reach a probe and the store never reaches the report
package, even through other modules; nothing outside cli/ imports cli/; an import inside a function defers
a costly library for start-up time (the short list below), never a cycle."""

from __future__ import annotations

import ast
import functools
import subprocess
import sys
from pathlib import Path
from typing import Collection

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "secaudit"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str, root: Path) -> bool:
    base = root.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(path: Path, root: Path = PACKAGE) -> set[str]:
    """Every secaudit module ``path`` imports (``from secaudit import plan`` counts as secaudit.plan; the
    package a ``from package import submodule`` names is implied, as for any submodule, and not counted)."""
    return {name for name, _, _ in import_statements(path, root)
            if name == "secaudit" or name.startswith("secaudit.")}


@functools.lru_cache(maxsize=None)
def parsed(path: Path) -> ast.Module:
    """The syntax tree of ``path``, parsed once per session (the sources do not change while tests run; the
    rules below walk every module many times). Callers only read it."""
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


@functools.lru_cache(maxsize=None)
def import_statements(path: Path, root: Path = PACKAGE) -> tuple[tuple[str, int, bool], ...]:
    """(module or name imported, line, inside a function) for every import statement of ``path``."""
    tree = parsed(path)
    here = module_name(path, root)
    is_package = path.name == "__init__.py"
    inner = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))}
    out: list[tuple[str, int, bool]] = []
    for node in ast.walk(tree):
        deferred = id(node) in inner
        if isinstance(node, ast.Import):
            out.extend((a.name, node.lineno, deferred) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:                                  # relative: resolve against this module's package
                pkg = here.split(".") if is_package else here.split(".")[:-1]
                pkg = pkg[:len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names]
            subs = [n for n in names if _is_module(n, root)]
            if len(subs) < len(names) or not base.startswith("secaudit"):
                out.append((base, node.lineno, deferred))
            out.extend((n, node.lineno, deferred) for n in names)
    return tuple(out)


GRAPH = {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def owner(name: str, modules: Collection[str] = GRAPH.keys()) -> str | None:
    """The module defining an imported name (``secaudit.model.Finding`` -> ``secaudit.model``), if any."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in modules else None


def module_edges(graph: dict[str, set[str]] = GRAPH) -> dict[str, set[str]]:
    """module -> the modules it imports (an imported name counts as the module defining it)."""
    return {m: {o for i in imps if (o := owner(i, graph)) is not None and o != m} for m, imps in graph.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            v, children = work[-1]
            w = next(children, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == v:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    """Every module importing ``start`` loads, through any chain of imports (its own imports included)."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        m = todo.pop()
        for n in edges.get(m, ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(source_pkg: str, forbidden: tuple[str, ...], graph: dict[str, set[str]] = GRAPH) -> list[str]:
    return sorted(f"{m} imports {i}" for m, imps in graph.items() if under(m, source_pkg)
                  for i in imps if any(under(i, f) for f in forbidden))


def test_the_graph_sees_the_package():
    assert len(GRAPH) > 50
    assert "secaudit.checks.base" in GRAPH["secaudit.plan"]         # the walker finds top-level imports
    assert "secaudit.store.api" in GRAPH["secaudit.store"]            # ... and those inside functions


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


def test_no_cycle_of_modules():
    """Counting imports inside functions too: a cycle is a design fault, never dodged by a deferred import."""
    assert cycles(module_edges()) == []


def test_the_cycle_finder_can_fail():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert reachable("d", edges) == {"a", "b", "c"}


@pytest.mark.parametrize("source, forbidden", [
    ("secaudit.observations", "secaudit.probes"),     # facts are read back (journal, results, store) without probes
    ("secaudit.store", "secaudit.report"),            # the report reads the store, never the other way round
    ("secaudit.serialize", "secaudit.probes"),
    ("secaudit.codec", "secaudit.model"),             # the generic codec knows no model type
])
def test_never_reaches(source, forbidden):
    edges = module_edges()
    for m in (m for m in edges if under(m, source)):
        assert sorted(n for n in reachable(m, edges) if under(n, forbidden)) == [], m


def test_the_facts_registry_matches_the_probe_families():
    from secaudit.observations import registry as facts
    from secaudit.probes import registry as probes

    assert facts.facts_types() == {f.kind: f.facts_type for f in probes.families()} == probes.facts_types()
    assert facts.kinds() == probes.kinds()


# ---------------------------------------------------------------------------------------- imports inside functions
# The start-up exceptions: an import inside a function is allowed only where it defers one of these until it is
# used, directly or through a module that loads it at its top.
START_UP: dict[str, str] = {
    "secaudit.cli": "a command loads its implementation when it runs, so `secaudit --help` stays instant; "
                    "secaudit.__main__ loads the CLI (~0.15 s) once Ctrl-C already ends the process with 130",
    "secaudit.probes.registry": "every probe module, ~0.1 s: loaded when probes are planned or run",
    "secaudit.checks": "the check registry, every check module: loaded when a run is planned or judged",
    "secaudit.report.formats": "every scan report format, ~0.1 s: loaded when a report is written",
    "sslyze": "TLS scanner, ~0.8 s: only a TLS probe needs it",
    "nassl": "sslyze's OpenSSL binding: only a TLS probe needs it",
    "cryptography": "x509 parsing, ~0.2 s: certificates and the lab only",
    "sqlalchemy": "~1 s: only when a store is opened",
    "alembic": "~1.3 s: only when a store is migrated",
    "psycopg": "PostgreSQL driver: only for a postgresql:// store",
    "celery": "zone workers only",
    "kombu": "zone workers only",
    "redis": "~0.5 s: zone workers only",
    "docx": "~0.3 s: only the .docx documents",
    "openpyxl": "~0.4 s: only the xlsx assessment",
    "jinja2": "~0.15 s: only templated reports",
    "dns": "dnspython, ~0.3 s: only the mail family and its lab",
    "asyncssh": "~0.8 s: only host checks and their lab",
    "rich": "~0.3 s: only the progress display",
    "jsonschema": "~0.15 s: only schema diagnostics of a bad input",
    "fastjsonschema": "only when an input is validated",
    "sectxt": "~0.4 s: only the security.txt check",
    "nmap": "python-nmap: only the ports family",
    "requests": "pulled by sectxt: only the security.txt check",
    "defusedxml": "only importers of XML reports",
    "aiosmtpd": "the lab's SMTP server only",
    "importlib.metadata": "~60 ms: only plug-in discovery and the SARIF tool version",
}

# Modules that still import inside functions without a start-up reason, each with why it waits. The list only
# shrinks: a module leaving it must leave it for good, and no module may join it.
NOT_YET_HOISTED: dict[str, str] = {
    "secaudit.cli.scan": "its options are rebuilt from the families by issue 26 item 2 this round",
}


def _is(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _type_checking_lines(path: Path) -> set[int]:
    """Lines of the imports under ``if TYPE_CHECKING:`` (never run)."""
    tree = parsed(path)
    return {n.lineno for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for stmt in node.body for n in ast.walk(stmt) if isinstance(n, (ast.Import, ast.ImportFrom))}


def _run_statements() -> dict[str, list[tuple[str, int, bool]]]:
    """import_statements of every module, without those under TYPE_CHECKING."""
    statements = {module_name(p): import_statements(p) for p in sorted(PACKAGE.rglob("*.py"))}
    typing_only = {module_name(p): _type_checking_lines(p) for p in sorted(PACKAGE.rglob("*.py"))}
    return {m: [(n, line, inner) for n, line, inner in s if line not in typing_only[m]] for m, s in statements.items()}


def _top_level_edges(statements: dict[str, list[tuple[str, int, bool]]]) -> dict[str, set[str]]:
    return module_edges({m: {n for n, _, inner in s if not inner} for m, s in statements.items()})


def _heavy_at_top() -> dict[str, set[str]]:
    """secaudit module -> what of START_UP importing it loads (through top-level imports only): libraries, and
    the secaudit registries named there (the module itself or one its top-level imports reach)."""
    statements = _run_statements()
    libs = [k for k in START_UP if not k.startswith("secaudit")]
    registries = {k for k in START_UP if k.startswith("secaudit.")}
    edges = _top_level_edges(statements)
    direct = {m: {lib for n, _, inner in s if not inner for lib in libs if _is(n, lib)} | ({m} & registries)
              for m, s in statements.items()}
    return {m: set().union(direct[m], *(direct[n] for n in reachable(m, edges))) for m in statements}


def loaded_by_help() -> set[str]:
    """The secaudit modules ``secaudit --help`` loads: the cli package and what its top-level imports reach."""
    return {"secaudit.cli"} | reachable("secaudit.cli", _top_level_edges(_run_statements()))


def deferred_without_reason() -> dict[str, list[str]]:
    """module -> its imports inside functions that defer nothing of START_UP (``name:line``); in cli/, where a
    command loads its implementation when it runs, those of a secaudit module ``secaudit --help`` loads anyway."""
    heavy = _heavy_at_top()
    at_help = loaded_by_help()
    libs = [k for k in START_UP if not k.startswith("secaudit")]
    out: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        if _is(here, "secaudit.cli"):
            out.update({here: hits} if (hits := [f"{name}:{line}" for name, line, inner in import_statements(path)
                                                 if inner and owner(name) in at_help]) else {})
            continue
        for name, line, inner in import_statements(path):
            if not inner or any(_is(name, lib) for lib in libs):
                continue
            if heavy.get(owner(name) or "", set()) - heavy.get(here, set()):   # loads more than here already has
                continue
            out.setdefault(here, []).append(f"{name}:{line}")
    return out


def test_the_cli_loads_only_what_the_graph_says_and_no_start_up_cost():
    """What ``secaudit --help`` really loads (the cli package, in a fresh interpreter): of secaudit, only the modules
    loaded_by_help names; of START_UP, only the CLI itself and importlib.metadata (plug-ins load at every start)."""
    code = "import sys, secaudit.cli; print(chr(10).join(sorted(sys.modules)))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=PACKAGE.parent, capture_output=True, text=True,
                            timeout=60, check=True).stdout.split()
    assert sorted(m for m in loaded if _is(m, "secaudit")) == sorted(loaded_by_help())
    assert sorted(k for k in START_UP if k in loaded) == ["importlib.metadata", "secaudit.cli"]


def test_imports_inside_functions_defer_only_start_up_costs():
    found = deferred_without_reason()
    assert sorted(m for m in found if m not in NOT_YET_HOISTED) == []
    assert sorted(m for m in NOT_YET_HOISTED if m not in found) == []    # hoisted: leave the list


# The package whose deferred imports are explained once, in START_UP.
COMMENT_EXEMPT = ("secaudit.cli",)


def functions_deferring_without_comment() -> list[str]:
    """``module.function`` of each function outside COMMENT_EXEMPT whose imports defer a START_UP cost but
    which does not say so in a ``# start-up:`` comment."""
    heavy = _heavy_at_top()
    libs = [k for k in START_UP if not k.startswith("secaudit")]
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        here = module_name(path)
        if any(_is(here, k) for k in COMMENT_EXEMPT):
            continue
        text = path.read_text(encoding="utf-8").splitlines()
        inside = [(name, line) for name, line, inner in import_statements(path) if inner]
        for f in ast.walk(parsed(path)):
            if not isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            deferred = [name for name, line in inside
                        if f.lineno <= line <= (f.end_lineno or line)
                        and (any(_is(name, lib) for lib in libs)
                             or heavy.get(owner(name) or "", set()) - heavy.get(here, set()))]
            if deferred and not any("# start-up:" in t for t in text[f.lineno - 1:f.end_lineno]):
                out.append(f"{here}.{f.name}")
    return out


def test_a_deferred_import_says_why():
    assert functions_deferring_without_comment() == []
