"""JUnit XML: test suite = system, test case = control x endpoint.

``fail`` -> ``<failure>``, ``error`` -> ``<error>``, ``not_applicable`` and ``waived`` ->
``<skipped>`` with the reason, ``pass`` -> an empty test case. An interrupted run adds a
``secaudit.run`` suite whose one test case is in error, so a partial run never looks green. Built with ElementTree, which
escapes markup; characters XML 1.0 cannot carry at all are removed first.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

from secaudit.i18n import t
from secaudit.model import Finding, Results, Severity, SystemResult, Verdict
from secaudit.report.escape import xml_text
from secaudit.report.interface import ReportFormat
from secaudit.report.view import (
    LevelFigures, control_index, finding_sort_key, label_text, level_figures, level_text, local,
)


def _set(el: ET.Element, name: str, value: object) -> None:
    el.set(name, xml_text(value))


def _details(finding: Finding, lang: str, remediation: str) -> str:
    lines = [f"{finding.target}: {finding.message.render(lang)}"]
    lines += [f"{label_text(e.label, lang)}: {e.value}" for e in finding.evidence]
    lines += [w.render(lang) for w in finding.warnings]
    if remediation:
        lines.append(f"{t('report.remediation', lang)}: {remediation}")
    if finding.references:
        lines.append(f"{t('report.references', lang)}: {'; '.join(finding.references)}")
    return xml_text("\n".join(lines))


_COUNTS = ("tests", "failures", "errors", "skipped")


def _requirement_properties(fig: LevelFigures | None, lang: str) -> tuple[tuple[str, object], ...]:
    """The latest stored ``secaudit assess`` of the system's level, as the text reports print it, and its
    figures when there is one: a green suite of network controls never stands for the level's rows."""
    if fig is None:
        return ()
    figures = tuple((f"requirements.{k}", str(v).lower() if isinstance(v, bool) else v)
                    for k, v in fig.fields().items() if k != "level" and v is not None)
    return (("requirements", fig.text(lang)),) + figures


def _properties(suite: ET.Element, results: Results, sr: SystemResult, fig: LevelFigures | None, lang: str) -> None:
    props = ET.SubElement(suite, "properties")
    for name, value in (("run.id", results.run.id),
                        ("run.complete", str(bool(results.run.complete)).lower()),
                        ("system.name", sr.name),
                        ("level.required", level_text(sr.required_level, lang)),
                        ("level.achieved", level_text(sr.achieved_level, lang)),
                        ("level.deciding", sr.deciding),
                        ("policy", sr.policy_id or ""),
                        *_requirement_properties(fig, lang)):
        p = ET.SubElement(props, "property")
        _set(p, "name", name)
        _set(p, "value", value)


def _outcome(case: ET.Element, f: Finding, lang: str, remediation: str) -> str | None:
    """The verdict of ``f`` as the test case's child element; the counter it adds to (None for a pass)."""
    message = f.message.render(lang)
    if f.verdict == Verdict.FAIL:
        el = ET.SubElement(case, "failure")
        _set(el, "message", message)
        _set(el, "type", Severity(f.severity).value)
        el.text = _details(f, lang, remediation)
        return "failures"
    if f.verdict == Verdict.ERROR:
        el = ET.SubElement(case, "error")
        _set(el, "message", message)
        _set(el, "type", "unverified")
        el.text = _details(f, lang, remediation)
        return "errors"
    if f.verdict == Verdict.WAIVED:
        el = ET.SubElement(case, "skipped")
        w = f.waiver
        reason = (t("report.waiver.text", lang, reason=w.reason, approved_by=w.approved_by,
                    expires=w.expires.isoformat()) if w else message)
        _set(el, "message", f"{t('report.verdict.waived', lang)}: {reason}")
        el.text = _details(f, lang, remediation)
        return "skipped"
    if f.verdict == Verdict.NOT_APPLICABLE:
        el = ET.SubElement(case, "skipped")
        _set(el, "message", f"{t('report.verdict.not_applicable', lang)}: {message}")
        return "skipped"
    out = ET.SubElement(case, "system-out")
    out.text = _details(f, lang, "")
    return None


def _testcase(suite: ET.Element, system_id: str, f: Finding, control: Any, lang: str) -> str | None:
    title = local(control.title, lang) if control else ""
    remediation = local(control.remediation, lang) if control else ""
    case = ET.SubElement(suite, "testcase")
    _set(case, "classname", f"secaudit.{system_id}.{f.control_id}")
    _set(case, "name", f"{f.control_id} {f.target}" + (f" — {title}" if title else ""))
    case.set("time", "0")
    return _outcome(case, f, lang, remediation)


def _expired_waivers(suite: ET.Element, results: Results, system_id: str, lang: str) -> None:
    expired = [w for w in results.expired_waivers if w.system == system_id]
    if expired:   # an expired waiver no longer applies and is itself reported
        err = ET.SubElement(suite, "system-err")
        err.text = xml_text("\n".join(
            t("report.waiver.expired_item", lang, control=w.control, system=w.system,
              endpoint=w.endpoint or t("report.waiver.all_endpoints", lang), expires=w.expires.isoformat(),
              approved_by=w.approved_by, reason=w.reason) for w in expired))


def _system_suite(root: ET.Element, index: int, system_id: str, findings: list[Finding], results: Results,
                  sr: SystemResult | None, controls: dict[str, Any], figures: dict[str, LevelFigures],
                  lang: str) -> dict[str, int]:
    suite = ET.SubElement(root, "testsuite")
    _set(suite, "name", system_id)
    suite.set("id", str(index))
    if results.run.started_at:
        _set(suite, "timestamp", results.run.started_at)
    counts = dict.fromkeys(_COUNTS, 0)
    if sr is not None:
        _properties(suite, results, sr, figures.get(system_id), lang)
    for f in findings:
        counts["tests"] += 1
        counter = _testcase(suite, system_id, f, controls.get(f.control_id), lang)
        if counter:
            counts[counter] += 1
    _expired_waivers(suite, results, system_id, lang)
    for name, value in counts.items():
        suite.set(name, str(value))
    suite.set("time", "0")
    return counts


def _incomplete_suite(root: ET.Element, index: int, lang: str) -> None:
    """An interrupted run must not look green: the controls it never reached have no test case."""
    suite = ET.SubElement(root, "testsuite", {"name": "secaudit.run", "id": str(index), "tests": "1",
                                               "failures": "0", "errors": "1", "skipped": "0", "time": "0"})
    case = ET.SubElement(suite, "testcase", {"classname": "secaudit.run", "name": "run complete", "time": "0"})
    el = ET.SubElement(case, "error")
    _set(el, "message", t("report.incomplete.title", lang))
    _set(el, "type", "incomplete")
    el.text = xml_text(t("report.incomplete.body", lang))


def build_junit(results: Results, lang: str) -> ET.Element:
    controls = control_index(results)
    by_system: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(results.findings, key=lambda f: (f.control_id, f.target, finding_sort_key(f))):
        by_system[f.system_id].append(f)
    order = [s.system_id for s in results.systems]
    order += [sid for sid in by_system if sid not in order]
    system_results = {s.system_id: s for s in results.systems}
    figures = level_figures(results)

    root = ET.Element("testsuites")
    _set(root, "name", f"secaudit {results.run.id}")
    totals = dict.fromkeys(_COUNTS, 0)
    for index, system_id in enumerate(order):
        counts = _system_suite(root, index, system_id, by_system.get(system_id, []), results,
                               system_results.get(system_id), controls, figures, lang)
        for name, value in counts.items():
            totals[name] += value
    if not results.run.complete:
        _incomplete_suite(root, len(order), lang)
        totals["tests"] += 1
        totals["errors"] += 1
    for name, value in totals.items():
        root.set(name, str(value))
    return root


class JunitFormat(ReportFormat):
    name = "junit"
    extension = "xml"
    media_type = "application/xml"

    def render(self, results: Results, lang: str) -> str:
        root = build_junit(results, lang)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
