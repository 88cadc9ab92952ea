"""Lynis ``report.dat`` (``lynis audit system --report-file F``): ``key=value`` lines, ``key[]=`` repeated.

Every id in ``tests_executed`` is one item for the host (``hostname``; its non-loopback addresses are
aliases): a ``warning[]=ID|text|details|solution`` makes it ``fail`` (medium), a ``suggestion[]`` ``partial``
(low), neither ``pass`` (information). Skipped tests say nothing and are left out. Scan start and end are
``report_datetime_start``/``_end``; the version is ``lynis_version``.
"""

from __future__ import annotations

import datetime as dt
import re

from secaudit.importers.common import alias_address, host_key, parse_time
from secaudit.importers.interface import Head
from secaudit.importers.model import (
    CATEGORY_HOST, RULE_MAX, TEXT_MAX, TITLE_MAX, ImportedFinding, ImportedReport, bounded,
)
from secaudit.importers.source import ImportFileError, lines, open_report

LINE_MAX = 64 * 1024
_TEST_ID = re.compile(r"^[A-Z][A-Z0-9]{1,15}-[0-9A-Z]{2,8}$")
_TIME = ("%Y-%m-%d %H:%M:%S",)


class LynisImporter:
    name = "lynis"
    title = "Lynis (report.dat)"
    category = CATEGORY_HOST

    def recognises(self, head: Head) -> bool:
        if head.kind != "text":
            return False
        lines = [line for line in head.lines if line]
        marker = bool(lines) and lines[0] == "# Lynis Report"
        keys = {line.split("=", 1)[0] for line in lines if "=" in line}
        return "report_version_major" in keys and (marker or "lynis_version" in keys)

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        opened = open_report(file, max_bytes)
        single: dict[str, str] = {}
        notes: dict[str, list[tuple[str, str, str]]] = {}      # test id -> [(kind, text, solution)]
        executed: list[str] = []
        addresses: list[str] = []
        number = 0
        try:
            for number, raw in lines(opened, file, LINE_MAX):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line.strip() or line.startswith("#"):
                    continue
                key, sep, value = line.partition("=")
                if not sep or not re.fullmatch(r"[A-Za-z0-9_]{1,80}(\[\])?", key):
                    raise ImportFileError(file, number, 1, "import.bad_record", tool=self.title)
                if key in ("warning[]", "suggestion[]"):
                    parts = value.split("|")
                    test = parts[0].strip()
                    if _TEST_ID.match(test):
                        notes.setdefault(test, []).append(
                            (key[:-2], parts[1] if len(parts) > 1 else "", parts[3] if len(parts) > 3 else ""))
                elif key == "tests_executed":
                    executed.extend(t.strip() for t in value.split("|") if _TEST_ID.match(t.strip()))
                elif key in ("network_ipv4_address[]", "network_ipv6_address[]"):
                    addresses.append(value)
                elif not key.endswith("[]"):
                    single[key] = value[:300]
            opened.reader.finish()
        finally:
            opened.close()
        if "report_version_major" not in single:
            raise ImportFileError(file, 0, 0, "import.wrong_tool", tool=self.title, found="-")
        if "report_datetime_end" not in single:       # Lynis writes it last: without it the run did not finish
            raise ImportFileError(file, number, 0, "import.truncated", reason="no report_datetime_end")
        host = host_key(single.get("hostname", ""))
        if not host:
            raise ImportFileError(file, 0, 0, "import.bad_record", tool=self.title)
        started = parse_time(single.get("report_datetime_start"), *_TIME)
        finished = parse_time(single.get("report_datetime_end"), *_TIME)
        findings = [self._item(test, notes.get(test, []), host, finished)
                    for test in dict.fromkeys(executed + sorted(notes))]
        aliases = tuple(dict.fromkeys(a for a in (alias_address(v) for v in addresses) if a and a != host))
        return ImportedReport(self.name, bounded(single.get("lynis_version", ""), 30), self.category, started,
                              finished, (host,), tuple(findings), {host: aliases} if aliases else {}, file,
                              opened.reader.digest.hexdigest(), opened.size)

    def _item(self, test: str, notes: list[tuple[str, str, str]], host: str,
              when: dt.datetime | None) -> ImportedFinding:
        warned = [n for n in notes if n[0] == "warning"]
        chosen = warned or notes
        result, severity = ("fail", "medium") if warned else ("partial", "low") if notes else ("pass", "info")
        title = "; ".join(dict.fromkeys(n[1] for n in chosen if n[1] and n[1] != "-")) or test
        solution = "; ".join(dict.fromkeys(n[2] for n in chosen if n[2] and n[2] != "-"))
        return ImportedFinding(
            tool=self.name, rule=bounded(test, RULE_MAX), title=bounded(title, TITLE_MAX), severity=severity,
            tool_severity="warning" if warned else "suggestion" if notes else "", host=host, result=result,
            solution=bounded(solution, TEXT_MAX), evidence=bounded(title, TEXT_MAX), first_seen=when,
            last_seen=when)
