"""Nuclei JSON lines (``nuclei -jsonl`` / ``-j``): one JSON object per match; and Nuclei's JSON export
(``nuclei -json-export FILE`` / ``-je``): one JSON array of the same objects, written by Go's
``json.Marshal`` on a single line. Both are recognised by content (the first object's keys) and read
streamed: a line, or an array element, at a time, each at most ``source.LINE_MAX`` bytes.

The rule is the template id (with the matcher's name when the template has several: ``tech-detect:nginx``);
the host and port come from ``host``/``matched-at`` (a URL or ``host:port``) with ``ip`` as an alias;
``info.severity`` is already on our scale (``unknown`` is information). Nuclei writes no version and no
list of hosts without matches: the hosts covered are those the file names, and scan start and end are
the first and last ``timestamp``.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Iterator
from urllib.parse import urlsplit

from secaudit.importers.common import cves, cwe, host_key, parse_time, port_number, span
from secaudit.importers.interface import Head
from secaudit.importers.model import (
    CATEGORY_VULNERABILITY, RULE_MAX, SEVERITIES, TEXT_MAX, TITLE_MAX, ImportedFinding, ImportedReport, bounded,
)
from secaudit.importers.source import HEAD_BYTES, ImportFileError, Opened, json_array, lines, open_report

REQUIRED = frozenset({"template-id", "info"})
_DEFAULT_PORTS = {"https": 443, "http": 80}


def _where(value: str) -> tuple[str, int | None]:
    """(host, port) from ``https://h:8443/x``, ``h:8443``, ``[::1]:443`` or ``h``."""
    text = value.strip()
    if "://" not in text:
        text = "//" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return "", None
    host = host_key(parts.hostname or "")
    if port is None and parts.scheme in _DEFAULT_PORTS:
        port = _DEFAULT_PORTS[parts.scheme]
    return host, port


class NucleiImporter:
    name = "nuclei"
    title = "Nuclei (JSON lines or JSON export)"
    category = CATEGORY_VULNERABILITY

    def recognises(self, head: Head) -> bool:
        return head.kind in ("json", "json-array") and REQUIRED <= head.json_keys

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        opened = open_report(file, max_bytes)
        findings: list[ImportedFinding] = []
        hosts: list[str] = []
        aliases: dict[str, list[str]] = {}
        times: list[dt.datetime | None] = []
        try:
            for number, column, record in self._records(opened, file):
                item = self._item(record)
                if item is None:
                    raise ImportFileError(file, number, column, "import.bad_record", tool=self.title)
                findings.append(item)
                times.append(item.last_seen)
                if item.host not in hosts:
                    hosts.append(item.host)
                ip = host_key(str(record.get("ip") or ""))
                if ip and ip != item.host and ip not in aliases.setdefault(item.host, []):
                    aliases[item.host].append(ip)
            opened.reader.finish()
        finally:
            opened.close()
        if not findings:
            raise ImportFileError(file, 0, 0, "import.empty", tool=self.title)
        started, finished = span(times)
        return ImportedReport(self.name, "", self.category, started, finished, tuple(hosts), tuple(findings),
                              {k: tuple(v) for k, v in aliases.items() if v}, file,
                              opened.reader.digest.hexdigest(), opened.size)

    def _records(self, opened: Opened, file: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(line, column, record) of each match, from JSON lines or from a JSON array."""
        head = opened.reader.raw.peek(HEAD_BYTES)       # buffered: nothing consumed, nothing hashed twice
        if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"["):
            for number, column, value in json_array(opened, file):
                yield number, column, self._checked(file, number, column, value)
            return
        for number, raw in lines(opened, file):
            if raw.strip():
                yield number, 0, self._record(file, number, raw)

    def _checked(self, file: str, number: int, column: int, record: Any) -> dict[str, Any]:
        if not isinstance(record, dict) or not REQUIRED <= record.keys() or not isinstance(record.get("info"), dict):
            raise ImportFileError(file, number, column, "import.bad_element", tool=self.title)
        return record

    def _record(self, file: str, number: int, raw: bytes) -> dict[str, Any]:
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as e:
            key = "import.truncated" if not raw.endswith(b"\n") else "import.bad_json"
            raise ImportFileError(file, number, e.colno, key, reason=e.msg) from None
        except (ValueError, RecursionError):
            raise ImportFileError(file, number, 0, "import.bad_json", reason="not UTF-8 JSON or nested too deep") from None
        if not isinstance(record, dict) or not REQUIRED <= record.keys() or not isinstance(record.get("info"), dict):
            raise ImportFileError(file, number, 0, "import.bad_record", tool=self.title)
        return record

    def _item(self, r: dict[str, Any]) -> ImportedFinding | None:
        info = r["info"]
        host, port = _where(str(r.get("matched-at") or r.get("host") or r.get("url") or ""))
        if not host:
            host, port = _where(str(r.get("host") or r.get("ip") or ""))
        if not host:
            return None
        port = port_number(r.get("port")) or port
        sev = str(info.get("severity") or "unknown").lower()
        classification = info.get("classification") if isinstance(info.get("classification"), dict) else {}
        matcher = str(r.get("matcher-name") or "")
        rule = str(r.get("template-id")) + (f":{matcher}" if matcher else "")
        extracted = r.get("extracted-results") if isinstance(r.get("extracted-results"), list) else []
        evidence = " ".join([str(r.get("matched-at") or "")] + [str(x) for x in extracted[:20]])
        seen = parse_time(str(r.get("timestamp") or ""))
        kind = str(r.get("type") or "")
        return ImportedFinding(
            tool=self.name, rule=bounded(rule, RULE_MAX), title=bounded(info.get("name") or rule, TITLE_MAX),
            severity=sev if sev in SEVERITIES else "info", tool_severity=bounded(sev, 40), host=host, port=port,
            protocol=("udp" if kind == "dns" else "tcp") if port else "",
            result="info" if sev not in SEVERITIES or sev == "info" else "fail",
            cves=cves(classification.get("cve-id") or []), cwe=cwe(classification.get("cwe-id") or []),
            solution=bounded(info.get("remediation"), TEXT_MAX), evidence=bounded(evidence, TEXT_MAX),
            first_seen=seen, last_seen=seen)
