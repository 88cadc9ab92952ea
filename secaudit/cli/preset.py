"""What `secaudit tls`, `secaudit ports` and `secaudit discover` share: they are presets of the one pipeline.

Each builds a :class:`~secaudit.run.ScanRequest` and runs it exactly as `secaudit scan` does — the same
plan, executor, journal, evaluation with its crash guard and missing-measurement check, and exit status.
`tls` and `ports` (ad-hoc targets, a profile) print one report to stdout; their journal lives in a
temporary directory that is removed afterwards: a quick check leaves nothing behind. `discover` keeps
its run like `scan` (:func:`run_kept`): resumable with ``--resume`` (by `discover` only), re-rendered by
``report RUN_ID``, and stored in the history store when one is named.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Callable

import click

from secaudit.cli.common import RegistryChoice, report_formats
from secaudit.cli.output import echo, print_error
from secaudit.cli.scan import DEFAULT_FORMATS, deliver, open_run
from secaudit.cli.store_options import store_results, with_assessments
from secaudit.i18n import current_lang, t
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
    from secaudit.cli.progress import InterruptNotice
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
        outcome = execute_scan(req, journal, run_id, InterruptNotice(lang, None))   # a temporary run: no resume
        echo("".join(report.render_chunks(outcome.results, lang)), nl=False)
        flush_output()
        interrupted = bool(interrupts.count) or outcome.summary.reason in ("interrupted", "stopped")
    return scan_status(outcome.results, req.fail_on, errors_ok, interrupted)


def run_kept(new: Any, *, command: str, resume: str | None, runs_dir: str | None, executor: str, broker_opts: Any,
             formats: tuple[str, ...], out_dir: str, quiet: bool, errors_ok: bool,
             store: tuple[str | None, str | None] | None = None) -> ExitStatus:
    """Scan ``new`` (or resume the run ``resume``, which ``command`` must have started) as `scan` does, its
    journal kept in the runs directory, local or through zone workers; write the reports to ``out_dir`` and
    return the exit status. With ``store`` (``--db``, ``--data-dir``), a complete run enters the history store
    as a scan's does (`runs`, `diff`, the SARIF baseline and HTML trend of its scope)."""
    from secaudit.cli.progress import InterruptNotice, make_observer
    from secaudit.execute.interrupts import deferred_signals, flush_output
    from secaudit.execute.journal import runs_dir as default_runs_dir
    from secaudit.run import execute_scan

    lang = current_lang()
    base = default_runs_dir(runs_dir)
    req, journal, run_id, broker = open_run(new, base, resume, broker_opts, executor, command, new.only)
    # Ctrl-C and SIGTERM are noted, not raised, as in `scan`: the partial results are still written, then 130
    with deferred_signals() as interrupts:
        observer = make_observer(quiet=quiet, log_json=False, notice=InterruptNotice(lang, run_id))
        outcome = execute_scan(req, journal, run_id, observer, broker=broker)
        results, history = outcome.results, None
        if store is not None:
            if results.run.complete:        # as in `scan`: a complete run (or a resume that completed it)
                _, history = store_results(results, *store, formats or DEFAULT_FORMATS)
            results = with_assessments(results, *store)
        deliver(results, formats, out_dir, lang, history)
        if not results.run.complete:
            echo(t("scan.incomplete", lang, run=run_id))
            print_error(t("scan.resume_hint", lang, command=command, run=run_id, runs_dir=str(base)))
        flush_output()
        interrupted = bool(interrupts.count) or outcome.summary.reason in ("interrupted", "stopped")
    return scan_status(results, req.fail_on, errors_ok, interrupted)
