"""The project's own error types. Anything a user can cause ends up as one of these, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable
from secaudit.i18n import current_lang, t
from secaudit.model import LocalText


@dataclass(frozen=True)
class Diagnostic:
    """One problem in one input file, located at line/column (1-based; 0 when unknown).

    `key` names a message in the i18n catalog and `args` fill it, so the same diagnostic
    renders in English or Vietnamese; an argument given in both languages (a :class:`LocalText`, e.g. a
    regime's term) is filled in the language rendered.
    """

    file: str
    line: int
    column: int
    key: str
    args: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        lang = lang or current_lang()
        args = {k: v.get(lang) if isinstance(v, LocalText) else v for k, v in self.args.items()}
        return f"{where}: {t(self.key, lang, **args)}"


class SecauditError(Exception):
    """Base of every error secaudit raises on purpose."""


class InputError(SecauditError):
    """One or more problems in user input (files, options). Maps to exit status 2."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        super().__init__("\n".join(d.render("en") for d in self.diagnostics))


class NothingToCheckError(SecauditError):
    """The inputs name nothing to check (an inventory without systems). Maps to exit status 3: a run that
    verified nothing must not pass a CI gate."""

    def __init__(self, key: str, **args: Any):
        self.key = key
        self.args_ = args
        super().__init__(key)


class ToolMissingError(SecauditError):
    """An external tool (nmap) is missing or too old. Maps to exit status 2."""

    def __init__(self, key: str, **args: Any):
        self.key = key
        self.args_ = args
        super().__init__(key)
