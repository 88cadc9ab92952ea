"""Options every history command shares (``--db``, ``--data-dir``), and storing a finished run.

Declared as ordinary Click options so config-file defaults (Click's ``default_map``) apply to
them like to any other option.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import click

from secaudit.cli.output import echo, print_error
from secaudit.errors import InputError
from secaudit.i18n import t


def store_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--db URL`` and ``--data-dir DIR``, passed to the command as ``db`` and ``data_dir``."""
    f = click.option("--data-dir", "data_dir", type=click.Path(file_okay=False, path_type=str),
                     help="Directory of the default SQLite store (default: SECAUDIT_DATA_DIR, "
                          "else ~/.local/share/secaudit).")(f)
    return click.option("--db", "db", metavar="URL",
                        help="Store URL, e.g. postgresql://user@db.example/secaudit or "
                             "sqlite:////var/lib/secaudit/store.sqlite (default: SECAUDIT_DB, else the "
                             "SQLite file in --data-dir).")(f)


def store_results(results: Any, db: str | None, data_dir: str | None,
                  formats: Sequence[str] = ()) -> tuple[bool, Any]:
    """Store a finished run; say where, or say plainly why not (the journal keeps the run either way).

    Returns (stored, history): ``stored`` is False when storing failed (the run can be stored later
    with ``secaudit store RUN_ID``); ``history`` is the :class:`~secaudit.report.context.ReportHistory`
    the requested formats use (SARIF baseline, HTML trend), or None."""
    from sqlalchemy.exc import SQLAlchemyError

    from secaudit.store import open_store

    try:
        with open_store(db, data_dir) as store:
            store.save(results)
            echo(t("store.stored", run=results.run.id, store=store.display_url()))
            return True, _history(store, results.run.id, formats)
    except (InputError, SQLAlchemyError, OSError) as e:
        reason = e.diagnostics[0].render() if isinstance(e, InputError) else str(e).strip().splitlines()[0]
        print_error(t("store.store_failed", run=results.run.id, reason=reason))
        return False, None


TREND_RUNS = 12


def _history(store: Any, run_id: str, formats: Sequence[str]) -> Any:
    from secaudit.report.context import Baseline, ReportHistory
    from secaudit.store.diff import by_identity

    if not {"sarif", "html"} & set(formats):
        return None
    run = store.run(run_id)
    baseline = None
    if "sarif" in formats:
        previous = store.previous_run(run)
        if previous is not None:
            baseline = Baseline(previous, by_identity(store.findings(previous.id)))
    trend = tuple(reversed(store.runs(scope=run.scope, limit=TREND_RUNS))) if "html" in formats else ()
    return ReportHistory(baseline, trend)


def stored_assessments(db: str | None, data_dir: str | None) -> dict[str, Any]:
    """Each system's newest stored ``secaudit assess`` result (empty without a store; none is created)."""
    from secaudit.programme import has_history

    if not has_history(db, data_dir):
        return {}
    from secaudit.store import open_store

    with open_store(db, data_dir) as store:
        return store.latest_assessments()


def level_assessments(db: str | None, data_dir: str | None, regime: str) -> dict[str, Any]:
    """Each system's newest stored assessment under ``regime``, as the figures other outputs show
    (:class:`~secaudit.model.LevelAssessment`); empty without a store."""
    return {sid: rec.figures() for sid, rec in stored_assessments(db, data_dir).items() if rec.regime == regime}


def with_assessments(results: Any, db: str | None, data_dir: str | None) -> Any:
    """``results`` carrying its systems' latest stored assessments, so every report says what was assessed of
    each level (issue 22); unchanged without a store or an assessment. A stored assessment replaces the one
    ``results`` carried for the same system (a re-rendered results file); the others are kept."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        found = level_assessments(db, data_dir, results.run.regime)
    except (InputError, SQLAlchemyError, OSError):     # an unreachable store was reported when storing: the
        return results                                 # reports then say the level's rows are not assessed
    figures = tuple(found[s.system_id] for s in results.systems if s.system_id in found)
    if not figures:
        return results
    kept = tuple(a for a in results.assessments if a.system_id not in found)
    return dataclasses.replace(results, assessments=kept + figures)
