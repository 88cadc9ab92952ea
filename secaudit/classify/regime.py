"""Regime files (``policies/regimes/*.yaml``): loading, validation and the Regime model.

A regime is data: criteria with conditions, interpretations, authorities, periodic assessment and the
dossier's components. Loading checks it against ``secaudit/schemas/regime.schema.json`` and then
checks what a schema cannot (conditions, fact names and values, unique ids, every level covered),
reporting each problem as file:line:col.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from secaudit.classify.conditions import Evaluator, compile_condition
from secaudit.classify.facts import FACTS
from secaudit.errors import Diagnostic, InputError
from secaudit.model import LocalText, SourceRef
from secaudit.resources import policies_dir
from secaudit.schemacheck import schema_diagnostics
from secaudit.yamlread import YamlDoc, read_yaml_file, read_yaml_text

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
    requirement: str | None = None                 # the standard's row that sets the interval (catalogue key)


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
    component_rule_article: str | None = None      # where the regulation says "at least its components' level"
                                                   # (Decree 85 Art. 5.2); None: secaudit's own convention

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
    """Load a shipped regime by id (``decree-85-2016``) or a regime file by path (``*.yaml``).

    A path is read as given (a named pipe or a device is refused, errors name it as written)."""
    name = name_or_path or DEFAULT_REGIME
    if Path(name).suffix in (".yaml", ".yml"):
        return _load_cached(name)
    shipped = regimes_dir() / f"{name}.yaml"
    if not _REGIME_ID.match(name) or not shipped.is_file():
        raise InputError([Diagnostic("--regime", 0, 0, "classify.error.unknown_regime",
                                     {"regime": name, "known": ", ".join(available_regimes()) or "-"})])
    return _load_cached(str(shipped))


@lru_cache(maxsize=16)
def _load_cached(path: str) -> Regime:
    doc, problems = read_yaml_file(path)
    if doc is None or problems:
        raise InputError(problems)
    return regime_from_doc(doc)


def parse_regime(text: str, filename: str = "<regime>") -> Regime:
    """Parse and validate a regime file's text; raises InputError listing every problem found."""
    doc, problems = read_yaml_text(filename, text)
    if doc is None or problems:
        raise InputError(problems)
    return regime_from_doc(doc)


def regime_from_doc(doc: YamlDoc) -> Regime:
    """The Regime of a parsed regime file; raises InputError listing every problem, each at file:line:col.

    First the published schema (unknown keys with "did you mean", as for inventories), then what a
    schema cannot say: conditions over known facts, unique ids, every level covered once."""
    schema_problems = schema_diagnostics(doc, "regime")
    if schema_problems:
        raise InputError(schema_problems)
    data = doc.value
    problems: list[Diagnostic] = []
    defaults = _defaults(doc, problems)
    missing_when_nothing = _nothing_matched(doc, problems)
    seen: dict[str, int] = {}
    criteria = _criteria(doc, seen, problems)
    interpretations, interpreted_facts = _interpretations(doc, seen, problems)
    authorities, periodic = _authorities(data), _periodic(data)
    _check_level_coverage(doc, authorities, periodic, problems)
    if problems:
        raise InputError(problems)
    return Regime(
        id=data["id"], title=_text(data["title"]), short=_text(data["short"]),
        standard=data.get("standard", ""), legal_basis=tuple(_text(t) for t in data["legal_basis"]),
        max_rule_article=data["max_rule_article"],
        security_unit=_text(data["security_unit"]) if "security_unit" in data else LocalText("", ""),
        defaults=defaults, nothing_matched_missing=missing_when_nothing,
        criteria=criteria, interpretations=interpretations, authorities=authorities,
        periodic=periodic, dossier_article=data["dossier"]["article"], dossier_components=_components(data),
        source=SourceRef(doc.file, 1, 1),
        facts_used=frozenset({f for c in criteria for f in c.facts} | interpreted_facts),
        component_rule_article=data.get("component_rule_article"))


def _text(v: Mapping[str, str]) -> LocalText:
    return LocalText(en=v["en"], vi=v["vi"])


def _never(facts: Any) -> tuple[bool, frozenset[str]]:
    return False, frozenset()


def _compile(doc: YamlDoc, cond: Any, base: tuple[Any, ...],
             problems: list[Diagnostic]) -> tuple[Evaluator | None, frozenset[str]]:
    ev, used, errs = compile_condition(cond, FACTS)
    problems.extend(doc.diag(base + err.path, err.key, **err.args) for err in errs)
    return ev, used


def _check_fact_values(doc: YamlDoc, values: Mapping[str, Any], base: tuple[Any, ...],
                       problems: list[Diagnostic]) -> None:
    """Each ``fact: value`` names a known fact with a value of its type."""
    for name, value in values.items():
        _, _, errs = compile_condition({"fact": name, "eq": value}, FACTS)
        problems.extend(doc.diag(base + (name,), err.key, **err.args) for err in errs)


def _defaults(doc: YamlDoc, problems: list[Diagnostic]) -> dict[str, Any]:
    defaults = dict(doc.value.get("defaults") or {})
    _check_fact_values(doc, defaults, ("defaults",), problems)
    return defaults


def _nothing_matched(doc: YamlDoc, problems: list[Diagnostic]) -> tuple[str, ...]:
    missing = tuple((doc.value.get("nothing_matched") or {}).get("missing", ()))
    for i, name in enumerate(missing):
        if name not in FACTS:
            problems.append(doc.diag(("nothing_matched", "missing", i), "classify.regime.unknown_fact",
                                     fact=name, known=", ".join(sorted(FACTS))))
    return missing


def _criteria(doc: YamlDoc, seen: dict[str, int], problems: list[Diagnostic]) -> tuple[Criterion, ...]:
    criteria = []
    for i, c in enumerate(doc.value["criteria"]):
        if c["id"] in seen:
            problems.append(doc.diag(("criteria", i, "id"), "classify.regime.duplicate_id", id=c["id"]))
        seen[c["id"]] = i
        ev, used = _compile(doc, c["when"], ("criteria", i, "when"), problems)
        line, col = doc.where(("criteria", i))
        criteria.append(Criterion(
            id=c["id"], level=c["level"], article=c["article"], text=_text(c["text"]),
            applies_to=frozenset(c["applies_to"]) if "applies_to" in c else None,
            facts=tuple(sorted(used)), evaluate=ev or _never, source=SourceRef(doc.file, line, col)))
    return tuple(criteria)


def _interpretations(doc: YamlDoc, seen: dict[str, int],
                     problems: list[Diagnostic]) -> tuple[tuple[Interpretation, ...], frozenset[str]]:
    out = []
    facts: set[str] = set()
    for i, it in enumerate(doc.value.get("interpretations") or ()):
        if it["id"] in seen:
            problems.append(doc.diag(("interpretations", i, "id"), "classify.regime.duplicate_id", id=it["id"]))
        seen[it["id"]] = i
        ev, used = _compile(doc, it["when"], ("interpretations", i, "when"), problems)
        facts |= used
        _check_fact_values(doc, it.get("assume") or {}, ("interpretations", i, "assume"), problems)
        out.append(Interpretation(
            id=it["id"], text=_text(it["text"]), evaluate=ev or _never,
            level=it.get("level"), assume=dict(it.get("assume") or {}),
            flag=_text(it["flag"]) if "flag" in it else None,
            applies_to=frozenset(it["applies_to"]) if "applies_to" in it else None))
    return tuple(out), frozenset(facts)


def _deadline(v: Mapping[str, Any] | None) -> Deadline | None:
    return Deadline(v["days"], v["working"], v["article"]) if v else None


def _authorities(data: Mapping[str, Any]) -> tuple[Authority, ...]:
    return tuple(Authority(tuple(a["levels"]), a["article"], _text(a["appraiser"]), _text(a["approver"]),
                           _deadline(a.get("appraisal")), _deadline(a.get("approval")))
                 for a in data["authorities"])


def _periodic(data: Mapping[str, Any]) -> tuple[Periodic, ...]:
    return tuple(Periodic(tuple(p["levels"]), p["months"], p["article"], _text(p["note"]) if "note" in p else None,
                          p.get("requirement"))
                 for p in data["periodic_assessment"])


def _check_level_coverage(doc: YamlDoc, authorities: tuple[Authority, ...], periodic: tuple[Periodic, ...],
                          problems: list[Diagnostic]) -> None:
    """Every level has exactly one authority and one periodic-assessment interval."""
    for section, entries in (("authorities", authorities), ("periodic_assessment", periodic)):
        for lvl in LEVELS:
            n = sum(lvl in e.levels for e in entries)
            if n != 1:
                problems.append(doc.diag((section,), "classify.regime.level_coverage",
                                         section=section, level=lvl, count=n))


def _components(data: Mapping[str, Any]) -> tuple[DossierComponent, ...]:
    return tuple(DossierComponent(d["id"], d["filled"], _text(d["title"]), tuple(d.get("levels", LEVELS)))
                 for d in data["dossier"]["components"])
