"""Static check: no undefined name, no name used before assignment, no unused import anywhere.

Pyflakes found a real bug here once (a local `reason` shadowing the imported function made an
invalid host crash the HTTP probe with UnboundLocalError); this keeps that class of bug out."""

from pathlib import Path

from pyflakes.api import checkPath
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parents[2]


class _Collect(Reporter):
    def __init__(self) -> None:
        self.messages: list[str] = []

    def unexpectedError(self, filename, msg):  # noqa: N802 (pyflakes API)
        self.messages.append(f"{filename}: {msg}")

    def syntaxError(self, filename, msg, lineno, offset, text):  # noqa: N802
        self.messages.append(f"{filename}:{lineno}: {msg}")

    def flake(self, message):
        self.messages.append(str(message))


def test_pyflakes_finds_nothing():
    reporter = _Collect()
    for folder in ("secaudit", "tests", "scripts", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            checkPath(str(path), reporter)
    assert reporter.messages == []
