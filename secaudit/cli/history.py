"""History commands: ``store``, ``runs``, ``diff``, ``due``, ``trend`` (the run store, design §5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import click

from secaudit.cli.common import RegistryChoice, diff_formats, due_formats, lang_option, runs_formats, trend_formats
from secaudit.cli.output import echo, print_error
from secaudit.cli.store_options import store_options, store_results
from secaudit.errors import Diagnostic, InputError
from secaudit.model import UNCLASSIFIED
from secaudit.i18n import current_lang, t
from secaudit.status import ExitStatus

SEVERITIES = ["critical", "high", "medium", "low", "info"]
_DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value else None


def _emit(text: str, out: str | None) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
    else:
        echo(text, nl=False)


@click.command("store")
@click.argument("run_id")
@click.option("--runs-dir", type=click.Path(file_okay=False, path_type=str),
              help="Where run journals live (default .secaudit-runs, or SECAUDIT_RUNS_DIR).")
@store_options
@lang_option
def store_command(run_id: str, runs_dir: str | None, db: str | None, data_dir: str | None) -> int:
    """Store a run (again) from its journal: after a crash while storing, or into another store.

    The inventory, waivers and policies are read again from where the scan found them, as for
    `secaudit report RUN_ID`. An incomplete run is refused: complete it with `scan --resume`.

    \b
    Example:
      secaudit store 20261123T101500Z-a1b2c3 --db postgresql://secaudit@db.example/secaudit
    """
    from secaudit.execute.journal import Journal, runs_dir as default_runs_dir
    from secaudit.run import results_from_journal, started_by

    journal = Journal.open_existing(default_runs_dir(runs_dir), run_id)
    results = results_from_journal(journal, run_id, {"lang": current_lang()})
    if not results.run.complete:
        print_error(t("store.not_complete", run=run_id, command=started_by(journal.meta(), "scan")))
        return ExitStatus.INPUT_ERROR
    stored, _ = store_results(results, db, data_dir)
    return ExitStatus.OK if stored else ExitStatus.SCAN_ERRORS


@click.command("runs")
@click.option("--system", metavar="ID", help="Only runs that evaluated this system.")
@click.option("--since", type=_DATE, help="Only runs started on or after this day (YYYY-MM-DD).")
@click.option("--until", type=_DATE, help="Only runs started on or before this day (YYYY-MM-DD).")
@click.option("--limit", type=click.IntRange(1, 100000), default=50, show_default=True)
@click.option("--format", "fmt", type=RegistryChoice(runs_formats), default="text", show_default=True)
@store_options
@lang_option
def runs_command(system: str | None, since: dt.datetime | None, until: dt.datetime | None, limit: int, fmt: str,
                 db: str | None, data_dir: str | None) -> int:
    """List stored runs, newest first.

    \b
    Examples:
      secaudit runs
      secaudit runs --system cong-dvc --since 2026-01-01 --format json
    """
    from secaudit.report.history import render_runs
    from secaudit.store import open_store

    with open_store(db, data_dir) as store:
        runs = store.runs(system=system, since=_day(since), until=_day(until), limit=limit)
        # a run of a family's own subjects (discovery's zones) judged no system against a level
        levels = requirement_figures(store, [sid for r in runs if r.kind == "scan" and r.regime != UNCLASSIFIED
                                             for sid in r.system_ids])
    _emit(render_runs(runs, fmt, current_lang(), levels), None)
    return ExitStatus.OK


def requirement_figures(store: Any, system_ids: Any) -> dict[str, tuple[int | None, Any]]:
    """System id -> (required level in its latest scan, its latest stored assessment under that scan's regime or
    None), for ``system_ids`` in order."""
    latest = store.latest_per_system()
    assessed = store.latest_assessments()
    out: dict[str, tuple[int | None, Any]] = {}
    for sid in dict.fromkeys(system_ids):
        rec, a = latest.get(sid), assessed.get(sid)
        if rec is not None:
            out[sid] = (rec.required_level, a.figures() if a is not None and a.regime == rec.regime else None)
    return out


def _pick_runs(store: Any, run_a: str | None, run_b: str | None) -> tuple[Any, Any]:
    if run_a and run_b:
        return store.run(run_a), store.run(run_b)
    if run_a:
        later = store.run(run_a)
    else:
        latest = store.runs(limit=1)
        if not latest:
            raise InputError([Diagnostic(store.display_url(), 0, 0, "history.diff.no_runs")])
        later = latest[0]
    earlier = store.previous_run(later)
    if earlier is None:
        raise InputError([Diagnostic(store.display_url(), 0, 0, "history.diff.no_previous", {"run": later.id})])
    return earlier, later


@click.command("diff")
@click.argument("run_a", required=False)
@click.argument("run_b", required=False)
@click.option("--format", "fmt", type=RegistryChoice(diff_formats), default="text",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), help="Write to this file instead of stdout.")
@click.option("--fail-on-new", type=click.Choice(SEVERITIES),
              help="Exit 1 when a finding of this severity or higher is new (or fails again as its waiver ended).")
@click.option("--show-still-failing", is_flag=True, help="Also list the findings that failed in both runs.")
@click.option("--no-previous-ok", is_flag=True,
              help="Exit 0 (saying so) when the run has no earlier run to compare with: a first scheduled run.")
@store_options
@lang_option
def diff_command(run_a: str | None, run_b: str | None, fmt: str, out: str | None, fail_on_new: str | None,
                 show_still_failing: bool, no_previous_ok: bool, db: str | None, data_dir: str | None) -> int:
    """What changed between two stored runs: findings new, fixed, waived, expired; levels, ports, certificates.

    Without arguments: the newest run against the previous run of the same scope (same inventory
    file name, systems and options). With one run id: that run against its previous one. A
    finding is the same across runs when its system, control and target are: a reworded message
    is not a new finding.

    \b
    Examples:
      secaudit diff
      secaudit diff --format md --fail-on-new high
      secaudit diff 20261101T020000Z-a1b2c3 20261201T020000Z-d4e5f6 --format html --out diff.html
    """
    from secaudit.report.history import render_diff
    from secaudit.store import open_store
    from secaudit.store.diff import diff_stored

    with open_store(db, data_dir) as store:
        try:
            earlier, later = _pick_runs(store, run_a, run_b)
        except InputError as e:
            if not (no_previous_ok and e.diagnostics[0].key in ("history.diff.no_previous", "history.diff.no_runs")):
                raise
            _emit(e.diagnostics[0].render() + "\n", out)
            return ExitStatus.OK
        d = diff_stored(store, earlier, later)
    _emit(render_diff(d, fmt, current_lang(), show_still_failing), out)
    if fail_on_new and d.new_at_or_above(fail_on_new):
        return ExitStatus.FINDINGS
    return ExitStatus.OK


def _inventory_levels(inventory_file: str, lang: str, regimes: Any) -> dict[str, tuple[str, dict[str, int | None]]]:
    """Each system's required level under each regime timed, from classifying the inventory."""
    from secaudit.assess import assess_inventory
    from secaudit.load import load_inventory
    from secaudit.policy import default_library

    inventory = load_inventory(inventory_file)
    library = default_library()
    levels: dict[str, tuple[str, dict[str, int | None]]] = {s.id: (s.name, {}) for s in inventory.systems}
    for regime in regimes:
        for a in assess_inventory(inventory, library, regime.source.file, None, (), lang):
            levels[a.system.id][1][regime.id] = a.required_level
    return levels


def _measured_latest(store: Any, newest: dict[str, Any], day: dt.date) -> tuple[dict[str, Any], frozenset[str]]:
    """Each system's newest run that measured something, and the systems whose newest run did not."""
    from secaudit.store.due import measured

    latest, unmeasured = {}, set()
    for sid, record in newest.items():
        if measured(record):
            latest[sid] = record
            continue
        unmeasured.add(sid)
        earlier = [r for r in reversed(store.system_history(sid, limit=100, until=day, kind="scan")) if measured(r)]
        if earlier:
            latest[sid] = earlier[0]
    return latest, frozenset(unmeasured)


@click.command("due")
@click.argument("inventory", required=False, type=click.Path(dir_okay=False, path_type=str))
@click.option("--days", type=click.IntRange(0, 3650), default=30, show_default=True,
              help="List certificates expiring within this many days.")
@click.option("--today", type=_DATE, help="Compute as of this day (YYYY-MM-DD; default: today, UTC).")
@click.option("--standard-assets", is_flag=True,
              help="TCVN 14423 levels 4-5: use the interval for assets that are not critical (6 and 3 months).")
@click.option("--regime", "regime_names", multiple=True, metavar="REGIME",
              help="Time only this regime (an id of policies/regimes/ or a regime file; repeatable). "
                   "Default: every regime of policies/regimes/.")
@click.option("--format", "fmt", type=RegistryChoice(due_formats), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=str), help="Write to this file instead of stdout.")
@store_options
@lang_option
def due_command(inventory: str | None, days: int, today: dt.datetime | None, standard_assets: bool,
                regime_names: tuple[str, ...], fmt: str, out: str | None, db: str | None,
                data_dir: str | None) -> int:
    """When each system's next periodic assessment is due, under each regime; exit 1 when one is overdue.

    The intervals are each regime's data (policies/regimes/*.yaml, periodic_assessment). Decree
    85/2016 Art. 20.2.c: levels 3-4 yearly, level 5 every 6 months, levels 1-2 with the
    two-yearly assessment of the whole organisation. TCVN 14423:2026 x.7.2.1 (Decree 331/2026):
    vulnerability scanning yearly at levels 1-2, 6-monthly at 3, quarterly at 4 and monthly at 5
    for critical assets. With INVENTORY, every system in it is listed (never scanned: overdue)
    and its level is classified under each regime; without, the stored systems with the level
    their last run required. Findings of imported reports (secaudit import) still open past their
    remediation deadline (policies/remediation.yaml: days per severity and level) are listed too,
    and also exit 1. So are the entries of the newest evidence register stored by `secaudit assess`
    that expire within --days (with INVENTORY: at each system's level); an expired one exits 1.

    \b
    Examples:
      secaudit due examples/inventory.yaml
      secaudit due --days 60 --format json
      secaudit due examples/inventory.yaml --regime decree-85-2016
    """
    from secaudit.report.history import render_due
    from secaudit.store import open_store
    from secaudit.store.cadence import regimes
    from secaudit.store.due import compute_due, levels_from_store
    from secaudit.store.remediation import load_sla, open_items_of_latest_imports, overdue

    lang = current_lang()
    day = _day(today) or dt.datetime.now(dt.timezone.utc).date()
    timed = regimes(regime_names)
    levels = _inventory_levels(inventory, lang, timed) if inventory else None
    with open_store(db, data_dir) as store:
        newest = store.latest_per_system(until=day)
        if levels is not None:
            newest = {k: v for k, v in newest.items() if k in levels}
        certs = [c for run_id in sorted({r.run_id for r in newest.values()}) for c in store.certificates(run_id)]
        latest, unmeasured = _measured_latest(store, newest, day)
        open_items = open_items_of_latest_imports(store, day)
        register = store.register()
    table = levels if levels is not None else levels_from_store(newest, timed)
    report = compute_due(table, latest, certs, day, days, critical=not standard_assets, unmeasured=unmeasured,
                         regimes=timed)
    highest = {sid: max((lv for lv in regimes.values() if lv), default=None) for sid, (_n, regimes) in table.items()}
    report = dataclasses.replace(report, findings=overdue(open_items, highest, load_sla(), day),
                                 evidence=_expiring_evidence(register, levels, day, days))
    _emit(render_due(report, fmt, lang), out)
    return ExitStatus.FINDINGS if report.overdue or report.findings or report.expired_evidence else ExitStatus.OK


def _expiring_evidence(register: Any, levels: Any, day: dt.date, days: int) -> tuple:
    """Entries of the newest stored evidence register (secaudit assess --evidence) expiring within ``days``, at
    the level each system has under Decree 331/2026 (the inventory's classification, when given)."""
    if register is None or levels is None:
        return ()
    from secaudit.classify.regime import DEFAULT_REGIME
    from secaudit.requirements.assessment import expiring_entries
    from secaudit.requirements.catalogue import find_catalogue

    catalogue = find_catalogue(DEFAULT_REGIME)
    if catalogue is None:
        return ()
    by_system = {sid: regimes.get(DEFAULT_REGIME) for sid, (_name, regimes) in levels.items()}
    return expiring_entries(register, catalogue, by_system, day, days)


@click.command("trend")
@click.option("--system", "system_id", required=True, metavar="ID", help="The system whose history to show.")
@click.option("--limit", type=click.IntRange(1, 1000), default=12, show_default=True, help="Newest runs to show.")
@click.option("--format", "fmt", type=RegistryChoice(trend_formats), default="text", show_default=True)
@store_options
@lang_option
def trend_command(system_id: str, limit: int, fmt: str, db: str | None, data_dir: str | None) -> int:
    """A system's levels, status and failing findings over its last runs, oldest first.

    \b
    Example:
      secaudit trend --system cong-dvc --limit 24
    """
    from secaudit.report.history import render_trend
    from secaudit.store import open_store

    with open_store(db, data_dir) as store:
        history = store.system_history(system_id, limit=limit)
        if not history:
            raise InputError([Diagnostic(store.display_url(), 0, 0, "history.trend.no_system", {"system": system_id})])
    _emit(render_trend(system_id, history, fmt, current_lang()), None)
    return ExitStatus.OK


COMMANDS = (store_command, runs_command, diff_command, due_command, trend_command)
