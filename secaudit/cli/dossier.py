"""`secaudit dossier INVENTORY --system ID`: the dossier proposing one system's level."""

from __future__ import annotations

import click

from secaudit.cli.classify import regime_option, write_output
from secaudit.cli.common import lang_option
from secaudit.status import ExitStatus


@click.command("dossier")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--system", "system_id", required=True, metavar="ID", help="The system of the inventory.")
@regime_option
@click.option("--format", "fmt", type=click.Choice(("md", "html")), default="md", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def command(inventory: str, system_id: str, regime: str | None, fmt: str, out: str | None) -> int:
    """Draft the dossier proposing a system's security level ("hồ sơ đề xuất cấp độ"): system
    overview, justification of the level against every criterion with citations, who appraises and
    approves and within how many days, clearly marked sections to complete by hand (design documents,
    security plan, professional opinion and risk assessment for levels 4-5), and the endpoints as the
    asset annex.

    \b
    Example:
      secaudit dossier examples/inventory.yaml --system cong-dvc --lang vi -o ho-so-cong-dvc.md
      secaudit dossier examples/inventory.yaml --system cong-dvc --regime decree-85-2016 --format html
    """
    from secaudit.report.dossier import render_dossier
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.i18n import current_lang, t
    from secaudit.load import load_inventory

    lang = current_lang()
    reg = load_regime(regime)
    inv = load_inventory(inventory)
    (result,) = classify_inventory(inv, reg, [system_id])
    write_output(render_dossier(fmt, inv, system_id, result, reg, lang), out)
    if out not in (None, "-"):
        from secaudit.cli.output import echo

        echo(t("classify.written", lang, path=out), err=True)
    return ExitStatus.OK
