"""Frozen dataclasses of the data flow (design §2): inventory, policy, waivers, probes, observations, findings.

No I/O here and no third-party library types: every stage boundary is one of these and
round-trips to JSON through the serialisation layer. Family-specific observation facts
(TLS, ports) live in ``secaudit.observations`` and are pure dataclasses too.
"""

from __future__ import annotations

import datetime as _dt
import functools
import ipaddress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping
from secaudit.i18n import t


# --------------------------------------------------------------------------- enums


class Purpose(StrEnum):
    INTERNAL = "internal"
    PUBLIC_SERVICE = "public_service"
    INFRASTRUCTURE = "infrastructure"
    INDUSTRIAL_CONTROL = "industrial_control"
    OTHER = "other"


class InfoClass(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    PERSONAL = "personal"
    STATE_SECRET = "state_secret"


class SecretGrade(StrEnum):
    """State-secret grades: Mật, Tối mật, Tuyệt mật."""

    CONFIDENTIAL = "confidential"   # Mật
    SECRET = "secret"               # Tối mật
    TOP_SECRET = "top_secret"       # Tuyệt mật


class Damage(StrEnum):
    """Expected damage to national defence/security if the system is compromised."""

    HARM = "harm"
    SERIOUS = "serious"
    ESPECIALLY_SERIOUS = "especially_serious"


class Scope(StrEnum):
    """Whom an infrastructure system serves."""

    ORGANISATION = "organisation"
    SECTOR = "sector"
    MINISTRY = "ministry"
    PROVINCE = "province"
    SEVERAL_PROVINCES = "several_provinces"
    NATIONAL = "national"
    INTERNATIONAL = "international"


class WorksGrade(StrEnum):
    """Construction-works grade of the works an industrial-control system runs."""

    SPECIAL = "special"
    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"


class Service(StrEnum):
    HTTPS = "https"
    HTTP = "http"
    SMTP = "smtp"
    IMAP = "imap"
    POP3 = "pop3"
    FTP = "ftp"
    LDAP = "ldap"
    XMPP = "xmpp"
    XMPP_SERVER = "xmpp_server"
    POSTGRES = "postgres"
    RDP = "rdp"
    SSH = "ssh"
    OTHER = "other"


class Starttls(StrEnum):
    """Protocols in which TLS is negotiated in-protocol (sslyze's opportunistic TLS)."""

    SMTP = "smtp"
    IMAP = "imap"
    POP3 = "pop3"
    FTP = "ftp"
    LDAP = "ldap"
    XMPP = "xmpp"
    XMPP_SERVER = "xmpp_server"
    POSTGRES = "postgres"
    RDP = "rdp"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


class ObservationStatus(StrEnum):
    OK = "ok"
    ERROR = "error"


# --------------------------------------------------------------------------- common


@dataclass(frozen=True)
class SourceRef:
    """Where something was declared: file and 1-based line/column (0 when unknown)."""

    file: str = ""
    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class LocalText:
    """A text given in both languages by a data file (policies, regimes)."""

    en: str
    vi: str

    def get(self, lang: str) -> str:
        return self.vi if lang == "vi" and self.vi else self.en


@dataclass(frozen=True)
class Message:
    """A catalog message key with its arguments: rendered in the reader's language at report time."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        """The message in ``lang``; an argument that is itself a message (a probe's reason inside a
        finding, also in its stored JSON form ``{"key", "args"}``) is rendered in the same language."""
        return t(self.key, lang, **{k: _render_arg(v, lang) for k, v in self.args.items()})


_PLAIN_ARGS = frozenset({str, int, float, bool, type(None)})


def _render_arg(value: Any, lang: str | None) -> Any:
    if type(value) in _PLAIN_ARGS:              # the common case, without the Mapping ABC check
        return value
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Mapping) and set(value) == {"key", "args"} and isinstance(value["key"], str):
        return Message(value["key"], value["args"] or {}).render(lang)
    return value


# --------------------------------------------------------------------------- inventory


def format_hostport(host: str, port: int) -> str:
    """``host:port``, with brackets around IPv6 literals."""
    try:
        if isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address):
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


@dataclass(frozen=True)
class Endpoint:
    host: str                       # validated DNS name or IP literal (never starts with '-')
    port: int                       # 1..65535
    service: Service = Service.OTHER
    starttls: Starttls | None = None
    sni: str | None = None          # TLS server name to send, when it differs from host
    tls: bool = False               # TLS expected: https, a STARTTLS endpoint, or declared `tls: true` (e.g. imaps on 993)
    source: SourceRef = SourceRef()

    @property
    def address(self) -> str:
        return format_hostport(self.host, self.port)


@dataclass(frozen=True)
class PersonalData:
    """Counts of data subjects whose personal data a system processes."""

    users: int | None = None        # Decree 85: number of users whose private/personal data is held
    basic: int | None = None        # Decree 331: subjects of basic personal data
    sensitive: int | None = None    # Decree 331: subjects of sensitive personal data


@dataclass(frozen=True)
class Facts:
    """The facts that decide a system's level (design §8.2). ``None`` means "not declared"."""

    information: tuple[InfoClass, ...] = ()
    secret_grade: SecretGrade | None = None
    defence_security: bool | None = None          # a defence or security system
    damage: Damage | None = None                  # expected damage to national defence/security
    strategic: bool | None = None                 # Decree 331: strategic state-secret/defence system
    online_service_level: int | None = None       # Decree 85: online public-service level 1..4
    administrative_procedures: bool | None = None  # Decree 331: handles administrative procedures
    conditional_business: bool | None = None      # the online service is in the conditional-business list
    personal_data: PersonalData = PersonalData()
    scope: Scope | None = None                    # for infrastructure
    continuous_operation: bool | None = None      # must run 24/7 with no unplanned downtime
    national_egov: bool | None = None             # a national e-Government system
    national_data_store: bool | None = None       # centralised storage of especially important national data
    works_grade: WorksGrade | None = None         # industrial control: construction-works grade
    works_national_security: bool | None = None   # industrial control: works important to national security
    designated_level: int | None = None           # level designated by the Prime Minister
    risk_assessed_level: int | None = None        # level proposed by a risk assessment (Decree 331 Art. 10.5)


class DossierStatus(StrEnum):
    """Where a system's level dossier stands (Form 08 column 6)."""

    DRAFTING = "drafting"          # Đang dự thảo
    SUBMITTED = "submitted"        # Đã gửi thẩm định
    APPRAISED = "appraised"        # Đã thẩm định
    APPROVED = "approved"          # Đã được phê duyệt


class PlanStatus(StrEnum):
    """How far the approved security plan is implemented (Form 08 column 10)."""

    NOT_STARTED = "not_started"    # Chưa triển khai
    PARTIAL = "partial"            # Đã triển khai một số hạng mục
    FULL = "full"                  # Đã triển khai đầy đủ


@dataclass(frozen=True)
class Decision:
    """A decision document: its number ("123/QĐ-UBND"), date and issuing body."""

    number: str = ""
    date: _dt.date | None = None
    body: str = ""


@dataclass(frozen=True)
class Approval:
    """A system's approval process, as the annual report (Form 08) and ``secaudit status`` show it."""

    dossier: DossierStatus | None = None           # None: no dossier started
    decision: Decision | None = None               # the decision approving the level
    regulation: Decision | None = None             # the decision issuing the system's security regulation
    planned_approval: _dt.date | None = None
    plan: PlanStatus | None = None                 # implementation of the security plan
    plan_planned: _dt.date | None = None           # planned date of full implementation
    assessed_before_use: bool | None = None        # an assessment was made before go-live


@dataclass(frozen=True)
class PortCoverage:
    """A system's port-scan coverage when it overrides its level's default (docs/ports.md)."""

    spec: str                                      # "top-N", "A-B" or "1-65535" (written "all")
    source: str = "inventory"                      # "inventory" (the system's port_coverage) or "cli" (--ports-range)


@dataclass(frozen=True)
class SshJump:
    """A jump host (ProxyJump) an SSH login goes through."""

    host: str
    port: int = 22
    user: str = ""


@dataclass(frozen=True)
class HostAccess:
    """A server of the system that host checks log in to over SSH. Only paths, never a secret: ``key`` and
    ``known_hosts`` are files on the machine (or zone worker) that connects; no key means the SSH agent."""

    address: str                                   # validated host (targets.py)
    user: str
    known_hosts: str                               # the only host keys trusted (no trust on first use)
    port: int = 22
    key: str | None = None                         # private key file; None: the agent (SSH_AUTH_SOCK)
    jump: SshJump | None = None
    sudo: bool = False                             # `sudo -n` allowed for the reads that need root
    source: SourceRef = SourceRef()


@dataclass(frozen=True)
class System:
    id: str
    name: str
    purpose: Purpose
    facts: Facts = Facts()
    owner: str = ""
    operator: str = ""
    description: str = ""
    declared_level: int | None = None
    zone: str | None = None
    components: tuple[str, ...] = ()               # ids of other systems of the inventory
    endpoints: tuple[Endpoint, ...] = ()
    allowed_ports: tuple[int, ...] = ()            # ports the system may expose (its endpoints' ports are implied)
    port_coverage: PortCoverage | None = None      # overrides the level's default port-scan coverage
    hosts: tuple[str, ...] = ()                    # hosts without a declared service (ad hoc: `secaudit ports HOST`)
    source: SourceRef = SourceRef()
    domains: tuple[str, ...] = ()                  # DNS domains the system sends or receives mail for (mail checks)
    approval: Approval = Approval()
    ssh_hosts: tuple[HostAccess, ...] = ()         # `hosts:` entries: servers checked from an SSH login
    networks: tuple[str, ...] = ()                 # a zone as discovery judges it: the networks swept (CIDR)

    @property
    def exposed_ports_allowed(self) -> frozenset[int]:
        return frozenset(self.allowed_ports) | {e.port for e in self.endpoints}


@dataclass(frozen=True)
class Body:
    """An organisation's particulars for official documents (Form 08 section 2)."""

    name: str = ""
    founding_document: str = ""                    # the text defining its functions, tasks and powers
    head: str = ""
    head_title: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    security_unit: str = ""                        # an owner's specialised cybersecurity unit (Decree 331 Art. 3.2)
    source: SourceRef = SourceRef()                # where the particulars were written (blank fields are located there)

    def particulars(self) -> dict[str, str]:
        """The fields the forms ask for (Decree 331 Art. 22.3 a-b, Art. 36.1; Form 08 section 2)."""
        return {k: getattr(self, k) for k in PARTICULARS}


PARTICULARS = ("founding_document", "head", "head_title", "address", "phone", "email")


@dataclass(frozen=True)
class Organisation:
    name: str
    security_unit: str = ""
    owner_body: str = ""
    place: str = ""                                # place name of a document's date line ("Sông Lam")
    owner_details: Body | None = None              # chủ quản hệ thống thông tin
    security_unit_details: Body | None = None      # đơn vị chuyên trách về an ninh mạng
    operator_details: Body | None = None           # đơn vị vận hành, where it sends its own report
    bodies: tuple[Body, ...] = ()                  # particulars of every owner, operator and specialised unit

    def body(self, name: str) -> Body | None:
        """The particulars recorded for the body called ``name`` (``bodies`` first, then the *_details), or None."""
        if not name:
            return None
        for b in self.bodies + tuple(x for x in (self.owner_details, self.security_unit_details,
                                                  self.operator_details) if x is not None):
            if b.name == name:
                return b
        return None

    def owner_of(self, system: "System") -> str:
        """The owner body of ``system``: its own ``owner``, else the organisation's owner body, else the organisation."""
        return system.owner or self.owner_body or (self.owner_details.name if self.owner_details else "") or self.name

    def unit_of(self, owner: str) -> str:
        """The specialised cybersecurity unit of ``owner`` (Art. 3.2: each owner's own unit), "" when not recorded.

        Recorded on the owner's particulars (``security_unit:``); the organisation-wide ``security_unit`` serves the
        organisation's own owner body only."""
        b = self.body(owner)
        if b is not None and b.security_unit:
            return b.security_unit
        if owner in (self.owner_body, self.name) or (self.owner_details is not None and owner == self.owner_details.name):
            return (self.security_unit_details.name if self.security_unit_details else "") or self.security_unit
        return ""


@dataclass(frozen=True)
class Zone:
    """A network zone and the networks declared in it: the scope of discovery (``secaudit discover``)."""

    id: str
    networks: tuple[str, ...] = ()                 # CIDR, canonical (ipaddress' text form)
    description: str = ""
    source: SourceRef = SourceRef()


@dataclass(frozen=True)
class Inventory:
    organisation: Organisation
    systems: tuple[System, ...]
    source: SourceRef = SourceRef()
    digest: str = ""                               # sha256 of the file's bytes
    zones: tuple[Zone, ...] = ()                   # declared zones with their networks

    def zone(self, zone_id: str) -> Zone:
        for z in self.zones:
            if z.id == zone_id:
                return z
        raise KeyError(zone_id)

    def system(self, system_id: str) -> System:
        return self._by_id[system_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, System]:
        """Systems by id (first one wins), built once: reports look up every system by id."""
        index: dict[str, System] = {}
        for s in self.systems:
            index.setdefault(s.id, s)
        return index


# --------------------------------------------------------------------------- policy and waivers


@dataclass(frozen=True)
class Control:
    id: str                                        # stable, e.g. TLS-PROTO-01
    title: LocalText
    check: str                                     # a registered check name, e.g. tls.protocols.forbidden
    severity: Severity
    params: Mapping[str, Any] = field(default_factory=dict)
    references: tuple[str, ...] = ()               # other than the standard: e.g. "aligned with Mozilla ..."
    applies_to: tuple[Service, ...] = ()           # empty: every endpoint the check can judge
    remediation: LocalText = LocalText("", "")
    source: SourceRef = SourceRef()
    requirements: tuple[str, ...] = ()             # catalogue keys it evidences (policies/requirements/)


@dataclass(frozen=True)
class Policy:
    id: str
    title: LocalText
    controls: tuple[Control, ...] = ()
    extends: tuple[str, ...] = ()
    level: int | None = None                       # for policies/levels/level-N.yaml
    source: SourceRef = SourceRef()


@dataclass(frozen=True)
class Waiver:
    control: str
    system: str
    reason: str
    approved_by: str
    expires: _dt.date
    endpoint: str | None = None                    # host:port; None waives the control on every endpoint
    source: SourceRef = SourceRef()

    def active_on(self, day: _dt.date) -> bool:
        return day <= self.expires


# --------------------------------------------------------------------------- probes, observations, findings


@dataclass(frozen=True)
class Probe:
    """One network measurement to make: what the plan stage asks the executor to run."""

    id: str                                        # stable across runs of the same plan (resume keys on it)
    kind: str                                      # "tls" | "ports" | "http"
    target: str                                    # host:port (tls, http) or host (ports)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Observation:
    """What a probe saw. A failed probe is still an observation, with status ERROR and a reason."""

    probe_id: str
    kind: str
    target: str
    status: ObservationStatus
    facts: Any = None                              # a dataclass of secaudit.observations.<kind>, or None
    error: str | None = None                       # readable reason when status is ERROR (English; logs, journals)
    started_at: str = ""                           # ISO 8601 UTC
    duration_s: float = 0.0
    worker: str = ""                               # the distributed worker that ran it ("" when run locally)
    reason: "Message | None" = None                # the same reason as a catalog message, for the reader's language

    def reason_text(self, lang: str | None = None) -> str:
        """Why the probe failed, in ``lang`` when the reason is a catalog message (else its English text)."""
        if self.reason is not None:
            return self.reason.render(lang)
        return self.error or ""

    @classmethod
    def failed(cls, probe: "Probe", reason: "Message", started_at: str = "", duration_s: float = 0.0,
               worker: str = "") -> "Observation":
        """An ERROR observation of ``probe``: ``reason`` in the catalog, its English text in ``error``."""
        return cls(probe.id, probe.kind, probe.target, ObservationStatus.ERROR, None, reason.render("en"),
                   started_at, duration_s, worker, reason)


@dataclass(frozen=True)
class Evidence:
    """One fact a person needs to act on a finding: a label (catalog key) and a value."""

    label: str
    value: str


@dataclass(frozen=True)
class Outcome:
    """What a check concludes for one control on one endpoint, before waivers are applied."""

    verdict: Verdict                               # PASS, FAIL, ERROR or NOT_APPLICABLE
    message: Message
    evidence: tuple[Evidence, ...] = ()
    warnings: tuple[Message, ...] = ()             # e.g. certificate expires inside the horizon


@dataclass(frozen=True)
class Finding:
    control_id: str
    system_id: str
    target: str
    verdict: Verdict
    severity: Severity
    message: Message
    evidence: tuple[Evidence, ...] = ()
    warnings: tuple[Message, ...] = ()
    references: tuple[str, ...] = ()              # the standard's clauses at the system's level, then others
    waiver: Waiver | None = None


# --------------------------------------------------------------------------- results of a run


@dataclass(frozen=True)
class SystemResult:
    """The verdict for one system: which level it must meet and which it reaches."""

    system_id: str
    name: str
    computed_level: int | None                     # from classification (None: undetermined)
    declared_level: int | None
    required_level: int | None                     # max(computed, declared); None: cannot be decided
    achieved_level: int | None                     # highest level whose controls all pass or are waived (0: none)
    deciding: str = ""                             # citation of the deciding criterion, e.g. "Decree 331/2026 Art. 13.2.b"
    policy_id: str | None = None                   # the resolved level policy evaluated, e.g. "level-3"
    counts: Mapping[str, int] = field(default_factory=dict)              # verdict -> number of findings
    failed_by_severity: Mapping[str, int] = field(default_factory=dict)  # severity -> failed findings
    notes: tuple[Message, ...] = ()                # under-declared, undetermined, expired waivers...


UNCLASSIFIED = "-"       # RunInfo.regime of a run judging a family's own subjects (discovery's zones): no level


@dataclass(frozen=True)
class RunInfo:
    id: str
    started_at: str                                # ISO 8601 UTC
    finished_at: str
    tool_version: str
    inventory_file: str
    inventory_digest: str
    regime: str                                    # UNCLASSIFIED: the run judged a family's own subjects
    policies: Mapping[str, str] = field(default_factory=dict)   # policy id -> sha256 of its file
    complete: bool = True                          # False when interrupted: the report is partial
    fail_on: str = "low"
    only: tuple[str, ...] = ()                     # --only: probe families the scan was limited to
    profiles: tuple[str, ...] = ()                 # --profile: added to every system's policy
    level: int | None = None                       # --target scans: the --level checked


RESULT_NAMES = ("met", "partially_met", "not_met", "not_applicable", "not_assessed")


@dataclass(frozen=True)
class LevelAssessment:
    """The counts of one system's latest stored ``secaudit assess``: all a scan report, ``runs``, ``status`` or
    the dossier may say of the whole level (issue 22). ``counts``: rows per result (:data:`RESULT_NAMES`)."""

    system_id: str
    assessed_at: str                               # ISO 8601 UTC of the assessment
    regime: str
    catalogue: str                                 # e.g. tcvn-14423-2026
    level: int | None
    counts: Mapping[str, int] = field(default_factory=dict)
    level_met: bool = False                        # every row met or not applicable with a reason ("compliant")

    def __getitem__(self, result: str) -> int:
        return self.counts.get(result, 0)

    @property
    def rows(self) -> int:
        return sum(self[r] for r in RESULT_NAMES)

    @property
    def applicable(self) -> int:
        return self.rows - self["not_applicable"]

    @property
    def assessed(self) -> int:
        return self.applicable - self["not_assessed"]


def level_assessment_message(level: int | None, a: LevelAssessment | None) -> Message | None:
    """What any output says of the requirements of a system's level: the figures of its latest stored
    assessment of that level, or plainly that it has none. None when the level is unknown."""
    if level is None:
        return None
    if a is None or a.level != level:
        return Message("assess.latest.not_assessed", {"level": level})
    day = _dt.date.fromisoformat(a.assessed_at[:10])
    args = {"level": level, "y": day.year, "m": day.month, "d": day.day, "met": a["met"],
            "assessed": a.assessed, "applicable": a.applicable, "not_met": a["not_met"],
            "pct": f"{round(100 * a.assessed / a.applicable)}%" if a.applicable else "–"}
    return Message("assess.latest.compliant" if a.level_met else "assess.latest.assessed", args)


@dataclass(frozen=True)
class Results:
    """Everything a report needs. Reports are pure functions of this."""

    run: RunInfo
    inventory: Inventory
    systems: tuple[SystemResult, ...]
    controls: tuple[Control, ...]                  # every control a finding refers to (rule metadata)
    findings: tuple[Finding, ...]
    observations: tuple[Observation, ...] = ()
    expired_waivers: tuple[Waiver, ...] = ()
    assessments: tuple[LevelAssessment, ...] = ()  # each system's latest stored `secaudit assess` (from the store)
