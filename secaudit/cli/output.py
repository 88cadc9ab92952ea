"""All printing goes through here, so quiet, language and JSON modes are one switch."""

from __future__ import annotations

from typing import Iterable

import click

from secaudit.errors import Diagnostic
from secaudit.i18n import t


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    click.echo(text, err=err, nl=nl)


def print_error(text: str) -> None:
    click.echo(f"secaudit: {t('cli.error_prefix')}: {text}", err=True)


def print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    for d in diagnostics:
        click.echo(d.render(), err=True)
