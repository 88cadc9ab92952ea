"""One reporting stack (issue 11): classification and dossier outputs are registered formats of
``report/``, there is one way to build a Jinja environment, and ``classify/`` (the pure engine)
imports nothing from ``report/``."""

from __future__ import annotations

import ast
from pathlib import Path

import secaudit
from secaudit.cli.classify import command as classify_command
from secaudit.report.classification import CLASSIFICATION_FORMATS
from secaudit.report.dossier import DOSSIER_FORMATS
from secaudit.report.interface import ClassificationFormat, DocumentFormat

PACKAGE = Path(secaudit.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_classify_package_imports_nothing_from_report_or_cli() -> None:
    for path in (PACKAGE / "classify").glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith(("secaudit.report", "secaudit.cli"))}
        assert not bad, f"{path.name} imports {bad}"


def test_the_classify_command_offers_exactly_the_registered_formats() -> None:
    [fmt] = [p for p in classify_command.params if p.name == "fmt"]
    assert set(fmt.type.choices) == set(CLASSIFICATION_FORMATS)
    assert all(issubclass(c, ClassificationFormat) and c.name == n for n, c in CLASSIFICATION_FORMATS.items())
    assert all(issubclass(c, DocumentFormat) and c.name == n for n, c in DOSSIER_FORMATS.items())


def test_only_report_environment_builds_jinja_environments() -> None:
    builders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                fn = node.func
                name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
                if name == "Environment":
                    builders.append(str(path.relative_to(PACKAGE)))
    assert builders and set(builders) == {"report/environment.py"}, builders
