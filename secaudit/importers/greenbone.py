"""Greenbone / OpenVAS XML report (GMP ``get_reports``, format "XML"): ``report`` / ``report`` / ``results``.

Each ``results/result`` is one item: the NVT's OID is the rule, ``host`` its address (``hostname`` an
alias), ``port`` as ``443/tcp`` (``general/tcp`` is host-level), the CVSS ``severity`` mapped to ours
(9.0 critical, 7.0 high, 4.0 medium, above 0 low; ``Log`` results are information) and ``threat`` kept.
The report's ``host`` entries are the hosts covered, with their start and end; the GMP version is the
nearest thing to a tool version the file carries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from xml.etree.ElementTree import Element

from secaudit.importers.common import cves, cwe, host_key, parse_time, port_number, span
from secaudit.importers.interface import Head
from secaudit.importers.model import (
    CATEGORY_VULNERABILITY, RULE_MAX, TEXT_MAX, TITLE_MAX, ImportedFinding, ImportedReport, bounded,
    severity_from_cvss,
)
from secaudit.importers.source import ImportFileError, drop, open_report, stream_xml, text_of

ROOTS = ("report", "get_reports_response")


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


class GreenboneImporter:
    name = "greenbone"
    title = "Greenbone / OpenVAS (XML report)"
    category = CATEGORY_VULNERABILITY

    def recognises(self, head: Head) -> bool:
        return head.kind == "xml" and head.root in ROOTS

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        opened = open_report(file, max_bytes)
        findings: list[ImportedFinding] = []
        hosts: list[str] = []
        aliases: dict[str, list[str]] = {}
        times: list[dt.datetime | None] = []
        version = ""
        results_seen = False
        try:
            for event, elem, stack in stream_xml(file, opened.reader):
                tag = elem.tag
                if event == "start":
                    if len(stack) == 1 and tag not in ROOTS:
                        raise ImportFileError(file, 0, 0, "import.wrong_tool", tool=self.title, found="-")
                    if tag == "results":
                        results_seen = True
                    continue
                parent = stack[-2].tag if len(stack) >= 2 else ""
                if tag == "version" and parent in ("gmp", "omp") and not version:
                    version = f"GMP {bounded(elem.text, 30)}"
                elif tag in ("scan_start", "scan_end") and parent == "report":
                    times.append(parse_time(elem.text))
                elif tag == "result" and parent == "results":
                    item = self._item(elem)
                    if item is not None:
                        findings.append(item)
                        if item.host not in hosts:
                            hosts.append(item.host)
                        name = host_key(elem.findtext("host/hostname") or "")
                        if name and name != item.host and name not in aliases.setdefault(item.host, []):
                            aliases[item.host].append(name)
                    drop(elem, stack)
                elif tag == "host" and parent == "report":
                    ip = host_key(elem.findtext("ip") or "")
                    if ip and ip not in hosts:
                        hosts.append(ip)
                    times.extend((parse_time(elem.findtext("start")), parse_time(elem.findtext("end"))))
                    for detail in elem.findall("detail"):
                        if detail.findtext("name") == "hostname" and detail.findtext("value"):
                            name = host_key(detail.findtext("value") or "")
                            if ip and name and name != ip and name not in aliases.setdefault(ip, []):
                                aliases[ip].append(name)
                    drop(elem, stack)
            opened.reader.finish()
        finally:
            opened.close()
        if not results_seen:
            raise ImportFileError(file, 0, 0, "import.empty", tool=self.title)
        started, finished = span(times)
        findings = [f if f.last_seen else dataclasses.replace(f, first_seen=finished, last_seen=finished)
                    for f in findings]
        return ImportedReport(self.name, version, self.category, started, finished, tuple(hosts), tuple(findings),
                              {k: tuple(v) for k, v in aliases.items() if v}, file,
                              opened.reader.digest.hexdigest(), opened.size)

    def _item(self, elem: Element) -> ImportedFinding | None:
        host_elem = elem.find("host")
        host = host_key(text_of(host_elem) if host_elem is not None else "")
        if not host:
            return None
        nvt = elem.find("nvt")
        oid = nvt.get("oid", "") if nvt is not None else ""
        port_text = (elem.findtext("port") or "").strip()
        number, _, proto = port_text.partition("/")
        port = port_number(number)
        threat = (elem.findtext("threat") or "").strip()
        score = _float((elem.findtext("severity") or "").strip())
        severity = "info" if threat.lower() in ("log", "debug", "false positive") else severity_from_cvss(score)
        refs = nvt.findall("refs/ref") if nvt is not None else []
        cve_ids = [r.get("id", "") for r in refs if r.get("type", "").lower() == "cve"]
        if nvt is not None and nvt.findtext("cve"):
            cve_ids.append(nvt.findtext("cve") or "")
        cwe_ids = [r.get("id", "") for r in refs if r.get("type", "").lower() == "cwe"]
        created = parse_time(elem.findtext("creation_time"))
        modified = parse_time(elem.findtext("modification_time")) or created
        return ImportedFinding(
            tool=self.name, rule=bounded(oid or elem.findtext("name"), RULE_MAX),
            title=bounded(elem.findtext("name") or (nvt.findtext("name") if nvt is not None else ""), TITLE_MAX),
            severity=severity, tool_severity=bounded(f"{threat} {score if score is not None else ''}".strip(), 40),
            host=host, port=port, protocol=bounded(proto if port else "", 8).lower(),
            result="info" if severity == "info" else "fail", cves=cves(cve_ids), cwe=cwe(cwe_ids),
            solution=bounded(nvt.findtext("solution") if nvt is not None else "", TEXT_MAX),
            evidence=bounded(elem.findtext("description"), TEXT_MAX), first_seen=created, last_seen=modified)
