"""`secaudit assess INVENTORY`: every requirement of each system's level, its result derived from the evidence."""

from __future__ import annotations

import datetime as dt
import os

import click

from secaudit.cli.classify import regime_option
from secaudit.cli.common import RegistryChoice, assessment_formats, lang_option
from secaudit.cli.documents import stream_document, write_document
from secaudit.cli.store_options import store_options
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang
from secaudit.status import assess_status



@click.command("assess")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--system", "systems", multiple=True, metavar="ID", help="Only this system (repeatable).")
@click.option("--evidence", "evidence", default=None, metavar="FILE",
              type=click.Path(dir_okay=False, path_type=str),
              help="The evidence register (kind: evidence): documents, attestations and records.")
@regime_option
@store_options
@click.option("--run", "run_id", default=None, metavar="RUN_ID",
              help="Use this stored run's findings (default: each system's newest stored run).")
@click.option("--results", "results_file", default=None, metavar="FILE", type=click.Path(dir_okay=False, path_type=str),
              help="Use the findings of a results file (scan --format json) instead of the store.")
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Assess as on this day: evidence valid then, scans stored by then (default: now).")
@click.option("--format", "formats", multiple=True, type=RegistryChoice(assessment_formats),
              help="Output format (repeatable with --out; default text).")
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@click.option("--out", "out_dir", default=None, metavar="DIR", type=click.Path(file_okay=False, path_type=str),
              help="Write each format to DIR/assessment.<ext>.")
@click.option("--fail-on-not-met", is_flag=True, help="Exit 1 when any requirement row is not met (for CI).")
@lang_option
def command(inventory: str, systems: tuple[str, ...], evidence: str | None, regime: str | None, db: str | None,
            data_dir: str | None, run_id: str | None, results_file: str | None, on: dt.datetime | None,
            formats: tuple[str, ...],
            out: str | None, out_dir: str | None, fail_on_not_met: bool) -> int:
    """Assess each system against every requirement of its level (TCVN 14423:2026 under Decree 331/2026,
    TCVN 11930:2017 under Decree 85/2016). A row's result is derived, never typed: met, partially met,
    not met, not applicable (with a reason in the register) or not assessed, from the latest stored scan
    (network and host controls), imported scanner results and the evidence register. The register's
    revision (append-only) and each system's result are kept in the history store. The words
    "compliant" / "đạt yêu cầu" appear only when every row of the level is met or not applicable.

    \b
    Exit status: 0 done; 1 a row not met (with --fail-on-not-met); 2 input error (a register entry
    whose file changed names file:line:col); 3 a system of which nothing could be assessed.

    \b
    Example:
      secaudit assess examples/inventory.yaml --evidence examples/evidence.yaml
      secaudit assess examples/inventory.yaml --evidence examples/evidence.yaml --lang vi --format xlsx -o danh-gia.xlsx
    """
    from secaudit.report.assessment import EXTENSIONS, STREAMED, render
    from secaudit.requirements.pipeline import Sources, run_assessment

    fmts = list(dict.fromkeys(formats)) or ["text"]
    if len(fmts) > 1 and not out_dir:
        raise InputError([Diagnostic("--format", 0, 0, "assess.many_formats")])
    if out and out_dir:
        raise InputError([Diagnostic("--out", 0, 0, "assess.out_and_output")])
    if run_id and results_file:
        raise InputError([Diagnostic("--run", 0, 0, "assess.run_and_results")])
    lang = current_lang()
    sources = Sources(results_file, run_id, db, data_dir)
    now = dt.datetime.combine(on.date(), dt.time(23, 59, 59), dt.timezone.utc) if on else None
    if results_file:
        assessment, _register = run_assessment(inventory, systems, evidence, regime, sources, now=now)
    else:
        from secaudit.store import open_store

        with open_store(db, data_dir) as store:
            assessment, register = run_assessment(inventory, systems, evidence, regime, sources, now=now, store=store)
            revision = store.save_register(register) if register is not None else None
            store.save_assessment(assessment, revision)       # history: what was assessed, when, on which evidence
    for fmt in fmts:
        path = out
        if out_dir:
            os.makedirs(out_dir, exist_ok=True)
            path = os.path.join(out_dir, f"assessment.{EXTENSIONS[fmt]}")
        if fmt in STREAMED:
            stream_document(lambda write, fmt=fmt: STREAMED[fmt](assessment, lang, write), path)
        else:
            write_document(render(assessment, fmt, lang), path, fmt)
    return assess_status(assessment.systems, fail_on_not_met)
