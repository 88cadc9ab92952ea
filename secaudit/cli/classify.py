"""`secaudit classify INVENTORY`: the security level of each system, and why."""

from __future__ import annotations

import sys
from typing import Any, Callable

import click

from secaudit.cli.common import RegistryChoice, classification_formats, lang_option
from secaudit.cli.output import echo
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang, t
from secaudit.status import classify_status



def regime_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--regime", "regime", default=None, metavar="REGIME",
                        help="Regime id (decree-331-2026 [default], decree-85-2016) or a regime file.")(f)


def write_output(text: str, out: str | None) -> None:
    """Write to FILE, or print to stdout."""
    if out is None or out == "-":
        echo(text, nl=False)
        return
    try:
        with open(out, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    except OSError as e:
        raise InputError([Diagnostic(out, 0, 0, "classify.error.write", {"path": out, "error": e.strerror or e})])


@click.command("classify")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@regime_option
@click.option("--system", "systems", multiple=True, metavar="ID", help="Only this system (repeatable).")
@click.option("--format", "fmt", type=RegistryChoice(classification_formats), default="text", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--fail-on-underclassified", is_flag=True,
              help="Exit 1 when a system's declared level is lower than the computed one.")
@click.option("--fail-on-undetermined", is_flag=True,
              help="Exit 1 when a system's level cannot be decided from its declared facts.")
@lang_option
def command(inventory: str, regime: str | None, systems: tuple[str, ...], fmt: str, out: str | None,
            fail_on_underclassified: bool, fail_on_undetermined: bool) -> int:
    """Compute each system's security level (1-5) from its declared facts: the table of systems with
    level, deciding criterion, approving authority and periodic-assessment interval, then the details
    of every criterion. A level that the facts cannot decide is shown as undetermined with the facts
    to declare, never guessed.

    \b
    Exit status: 0 done; 1 with --fail-on-underclassified when a declared level is too low
    (or with --fail-on-undetermined when a level cannot be decided); 2 input error (inventory,
    unknown system or regime).

    \b
    Example:
      secaudit classify examples/inventory.yaml --regime decree-85-2016 --lang vi
      secaudit classify examples/inventory.yaml --format csv -o levels.csv --fail-on-underclassified
    """
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.gcpause import collector_paused
    from secaudit.report.classification import ClassificationDoc, render_classification, render_rich
    from secaudit.load import load_inventory

    lang = current_lang()
    reg = load_regime(regime)
    with collector_paused(freeze=True):            # 10,000 systems build no cycles to collect
        inv = load_inventory(inventory)
        results = classify_inventory(inv, reg, list(systems) or None)
        rendered = None if fmt == "text" and out is None and sys.stdout.isatty() else \
            render_classification(fmt, results, inv, reg, lang)

    if rendered is None:
        from rich.console import Console

        render_rich(ClassificationDoc(results, inv, reg), lang, Console(highlight=False))
    else:
        write_output(rendered, out)
        if out not in (None, "-"):
            echo(t("classify.written", lang, path=out), err=True)

    if fail_on_underclassified and any(c.underclassified for c in results):
        for c in results:
            for w in c.warnings:
                echo(w.render(lang), err=True)
    if fail_on_undetermined and any(c.level is None for c in results):
        for c in results:
            if c.level is None:
                echo(c.notes[-1].render(lang), err=True)
    return classify_status((c.underclassified for c in results), (c.level is None for c in results),
                           fail_on_underclassified, fail_on_undetermined)
