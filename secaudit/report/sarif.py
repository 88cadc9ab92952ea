"""SARIF 2.1.0, built rules-first (after checkov's ``sarif.py``): rule = control, result = finding.

- Rules carry the control's title, remediation (text and Markdown), references, tags and a
  GitHub ``security-severity``; results refer to them by ``ruleIndex``.
- Only findings someone must act on become results: ``fail``, ``waived`` and ``error``. A
  ``pass`` or ``not_applicable`` finding is not a SARIF result (code-scanning tools would show
  it as an alert); their counts are in the run's properties.
- A waived finding keeps its result and carries an accepted external suppression with the
  waiver's justification, approver and expiry: the evidence is never hidden.
- An ``error`` finding (the control could not be verified) is reported as a failing result:
  an unverified control does not count towards the achieved level, and SARIF's ``open`` kind
  would force ``level: none``, which code-scanning UIs hide. Its properties say ``error``.
- GitHub code scanning accepts only file locations, so every result points at the inventory
  file and the line of its system entry; the endpoint (``host:port``) is in the message and in
  the logical location.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote

from secaudit import __version__
from secaudit.i18n import t
from secaudit.model import Control, Finding, Results, Severity, Verdict
from secaudit.report.context import current_history
from secaudit.report.escape import strip_controls
from secaudit.report.interface import ReportFormat
from secaudit.report.view import control_index, finding_sort_key, label_text, level_figures, local, verdict_label

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "secauditFinding/v1"

LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
# Verdicts that become SARIF results; see the module docstring.
RESULT_VERDICTS = (Verdict.FAIL, Verdict.WAIVED, Verdict.ERROR)


def information_uri() -> str | None:
    """The project's home page from the installed package metadata (setup.cfg ``url``), if it declares one.

    Not invented here: a wrong URL in every SARIF file would send users to someone else's project.
    """
    # start-up: importlib.metadata (~60 ms) loaded only when a SARIF file is written
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata("secaudit")
    except PackageNotFoundError:
        return None
    url = meta.get("Home-page")
    if not url:
        for entry in meta.get_all("Project-URL") or ():
            url = entry.split(",", 1)[-1].strip()
            break
    return url if url and url.startswith("https://") else None


def fingerprint(finding: Finding) -> str:
    """Stable across runs for the same control, system and endpoint."""
    key = "\x1f".join((finding.control_id, finding.system_id, finding.target))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def rule_name(control: Control) -> str:
    """A readable identifier from the check name: ``tls.protocols.forbidden`` -> ``TlsProtocolsForbidden``."""
    parts = [p for chunk in control.check.replace("-", ".").replace("_", ".").split(".") for p in [chunk] if p]
    return "".join(p[:1].upper() + p[1:] for p in parts) or control.id


def artifact_location(inventory_file: str) -> dict[str, Any] | None:
    """The inventory as a SARIF artifact location: relative path under %SRCROOT%, or a file URI if absolute.

    None for an ad-hoc run (``scan --target``: no inventory file, recorded as ``--target``).
    """
    if not inventory_file or inventory_file.startswith("-"):
        return None
    if PureWindowsPath(inventory_file).drive or inventory_file.startswith("/"):
        path = PureWindowsPath(inventory_file).as_posix() if PureWindowsPath(inventory_file).drive else inventory_file
        return {"uri": "file://" + ("" if path.startswith("/") else "/") + quote(path)}
    rel = posixpath.normpath(PurePosixPath(inventory_file.replace("\\", "/")).as_posix())
    return {"uri": quote(rel), "uriBaseId": SRCROOT}


def _rule(control: Control, lang: str, refs: list[str]) -> dict[str, Any]:
    """A rule's help cites what its findings cite: the clauses of the levels of the systems it judged."""
    title = local(control.title, lang) or control.id
    remediation = local(control.remediation, lang)
    severity = Severity(control.severity)
    help_text = [remediation] if remediation else []
    help_md = [f"**{t('report.remediation', lang)}**", "", remediation] if remediation else []
    if refs:
        help_text.append(t("report.references", lang) + ": " + "; ".join(refs))
        help_md += ["", f"**{t('report.references', lang)}**", ""] + [f"- {r}" for r in refs]
    family = control.check.split(".", 1)[0] if control.check else ""
    return {
        "id": control.id,
        "name": rule_name(control),
        "shortDescription": {"text": title},
        "fullDescription": {"text": title + (f" ({'; '.join(refs)})" if refs else "")},
        "help": {"text": "\n\n".join(help_text) or title, "markdown": "\n".join(help_md) or title},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "tags": [tag for tag in ("security", "security-level", family, severity.value) if tag],
            "security-severity": SECURITY_SEVERITY[severity],
            "precision": "high",
            "check": control.check,
            "references": refs,
        },
    }


_BRACKETS = re.compile(r"([\[\]])")


def plain_text(value: object) -> str:
    """Untrusted text for a SARIF plain-text message: square brackets escaped, so that a value such as
    ``[x](javascript:...)`` cannot form an embedded link (SARIF 2.1.0 §3.11.6); control characters removed."""
    return _BRACKETS.sub(r"\\\1", strip_controls(value))


def _message(finding: Finding, lang: str) -> str:
    rendered = plain_text(finding.message.render(lang))
    text = f"{finding.target}: {rendered}"
    if finding.verdict == Verdict.ERROR:
        text = f"{finding.target}: {t('report.sarif.unverified', lang)} {rendered}"
    evidence = [plain_text(f"{label_text(e.label, lang)}: {e.value}") for e in finding.evidence]
    if evidence:
        text += "\n" + t("report.evidence", lang) + ": " + "; ".join(evidence)
    return text


def _result(finding: Finding, rule_index: int, region: dict[str, int], location: dict[str, Any] | None,
            lang: str) -> dict[str, Any]:
    severity = Severity(finding.severity)
    logical = {
        "name": finding.target,
        "fullyQualifiedName": f"{finding.system_id}/{finding.target}",
        "kind": "resource",
    }
    loc: dict[str, Any] = {"logicalLocations": [logical]}
    if location is not None:
        loc["physicalLocation"] = {"artifactLocation": {**location, "index": 0}, "region": dict(region)}
    result: dict[str, Any] = {
        "ruleId": finding.control_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": LEVELS[severity],
        "message": {"text": _message(finding, lang)},
        "locations": [loc],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
        "properties": {
            "system": finding.system_id,
            "target": finding.target,
            "verdict": Verdict(finding.verdict).value,
            "verdictText": verdict_label(finding.verdict, lang),
            "severity": severity.value,
            "evidence": [{"label": label_text(e.label, lang), "value": e.value} for e in finding.evidence],
            "warnings": [w.render(lang) for w in finding.warnings],
            "references": list(finding.references),
        },
    }
    if finding.verdict == Verdict.WAIVED and finding.waiver is not None:
        w = finding.waiver
        result["suppressions"] = [{
            "kind": "external",
            "status": "accepted",
            "justification": t("report.waiver.text", lang, reason=w.reason, approved_by=w.approved_by,
                               expires=w.expires.isoformat()),
            "properties": {"approvedBy": w.approved_by, "expires": w.expires.isoformat(), "reason": w.reason},
        }]
    return result


_REPORTED = tuple(v.value for v in RESULT_VERDICTS)


def _identity(finding: Finding) -> tuple[str, str, str]:
    return (finding.system_id, finding.control_id.split("@", 1)[0], finding.target)


def baseline_state(finding: Finding, baseline: Any) -> str:
    """SARIF ``baselineState`` of a result against the previous stored run of the same scope (§3.27.24):
    ``new`` when that run did not report it, ``unchanged`` when it reported it with the same verdict,
    severity and message, else ``updated``."""
    before = baseline.findings.get(_identity(finding))
    if before is None or before.verdict not in _REPORTED:
        return "new"
    same = (before.verdict == Verdict(finding.verdict).value and before.severity == Severity(finding.severity).value
            and before.message.key == finding.message.key and dict(before.message.args) == dict(finding.message.args))
    return "unchanged" if same else "updated"


def _absent_results(results: Results, baseline: Any, index: dict[str, int], regions: dict[str, Any],
                    location: dict[str, Any] | None, lang: str) -> list[dict[str, Any]]:
    """The previous run's results this run no longer reports (``baselineState: absent``)."""
    now = {_identity(f) for f in results.findings if f.verdict in RESULT_VERDICTS}
    out = []
    for identity, before in sorted(baseline.findings.items()):
        if before.verdict not in _REPORTED or identity in now:
            continue
        loc: dict[str, Any] = {"logicalLocations": [{"name": before.target, "kind": "resource",
                                                     "fullyQualifiedName": f"{before.system_id}/{before.target}"}]}
        if location is not None:
            loc["physicalLocation"] = {"artifactLocation": {**location, "index": 0},
                                       "region": dict(regions.get(before.system_id, {"startLine": 1}))}
        result: dict[str, Any] = {
            "ruleId": before.control_ref, "kind": "pass", "level": "none", "baselineState": "absent",
            "message": {"text": f"{before.target}: {plain_text(before.message.render(lang))}"},
            "locations": [loc],
            "partialFingerprints": {FINGERPRINT_KEY: hashlib.sha256("\x1f".join(
                (before.control_ref, before.system_id, before.target)).encode("utf-8")).hexdigest()},
            "properties": {"system": before.system_id, "target": before.target, "verdictBefore": before.verdict,
                           "severity": before.severity},
        }
        if before.control_ref in index:
            result["ruleIndex"] = index[before.control_ref]
        out.append(result)
    return out


def _rules(results: Results, reported: list[Any], lang: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Rules first: every control of the run (a rule may have no result: it passed everywhere)."""
    controls = control_index(results)
    rule_ids: list[str] = list(controls)
    for f in reported:
        if f.control_id not in controls and f.control_id not in rule_ids:
            rule_ids.append(f.control_id)   # a finding whose control metadata is missing still gets a rule
    cited: dict[str, dict[str, None]] = {}
    for f in results.findings:
        cited.setdefault(f.control_id, {}).update(dict.fromkeys(f.references))
    rules = [_rule(controls[cid], lang, list(cited.get(cid) or controls[cid].references)) if cid in controls
             else {"id": cid, "shortDescription": {"text": cid}} for cid in rule_ids]
    return rules, {cid: i for i, cid in enumerate(rule_ids)}


def _regions(results: Results) -> dict[str, dict[str, int]]:
    """Where each system is declared. GitHub code scanning needs startLine >= 1: an unknown position
    falls back to the file's first line."""
    return {s.id: ({"startLine": s.source.line, "startColumn": s.source.column} if s.source.column >= 1
                   else {"startLine": s.source.line}) if s.source.line >= 1 else {"startLine": 1}
            for s in results.inventory.systems}


def _notifications(results: Results, lang: str) -> list[dict[str, Any]]:
    """Probes that failed and waivers that expired: said to the tool's user, not results."""
    notes = [
        {"level": "error", "message": {"text": f"{o.target}: {o.reason_text(lang) or t('report.probe_failed', lang)}"},
         "descriptor": {"id": "probe-error"}}
        for o in results.observations if o.status == "error"
    ]
    notes += [
        {"level": "warning", "descriptor": {"id": "waiver-expired"},
         "message": {"text": t("report.waiver.expired_item", lang, control=w.control, system=w.system,
                               endpoint=w.endpoint or t("report.waiver.all_endpoints", lang),
                               expires=w.expires.isoformat(), approved_by=w.approved_by, reason=w.reason)}}
        for w in results.expired_waivers
    ]
    return notes


def _invocation(results: Results, lang: str) -> dict[str, Any]:
    run = results.run
    invocation: dict[str, Any] = {"executionSuccessful": bool(run.complete)}
    if run.started_at:
        invocation["startTimeUtc"] = run.started_at
    if run.finished_at:
        invocation["endTimeUtc"] = run.finished_at
    notifications = _notifications(results, lang)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    if not run.complete:
        invocation["exitCodeDescription"] = t("report.incomplete.title", lang)
    return invocation


def _driver(results: Results, rules: list[dict[str, Any]]) -> dict[str, Any]:
    run = results.run
    driver: dict[str, Any] = {
        "name": "secaudit",
        "version": run.tool_version or __version__,
        "semanticVersion": run.tool_version or __version__,
        "rules": rules,
    }
    uri = information_uri()
    if uri:
        driver["informationUri"] = uri
    return driver


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _level_requirements(results: Results, lang: str) -> dict[str, Any]:
    """Per system, the figures of its latest stored ``secaudit assess`` of its level (``assessed: null``: its
    rows were not assessed), and the sentence the other reports print: a scan never speaks for the level."""
    return {sid: {**{_camel(k): v for k, v in fig.fields().items()}, "text": plain_text(fig.text(lang))}
            for sid, fig in level_figures(results).items()}


def _run_properties(results: Results, baseline: Any, lang: str) -> dict[str, Any]:
    run = results.run
    counts = {v.value: 0 for v in Verdict}
    for f in results.findings:
        counts[Verdict(f.verdict).value] += 1
    properties: dict[str, Any] = {
        "runId": run.id,
        "regime": run.regime,
        "complete": bool(run.complete),
        "inventoryDigest": run.inventory_digest,
        "policies": dict(run.policies),
        "verdictCounts": counts,
        "levelRequirements": _level_requirements(results, lang),
    }
    if baseline is not None:
        properties["baselineRunId"] = baseline.run.id
    return properties


def _add_artifact(sarif_run: dict[str, Any], results: Results, location: Any, lang: str) -> None:
    """The inventory file as the analysis target, with its digest."""
    if location is None:
        return
    artifact: dict[str, Any] = {"location": dict(location), "roles": ["analysisTarget"]}
    digest = results.run.inventory_digest.removeprefix("sha256:")
    if digest:
        artifact["hashes"] = {"sha-256": digest}
    sarif_run["artifacts"] = [artifact]
    if "uriBaseId" in location:
        sarif_run["originalUriBaseIds"] = {SRCROOT: {"description": {"text": t("report.sarif.srcroot", lang)}}}


def build_sarif(results: Results, lang: str) -> dict[str, Any]:
    history = current_history()
    baseline = history.baseline if history is not None else None
    reported = [f for f in sorted(results.findings, key=finding_sort_key) if f.verdict in RESULT_VERDICTS]
    rules, index = _rules(results, reported, lang)
    location = artifact_location(results.run.inventory_file)
    regions = _regions(results)
    sarif_results = [_result(f, index[f.control_id], regions.get(f.system_id, {"startLine": 1}), location, lang)
                     for f in reported]
    if baseline is not None:
        for f, r in zip(reported, sarif_results):
            r["baselineState"] = baseline_state(f, baseline)
        sarif_results += _absent_results(results, baseline, index, regions, location, lang)
    sarif_run: dict[str, Any] = {
        "tool": {"driver": _driver(results, rules)},
        "invocations": [_invocation(results, lang)],
        "language": "vi-VN" if lang == "vi" else "en-US",
        "results": sarif_results,
        "properties": _run_properties(results, baseline, lang),
    }
    _add_artifact(sarif_run, results, location, lang)
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [sarif_run]}


class SarifFormat(ReportFormat):
    name = "sarif"
    extension = "sarif"
    media_type = "application/sarif+json"

    def render(self, results: Results, lang: str) -> str:
        return json.dumps(build_sarif(results, lang), ensure_ascii=False, indent=2) + "\n"
