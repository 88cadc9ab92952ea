"""The documents an agency files: `secaudit annual-report` (Form 08) and `secaudit status`.

Both read the inventory, classify it, and take each system's latest run from the audit history
(``--db``); they render through ``report/`` and write text to stdout or any format to ``-o FILE``.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Callable

import click

from secaudit.cli.classify import regime_option, write_output
from secaudit.cli.common import RegistryChoice, document_formats, lang_option, status_formats
from secaudit.cli.output import echo, print_diagnostics
from secaudit.cli.store_options import level_assessments, store_options, stored_assessments
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang, t
from secaudit.status import ExitStatus



def write_document(data: str | bytes, out: str | None, fmt: str) -> None:
    """Text to stdout or FILE; a binary format only to FILE."""
    if isinstance(data, str):
        write_output(data, out)
    else:
        if out in (None, "-"):
            raise InputError([Diagnostic("-o", 0, 0, "documents.binary_stdout", {"format": fmt})])
        try:
            with open(out, "wb") as fh:
                fh.write(data)
        except OSError as e:
            raise InputError([Diagnostic(out, 0, 0, "classify.error.write", {"path": out, "error": e.strerror or e})])
    if out not in (None, "-"):
        echo(t("documents.written", path=out), err=True)


def stream_document(write: Callable[[Callable[[str], Any]], None], out: str | None) -> None:
    """A text document that ``write`` hands over piece by piece (to the function it is given), to stdout or FILE:
    never whole in memory."""
    if out is None or out == "-":
        write(lambda text: echo(text, nl=False))
        return
    # into a file beside it, renamed into place when complete: an interrupted run leaves no truncated document
    # (a device or a pipe named with -o is written directly)
    special = os.path.exists(out) and not os.path.isfile(out)
    part = out if special else f"{out}.part-{os.getpid()}"
    try:
        with open(part, "w", encoding="utf-8", newline="") as fh:
            write(fh.write)
        if part != out:
            os.replace(part, out)
    except OSError as e:
        raise InputError([Diagnostic(out, 0, 0, "classify.error.write", {"path": out, "error": e.strerror or e})])
    finally:
        if part != out and os.path.exists(part):
            os.remove(part)
    echo(t("documents.written", path=out), err=True)


def load_programme(inventory: str, regime: str | None, db: str | None, data_dir: str | None,
                   as_of: dt.date) -> tuple[Any, Any, Any]:
    """(inventory, regime, programme) on ``as_of`` with the latest runs of the store at ``db``."""
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.load import load_inventory
    from secaudit.programme import build_programme, latest_runs

    reg = load_regime(regime)
    inv = load_inventory(inventory)
    results = classify_inventory(inv, reg)
    return inv, reg, build_programme(inv, results, latest_runs(db, as_of, data_dir), reg, as_of)


def report_gaps(inventory: Any, regime: Any, systems: Any = None) -> None:
    """List on stderr what the documents need under ``regime`` and the inventory lacks (the document shows the
    form's blank)."""
    from secaudit.particulars import document_gaps

    gaps = document_gaps(inventory, regime, systems)
    if gaps:
        echo(t("documents.gaps_intro", count=len(gaps)), err=True)
        print_diagnostics(gaps)


@click.command("annual-report")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--year", type=int, default=None, help="Report year (default: this year): data from 15/12 of the "
                                                     "year before to 14/12.")
@regime_option
@store_options
@click.option("--format", "fmt", type=RegistryChoice(document_formats), default="md", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def annual_report_command(inventory: str, year: int | None, regime: str | None, db: str | None,
                          data_dir: str | None, fmt: str, out: str | None) -> int:
    """Write the annual report on Form No. 08 of Decree 331/2026 ("V/v kết quả công tác bảo đảm an ninh
    mạng hệ thống thông tin"): the section-1 counts, the owner and the specialised security unit, the
    12-column table of systems with the form's fixed values, and an appendix (Art. 16 grounds, the
    network controls of each system in its latest scan, from the audit history --db). Column 12's
    "Periodic" and the "assessed periodically" count are left for the owner: a network scan is not the
    periodic assessment. With --regime decree-85-2016 the same report uses that decree's terms.

    \b
    Exit status: 0 written; 2 input error (inventory, regime, store, missing tool for docx/pdf).

    \b
    Example:
      secaudit annual-report examples/inventory.yaml --year 2026 --lang vi --format docx -o bao-cao-2026.docx
    """
    from secaudit.programme import report_period
    from secaudit.report.annual import AnnualInput, build_annual_report
    from secaudit.report.document_formats import render_document

    today = dt.date.today()                  # once: a report written across midnight uses one day
    year = year or today.year
    if not 2000 <= year <= 2100:
        raise InputError([Diagnostic("--year", 0, 0, "documents.year_invalid", {"year": year})])
    from secaudit.programme import failed_controls
    from secaudit.report.dossier import level_controls

    end = report_period(year)[1]
    inv, reg, programme = load_programme(inventory, regime, db, data_dir, end)
    latest = {s.system.id: s.latest for s in programme.systems if s.latest is not None}
    controls = {c.id: c for level in range(1, 6) for c in level_controls(level)}
    systems = {s.system.id: (s.system.name, s.level) for s in programme.systems}
    overdue = overdue_for_report(db, data_dir, systems, min(end, today), reg.standard)
    document = build_annual_report(AnnualInput(inv, reg, programme, year, failed_controls(db, latest, data_dir),
                                               controls, stored_assessments(db, data_dir), overdue),
                                   current_lang(), "md" if fmt == "md" else "txt")
    report_gaps(inv, reg)
    write_document(render_document(fmt, document), out, fmt)
    return ExitStatus.OK


@click.command("status")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@regime_option
@store_options
@click.option("--date", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Show the programme as it stood on this day (default: today).")
@click.option("--format", "fmt", type=RegistryChoice(status_formats), default="text", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def status_command(inventory: str, regime: str | None, db: str | None, data_dir: str | None,
                   on: dt.datetime | None, fmt: str, out: str | None) -> int:
    """The classification programme at a glance, for a director: of N systems, how many are
    classified, have a dossier, are appraised, approved, scanned on time and pass the network
    controls of their level in their latest scan, and which systems hold the organisation back,
    with what each lacks. A scan is one part of an assessment: it never says a level is met.

    \b
    Exit status: 0 shown; 2 input error (inventory, regime, store).

    \b
    Example:
      secaudit status examples/inventory.yaml --lang vi
      secaudit status examples/inventory.yaml --format html -o status.html
    """
    from secaudit.report.status import build_status, render_status
    from secaudit.store.engine import store_url

    lang = current_lang()
    day = on.date() if on else dt.date.today()
    inv, reg, programme = load_programme(inventory, regime, db, data_dir, day)
    view = build_status(inv, reg, programme, lang, _display(store_url(db, data_dir)),
                        overdue_findings(db, data_dir, {s.system.id: s.level for s in programme.systems}, day),
                        level_assessments(db, data_dir, reg.id))
    write_document(render_status(view, fmt, lang), out, fmt)
    return ExitStatus.OK


def overdue_findings(db: str | None, data_dir: str | None, levels: dict[str, int | None],
                     day: dt.date) -> dict[str, list[Any]]:
    """Per system, the imported findings past their remediation deadline (none without a store)."""
    from secaudit.programme import has_history
    from secaudit.store import open_store
    from secaudit.store.remediation import load_sla, open_items_of_latest_imports, overdue

    if not has_history(db, data_dir):
        return {}
    with open_store(db, data_dir) as store:
        items = open_items_of_latest_imports(store, day)
    out: dict[str, list[Any]] = {}
    for f in overdue(items, levels, load_sla(), day):
        out.setdefault(f.system_id, []).append(f)
    return out


def overdue_for_report(db: str | None, data_dir: str | None, systems: dict[str, tuple[str, int | None]],
                       day: dt.date, standard: str) -> Any:
    """The annual report's imported findings past their deadline on ``day`` (report.overdue.OverdueInput)."""
    from secaudit.programme import has_history
    from secaudit.report.overdue import OverdueInput
    from secaudit.store import open_store
    from secaudit.store.remediation import load_sla, open_items_of_latest_imports, overdue

    if not has_history(db, data_dir):
        return OverdueInput(day, standard=standard, systems=systems)
    with open_store(db, data_dir) as store:
        imports = sum(1 for r in store.latest_imports(day) if r.date.date() <= day)
        items = open_items_of_latest_imports(store, day)
    if not imports:
        return OverdueInput(day, standard=standard, systems=systems)
    sla = load_sla()
    found = overdue(items, {sid: level for sid, (_name, level) in systems.items()}, sla, day)
    return OverdueInput(day, imports, found, sla, standard, systems)


def _display(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@click.command("cover-letter")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--system", "system_id", required=True, metavar="ID", help="The system of the inventory.")
@click.option("--kind", type=click.Choice(("appraisal", "opinion")), default="appraisal", show_default=True,
              help="appraisal: Form 01 (levels 1-2) or Form 02 (levels 3-5); opinion: Form 03 (levels 4-5).")
@regime_option
@click.option("--format", "fmt", type=RegistryChoice(document_formats), default="md", show_default=True)
@click.option("-o", "--output", "out", default=None, metavar="FILE", help="Write to FILE instead of stdout.")
@lang_option
def cover_letter_command(inventory: str, system_id: str, kind: str, regime: str | None, fmt: str,
                         out: str | None) -> int:
    """Write the cover letter that goes with a system's level dossier, on the form its proposed level
    needs: Form No. 01 (request for appraisal and approval, levels 1-2), Form No. 02 (request for
    appraisal, levels 3-5; at levels 4-5 from the owner to the appraising ministry) or, with --kind
    opinion, Form No. 03 (request for the specialised unit's professional opinion, levels 4-5).

    \b
    Exit status: 0 written; 2 input error (undetermined level, Form 03 below level 4, inventory).

    \b
    Example:
      secaudit cover-letter examples/inventory.yaml --system dieu-khien-ho-chua --kind opinion --lang vi
      secaudit cover-letter examples/inventory.yaml --system qlvb --format docx -o mau-01-qlvb.docx
    """
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.load import load_inventory
    from secaudit.report.document_formats import render_document
    from secaudit.report.letters import LetterInput, build_letter

    reg = load_regime(regime)
    inv = load_inventory(inventory)
    (result,) = classify_inventory(inv, reg, [system_id])
    document = build_letter(LetterInput(inv, system_id, result, reg, kind), current_lang(),
                            "md" if fmt == "md" else "txt")
    report_gaps(inv, reg, [system_id])
    write_document(render_document(fmt, document), out, fmt)
    return ExitStatus.OK
