"""What the classification stage hands on: frozen, JSON-serialisable results (design §7)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from secaudit.model import Message


class Status(StrEnum):
    """A criterion's status for one system."""

    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"   # the criterion is for another purpose of system
    UNKNOWN = "unknown"                 # a fact it needs is not declared


class DeclaredStatus(StrEnum):
    UNDECLARED = "undeclared"
    MATCHES = "matches"
    LOWER = "lower"                     # under-classified: a warning
    HIGHER = "higher"                   # allowed, noted
    UNVERIFIED = "unverified"           # the level is undetermined; the declared one is not below its lower bound


@dataclass(frozen=True)
class CriterionResult:
    id: str
    level: int
    article: str
    status: Status
    missing: tuple[str, ...] = ()       # facts whose absence left it unknown

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "article": self.article, "status": self.status.value,
                "missing": list(self.missing)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CriterionResult":
        return cls(d["id"], d["level"], d["article"], Status(d["status"]), tuple(d.get("missing", ())))


@dataclass(frozen=True)
class AppliedInterpretation:
    id: str
    level: int | None = None
    assumed: Mapping[str, Any] = field(default_factory=dict)
    flagged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "assumed": dict(self.assumed), "flagged": self.flagged}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "AppliedInterpretation":
        return cls(d["id"], d.get("level"), dict(d.get("assumed", {})), bool(d.get("flagged", False)))


@dataclass(frozen=True)
class ComponentLevel:
    id: str
    level: int | None                   # None when the component itself is undetermined
    lower_bound: int
    upper_bound: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "lower_bound": self.lower_bound,
                "upper_bound": self.upper_bound}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ComponentLevel":
        return cls(d["id"], d.get("level"), d["lower_bound"], d["upper_bound"])


@dataclass(frozen=True)
class Deciding:
    """What gives the system its level: a criterion, an interpretation or a component."""

    kind: str                           # "criterion" | "interpretation" | "component"
    id: str
    level: int
    article: str = ""                   # for criteria

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "level": self.level, "article": self.article}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Deciding":
        return cls(d["kind"], d["id"], d["level"], d.get("article", ""))


@dataclass(frozen=True)
class Classification:
    system_id: str
    regime_id: str
    level: int | None                   # None: undetermined
    lower_bound: int                    # the level already certain (0 when nothing is)
    upper_bound: int                    # the highest level the missing facts could still give
    missing: tuple[str, ...]            # facts to declare before the level can be decided
    undetermined_components: tuple[str, ...]
    deciding: Deciding | None
    criteria: tuple[CriterionResult, ...]          # every criterion of the regime, in file order
    interpretations: tuple[AppliedInterpretation, ...]
    components: tuple[ComponentLevel, ...]
    declared_level: int | None
    declared_status: DeclaredStatus
    warnings: tuple[Message, ...] = ()
    notes: tuple[Message, ...] = ()

    @property
    def determined(self) -> bool:
        return self.level is not None

    @property
    def matched(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status is Status.MET)

    @property
    def underclassified(self) -> bool:
        return self.declared_status is DeclaredStatus.LOWER

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system_id,
            "regime": self.regime_id,
            "level": self.level,
            "determined": self.determined,
            "lower_bound": self.lower_bound,
            "upper_bound": self.upper_bound,
            "missing": list(self.missing),
            "undetermined_components": list(self.undetermined_components),
            "deciding": self.deciding.to_dict() if self.deciding else None,
            "matched": [c.id for c in self.matched],
            "criteria": [c.to_dict() for c in self.criteria],
            "interpretations": [i.to_dict() for i in self.interpretations],
            "components": [c.to_dict() for c in self.components],
            "declared_level": self.declared_level,
            "declared_status": self.declared_status.value,
            "warnings": [{"key": m.key, "args": dict(m.args)} for m in self.warnings],
            "notes": [{"key": m.key, "args": dict(m.args)} for m in self.notes],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Classification":
        """The inverse of :meth:`to_dict` (derived keys such as ``matched`` are ignored)."""
        def messages(items: Any) -> tuple[Message, ...]:
            return tuple(Message(m["key"], dict(m.get("args", {}))) for m in items or ())

        return cls(
            system_id=d["system"], regime_id=d["regime"], level=d.get("level"), lower_bound=d["lower_bound"],
            upper_bound=d["upper_bound"], missing=tuple(d.get("missing", ())),
            undetermined_components=tuple(d.get("undetermined_components", ())),
            deciding=Deciding.from_dict(d["deciding"]) if d.get("deciding") else None,
            criteria=tuple(CriterionResult.from_dict(c) for c in d.get("criteria", ())),
            interpretations=tuple(AppliedInterpretation.from_dict(i) for i in d.get("interpretations", ())),
            components=tuple(ComponentLevel.from_dict(c) for c in d.get("components", ())),
            declared_level=d.get("declared_level"), declared_status=DeclaredStatus(d["declared_status"]),
            warnings=messages(d.get("warnings")), notes=messages(d.get("notes")))
