"""`secaudit validate FILE...`"""

from __future__ import annotations

import click

from secaudit.cli.classify import regime_option
from secaudit.cli.common import lang_option
from secaudit.cli.output import echo, print_diagnostics
from secaudit.i18n import t
from secaudit.status import ExitStatus


@click.command("validate")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=True, path_type=str))
@click.option("--for", "purpose", type=click.Choice(("documents",)), default=None,
              help="documents: also list, at file:line:col, each fact the official documents (dossier, cover "
                   "letters, annual report) need and a valid inventory lacks, and where --regime asks for "
                   "it; exit 1 when any is missing.")
@regime_option
@lang_option
def command(files: tuple[str, ...], purpose: str | None, regime: str | None) -> int:
    """Check inventory, policy, waiver, regime, requirement catalogue (policies/requirements/*.yaml) and
    evidence register files; report every error as file:line:col.

    \b
    Exit status: 0 valid; 1 with --for documents, a fact the documents need is missing; 2 invalid.

    \b
    Example:
      secaudit validate examples/inventory.yaml policies/levels/level-3.yaml
      secaudit validate policies/requirements/tcvn-14423-2026.yaml examples/evidence.yaml examples/inventory.yaml
      secaudit validate --for documents examples/inventory.yaml
      secaudit validate --for documents --regime decree-85-2016 examples/inventory.yaml
    """
    from secaudit.validation import validate_files

    report = validate_files(files)
    print_diagnostics(report.diagnostics)
    print_diagnostics(report.warnings)
    for line in report.summary_lines():
        echo(line)
    if not report.ok:
        return ExitStatus.INPUT_ERROR
    if purpose == "documents":
        return _document_gaps([f.file for f in report.files if f.kind == "inventory"], regime)
    return ExitStatus.OK


def _document_gaps(files: list[str], regime: str | None) -> int:
    from secaudit.classify.regime import load_regime
    from secaudit.load import load_inventory
    from secaudit.particulars import document_gaps

    reg = load_regime(regime)
    missing = 0
    for file in files:
        gaps = document_gaps(load_inventory(file), reg)
        if gaps:
            echo(t("documents.gaps_intro", count=len(gaps)))
            print_diagnostics(gaps)
        else:
            echo(t("documents.gaps_none", file=file))
        missing += len(gaps)
    return ExitStatus.FINDINGS if missing else ExitStatus.OK
