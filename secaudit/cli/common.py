"""Options shared by several commands."""

from __future__ import annotations

from typing import Any, Callable

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


class FamilyChoice(click.Choice):
    """``--only``: the probe families registered when the command runs (:mod:`secaudit.probes.registry`),
    so a family added at run time is a valid choice without editing the CLI."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from secaudit.probes.registry import kinds

        return kinds()

    @choices.setter
    def choices(self, value: object) -> None:
        pass                                 # click's __init__ assigns; the registry is the source
