"""`secaudit validate FILE...`"""

from __future__ import annotations

import click

from secaudit.cli.common import lang_option
from secaudit.status import ExitStatus


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, path_type=str))
@lang_option
def command(files: tuple[str, ...]) -> int:
    """Check inventory, policy and waiver files; report every error as file:line:col.

    \b
    Example:
      secaudit validate examples/inventory.yaml policies/levels/level-3.yaml
    """
    from secaudit.cli.output import print_diagnostics, echo
    from secaudit.validation import validate_files

    report = validate_files(files)
    print_diagnostics(report.diagnostics)
    print_diagnostics(report.warnings)
    for line in report.summary_lines():
        echo(line)
    return ExitStatus.OK if report.ok else ExitStatus.INPUT_ERROR
