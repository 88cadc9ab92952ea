"""Every ``--format`` of the CLI offers exactly the formats its report registry holds: none is listed by hand."""

from __future__ import annotations

import click
import pytest

from secaudit import report
from secaudit.cli import (
    assess, classify, discover, documents, dossier, history, imports, policy, ports, requirements, scan, tls,
)
from secaudit.report.assessment import FORMATS as ASSESSMENT_FORMATS
from secaudit.report.catalogue import FORMATS as CATALOGUE_FORMATS
from secaudit.report.classification import CLASSIFICATION_FORMATS
from secaudit.report.document_formats import DOCUMENT_FORMATS
from secaudit.report.dossier import DOSSIER_FORMATS
from secaudit.report.history import DIFF_FORMATS, DUE_FORMATS, RUNS_FORMATS, TREND_FORMATS
from secaudit.report.import_summary import IMPORT_FORMATS
from secaudit.report.policy_view import POLICY_FORMATS
from secaudit.report.status import STATUS_FORMATS
from secaudit.report.interface import ReportFormat


def format_choices(command: click.Command) -> tuple[str, ...]:
    [option] = [p for p in command.params if "--format" in getattr(p, "opts", ())]
    return tuple(option.type.choices)


def commands(group_or_command: object) -> list[click.Command]:
    found = [v for v in vars(group_or_command).values() if isinstance(v, click.Command)]
    out: list[click.Command] = []
    for c in found:
        out.extend(c.commands.values() if isinstance(c, click.Group) else [c])
    return out


def named(module: object, name: str) -> click.Command:
    [cmd] = {id(c): c for c in commands(module) if c.name == name}.values()     # a group's command is a module name too
    return cmd


@pytest.mark.parametrize("module, name, registry", [
    (scan, "scan", lambda: tuple(report.FORMATS)),
    (scan, "report", lambda: tuple(report.FORMATS)),
    (discover, "discover", lambda: tuple(report.FORMATS)),
    (classify, "classify", lambda: tuple(CLASSIFICATION_FORMATS)),
    (dossier, "dossier", lambda: tuple(DOSSIER_FORMATS)),
    (requirements, "requirements", lambda: CATALOGUE_FORMATS),
    (assess, "assess", lambda: ASSESSMENT_FORMATS),
    (history, "runs", lambda: tuple(RUNS_FORMATS)),
    (history, "diff", lambda: tuple(DIFF_FORMATS)),
    (history, "due", lambda: tuple(DUE_FORMATS)),
    (history, "trend", lambda: tuple(TREND_FORMATS)),
    (documents, "status", lambda: tuple(STATUS_FORMATS)),
    (imports, "import", lambda: tuple(IMPORT_FORMATS)),
    (policy, "show", lambda: tuple(POLICY_FORMATS)),
])
def test_a_command_offers_its_registry(module, name, registry):
    assert format_choices(named(module, name)) == registry()


def test_the_document_commands_offer_the_document_registry():
    for name in ("annual-report", "cover-letter"):
        assert format_choices(named(documents, name)) == tuple(DOCUMENT_FORMATS)


def test_presets_offer_the_listing_then_every_report_format():
    for cmd in (named(tls, "tls"), named(ports, "ports")):
        choices = format_choices(cmd)
        assert choices[0] == "text" and set(choices) == set(report.FORMATS)


class _Yaml(ReportFormat):
    name = "yaml-test"
    extension = "yaml"
    media_type = "application/yaml"

    def render(self, results, lang):  # pragma: no cover - never rendered here
        raise NotImplementedError


def test_a_format_registered_at_run_time_is_a_choice(monkeypatch):
    monkeypatch.setitem(report.FORMATS, _Yaml.name, _Yaml)
    assert "yaml-test" in format_choices(named(scan, "scan"))
    assert "yaml-test" in format_choices(named(tls, "tls"))
    ctx = named(scan, "scan").make_context("scan", ["inv.yaml", "--format", "yaml-test"], resilient_parsing=True)
    assert ctx.params["formats"] == ("yaml-test",)


def test_a_history_format_registered_at_run_time_is_a_choice(monkeypatch):
    monkeypatch.setitem(DUE_FORMATS, "yaml-test", lambda report, lang: "")
    assert "yaml-test" in format_choices(named(history, "due"))
