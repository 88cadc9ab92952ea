"""OpenSCAP results: XCCDF 1.2 (``oscap xccdf eval --results``: a ``Benchmark`` with its ``TestResult``,
or a bare ``TestResult``) and ARF (``--results-arf``: an ``asset-report-collection``).

Each ``rule-result`` is one item for the ``TestResult``'s target host: pass, fail, error/unknown,
notapplicable and informational are kept (``notchecked``/``notselected`` say nothing and are left out);
the rule's ``severity`` attribute is already on our scale (``unknown`` is information). Titles come
from the ``Rule`` elements the file carries. Scan start and end are the ``TestResult``'s times; the
version is OpenSCAP's, from ``test-system``.
"""

from __future__ import annotations

import datetime as dt

from secaudit.importers.common import alias_address, host_key, parse_time, span
from secaudit.importers.interface import Head
from secaudit.importers.model import (
    CATEGORY_HOST, RULE_MAX, TEXT_MAX, TITLE_MAX, ImportedFinding, ImportedReport, bounded,
)
from secaudit.importers.source import ImportFileError, drop, open_report, stream_xml, text_of

XCCDF = "{http://checklists.nist.gov/xccdf/1.2}"
ARF = "{http://scap.nist.gov/schema/asset-reporting-format/1.1}"
ROOTS = (f"{XCCDF}Benchmark", f"{XCCDF}TestResult", f"{ARF}asset-report-collection")
_RESULTS = {"pass": "pass", "fixed": "pass", "fail": "fail", "error": "error", "unknown": "error",
            "notapplicable": "not_applicable", "informational": "info"}
_SEVERITY = {"high": "high", "medium": "medium", "low": "low"}
MAX_RULES = 100_000


class OpenscapImporter:
    name = "openscap"
    title = "OpenSCAP (XCCDF 1.2 results or ARF)"
    category = CATEGORY_HOST

    def recognises(self, head: Head) -> bool:
        return head.kind == "xml" and head.root in ROOTS

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        opened = open_report(file, max_bytes)
        titles: dict[str, str] = {}
        findings: list[ImportedFinding] = []
        hosts: list[str] = []
        aliases: dict[str, list[str]] = {}
        times: list[dt.datetime | None] = []
        versions: list[str] = []
        host = ""
        test_results = 0
        started = finished = None
        try:
            for event, elem, stack in stream_xml(file, opened.reader):
                tag = elem.tag
                if event == "start":
                    if len(stack) == 1 and tag not in ROOTS:
                        raise ImportFileError(file, 0, 0, "import.wrong_tool", tool=self.title, found="-")
                    if tag == f"{XCCDF}TestResult":
                        test_results += 1
                        host = ""
                        started = parse_time(elem.get("start-time"))
                        finished = parse_time(elem.get("end-time"))
                        times.extend((started, finished))
                        system = elem.get("test-system", "")
                        if "openscap:" in system:
                            versions.append(bounded(system.rsplit(":", 1)[-1], 30))
                    continue
                if tag == f"{XCCDF}Rule":
                    if len(titles) < MAX_RULES:
                        titles[elem.get("id", "")] = bounded(text_of(elem.find(f"{XCCDF}title")), TITLE_MAX)
                    drop(elem, stack)
                elif tag == f"{XCCDF}target" and len(stack) >= 2 and stack[-2].tag == f"{XCCDF}TestResult":
                    host = host_key(text_of(elem))
                    if host and host not in hosts:
                        hosts.append(host)
                elif tag == f"{XCCDF}target-address" and host:
                    alias = alias_address(text_of(elem))
                    if alias and alias != host and alias not in aliases.setdefault(host, []):
                        aliases[host].append(alias)
                elif tag == f"{XCCDF}rule-result":
                    item = self._item(elem, host, titles, finished or started)
                    if item is not None:
                        findings.append(item)
                    drop(elem, stack)
            opened.reader.finish()
        finally:
            opened.close()
        if not test_results:
            raise ImportFileError(file, 0, 0, "import.empty", tool=self.title)
        first, last = span(times)
        return ImportedReport(self.name, versions[0] if versions else "", self.category, first, last, tuple(hosts),
                              tuple(findings), {k: tuple(v) for k, v in aliases.items() if v}, file,
                              opened.reader.digest.hexdigest(), opened.size)

    def _item(self, elem, host: str, titles: dict[str, str], when: dt.datetime | None) -> ImportedFinding | None:
        outcome = text_of(elem.find(f"{XCCDF}result")).lower()
        result = _RESULTS.get(outcome)
        rule = elem.get("idref", "")
        if result is None or not rule or not host:
            return None
        sev = (elem.get("severity") or "unknown").lower()
        idents = [text_of(i) for i in elem.findall(f"{XCCDF}ident")][:10]
        return ImportedFinding(
            tool=self.name, rule=bounded(rule, RULE_MAX), title=titles.get(rule) or bounded(rule, TITLE_MAX),
            severity=_SEVERITY.get(sev, "info"), tool_severity=bounded(sev, 40), host=host, result=result,
            evidence=bounded(" ".join([f"result: {outcome}"] + idents), TEXT_MAX), first_seen=when, last_seen=when)
