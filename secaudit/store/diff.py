"""What changed between two stored runs (pure, over the store's records).

A finding is identified by (system, control, target) — never by its message or evidence, so a
reworded message is not a new finding, and ``ID@policy`` counts as ``ID`` so a level change keeps
identities. Categories, by the verdicts before → after:

- ``new``: fails now, did not fail (or was not there) before;
- ``fixed``: passes now, failed or was waived before;
- ``still_failing``: failed and fails;
- ``newly_waived``: waived now, not waived before;
- ``waiver_expired``: was waived, fails now (the waiver expired or was withdrawn);
- ``severity_changed``: present in both with another severity (also listed in its own category);
- ``unverified``: failed or was waived before, and now has no verdict (scan error, no longer
  checked): never counted as fixed.

Ports are compared only where both runs asked nmap about the port; certificates by fingerprint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from secaudit.model import Severity
from secaudit.store.records import CertificateRecord, FindingRecord, PortRecord, RunRecord, SystemRecord

CATEGORIES: tuple[str, ...] = ("new", "fixed", "waiver_expired", "newly_waived", "severity_changed", "unverified",
                               "still_failing")
CHANGE_CATEGORIES: tuple[str, ...] = tuple(c for c in CATEGORIES if c != "still_failing")
LEVEL_FIELDS: tuple[str, ...] = ("declared_level", "computed_level", "required_level", "achieved_level", "status")
CERT_FIELDS: tuple[str, ...] = ("issuer", "subject", "key", "signature_algorithm", "not_after")
_VERDICT_RANK = {"fail": 5, "error": 4, "waived": 3, "pass": 2, "not_applicable": 1}


@dataclass(frozen=True)
class FindingChange:
    category: str
    system_id: str
    control_id: str
    target: str
    before: FindingRecord | None
    after: FindingRecord | None

    @property
    def severity(self) -> str:
        return (self.after or self.before).severity          # type: ignore[union-attr]

    @property
    def current(self) -> FindingRecord:
        """The finding to describe: what failed before for fixed and unverified ones, else what is now."""
        if self.category in ("fixed", "unverified") and self.before is not None:
            return self.before
        return self.after or self.before                      # type: ignore[return-value]


@dataclass(frozen=True)
class LevelChange:
    system_id: str
    name: str
    field: str                    # one of LEVEL_FIELDS, or "system" when the system is only in one run
    before: object
    after: object


@dataclass(frozen=True)
class PortChange:
    change: str                   # "opened" | "closed"
    system_id: str
    host: str
    port: int
    protocol: str
    service: str


@dataclass(frozen=True)
class CertificateChange:
    system_id: str
    target: str
    before: CertificateRecord
    after: CertificateRecord
    fields: tuple[str, ...]       # which of CERT_FIELDS changed (the fingerprint always did)


@dataclass(frozen=True)
class RunDiff:
    run_a: RunRecord
    run_b: RunRecord
    findings: Mapping[str, tuple[FindingChange, ...]] = field(default_factory=dict)
    levels: tuple[LevelChange, ...] = ()
    ports: tuple[PortChange, ...] = ()
    certificates: tuple[CertificateChange, ...] = ()

    def count(self, category: str) -> int:
        return len(self.findings.get(category, ()))

    @property
    def changed(self) -> bool:
        """Anything but "still failing" to show."""
        return bool(any(self.count(c) for c in CHANGE_CATEGORIES) or self.levels or self.ports or self.certificates)

    def new_at_or_above(self, severity: str) -> list[FindingChange]:
        """Findings that fail now and did not before (new, or a waiver that ended) at ``severity`` or worse."""
        floor = Severity(severity).rank
        return [c for cat in ("new", "waiver_expired") for c in self.findings.get(cat, ())
                if Severity(c.severity).rank >= floor]


def by_identity(findings: Iterable[FindingRecord]) -> dict[tuple[str, str, str], FindingRecord]:
    """One finding per identity; the worst verdict wins if a run has two (defensive)."""
    out: dict[tuple[str, str, str], FindingRecord] = {}
    for f in findings:
        old = out.get(f.identity)
        if old is None or _VERDICT_RANK.get(f.verdict, 0) > _VERDICT_RANK.get(old.verdict, 0):
            out[f.identity] = f
    return out


def _category(before: FindingRecord | None, after: FindingRecord | None) -> str | None:
    a = before.verdict if before else None
    b = after.verdict if after else None
    if b == "fail":
        return "still_failing" if a == "fail" else "waiver_expired" if a == "waived" else "new"
    if b == "waived":
        return None if a == "waived" else "newly_waived"
    if a in ("fail", "waived"):
        return "fixed" if b == "pass" else "unverified"
    return None


def diff_findings(before: Iterable[FindingRecord], after: Iterable[FindingRecord]) -> dict[str, tuple[FindingChange, ...]]:
    a, b = by_identity(before), by_identity(after)
    out: dict[str, list[FindingChange]] = {c: [] for c in CATEGORIES}
    for identity in sorted(a.keys() | b.keys()):
        fa, fb = a.get(identity), b.get(identity)
        category = _category(fa, fb)
        if category:
            out[category].append(FindingChange(category, *identity, fa, fb))
        if fa and fb and fa.severity != fb.severity and fb.verdict in ("fail", "waived"):
            out["severity_changed"].append(FindingChange("severity_changed", *identity, fa, fb))
    return {c: tuple(v) for c, v in out.items()}


def diff_levels(before: Sequence[SystemRecord], after: Sequence[SystemRecord]) -> tuple[LevelChange, ...]:
    a = {s.system_id: s for s in before}
    b = {s.system_id: s for s in after}
    changes = []
    for sid in sorted(a.keys() | b.keys()):
        sa, sb = a.get(sid), b.get(sid)
        if sa is None or sb is None:
            changes.append(LevelChange(sid, (sa or sb).name, "system", sa is not None, sb is not None))  # type: ignore[union-attr]
            continue
        for name in LEVEL_FIELDS:
            if getattr(sa, name) != getattr(sb, name):
                changes.append(LevelChange(sid, sb.name, name, getattr(sa, name), getattr(sb, name)))
    return tuple(changes)


def diff_ports(open_a: Sequence[PortRecord], scans_a: Mapping[tuple[str, str], frozenset[int]],
               open_b: Sequence[PortRecord], scans_b: Mapping[tuple[str, str], frozenset[int]]) -> tuple[PortChange, ...]:
    key = lambda p: (p.system_id, p.host, p.port, p.protocol)  # noqa: E731
    a, b = {key(p): p for p in open_a}, {key(p): p for p in open_b}
    changes = []
    for k in sorted(b.keys() - a.keys()):
        if k[2] in scans_a.get((k[0], k[1]), frozenset()):
            p = b[k]
            changes.append(PortChange("opened", p.system_id, p.host, p.port, p.protocol, p.service))
    for k in sorted(a.keys() - b.keys()):
        if k[2] in scans_b.get((k[0], k[1]), frozenset()):
            p = a[k]
            changes.append(PortChange("closed", p.system_id, p.host, p.port, p.protocol, p.service))
    return tuple(changes)


def diff_certificates(before: Sequence[CertificateRecord],
                      after: Sequence[CertificateRecord]) -> tuple[CertificateChange, ...]:
    a = {(c.system_id, c.target): c for c in before}
    b = {(c.system_id, c.target): c for c in after}
    changes = []
    for k in sorted(a.keys() & b.keys()):
        ca, cb = a[k], b[k]
        if ca.sha256 != cb.sha256:
            changed = tuple(f for f in CERT_FIELDS if getattr(ca, f) != getattr(cb, f))
            changes.append(CertificateChange(k[0], k[1], ca, cb, changed))
    return tuple(changes)


_VerdictMap = Mapping[tuple[str, str, str], tuple[str, str, int]]


def changed_identities(a: _VerdictMap, b: _VerdictMap) -> set[int]:
    """Row ids of the findings whose category or severity needs them read in full."""
    ids = set()
    for identity in a.keys() | b.keys():
        va, vb = a.get(identity), b.get(identity)
        verdict_a, verdict_b = (va[0] if va else None), (vb[0] if vb else None)
        if verdict_a == verdict_b and (va is None or va[1] == vb[1]) and verdict_b != "fail":     # type: ignore[index]
            continue
        if verdict_b in ("fail", "waived") or verdict_a in ("fail", "waived"):
            ids.update(v[2] for v in (va, vb) if v)
    return ids


def diff_stored(store: object, run_a: RunRecord, run_b: RunRecord) -> RunDiff:
    """The difference between two stored runs (``store`` is a :class:`secaudit.store.api.Store`).

    Reads every finding's identity, verdict and severity, and the full finding (message,
    evidence) only where something changed or still fails."""
    s = store
    va, vb = s.verdicts(run_a.id), s.verdicts(run_b.id)                            # type: ignore[attr-defined]
    full = s.findings_by_id(changed_identities(va, vb))                            # type: ignore[attr-defined]
    before = [full[v[2]] for v in va.values() if v[2] in full]
    after = [full[v[2]] for v in vb.values() if v[2] in full]
    return RunDiff(
        run_a=run_a, run_b=run_b,
        findings=diff_findings(before, after),
        levels=diff_levels(s.systems(run_a.id), s.systems(run_b.id)),              # type: ignore[attr-defined]
        ports=diff_ports(s.open_ports(run_a.id), s.port_scans(run_a.id),           # type: ignore[attr-defined]
                         s.open_ports(run_b.id), s.port_scans(run_b.id)),          # type: ignore[attr-defined]
        certificates=diff_certificates(s.certificates(run_a.id), s.certificates(run_b.id)),  # type: ignore[attr-defined]
    )
