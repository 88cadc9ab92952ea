"""`secaudit discover INVENTORY [--zone Z] [--network CIDR]`: undeclared hosts and ports in the declared networks
— a preset of the pipeline: `scan --only discover` with the discover family's options."""

from __future__ import annotations

from typing import Any

import click

from secaudit.cli.common import RegistryChoice, lang_option, report_formats
from secaudit.cli.family_options import family_options_command
from secaudit.cli.preset import SEVERITIES, run_kept
from secaudit.cli.store_options import store_options
from secaudit.cli.worker import BrokerOptions, broker_options
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang


# --zone, --network, --max-prefix, --allow-large-networks and --top-ports are the discover family's own
# options (probes.discover.OPTIONS), offered from the registry; --timeout is its sweep_timeout
@family_options_command("discover", kinds=lambda: ("discover",), handled=("sweep_timeout",))
@click.argument("inventory", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--timeout", type=click.FloatRange(5, 86400), default=600.0, show_default=True,
              help="Deadline of one network's sweep, in seconds.")
@click.option("--format", "formats", multiple=True, type=RegistryChoice(report_formats),
              help="Report format (repeatable; default: html, json, text).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="secaudit-discovery",
              show_default=True, help="Directory for the reports.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a finding of this severity or higher fails.")
@click.option("--errors-ok", is_flag=True,
              help="Exit 0 instead of 3 when a sweep failed or a zone had nothing to judge.")
@click.option("--resume", "resume", metavar="RUN_ID", help="Resume an interrupted run: skip the networks it swept.")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=str),
              help="Where run journals live (default .secaudit-runs, or SECAUDIT_RUNS_DIR).")
@click.option("--executor", type=click.Choice(["local", "celery"]), default="local", show_default=True,
              help="local: nmap runs here; celery: each zone's networks go to its workers through --broker.")
@broker_options(required=False)
@click.option("--quiet", "-q", is_flag=True, help="No progress display; only the final summary.")
@click.option("--no-store", is_flag=True, help="Do not keep this run in the history store named by --db / --data-dir.")
@store_options
@lang_option
def command(inventory: str | None, timeout: float, formats: tuple[str, ...], out_dir: str, fail_on: str,
            errors_ok: bool, resume: str | None, runs_dir: str | None, executor: str, broker_opts: BrokerOptions,
            quiet: bool, no_store: bool = False, db: str | None = None, data_dir: str | None = None,
            family_options: dict[str, dict[str, Any]] | None = None) -> int:
    """Find live hosts and open ports that no system of INVENTORY declares, inside the networks its
    zones declare (and nowhere else). nmap runs unprivileged: host discovery with TCP connect pings,
    then a connect scan of the top ports on the hosts that answered.

    The same pipeline as `secaudit scan --only discover`: journaled, resumable (--resume RUN_ID),
    re-rendered by `secaudit report RUN_ID`, run here or by each zone's workers (--executor celery), and
    kept in the history store (`secaudit runs`, `secaudit diff`) when --db or --data-dir names one (or
    the configuration file, SECAUDIT_DB or SECAUDIT_DATA_DIR does), each zone as a system `zone:<id>`.
    Exit status: 0 nothing undeclared, 1 findings at or above --fail-on, 2 bad input, a network outside
    the declared ones or too large without --allow-large-networks, nmap missing; 3 a sweep failed or a
    zone had nothing to judge; 130 interrupted (resume with --resume RUN_ID).

    \b
    Examples:
      secaudit discover examples/inventory.yaml --zone dmz
      secaudit discover inventory.yaml --network 127.0.0.16/31 --format sarif
      secaudit discover --resume 20261123T101500Z-a1b2c3
      secaudit discover examples/inventory.yaml --data-dir /var/lib/secaudit
    """
    from secaudit.run import ScanRequest

    if not inventory and not resume:
        raise InputError([Diagnostic("secaudit discover", 0, 0, "scan.inventory_or_target")])
    chosen = dict(family_options or {})
    chosen["discover"] = {**chosen.get("discover", {}), "sweep_timeout": timeout}
    req = ScanRequest(inventory_file=inventory, only=("discover",), fail_on=fail_on, lang=current_lang(),
                      family_options=chosen)
    store = (db, data_dir) if (db or data_dir) and not no_store else None
    return run_kept(req, command="discover", resume=resume, runs_dir=runs_dir, executor=executor,
                    broker_opts=broker_opts, formats=formats, out_dir=out_dir, quiet=quiet, errors_ok=errors_ok,
                    store=store)
