"""``secaudit import INVENTORY FILE...``: other tools' reports into the history store, as evidence."""

from __future__ import annotations

from collections import Counter
from typing import Any

import click

from secaudit.cli.common import RegistryChoice, import_formats, lang_option
from secaudit.cli.history import _emit
from secaudit.cli.store_options import store_options
from secaudit.i18n import current_lang
from secaudit.status import ExitStatus


class ToolChoice(click.Choice):
    """``--tool``: ``auto`` or an importer registered when the command runs (plug-ins included)."""

    def __init__(self) -> None:
        super().__init__((), case_sensitive=True)

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        from secaudit.importers.registry import AUTO, names

        return (AUTO,) + names()

    @choices.setter
    def choices(self, value: object) -> None:
        pass


@click.command("import")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("--tool", default="auto", show_default=True, type=ToolChoice(),
              help="The tool that wrote the files; auto recognises each by its content (never its name).")
@click.option("--max-size", "max_mb", type=click.IntRange(1, 1 << 20), default=1024, show_default=True,
              metavar="MB", help="Refuse a file larger than this before reading it.")
@click.option("--format", "fmt", type=RegistryChoice(import_formats), default="text", show_default=True)
@store_options
@lang_option
def command(inventory: str, files: tuple[str, ...], tool: str, max_mb: int, fmt: str, db: str | None,
            data_dir: str | None) -> int:
    """Import reports of Greenbone/OpenVAS, Nessus, Nuclei (JSON lines or -json-export), OpenSCAP or Lynis
    into the history store.

    Each item is matched to the inventory's systems by host and endpoint; hosts that match no system
    are listed. Every file is read and checked before anything is stored: a malformed or hostile file
    (DOCTYPE, entities, truncated, of another tool) stops the command with exit 2 and stores nothing.
    Importing the same file again adds nothing; a finding the next import of the same tool no longer
    reports on a host it covered is marked fixed (see `secaudit diff`).

    \b
    Examples:
      secaudit import examples/inventory.yaml scan.nessus
      secaudit import examples/inventory.yaml report.xml results-arf.xml /var/log/lynis-report.dat --format json
    """
    from secaudit.importers.match import match
    from secaudit.importers.registry import parse
    from secaudit.importers.source import file_sha256
    from secaudit.load import load_inventory
    from secaudit.store import open_store

    inv = load_inventory(inventory)
    limit = max_mb * 1024 * 1024
    with open_store(db, data_dir) as store:
        known = {f: store.import_of_file(file_sha256(f, limit)) for f in files}
        # every new file is read and checked before anything is stored
        reports = {f: parse(f, tool, limit) for f in files if known[f] is None}
        summaries = []
        for f in files:
            if known[f] is not None:
                summaries.append(_already(f, known[f]))
                continue
            report = reports[f]
            matching = match(report, inv)
            summaries.append(_summary(report, matching, store.save_import(report, matching, inv, inventory)))
        url = store.display_url()
    from secaudit.report.import_summary import render_imports

    _emit(render_imports(summaries, url, fmt, current_lang()), None)
    return ExitStatus.OK


def _already(file: str, record: Any) -> dict[str, Any]:
    return {"file": file, "sha256": record.file_sha256, "tool": record.tool, "tool_version": record.tool_version,
            "scan_started": record.scan_started, "scan_finished": record.scan_finished, "run": record.run_id,
            "stored": False, "previous": None, "fixed": 0, "items": record.items, "open_by_severity": {},
            "systems": list(record.systems),
            "unmatched_hosts": [{"host": h, "items": None} for h in record.unmatched_hosts]}


def _summary(report: Any, matching: Any, outcome: Any) -> dict[str, Any]:
    counts = Counter(f.severity for f in report.findings if f.result in ("fail", "partial"))
    unmatched = Counter(f.host for f, systems in zip(report.findings, matching.by_finding) if not systems)
    return {
        "file": report.file, "sha256": report.sha256, "tool": report.tool, "tool_version": report.tool_version,
        "scan_started": report.started.isoformat() if report.started else None,
        "scan_finished": report.finished.isoformat() if report.finished else None,
        "run": outcome.run_id, "stored": outcome.stored, "previous": outcome.previous, "fixed": outcome.fixed,
        "items": len(report.findings), "open_by_severity": {s: counts[s] for s in
                                                             ("critical", "high", "medium", "low", "info") if counts[s]},
        "systems": list(matching.systems),
        "unmatched_hosts": [{"host": h, "items": unmatched.get(h, 0)} for h in matching.unmatched_hosts],
    }
