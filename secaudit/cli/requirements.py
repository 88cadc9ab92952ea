"""`secaudit requirements`: the rows of the standard a regime follows, level by level."""

from __future__ import annotations

from pathlib import Path

import click

from secaudit.cli.classify import regime_option, write_output
from secaudit.cli.common import RegistryChoice, catalogue_formats, lang_option
from secaudit.cli.output import echo
from secaudit.i18n import current_lang, t
from secaudit.status import ExitStatus



@click.command("requirements")
@click.option("--level", type=click.IntRange(1, 5), default=None, help="Only this level (default: every level).")
@regime_option
@click.option("--catalogue", "catalogue_file", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=str),
              help="List this catalogue file instead of the one the regime follows.")
@click.option("--format", "fmt", type=RegistryChoice(catalogue_formats), default="text", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def command(level: int | None, regime: str | None, catalogue_file: str | None, fmt: str, out: str | None) -> int:
    """List the requirements of the standard a regime follows (TCVN 14423:2026 under Decree 331/2026):
    each row's clause at that level, its key, whether it is technical or management, what it asks in
    secaudit's own words with the level's thresholds, and how it can be verified (network scan, host
    check, an imported report, an attested document).

    \b
    Exit status: 0 listed; 2 unknown regime, no catalogue for it, or a catalogue file with errors.

    \b
    Example:
      secaudit requirements --level 3
      secaudit requirements --level 4 --format csv -o level-4.csv --lang vi
    """
    from secaudit.classify.regime import DEFAULT_REGIME, load_regime
    from secaudit.report.catalogue import render_catalogue
    from secaudit.requirements.catalogue import catalogue_for_regime, load_catalogue

    lang = current_lang()
    if catalogue_file:
        cat = load_catalogue(Path(catalogue_file))
        regime_id = load_regime(regime).id if regime else cat.regimes[0]
    else:
        regime_id = load_regime(regime or DEFAULT_REGIME).id
        cat = catalogue_for_regime(regime_id)
    levels = [level] if level is not None else list(cat.levels())
    write_output(render_catalogue(fmt, cat, regime_id, levels, lang), out)
    if out not in (None, "-"):
        echo(t("classify.written", lang, path=out), err=True)
    return ExitStatus.OK
