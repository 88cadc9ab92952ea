"""The evidence item every source hands to ``assess`` (shared contract, SPEC.md; helper "assess" owns
this module: on merge, its version replaces this one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class EvidenceItem:
    source: str          # "scan" | "host" | "import:<tool>" | "register"
    requirement: str     # catalogue key
    system: str          # inventory system id
    outcome: str         # "pass" | "fail" | "partial" | "error" | "not_applicable"
    date: datetime       # when the evidence was produced (UTC, aware)
    summary: str         # one line, plain text (escaped by every writer)
    ref: str             # run id / import id / register entry id / finding fingerprint
    valid_until: datetime | None = None
