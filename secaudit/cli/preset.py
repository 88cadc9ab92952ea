"""What `secaudit tls` and `secaudit ports` share: they are presets of the one pipeline.

Each builds a :class:`~secaudit.run.ScanRequest` (ad-hoc targets, a profile) and runs it exactly as
`secaudit scan --target` does — the same plan, executor, journal, evaluation with its crash guard and
missing-measurement check, and exit status — then prints one report to stdout. The journal lives in a
temporary directory that is removed afterwards: a quick check leaves nothing behind.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import click

from secaudit.cli.common import RegistryChoice, report_formats
from secaudit.cli.output import echo
from secaudit.i18n import current_lang
from secaudit.status import ExitStatus, scan_status

SEVERITIES = ("critical", "high", "medium", "low", "info")


def preset_formats() -> tuple[str, ...]:
    """What the quick commands print: "text" is the finding-by-finding listing, the rest the report formats."""
    return ("text",) + tuple(n for n in report_formats() if n != "text")


def preset_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--format``, ``--fail-on`` and ``--errors-ok``, the same on every preset as on ``scan``."""
    for option in reversed((
        click.option("--format", "fmt", type=RegistryChoice(preset_formats), default="text", show_default=True,
                     help="text: every finding with its evidence; json: the results document secaudit/results/v2."),
        click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
                     help="Exit 1 when a finding of this severity or higher fails."),
        click.option("--errors-ok", is_flag=True,
                     help="Exit 0 instead of 3 when controls were left without a verdict (scan errors, or nothing to check)."),
    )):
        f = option(f)
    return f


def run_preset(req: Any, fmt: str, errors_ok: bool) -> ExitStatus:
    """Scan ``req`` through the pipeline, print the ``fmt`` report to stdout, return the exit status."""
    from secaudit.execute.interface import NullObserver
    from secaudit.execute.interrupts import deferred_signals, flush_output
    from secaudit.report import get_format
    from secaudit.report.listing import ListingFormat
    from secaudit.run import execute_scan, load_inputs, start_run

    load_inputs(req)                                  # input errors (exit 2) before anything runs
    lang = current_lang()
    report = ListingFormat() if fmt == "text" else get_format(fmt)
    # Ctrl-C and SIGTERM are noted, not raised, as in `scan`: the partial results are still printed, then 130
    with deferred_signals() as interrupts, tempfile.TemporaryDirectory(prefix="secaudit-") as base:
        journal, run_id = start_run(req, Path(base))
        outcome = execute_scan(req, journal, run_id, NullObserver())
        echo("".join(report.render_chunks(outcome.results, lang)), nl=False)
        flush_output()
        interrupted = bool(interrupts.count) or outcome.summary.reason in ("interrupted", "stopped")
    return scan_status(outcome.results, req.fail_on, errors_ok, interrupted)
