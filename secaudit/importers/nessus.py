"""Nessus v2 (``.nessus``): ``NessusClientData_v2`` / ``Report`` / ``ReportHost`` / ``ReportItem``.

Severity 0..4 is info, low, medium, high, critical (the tool's ``risk_factor`` kept); severity 0 items are
the scanner's information (``info``), not findings. The scanner's version comes from plugin 19506's output
("Nessus version : ..."); scan start and end from each host's ``HOST_START``/``HOST_END``.
"""

from __future__ import annotations

import datetime as dt
import re
from xml.etree.ElementTree import Element

from secaudit.importers.common import cves, cwe, epoch, host_key, parse_time, port_number, span
from secaudit.importers.interface import Head
from secaudit.importers.model import (
    CATEGORY_VULNERABILITY, RULE_MAX, TEXT_MAX, TITLE_MAX, ImportedFinding, ImportedReport, bounded,
)
from secaudit.importers.source import ImportFileError, drop, open_report, stream_xml, text_of

ROOT = "NessusClientData_v2"
_SEVERITY = {"0": "info", "1": "low", "2": "medium", "3": "high", "4": "critical"}
_VERSION = re.compile(r"Nessus version\s*:\s*([0-9][0-9A-Za-z.\-]{0,30})")
_CTIME = ("%a %b %d %H:%M:%S %Y",)


class NessusImporter:
    name = "nessus"
    title = "Nessus (.nessus v2)"
    category = CATEGORY_VULNERABILITY

    def recognises(self, head: Head) -> bool:
        return head.kind == "xml" and head.root == ROOT

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        opened = open_report(file, max_bytes)
        findings: list[ImportedFinding] = []
        hosts: list[str] = []
        aliases: dict[str, tuple[str, ...]] = {}
        times: list[dt.datetime | None] = []
        version = ""
        host = ""
        host_end: dt.datetime | None = None
        props: dict[str, str] = {}
        try:
            for event, elem, stack in stream_xml(file, opened.reader):
                tag = elem.tag
                if event == "start":
                    if len(stack) == 1 and tag != ROOT:
                        raise ImportFileError(file, 0, 0, "import.wrong_tool", tool=self.title, found="-")
                    if tag == "ReportHost":
                        host = host_key(elem.get("name", ""))
                        props = {}
                        host_end = None
                        if host and host not in hosts:
                            hosts.append(host)
                    continue
                if tag == "tag" and len(stack) >= 2 and stack[-2].tag == "HostProperties":
                    props[elem.get("name", "")] = (elem.text or "").strip()[:300]
                elif tag == "HostProperties":
                    times.append(epoch(props.get("HOST_START_TIMESTAMP")) or parse_time(props.get("HOST_START"), *_CTIME))
                    host_end = epoch(props.get("HOST_END_TIMESTAMP")) or parse_time(props.get("HOST_END"), *_CTIME)
                    times.append(host_end)
                    names = tuple(host_key(props[k]) for k in ("host-ip", "host-fqdn", "netbios-name")
                                  if props.get(k) and host_key(props[k]) != host)
                    if names:
                        aliases[host] = names
                    drop(elem, stack)
                elif tag == "ReportItem":
                    item = self._item(elem, host, host_end)
                    if item.rule == "19506" and not version:
                        m = _VERSION.search(elem.findtext("plugin_output") or "")
                        version = m.group(1) if m else ""
                    findings.append(item)
                    drop(elem, stack)
                elif tag == "ReportHost":
                    drop(elem, stack)
            opened.reader.finish()
        finally:
            opened.close()
        if not findings and not hosts:
            raise ImportFileError(file, 0, 0, "import.empty", tool=self.title)
        started, finished = span(times)
        return ImportedReport(self.name, version, self.category, started, finished, tuple(hosts), tuple(findings),
                              aliases, file, opened.reader.digest.hexdigest(), opened.size)

    def _item(self, elem: Element, host: str, seen: dt.datetime | None) -> ImportedFinding:
        sev = (elem.get("severity") or "0").strip()
        severity = _SEVERITY.get(sev, "info")
        risk = text_of(elem.find("risk_factor"))
        xrefs = [x.text or "" for x in elem.findall("xref")]
        cwe_refs = [x.split(":", 1)[1] for x in xrefs if x.upper().startswith("CWE:")]
        solution = text_of(elem.find("solution"))
        return ImportedFinding(
            tool=self.name, rule=bounded(elem.get("pluginID", ""), RULE_MAX),
            title=bounded(elem.get("pluginName", ""), TITLE_MAX), severity=severity,
            tool_severity=bounded(risk or sev, 40), host=host, port=port_number(elem.get("port")),
            protocol=bounded(elem.get("protocol", "") if port_number(elem.get("port")) else "", 8).lower(),
            result="info" if severity == "info" else "fail",
            cves=cves([c.text for c in elem.findall("cve")]),
            cwe=cwe([c.text for c in elem.findall("cwe")] + cwe_refs),
            solution=bounded("" if solution.lower() == "n/a" else solution, TEXT_MAX),
            evidence=bounded(elem.findtext("plugin_output") or elem.findtext("synopsis") or "", TEXT_MAX),
            first_seen=seen, last_seen=seen)
