"""`secaudit scan` and `secaudit report`."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Sequence

import click

from secaudit.cli.common import FamilyChoice, RegistryChoice, lang_option, report_formats
from secaudit.cli.family_options import family_options_command
from secaudit.cli.store_options import store_options, store_results, with_assessments
from secaudit.cli.worker import BrokerOptions, broker_options
from secaudit.errors import Diagnostic, InputError
from secaudit.status import scan_status

SEVERITIES = ["critical", "high", "medium", "low", "info"]
DEFAULT_FORMATS = ("html", "json", "text")


def write_reports(results: Any, formats: Sequence[str], out_dir: Path, lang: str) -> dict[str, Path]:
    """Render every requested format into ``out_dir`` (report.<ext>); returns format -> path."""
    from secaudit.report import get_format

    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in dict.fromkeys(formats):
        fmt = get_format(name)
        path = out_dir / f"report.{fmt.extension}"
        tmp = path.with_suffix(path.suffix + ".tmp")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for chunk in fmt.render_chunks(results, lang):
                fh.write(chunk)
        os.replace(tmp, path)
        written[name] = path
    return written


def _print_summary(results: Any, lang: str) -> None:
    from secaudit.cli.output import echo
    from secaudit.report import get_format

    echo(get_format("text").render(results, lang).rstrip("\n"))


def distributed_broker(req: Any, opts: BrokerOptions, executor: str) -> Any:
    """The broker (password filled in) when the scan, or the run it resumes, uses the celery executor."""
    if executor != "celery" and req.executor != "celery":
        return None
    return opts.config(fallback_url=req.broker, fallback_ca=req.broker_ca, fallback_vt=req.visibility_timeout)


def _with_broker(req: Any, broker: Any) -> Any:
    """The request as stored in run.json: the broker URL without its password."""
    import dataclasses

    from secaudit.execute.broker import strip_password

    if broker is None:
        return req
    return dataclasses.replace(req, executor="celery", broker=strip_password(broker.url), broker_ca=broker.ca_file,
                               visibility_timeout=broker.visibility_timeout)


@family_options_command("scan")
@click.argument("inventory", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--system", "systems", multiple=True, metavar="ID", help="Scan only this system (repeatable).")
@click.option("--only", multiple=True, type=FamilyChoice(),
              help="Run only these probe families (repeatable); controls needing others get no verdict.")
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False, path_type=str), help="Waivers YAML file.")
@click.option("--format", "formats", multiple=True, type=RegistryChoice(report_formats),
              help=f"Report format (repeatable; default: {', '.join(DEFAULT_FORMATS)}).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="secaudit-report",
              show_default=True, help="Directory for the reports.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a finding of this severity or higher fails.")
@click.option("--errors-ok", is_flag=True,
              help="Exit 0 instead of 3 when controls were left without a verdict (scan errors, or nothing to check).")
@click.option("--regime", help="Classification regime (decree-331-2026 by default, or decree-85-2016).")
@click.option("--target", "targets", multiple=True, metavar="HOST:PORT",
              help="Ad-hoc scan of one endpoint without an inventory (repeatable); needs --level or --profile.")
@click.option("--level", type=click.IntRange(1, 5), help="With --target: the level whose controls to check.")
@click.option("--profile", "profiles", multiple=True, metavar="ID|FILE",
              help="Add a profile (an id such as mozilla-intermediate, or a policy YAML file) to each system's "
                   "policy (repeatable).")
@click.option("--service", type=click.Choice(["https", "smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "postgres",
                                              "rdp", "http", "ssh", "other"]), help="With --target: its service.")
@click.option("--starttls", type=click.Choice(["smtp", "imap", "pop3", "ftp", "ldap", "xmpp", "xmpp_server",
                                               "postgres", "rdp"]), help="With --target: STARTTLS protocol.")
@click.option("--sni", help="With --target: TLS server name to send.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="Extra trust store: the organisation's CA bundle (PEM).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Probe batches at once.")
@click.option("--per-host", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Probe batches at once against one host.")
@click.option("--rate", type=click.FloatRange(0.01, 10000), help="At most this many probes started per second.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
              help="Deadline of one TLS or HTTP probe, in seconds.")
@click.option("--ports-range", metavar="top-N|A-B|all",
              help="Port-scan coverage of every system for this run, instead of its level's default "
                   "(top-1000 at levels 1-3, all at 4-5) or its inventory port_coverage.")
@click.option("--run-timeout", type=click.FloatRange(1, 7 * 86400), help="Deadline of the whole scan, in seconds.")
@click.option("--resume", "resume", metavar="RUN_ID", help="Resume an interrupted run: skip what it already observed.")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=str),
              help="Where run journals live (default .secaudit-runs, or SECAUDIT_RUNS_DIR).")
@click.option("--executor", type=click.Choice(["local", "celery"]), default="local", show_default=True,
              help="local: probes run here; celery: each zone's probes go to its workers through --broker.")
@broker_options(required=False)
@click.option("--quiet", "-q", is_flag=True, help="No progress display; only the final summary.")
@click.option("--log-json", is_flag=True, help="Structured JSON logs on stderr.")
@click.option("--no-store", is_flag=True, help="Do not keep this run in the history store.")
@store_options
@lang_option
def scan_command(inventory: str | None, systems: tuple[str, ...], only: tuple[str, ...], waivers_file: str | None,
                 formats: tuple[str, ...], out_dir: str, fail_on: str, errors_ok: bool, regime: str | None,
                 targets: tuple[str, ...], level: int | None, profiles: tuple[str, ...], service: str | None,
                 starttls: str | None, sni: str | None, ca_file: str | None, concurrency: int,
                 per_host: int, rate: float | None, timeout: float, ports_range: str | None,
                 run_timeout: float | None, resume: str | None,
                 runs_dir: str | None, executor: str, broker_opts: BrokerOptions, quiet: bool, log_json: bool,
                 no_store: bool = False, db: str | None = None, data_dir: str | None = None,
                 family_options: dict[str, dict[str, Any]] | None = None) -> int:
    """Check the endpoints of every system against the controls of its level, and report.

    Runs classify → resolve → plan → execute → evaluate → report. The probe families' own options
    (--resolver and --mta-sts-port of the mail family, --ports-timeout...) follow the others. Exit
    status: 0 no finding at or above --fail-on, 1 findings at or above --fail-on, 2 input error, 3
    scan errors left controls without a verdict, 130 interrupted (resume with --resume RUN_ID). A
    scan judges the network controls of a level, never the whole level (`secaudit assess`).

    \b
    Examples:
      secaudit scan examples/inventory.yaml --format html --format sarif --out out/
      secaudit scan examples/inventory.yaml --system cong-dvc --fail-on high
      secaudit scan --target 127.0.0.1:8443 --level 3
      secaudit scan --target 127.0.0.1:8443 --profile mozilla-intermediate --format junit
      secaudit scan inventory.yaml --resolver 127.0.0.53 --only mail
      secaudit scan --resume 20261123T101500Z-a1b2c3
      secaudit scan examples/inventory.yaml --executor celery --broker redis://scanner@127.0.0.1:6379/0
    """
    from secaudit.cli.output import echo, print_error
    from secaudit.cli.progress import InterruptNotice, make_observer
    from secaudit.execute.interrupts import deferred_signals, flush_output
    from secaudit.execute.journal import runs_dir as default_runs_dir
    from secaudit.i18n import current_lang, t
    from secaudit.run import ScanRequest, execute_scan

    lang = current_lang()
    base = default_runs_dir(runs_dir)
    new = ScanRequest(
        inventory_file=inventory, targets=targets, service=service, starttls=starttls, sni=sni, level=level,
        profiles=profiles, systems=systems, only=only, waivers_file=waivers_file, regime=regime, lang=lang,
        ca_file=ca_file, concurrency=concurrency, per_host=per_host, rate=rate, timeout=timeout,
        ports_range=ports_range, run_timeout=run_timeout, fail_on=fail_on, family_options=family_options or {})
    req, journal, run_id, broker = open_run(new, base, resume, broker_opts, executor)
    observer = make_observer(quiet=quiet, log_json=log_json, notice=InterruptNotice(lang, run_id))
    # From here on Ctrl-C and SIGTERM are noted, not raised: the executor stops, the reports are
    # still written from the journal, and the status is 130 (secaudit.execute.interrupts).
    with deferred_signals() as interrupts:
        outcome = execute_scan(req, journal, run_id, observer, broker=broker)
        results = outcome.results
        history = None
        if results.run.complete and not no_store:      # a complete run (or a --resume that completed it) enters history
            _, history = store_results(results, db, data_dir, formats or DEFAULT_FORMATS)
        results = with_assessments(results, db, data_dir)
        deliver(results, formats, out_dir, lang, history)
        if not results.run.complete:
            echo(t("scan.incomplete", lang, run=run_id))
            print_error(t("scan.resume_hint", lang, command="scan", run=run_id, runs_dir=str(base)))
        flush_output()      # a full pipe blocks here, where a Ctrl-C is still only noted
        interrupted = bool(interrupts.count) or outcome.summary.reason in ("interrupted", "stopped")
    return scan_status(results, req.fail_on, errors_ok, interrupted)


def open_run(new: Any, base: Path, resume: str | None, broker_opts: BrokerOptions,
             executor: str, command: str = "scan", fixed_only: Sequence[str] = ()) -> tuple[Any, Any, str, Any]:
    """The request, journal, run id and broker of a new run of ``command`` (inputs checked before its
    directory is created), or of the run ``resume`` names (its stored request, with this invocation's
    language and --fail-on) when ``command`` started it, else exit 2 naming the command that did (a preset's
    ``fixed_only`` tells its older runs). The broker (with its password) is set when the run uses the celery
    executor."""
    from secaudit.execute.journal import Journal
    from secaudit.run import ScanRequest, load_inputs, start_run, started_by

    if resume:
        journal = Journal.open_existing(base, resume)
        meta = journal.meta()
        started = started_by(meta, command, fixed_only)
        if started != command:
            raise InputError([Diagnostic("--resume", 0, 0, "scan.resume_other_command",
                                         {"run": resume, "started": started, "command": command})])
        stored = ScanRequest.from_meta(meta["request"])
        req = ScanRequest.from_meta({**stored.to_meta(), "lang": new.lang, "fail_on": new.fail_on})
        broker = distributed_broker(req, broker_opts, executor)
        return _with_broker(req, broker), journal, resume, broker
    broker = distributed_broker(new, broker_opts, executor)
    req = _with_broker(new, broker)
    load_inputs(req)                       # input errors before a run directory is created
    journal, run_id = start_run(req, base, command)
    return req, journal, run_id, broker


def deliver(results: Any, formats: Sequence[str], out_dir: str, lang: str, history: Any = None) -> None:
    """Write the reports (with the run's history, when stored: SARIF baselineState, the HTML trend),
    print the summary and where each report went."""
    from secaudit.cli.output import echo
    from secaudit.i18n import t
    from secaudit.report.context import report_history

    with report_history(history):
        written = write_reports(results, formats or DEFAULT_FORMATS, Path(out_dir), lang)
    _print_summary(results, lang)
    for name, path in written.items():
        echo(t("scan.written", lang, format=name, path=str(path)))


@click.command("report")
@click.argument("results_file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--format", "formats", multiple=True, type=RegistryChoice(report_formats), help="Report format (repeatable).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="secaudit-report",
              show_default=True)
@click.option("--waivers", "waivers_file", type=click.Path(dir_okay=False, path_type=str),
              help="Apply these waivers instead of the ones the scan used.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True)
@click.option("--errors-ok", is_flag=True,
              help="Exit 0 instead of 3 when controls were left without a verdict (scan errors, or nothing to check).")
@click.option("--as-is", is_flag=True, help="Render the stored findings without re-evaluating them.")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=str),
              help="Where run journals live, when RESULTS_FILE is a run id (default .secaudit-runs).")
@store_options
@lang_option
def report_command(results_file: str, formats: tuple[str, ...], out_dir: str, waivers_file: str | None,
                   fail_on: str, errors_ok: bool, as_is: bool, runs_dir: str | None, db: str | None = None,
                   data_dir: str | None = None) -> int:
    """Re-evaluate stored observations (new waivers or policies) and render reports, without scanning.

    RESULTS_FILE is a report.json written by `secaudit scan --format json`, or a run id (its journal
    is read again; the inventory and waivers files are read from where the scan found them). Each
    system's line on its level's requirements comes from its latest `secaudit assess` in the history
    store (--db / --data-dir), as in `scan`; with --as-is, from the results file.

    \b
    Examples:
      secaudit report secaudit-report/report.json --waivers waivers.yaml --format html --format sarif
      secaudit report 20261123T101500Z-a1b2c3 --format html
    """
    from secaudit.i18n import current_lang

    lang = current_lang()
    if not os.path.exists(results_file) and os.sep not in results_file:
        # a run id: rebuild the results from its journal, with these waivers, no scanning
        from secaudit.execute.journal import Journal, runs_dir as default_runs_dir
        from secaudit.run import results_from_journal

        journal = Journal.open_existing(default_runs_dir(runs_dir), results_file)
        overrides = {"lang": lang, "fail_on": fail_on}
        if waivers_file:
            overrides["waivers_file"] = waivers_file
        results = with_assessments(results_from_journal(journal, results_file, overrides), db, data_dir)
    else:
        from secaudit.results_file import load_results_file

        results = load_results_file(results_file)
        if not as_is:
            results = with_assessments(_reevaluate(results, waivers_file, lang, fail_on), db, data_dir)
    deliver(results, formats, out_dir, lang)
    return scan_status(results, fail_on, errors_ok)


def _reevaluate(results: Any, waivers_file: str | None, lang: str, fail_on: str) -> Any:
    from secaudit.policy import load_library
    from secaudit.run import ScanRequest, load_waivers_in_use, reevaluate

    library, _ = load_library(results.run.profiles)
    waivers = load_waivers_in_use(waivers_file, results.inventory, library) if waivers_file else ()
    inventory_file = None if results.run.inventory_file == "--target" else results.run.inventory_file
    req = ScanRequest(inventory_file=inventory_file, regime=results.run.regime, lang=lang, fail_on=fail_on)
    # the level assessments the results file carries are kept: they are not judged from the observations
    return dataclasses.replace(reevaluate(results, waivers, req, library), assessments=results.assessments)
