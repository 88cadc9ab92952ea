"""``secaudit examples [DIR]``: copy the shipped example files, so that every ``--help`` example naming
``examples/...`` works from an installed package as it does from a source checkout."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from secaudit.cli.common import lang_option
from secaudit.cli.output import echo, print_error
from secaudit.i18n import t
from secaudit.status import ExitStatus


@click.command("examples")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--where", is_flag=True, help="Only print the folder the example files are shipped in.")
@lang_option
def command(directory: Path, where: bool) -> int:
    """Copy the shipped example files (inventory, waivers...) to DIR/examples/ (default: ./examples/).

    Files already there are kept, never overwritten.

    \b
    Example:
      secaudit examples && secaudit validate examples/inventory.yaml
    """
    from secaudit.resources import examples_dir

    source = examples_dir()
    if where:
        echo(str(source))
        return ExitStatus.OK
    files = sorted(p for p in source.glob("*.yaml") if p.is_file())
    if not files:
        print_error(t("examples.none", dir=str(source)))
        return ExitStatus.INPUT_ERROR
    target = directory / "examples"
    if target.resolve() == source.resolve():
        echo(t("examples.already_here", dir=str(target)))
        return ExitStatus.OK
    target.mkdir(parents=True, exist_ok=True)
    copied = 0
    for f in files:
        if (target / f.name).exists():
            echo(t("examples.kept", file=str(target / f.name)))
            continue
        shutil.copyfile(f, target / f.name)
        copied += 1
    echo(t("examples.copied", count=copied, dir=str(target)))
    return ExitStatus.OK
