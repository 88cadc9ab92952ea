"""Options shared by several commands."""

from __future__ import annotations

from typing import Any, Callable, Iterable

import click

from secaudit.i18n import LANGS, set_lang


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--lang`` given on the command line (on the group or the command) beats any default from a
    configuration file or the environment, wherever that default is applied."""
    if not value:
        return value
    explicit = ctx.get_parameter_source(param.name or "lang") is click.core.ParameterSource.COMMANDLINE
    if explicit or not ctx.meta.get("secaudit.lang_explicit"):
        set_lang(value)
    if explicit:
        ctx.meta["secaudit.lang_explicit"] = True
    return value


def lang_option(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--lang vi|en``: accepted on the group and on every command that shows text."""
    return click.option(
        "--lang", type=click.Choice(LANGS), default=None, expose_value=False, is_eager=True,
        callback=_set_lang, help="Language of messages and reports (default: from the locale, else en).",
    )(f)


class RegistryChoice(click.Choice):
    """Choices read from a registry when click needs them (parsing, ``--help``, completion), never listed in
    the CLI: a format or family registered at run time is a valid choice, and ``secaudit --help`` loads no
    registry's modules."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self._names = names
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(self._names())

    @choices.setter
    def choices(self, value: object) -> None:
        pass                                 # click's __init__ assigns; the registry is the source


def FamilyChoice() -> RegistryChoice:
    """``--only``: the probe families registered when the command runs (:mod:`secaudit.probes.registry`)."""
    return RegistryChoice(_family_kinds)


def _family_kinds() -> tuple[str, ...]:
    from secaudit.probes.registry import kinds  # start-up: every probe module, ~0.2 s

    return kinds()


def report_formats() -> tuple[str, ...]:
    """The scan report formats (:data:`secaudit.report.FORMATS`)."""
    from secaudit.report import format_names  # start-up: the report package and the model, ~50 ms

    return format_names()


def classification_formats() -> tuple[str, ...]:
    from secaudit.report.classification import CLASSIFICATION_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(CLASSIFICATION_FORMATS)


def document_formats() -> tuple[str, ...]:
    from secaudit.report.document_formats import DOCUMENT_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(DOCUMENT_FORMATS)


def dossier_formats() -> tuple[str, ...]:
    from secaudit.report.dossier import DOSSIER_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(DOSSIER_FORMATS)


def assessment_formats() -> tuple[str, ...]:
    from secaudit.report.assessment import FORMATS  # start-up: the report modules, ~0.1 s

    return FORMATS


def catalogue_formats() -> tuple[str, ...]:
    from secaudit.report.catalogue import FORMATS  # start-up: the report modules, ~0.1 s

    return FORMATS


def runs_formats() -> tuple[str, ...]:
    from secaudit.report.history import RUNS_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(RUNS_FORMATS)


def diff_formats() -> tuple[str, ...]:
    from secaudit.report.history import DIFF_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(DIFF_FORMATS)


def due_formats() -> tuple[str, ...]:
    from secaudit.report.history import DUE_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(DUE_FORMATS)


def trend_formats() -> tuple[str, ...]:
    from secaudit.report.history import TREND_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(TREND_FORMATS)


def status_formats() -> tuple[str, ...]:
    from secaudit.report.status import STATUS_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(STATUS_FORMATS)


def import_formats() -> tuple[str, ...]:
    from secaudit.report.import_summary import IMPORT_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(IMPORT_FORMATS)


def policy_formats() -> tuple[str, ...]:
    from secaudit.report.policy_view import POLICY_FORMATS  # start-up: the report modules, ~0.1 s

    return tuple(POLICY_FORMATS)
