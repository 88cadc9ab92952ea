"""Regime files (``policies/regimes/*.yaml``): loading, validation and the Regime model.

A regime is data: criteria with conditions, interpretations, authorities, periodic assessment and the
dossier's components. Loading checks it against ``secaudit/schemas/regime.schema.json`` and then
checks what a schema cannot (conditions, fact names and values, unique ids, every level covered),
reporting each problem as file:line:col.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from secaudit.classify.conditions import Evaluator, compile_condition
from secaudit.classify.facts import FACTS
from secaudit.errors import Diagnostic, InputError
from secaudit.model import LocalText, SourceRef
from secaudit.resources import policies_dir
from secaudit.yamlread import read_yaml_text

DEFAULT_REGIME = "decree-331-2026"
_REGIME_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Criterion:
    id: str
    level: int
    article: str
    text: LocalText
    applies_to: frozenset[str] | None              # purposes; None = every purpose
    facts: tuple[str, ...]                         # facts the condition reads
    evaluate: Evaluator = field(compare=False, repr=False)
    source: SourceRef = SourceRef()


@dataclass(frozen=True)
class Interpretation:
    id: str
    text: LocalText
    evaluate: Evaluator = field(compare=False, repr=False)
    level: int | None = None                       # a floor the reading gives the system
    assume: Mapping[str, Any] = field(default_factory=dict)   # facts taken as given when undeclared
    flag: LocalText | None = None                  # a caveat the reader must act on
    applies_to: frozenset[str] | None = None


@dataclass(frozen=True)
class Deadline:
    days: int
    working: bool
    article: str


@dataclass(frozen=True)
class Authority:
    levels: tuple[int, ...]
    article: str
    appraiser: LocalText
    approver: LocalText
    appraisal: Deadline | None = None
    approval: Deadline | None = None


@dataclass(frozen=True)
class Periodic:
    levels: tuple[int, ...]
    months: int
    article: str
    note: LocalText | None = None


@dataclass(frozen=True)
class DossierComponent:
    id: str
    filled: str                                    # "auto" (secaudit fills it) | "manual"
    title: LocalText
    levels: tuple[int, ...] = LEVELS

    def required_for(self, level: int | None) -> bool:
        return level is None or level in self.levels


@dataclass(frozen=True)
class Regime:
    id: str
    title: LocalText
    short: LocalText
    standard: str
    legal_basis: tuple[LocalText, ...]
    max_rule_article: str
    security_unit: LocalText
    defaults: Mapping[str, Any]
    nothing_matched_missing: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    interpretations: tuple[Interpretation, ...]
    authorities: tuple[Authority, ...]
    periodic: tuple[Periodic, ...]
    dossier_article: str
    dossier_components: tuple[DossierComponent, ...]
    source: SourceRef = SourceRef()
    facts_used: frozenset[str] = frozenset()       # facts some criterion or interpretation reads

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def interpretation(self, interpretation_id: str) -> Interpretation:
        for i in self.interpretations:
            if i.id == interpretation_id:
                return i
        raise KeyError(interpretation_id)

    def authority(self, level: int) -> Authority:
        for a in self.authorities:
            if level in a.levels:
                return a
        raise KeyError(level)

    def periodic_for(self, level: int) -> Periodic:
        for p in self.periodic:
            if level in p.levels:
                return p
        raise KeyError(level)


# --------------------------------------------------------------------------- loading


def regimes_dir() -> Path:
    return policies_dir() / "regimes"


def available_regimes() -> tuple[str, ...]:
    d = regimes_dir()
    return tuple(sorted(p.stem for p in d.glob("*.yaml"))) if d.is_dir() else ()


def load_regime(name_or_path: str | None = None) -> Regime:
    """Load a shipped regime by id (``decree-85-2016``) or a regime file by path."""
    name = name_or_path or DEFAULT_REGIME
    p = Path(name)
    if not (p.suffix in (".yaml", ".yml") and p.is_file()):
        p = regimes_dir() / f"{name}.yaml"
        if not _REGIME_ID.match(name) or not p.is_file():
            raise InputError([Diagnostic("--regime", 0, 0, "classify.error.unknown_regime",
                                         {"regime": name, "known": ", ".join(available_regimes()) or "-"})])
    return _load_cached(str(p.resolve()))


@lru_cache(maxsize=16)
def _load_cached(path: str) -> Regime:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise InputError([Diagnostic(path, 0, 0, "classify.regime.unreadable", {"error": e.strerror or str(e)})])
    return parse_regime(text, path)


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("secaudit").joinpath("schemas/regime.schema.json").read_text("utf-8"))


def parse_regime(text: str, filename: str = "<regime>") -> Regime:
    """Parse and validate a regime file's text; raises InputError listing every problem found."""
    doc, read_problems = read_yaml_text(filename, text)
    if doc is None or read_problems:
        raise InputError(read_problems)
    data = doc.value

    def diag(path: tuple[Any, ...], key: str, **args: Any) -> Diagnostic:
        return doc.diag(tuple(path), key, **args)

    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise InputError([diag(tuple(e.absolute_path), "classify.regime.schema",
                               where="/".join(str(p) for p in e.absolute_path) or "/", error=e.message)
                          for e in errors])

    problems: list[Diagnostic] = []

    def text_of(v: Mapping[str, str]) -> LocalText:
        return LocalText(en=v["en"], vi=v["vi"])

    def compile_at(cond: Any, base: tuple[Any, ...]) -> tuple[Evaluator | None, frozenset[str]]:
        ev, used, errs = compile_condition(cond, FACTS)
        for err in errs:
            problems.append(diag(base + err.path, err.key, **err.args))
        return ev, used

    # defaults: known facts with well-typed values
    defaults: dict[str, Any] = {}
    for name, value in (data.get("defaults") or {}).items():
        _, _, errs = compile_condition({"fact": name, "eq": value}, FACTS)
        for err in errs:
            problems.append(diag(("defaults", name), err.key, **err.args))
        defaults[name] = value

    missing_when_nothing = tuple((data.get("nothing_matched") or {}).get("missing", ()))
    for i, name in enumerate(missing_when_nothing):
        if name not in FACTS:
            problems.append(diag(("nothing_matched", "missing", i), "classify.regime.unknown_fact",
                                 fact=name, known=", ".join(sorted(FACTS))))

    seen: dict[str, int] = {}
    criteria: list[Criterion] = []
    for i, c in enumerate(data["criteria"]):
        if c["id"] in seen:
            problems.append(diag(("criteria", i, "id"), "classify.regime.duplicate_id", id=c["id"]))
        seen[c["id"]] = i
        ev, used = compile_at(c["when"], ("criteria", i, "when"))
        line, col = doc.where(("criteria", i))
        criteria.append(Criterion(
            id=c["id"], level=c["level"], article=c["article"], text=text_of(c["text"]),
            applies_to=frozenset(c["applies_to"]) if "applies_to" in c else None,
            facts=tuple(sorted(used)), evaluate=ev or (lambda f: (False, frozenset())),
            source=SourceRef(filename, line, col)))

    facts_used: set[str] = {f for c in criteria for f in c.facts}
    interpretations: list[Interpretation] = []
    for i, it in enumerate(data.get("interpretations") or ()):
        if it["id"] in seen:
            problems.append(diag(("interpretations", i, "id"), "classify.regime.duplicate_id", id=it["id"]))
        seen[it["id"]] = i
        ev, used = compile_at(it["when"], ("interpretations", i, "when"))
        facts_used |= used
        for name, value in (it.get("assume") or {}).items():
            _, _, errs = compile_condition({"fact": name, "eq": value}, FACTS)
            for err in errs:
                problems.append(diag(("interpretations", i, "assume", name), err.key, **err.args))
        interpretations.append(Interpretation(
            id=it["id"], text=text_of(it["text"]), evaluate=ev or (lambda f: (False, frozenset())),
            level=it.get("level"), assume=dict(it.get("assume") or {}),
            flag=text_of(it["flag"]) if "flag" in it else None,
            applies_to=frozenset(it["applies_to"]) if "applies_to" in it else None))

    def deadline(v: Mapping[str, Any] | None) -> Deadline | None:
        return Deadline(v["days"], v["working"], v["article"]) if v else None

    authorities = tuple(Authority(tuple(a["levels"]), a["article"], text_of(a["appraiser"]),
                                  text_of(a["approver"]), deadline(a.get("appraisal")),
                                  deadline(a.get("approval"))) for a in data["authorities"])
    periodic = tuple(Periodic(tuple(p["levels"]), p["months"], p["article"],
                              text_of(p["note"]) if "note" in p else None)
                     for p in data["periodic_assessment"])
    for section, entries in (("authorities", authorities), ("periodic_assessment", periodic)):
        count = {lvl: sum(lvl in e.levels for e in entries) for lvl in LEVELS}
        for lvl, n in count.items():
            if n != 1:
                problems.append(diag((section,), "classify.regime.level_coverage",
                                     section=section, level=lvl, count=n))

    components = tuple(DossierComponent(d["id"], d["filled"], text_of(d["title"]),
                                         tuple(d.get("levels", LEVELS)))
                       for d in data["dossier"]["components"])

    if problems:
        raise InputError(problems)

    return Regime(
        id=data["id"], title=text_of(data["title"]), short=text_of(data["short"]),
        standard=data.get("standard", ""), legal_basis=tuple(text_of(t) for t in data["legal_basis"]),
        max_rule_article=data["max_rule_article"],
        security_unit=text_of(data["security_unit"]) if "security_unit" in data else LocalText("", ""),
        defaults=defaults, nothing_matched_missing=missing_when_nothing,
        criteria=tuple(criteria), interpretations=tuple(interpretations), authorities=authorities,
        periodic=periodic, dossier_article=data["dossier"]["article"], dossier_components=components,
        source=SourceRef(filename, 1, 1), facts_used=frozenset(facts_used))
