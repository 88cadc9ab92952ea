"""The store's tables (SQLAlchemy Core). Migrations in ``migrations/versions`` create exactly these.

One row per run in ``runs`` (with the whole results document, compressed, so a stored run can be
reported again), and the parts that history questions ask about, as plain rows: the verdict per
system (``run_systems``), every finding (``findings``), the open ports and the scanned port lists
(``ports``, ``port_scans``) and the leaf certificate of every TLS endpoint (``certificates``).
Dates are ISO 8601 UTC strings (``2026-11-23T10:15:00+00:00``): sortable, identical in SQLite and
PostgreSQL. Every child row belongs to a run and goes with it (``ON DELETE CASCADE``).

The evidence register (0003) is append-only: each revision of an ``evidence.yaml`` (a new digest) is a new
row of ``evidence_registers`` with its entries in ``evidence_entries``; nothing is ever updated or deleted,
so what an officer attested on a day can always be shown. ``assessments`` keeps each system's result counts
per ``secaudit assess`` (with the rows' results), for the annual report's "assessed periodically".
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String, Table, Text,
    UniqueConstraint,
)

SCHEMA_VERSION = "0004"          # the Alembic head this code writes and reads
KNOWN_REVISIONS: frozenset[str] = frozenset({"0001", "0002", "0003", "0004"})   # every revision up to the head

metadata = MetaData()


def _run_fk() -> Column:
    return Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False)


runs = Table(
    "runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40), nullable=False),
    Column("stored_at", String(40), nullable=False),
    Column("scope", String(64), nullable=False),            # sha256 of what the run covered (see records.scope_key)
    Column("inventory_file", Text, nullable=False),
    Column("inventory_digest", String(100), nullable=False),
    Column("organisation", Text, nullable=False),
    Column("regime", String(40), nullable=False),
    Column("tool_version", String(40), nullable=False),
    Column("policies", Text, nullable=False),                # JSON: policy id -> sha256
    Column("options", Text, nullable=False),                 # JSON: only, profiles, level, fail_on, systems
    Column("complete", Boolean, nullable=False),
    Column("systems_total", Integer, nullable=False),
    Column("systems_compliant", Integer, nullable=False),
    Column("findings_failed", Integer, nullable=False),
    Column("document", LargeBinary, nullable=False),         # zlib(JSON secaudit/results/v2); findings in rows (0002)
    Column("kind", String(20), nullable=False, server_default="scan"),   # scan | import (0004)
    Index("ix_runs_scope_started", "scope", "started_at"),
    Index("ix_runs_started", "started_at"),
)

run_systems = Table(
    "run_systems", metadata,
    _run_fk(),
    Column("system_id", String(200), nullable=False),
    Column("name", Text, nullable=False),
    Column("computed_level", Integer),
    Column("declared_level", Integer),
    Column("required_level", Integer),
    Column("achieved_level", Integer),
    Column("deciding", Text, nullable=False),
    Column("policy_id", String(200)),
    Column("status", String(20), nullable=False),            # compliant | non_compliant | unverified | undetermined
    Column("compliance", Float),                             # (pass + waived) / judged, None when nothing judged
    Column("counts", Text, nullable=False),                  # JSON: verdict -> count
    Column("failed_by_severity", Text, nullable=False),      # JSON: severity -> count
    Index("ix_run_systems_run", "run_id"),
    Index("ix_run_systems_system", "system_id", "run_id"),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("system_id", String(200), nullable=False),
    Column("control_id", String(200), nullable=False),       # without "@policy": the identity across runs
    Column("control_ref", String(200), nullable=False),      # as in the run (may carry "@policy")
    Column("target", String(300), nullable=False),
    Column("verdict", String(20), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("message_key", String(200), nullable=False),
    Column("message_args", Text, nullable=False),            # JSON
    Column("evidence", Text, nullable=False),                # JSON list of [label, value]
    Column("waiver", Text),                                  # JSON of the applied waiver, or NULL
    Column("warnings", Text, nullable=False, server_default="[]"),   # JSON list of {key, args} (0002)
    Column("refs", Text, nullable=False, server_default="[]"),       # JSON list of regulation references (0002)
    Index("ix_findings_run", "run_id"),
    Index("ix_findings_identity", "system_id", "control_id", "target"),
)

ports = Table(
    "ports", metadata,
    _run_fk(),
    Column("system_id", String(200), nullable=False),
    Column("host", String(300), nullable=False),
    Column("port", Integer, nullable=False),
    Column("protocol", String(8), nullable=False),
    Column("service", Text, nullable=False),                 # nmap's description (data from the server)
    Index("ix_ports_run", "run_id"),
)

port_scans = Table(
    "port_scans", metadata,
    _run_fk(),
    Column("system_id", String(200), nullable=False),
    Column("host", String(300), nullable=False),
    Column("requested", Text, nullable=False),               # JSON list of the ports nmap was asked for
    Index("ix_port_scans_run", "run_id"),
)

certificates = Table(
    "certificates", metadata,
    _run_fk(),
    Column("system_id", String(200), nullable=False),
    Column("target", String(300), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("subject", Text, nullable=False),
    Column("issuer", Text, nullable=False),
    Column("not_after", String(40), nullable=False),
    Column("key", String(80), nullable=False),               # e.g. "RSA 2048", "EC 256 secp256r1"
    Column("signature_algorithm", String(80), nullable=False),
    Index("ix_certificates_run", "run_id"),
    Index("ix_certificates_not_after", "not_after"),
)


evidence_registers = Table(
    "evidence_registers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("digest", String(100), nullable=False),           # sha256 of the file's bytes: one row per revision
    Column("file", Text, nullable=False),
    Column("stored_at", String(40), nullable=False),
    Column("entries", Integer, nullable=False),
    Index("ix_evidence_registers_digest", "digest", unique=True),
)

evidence_entries = Table(
    "evidence_entries", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("register_id", Integer, ForeignKey("evidence_registers.id"), nullable=False),
    Column("entry_id", String(100), nullable=False),
    Column("requirements", Text, nullable=False),            # JSON list of catalogue keys
    Column("systems", Text),                                 # JSON list of system ids; NULL: every system
    Column("kind", String(20), nullable=False),
    Column("title", Text, nullable=False),
    Column("officer_name", Text, nullable=False),
    Column("officer_position", Text, nullable=False),
    Column("date", String(10), nullable=False),
    Column("valid_until", String(10)),
    Column("file", Text),
    Column("sha256", String(64)),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("note", Text, nullable=False),
    Index("ix_evidence_entries_register", "register_id"),
)

assessments = Table(
    "assessments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("generated_at", String(40), nullable=False),
    Column("system_id", String(200), nullable=False),
    Column("level", Integer),
    Column("regime", String(40), nullable=False),
    Column("catalogue", String(100), nullable=False),
    Column("run_id", String(64)),                            # the stored run whose findings were used
    Column("register_id", Integer, ForeignKey("evidence_registers.id")),
    Column("inventory_digest", String(100), nullable=False),
    Column("met", Integer, nullable=False),
    Column("partially_met", Integer, nullable=False),
    Column("not_met", Integer, nullable=False),
    Column("not_applicable", Integer, nullable=False),
    Column("not_assessed", Integer, nullable=False),
    Column("compliant", Boolean, nullable=False),
    Column("results", Text, nullable=False),                 # JSON: requirement key -> result
    Index("ix_assessments_system", "system_id", "generated_at"),
)

# -- imports (0004): a run of kind "import" has one row here, and its items in imported_findings.
imports = Table(
    "imports", metadata,
    Column("run_id", String(64), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("tool", String(40), nullable=False),
    Column("tool_version", String(40), nullable=False),
    Column("category", String(40), nullable=False),          # vulnerability-scanner | host-engine
    Column("file_name", Text, nullable=False),
    Column("file_sha256", String(64), nullable=False),       # the same file is imported once (unique)
    Column("file_size", BigInteger, nullable=False),
    Column("scan_started", String(40)),                      # as the file states (None when it does not)
    Column("scan_finished", String(40)),
    Column("hosts", Text, nullable=False),                   # JSON: hosts the scan covered
    Column("unmatched_hosts", Text, nullable=False),         # JSON: hosts that match no inventory system
    Column("items", Integer, nullable=False),
    Index("ix_imports_tool", "tool", "scan_finished"),
    UniqueConstraint("file_sha256", name="uq_imports_file_sha256"),
)

imported_findings = Table(
    "imported_findings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("fingerprint", String(64), nullable=False),       # sha256(tool, rule, host, port)
    Column("system_id", String(200)),                        # NULL: the host matches no system
    Column("tool", String(40), nullable=False),
    Column("rule_id", String(200), nullable=False),
    Column("title", Text, nullable=False),
    Column("severity", String(20), nullable=False),
    Column("tool_severity", String(40), nullable=False),
    Column("result", String(20), nullable=False),            # fail | pass | partial | not_applicable | error | info
    Column("host", String(300), nullable=False),
    Column("port", Integer),
    Column("protocol", String(8), nullable=False),
    Column("cves", Text, nullable=False),                    # JSON list
    Column("cwe", String(20), nullable=False),
    Column("solution", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("first_seen", String(40)),
    Column("last_seen", String(40)),
    Index("ix_imported_findings_run", "run_id"),
    Index("ix_imported_findings_fingerprint", "fingerprint"),
)
