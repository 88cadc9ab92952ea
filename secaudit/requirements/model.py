"""The domain of ``assess`` (design §2, §4): evidence, the register, and requirement results.

Frozen dataclasses, free of I/O. Results are derived from evidence by
:mod:`secaudit.requirements.assessment`, never typed by a person: the register states what an officer
attests; the assessment decides what that, the stored scans and the imports prove.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping

from secaudit.model import LocalText, Message, SourceRef
from secaudit.requirements.catalogue import Group, Row


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence about one requirement of one system (shared contract, SPEC.md)."""

    source: str          # "scan" | "host" | "import:<tool>" | "register"
    requirement: str     # catalogue key
    system: str          # inventory system id
    outcome: str         # "pass" | "fail" | "partial" | "error" | "not_applicable"
    date: dt.datetime    # when the evidence was produced (UTC, aware)
    summary: str         # one line, plain text (escaped by every writer)
    ref: str             # run id / import id / register entry id / finding fingerprint
    valid_until: dt.datetime | None = None


OUTCOMES = ("pass", "fail", "partial", "error", "not_applicable")


class Result(StrEnum):
    MET = "met"
    PARTIALLY_MET = "partially_met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"
    NOT_ASSESSED = "not_assessed"


RESULTS = tuple(r.value for r in Result)


class EntryKind(StrEnum):
    DOCUMENT = "document"
    ATTESTATION = "attestation"
    RECORD = "record"


class EntryStatus(StrEnum):
    IN_PLACE = "in_place"
    PARTIAL = "partial"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Officer:
    name: str
    position: str = ""

    def __str__(self) -> str:
        return f"{self.name} ({self.position})" if self.position else self.name


@dataclass(frozen=True)
class RegisterEntry:
    """One entry of the evidence register: what an officer attests for some rows of some systems."""

    id: str
    requirements: tuple[str, ...]
    systems: tuple[str, ...] | None            # None: every system of the inventory
    kind: EntryKind
    title: str
    officer: Officer
    date: dt.date
    status: EntryStatus
    valid_until: dt.date | None = None         # None: date + the row's review period (see assessment)
    file: str | None = None                    # as written, relative to the register file
    sha256: str | None = None                  # checked against the file when the register is loaded
    reason: str = ""                           # why not applicable (required for that status)
    note: str = ""
    source: SourceRef = SourceRef()

    def covers(self, system: str) -> bool:
        return self.systems is None or system in self.systems


@dataclass(frozen=True)
class Register:
    """A whole evidence file, as loaded (``digest``: sha256 of its bytes; a revision is a new digest)."""

    entries: tuple[RegisterEntry, ...] = ()
    file: str = ""
    digest: str = ""


@dataclass(frozen=True)
class ControlFinding:
    """A stored finding of a network or host control, reduced to what a requirement result needs."""

    system: str
    control: str
    target: str
    verdict: str               # pass | fail | error | not_applicable | waived
    date: dt.datetime          # start of the run that produced it
    run_id: str
    waiver: str = ""           # the waiver's reason and approver when waived


@dataclass(frozen=True)
class MeansResult:
    """How one verification means of a row came out for one system."""

    means: str                 # "scan:TLS-PROTO-01", "host:HOST-LOCK-01", "import:nessus", "attest"
    outcome: str               # pass | fail | partial | waived | missing | expired | not_applicable
    evidence: tuple[EvidenceItem, ...] = ()


@dataclass(frozen=True)
class RowResult:
    """One row of the standard at the system's level, with its derived result and the evidence behind it."""

    row: Row
    result: Result
    means: tuple[MeansResult, ...] = ()
    notes: tuple[Message, ...] = ()            # conflicts, waivers, expired evidence, why not assessed
    officer: str = ""                          # who attested (newest register entry used)
    evidence_date: dt.datetime | None = None   # newest evidence used
    valid_until: dt.datetime | None = None     # earliest expiry among the evidence used
    reason: str = ""                           # why not applicable

    @property
    def evidence(self) -> tuple[EvidenceItem, ...]:
        return tuple(e for m in self.means for e in m.evidence)


@dataclass(frozen=True)
class Score:
    """Counts of results; ``ratio`` = met / (rows − not applicable), None when nothing is applicable."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __getitem__(self, result: str) -> int:
        return self.counts.get(result, 0)

    @property
    def applicable(self) -> int:
        return self.total - self[Result.NOT_APPLICABLE]

    @property
    def assessed(self) -> int:
        return self.applicable - self[Result.NOT_ASSESSED]

    @property
    def ratio(self) -> float | None:
        return self[Result.MET] / self.applicable if self.applicable else None


_EVERY_RESULT = tuple(Result)       # iterating the enum itself is slow, and a score is made per group and system


def score(results: tuple[Result, ...] | list[Result]) -> Score:
    counted = Counter(results)
    return Score({r.value: counted.get(r, 0) for r in _EVERY_RESULT})


@dataclass(frozen=True)
class GroupScore:
    group: Group
    score: Score


@dataclass(frozen=True)
class SystemAssessment:
    """Every row of one system's level, judged. ``compliant`` is the only door to the words
    "compliant" / "đạt yêu cầu" / "đạt cấp độ"."""

    system_id: str
    name: str
    level: int | None                          # required level; None: undetermined (nothing assessed)
    regime: str
    catalogue: str                             # catalogue id, e.g. tcvn-14423-2026
    standard: str                              # e.g. "TCVN 14423:2026"
    rows: tuple[RowResult, ...] = ()
    groups: tuple[GroupScore, ...] = ()
    overall: Score = Score()
    run_id: str | None = None                  # the stored run whose findings were used
    notes: tuple[Message, ...] = ()

    @property
    def compliant(self) -> bool:
        """Every row of the level met or not applicable with a reason, and something beyond a network
        or host scan among the evidence (a scan alone never shows a whole level)."""
        if self.level is None or not self.rows:
            return False
        if any(r.result not in (Result.MET, Result.NOT_APPLICABLE) for r in self.rows):
            return False
        if any(r.result is Result.NOT_APPLICABLE and not r.reason for r in self.rows):
            return False
        return any(e.source not in ("scan", "host") for r in self.rows for e in r.evidence)


@dataclass(frozen=True)
class Assessment:
    """``secaudit assess``'s whole answer: one :class:`SystemAssessment` per system."""

    systems: tuple[SystemAssessment, ...]
    generated_at: dt.datetime
    inventory_file: str = ""
    inventory_digest: str = ""
    register_file: str = ""
    register_digest: str = ""
    organisation: str = ""
    title: LocalText = LocalText("", "")
