"""What every importer produces: a tool's report, normalised (frozen, free of I/O and of XML types).

An :class:`ImportedReport` is one file of one tool: the tool and its version, the scan's start and end
as the file states them, the hosts the scan covered, and its :class:`ImportedFinding` items. Severities
are mapped to secaudit's five (critical, high, medium, low, info) and the tool's own is kept beside.
Free text from the file (titles, solutions, evidence) is bounded here and escaped by every writer.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from dataclasses import dataclass, field
from typing import Mapping

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")

# What an item says about its rule on its host:
#   fail: a vulnerability or a failed rule; pass: a rule checked and satisfied;
#   partial: a host engine's suggestion; not_applicable / error: as the tool says;
#   info: the tool's informational output (no judgement: never counted as a pass or a fail).
RESULTS: tuple[str, ...] = ("fail", "pass", "partial", "not_applicable", "error", "info")

CATEGORY_VULNERABILITY = "vulnerability-scanner"
CATEGORY_HOST = "host-engine"

TITLE_MAX = 300
TEXT_MAX = 2000          # solution, evidence excerpt
RULE_MAX = 200


def bounded(text: object, limit: int) -> str:
    """``text`` as one string of at most ``limit`` characters (an ellipsis marks a cut)."""
    value = "" if text is None else str(text).strip()
    return value if len(value) <= limit else value[: limit - 1] + "…"


def fingerprint(tool: str, rule: str, host: str, port: int | None) -> str:
    """The identity of an item across imports: sha256 of (tool, rule, host, port)."""
    key = "\x1f".join((tool, rule, host.lower(), "" if port is None else str(port)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def severity_from_cvss(score: float | None) -> str:
    """CVSS base score -> secaudit severity (the qualitative scale of CVSS v3: 9.0 critical, 7.0 high...)."""
    if score is None or score <= 0:
        return "info"
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


@dataclass(frozen=True)
class ImportedFinding:
    """One item of a tool's report about one rule on one host (and port)."""

    tool: str
    rule: str                             # the tool's stable id: plugin id, NVT OID, template id, XCCDF rule, test id
    title: str
    severity: str                         # one of SEVERITIES
    tool_severity: str                    # as the tool wrote it ("2", "Medium", "high", "5.0"...)
    host: str
    port: int | None = None
    protocol: str = ""                    # tcp | udp | "" (host-level)
    result: str = "fail"                  # one of RESULTS
    cves: tuple[str, ...] = ()
    cwe: str = ""
    solution: str = ""
    evidence: str = ""
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None

    @functools.cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.tool, self.rule, self.host, self.port)

    @property
    def target(self) -> str:
        """``host``, ``host:port/proto`` (IPv6 hosts in brackets): the finding's target in the store."""
        if self.port is None:
            return self.host
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}/{self.protocol or 'tcp'}"


@dataclass(frozen=True)
class ImportedReport:
    """One file of one tool, normalised."""

    tool: str
    tool_version: str                     # "" when the file does not say
    category: str                         # CATEGORY_VULNERABILITY | CATEGORY_HOST
    started: dt.datetime | None
    finished: dt.datetime | None
    hosts: tuple[str, ...]                # every host the scan covered (also those without findings)
    findings: tuple[ImportedFinding, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)   # host -> other names/addresses of it
    file: str = ""
    sha256: str = ""
    size: int = 0
