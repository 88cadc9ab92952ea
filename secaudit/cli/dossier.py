"""`secaudit dossier INVENTORY --system ID`: the dossier proposing one system's level."""

from __future__ import annotations

import click

from secaudit.cli.classify import regime_option
from secaudit.cli.common import RegistryChoice, dossier_formats, lang_option
from secaudit.cli.documents import report_gaps, write_document
from secaudit.cli.store_options import level_assessments, store_options
from secaudit.i18n import current_lang
from secaudit.status import ExitStatus



@click.command("dossier")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--system", "system_id", required=True, metavar="ID", help="The system of the inventory.")
@regime_option
@store_options
@click.option("--format", "fmt", type=RegistryChoice(dossier_formats), default="md", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def command(inventory: str, system_id: str, regime: str | None, db: str | None, data_dir: str | None, fmt: str,
            out: str | None) -> int:
    """Draft the dossier proposing a system's security level ("hồ sơ đề xuất cấp độ"), item by item of
    Decree 331/2026 Art. 22 (Decree 85/2016 Art. 15 under that regime): the overview (owner, operator,
    scope, architecture, IP plan), the justification against every criterion with citations, a damage
    table and the preliminary risks, the security plan per requirement group pre-filled with the controls
    secaudit checks and their latest verdicts from the audit history (--db), for levels 4-5 the risk
    assessment (connected systems, attack risks, impact, 24/7), who appraises and approves, and the
    endpoints as the asset annex. What only the agency can write is clearly marked.

    \b
    Example:
      secaudit dossier examples/inventory.yaml --system cong-dvc --lang vi -o ho-so-cong-dvc.md
      secaudit dossier examples/inventory.yaml --system dieu-khien-ho-chua --lang vi --format docx -o ho-so.docx
    """
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.load import load_inventory
    from secaudit.programme import control_verdicts
    from secaudit.report.dossier import render_dossier

    lang = current_lang()
    reg = load_regime(regime)
    inv = load_inventory(inventory)
    (result,) = classify_inventory(inv, reg, [system_id])
    history = {**control_verdicts(db, system_id, data_dir),
               "assessment": level_assessments(db, data_dir, reg.id).get(system_id)}
    write_document(render_dossier(fmt, inv, system_id, result, reg, lang, **history), out, fmt)
    report_gaps(inv, reg, [system_id])
    return ExitStatus.OK
