"""What the store hands back: frozen, plain records (no SQLAlchemy types leave the store)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from secaudit.model import LevelAssessment, Message, Results


@dataclass(frozen=True)
class RunRecord:
    """One stored run."""

    id: str
    started_at: str                       # ISO 8601 UTC
    finished_at: str
    stored_at: str
    scope: str                            # runs with the same scope are compared by `diff` and `baselineState`
    inventory_file: str
    inventory_digest: str
    organisation: str
    regime: str
    tool_version: str
    complete: bool
    systems_total: int
    systems_compliant: int
    findings_failed: int
    policies: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    system_ids: tuple[str, ...] = ()      # systems the run evaluated
    kind: str = "scan"                    # scan | import (another tool's report, secaudit import)

    @property
    def date(self) -> dt.date:
        """The day the run started (UTC): the date of the assessment."""
        return dt.datetime.fromisoformat(self.started_at).date()


@dataclass(frozen=True)
class SystemRecord:
    """One system's verdict in one run."""

    run_id: str
    started_at: str
    regime: str
    system_id: str
    name: str
    computed_level: int | None
    declared_level: int | None
    required_level: int | None
    achieved_level: int | None
    deciding: str
    policy_id: str | None
    status: str                           # compliant | non_compliant | unverified | undetermined
    compliance: float | None              # (pass + waived) / judged, None when nothing was judged
    counts: Mapping[str, int] = field(default_factory=dict)
    failed_by_severity: Mapping[str, int] = field(default_factory=dict)

    @property
    def compliant(self) -> bool:
        return self.status == "compliant"

    @property
    def date(self) -> dt.date:
        return dt.datetime.fromisoformat(self.started_at).date()


@dataclass(frozen=True)
class FindingRecord:
    """One finding of a stored run. Its identity across runs is (system_id, control_id, target)."""

    run_id: str
    system_id: str
    control_id: str                       # without "@policy"
    control_ref: str                      # as in the run
    target: str
    verdict: str
    severity: str
    message: Message
    evidence: tuple[tuple[str, str], ...] = ()
    waiver: Mapping[str, Any] | None = None

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.system_id, self.control_id, self.target)


@dataclass(frozen=True)
class PortRecord:
    run_id: str
    system_id: str
    host: str
    port: int
    protocol: str
    service: str


@dataclass(frozen=True)
class CertificateRecord:
    run_id: str
    system_id: str
    target: str
    sha256: str
    subject: str
    issuer: str
    not_after: str                        # ISO 8601
    key: str
    signature_algorithm: str

    @property
    def expires(self) -> dt.datetime:
        value = dt.datetime.fromisoformat(self.not_after)
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def base_control_id(control_id: str) -> str:
    """``TLS-PROTO-01@level-3`` -> ``TLS-PROTO-01``: a control keeps its identity when the level changes."""
    return control_id.split("@", 1)[0]


def scope_key(results: Results) -> str:
    """What a run covered, as a digest: runs of the same scope are the ones `diff` compares.

    The inventory file's name (not its path: cron and a person run from different directories),
    the systems evaluated, and the options that narrow the checks (``--only``, ``--profile``,
    ``--level``). For ad-hoc ``--target`` scans the endpoints stand for the inventory."""
    run = results.run
    name = run.inventory_file.replace("\\", "/").rsplit("/", 1)[-1]
    if run.inventory_file == "--target":
        name = "--target " + " ".join(sorted(e.address for s in results.inventory.systems for e in s.endpoints))
    key = {"inventory": name, "systems": sorted(s.system_id for s in results.systems),
           "only": sorted(run.only), "profiles": sorted(run.profiles), "level": run.level}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class RegisterRevision:
    """One stored revision of an evidence register (append-only)."""

    id: int
    digest: str
    file: str
    stored_at: str
    entries: int


@dataclass(frozen=True)
class AssessmentRecord:
    """One system's stored ``secaudit assess`` result."""

    system_id: str
    generated_at: str
    level: int | None
    regime: str
    catalogue: str
    run_id: str | None
    register_id: int | None
    counts: Mapping[str, int]
    compliant: bool
    results: Mapping[str, str]             # requirement key -> result

    def figures(self) -> LevelAssessment:
        """The counts any other output may show of this assessment (without the rows)."""
        return LevelAssessment(self.system_id, self.generated_at, self.regime, self.catalogue, self.level,
                               dict(self.counts), self.compliant)


@dataclass(frozen=True)
class ImportRecord:
    """One stored import of another tool's report (a run of kind ``import``)."""

    run_id: str
    tool: str
    tool_version: str
    category: str                         # vulnerability-scanner | host-engine
    file_name: str
    file_sha256: str
    file_size: int
    scan_started: str | None              # ISO 8601 UTC, as the file states
    scan_finished: str | None
    stored_at: str
    inventory_file: str
    hosts: tuple[str, ...] = ()
    unmatched_hosts: tuple[str, ...] = ()
    systems: tuple[str, ...] = ()         # systems whose hosts the scan covered
    items: int = 0

    @property
    def date(self) -> dt.datetime:
        """When the scan was made: its end, else its start, else when it was stored (UTC)."""
        value = dt.datetime.fromisoformat(self.scan_finished or self.scan_started or self.stored_at)
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class ImportedFindingRecord:
    """One item of a stored import, for one system (``system_id`` None: its host matches no system)."""

    run_id: str
    fingerprint: str
    system_id: str | None
    tool: str
    rule: str
    title: str
    severity: str
    tool_severity: str
    result: str
    host: str
    port: int | None
    protocol: str
    cves: tuple[str, ...]
    cwe: str
    solution: str
    evidence: str
    first_seen: str | None
    last_seen: str | None
