"""Requirement catalogues (``policies/requirements/*.yaml``): one standard's rows, level by level.

A catalogue file lists the standard's groups and its requirements. A requirement has a key that stays the
same across levels and, for each level where it applies, the clause number at that level, the thresholds
(``params``) that fill the ``{placeholders}`` of its text, and how it can be verified. A duty the regime sets at
a level with no clause of the standard (Circular 12/2022/TT-BTTTT's risk plan, under Decree 85) gives a
``basis`` instead: the text that says where it comes from, in English and Vietnamese; a level entry gives
exactly one of ``clause`` and ``basis``. A basis row comes after the clause rows of its group at that level
(after every clause row when its group has none there). Loading checks the
published schema (``secaudit/schemas/requirements.schema.json``) and then what a schema cannot say: level
keys, unknown groups, duplicate keys, a clause outside its level's section, a placeholder with no
parameter, a level entry with both or neither of clause and basis. Several keys may share one clause (a clause holding several duties). Every problem is reported at file:line:col. The module is pure: files in, frozen data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from secaudit import policydata
from secaudit.errors import Diagnostic, InputError
from secaudit.model import LocalText
from secaudit.resources import policies_dir
from secaudit.schemacheck import suggest
from secaudit.yamlread import YamlDoc

LEVELS = (1, 2, 3, 4, 5)
MEANS_KINDS = ("scan", "host", "import", "attest")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_CLAUSE_PART = re.compile(r"^([0-9.]+)(?: (.+))?$")


@dataclass(frozen=True)
class Means:
    """One way to verify a requirement; a row is met only when every one of its means passes."""

    kind: str                      # "scan" | "host" | "import" | "attest"
    control: str | None = None     # scan/host: a control id
    tool: str | None = None        # import: the tool whose report evidences it
    rule: str | None = None        # import: the tool's rule id, when one rule does
    hint: LocalText | None = None  # attest: what the officer's evidence is
    max_age_months: int | None = None


@dataclass(frozen=True)
class Row:
    """One requirement at one level."""

    key: str
    group: str
    kind: str                      # "technical" | "management"
    level: int
    clause: str                    # as numbered at this level, e.g. "5.6.2.3" or "6.12.2.3 b"; "" with a basis
    text: LocalText                # placeholders already filled from params
    params: Mapping[str, Any]
    verify: tuple[Means, ...]
    basis: LocalText | None = None  # where the duty comes from when the standard has no clause for it

    def cited(self, lang: str) -> str:
        """What the row cites, in ``lang``: its clause, or its basis when the standard has no clause for it."""
        return self.basis.get(lang) if self.basis is not None else self.clause


@dataclass(frozen=True)
class Group:
    id: str
    number: int
    title: LocalText


@dataclass(frozen=True)
class Catalogue:
    id: str
    standard: str
    regimes: tuple[str, ...]
    title: LocalText
    sources: tuple[Mapping[str, Any], ...]
    groups: tuple[Group, ...]
    sections: Mapping[int, str]                       # level -> the standard's section for it
    by_level: Mapping[int, tuple[Row, ...]]           # rows of each level, in clause order
    file: str = ""

    def rows(self, level: int) -> tuple[Row, ...]:
        """Every row of ``level``, in clause order (none for a level the catalogue does not cover)."""
        return self.by_level.get(level, ())

    def row(self, key: str, level: int) -> Row | None:
        for r in self.rows(level):
            if r.key == key:
                return r
        return None

    def keys(self) -> frozenset[str]:
        return frozenset(r.key for rows in self.by_level.values() for r in rows)

    def levels(self) -> tuple[int, ...]:
        return tuple(sorted(self.sections))

    def group(self, group_id: str) -> Group | None:
        for g in self.groups:
            if g.id == group_id:
                return g
        return None


def clause_order(clause: str) -> tuple[Any, ...]:
    """Sort key of a clause number: 5.2.2.10 after 5.2.2.9, "5.1.2.1 a" after "5.1.2.1"."""
    m = _CLAUSE_PART.match(clause)
    if m is None:
        return ((), clause)
    numbers = tuple(int(p) for p in m.group(1).split(".") if p.isdigit())
    return (numbers, m.group(2) or "")


# --------------------------------------------------------------------------- loading


def requirements_dir() -> Path:
    return policies_dir() / "requirements"


def load_catalogue(path: Path) -> Catalogue:
    """The catalogue in ``path``; raises InputError listing every problem, each at file:line:col."""
    return policydata.load(str(path), "requirements", _catalogue)


def parse_catalogue(text: str, filename: str = "<requirements>") -> Catalogue:
    return policydata.parse(text, filename, "requirements", _catalogue)


def available_catalogues() -> tuple[Path, ...]:
    d = requirements_dir()
    return tuple(sorted(d.glob("*.yaml"))) if d.is_dir() else ()


def find_catalogue(regime_id: str, named: str | None = None) -> Catalogue | None:
    """The shipped catalogue of the standard ``regime_id`` follows, or None when none is shipped yet:
    the one the regime's file names (``catalogue:``, passed as ``named``), else the one listing the regime."""
    if named is not None:
        path = requirements_dir() / f"{named}.yaml"
        return load_catalogue(path) if path.is_file() else None
    return _for_regime(str(requirements_dir()), regime_id)


def catalogue_for_regime(regime_id: str, named: str | None = None) -> Catalogue:
    """The shipped catalogue of the standard ``regime_id`` follows (see :func:`find_catalogue`); an input error
    when there is none."""
    found = find_catalogue(regime_id, named)
    if found is None:
        raise InputError([Diagnostic(str(requirements_dir()), 0, 0, "catalogue.none_for_regime",
                                     {"regime": regime_id})])
    return found


@lru_cache(maxsize=8)
def _for_regime(directory: str, regime_id: str) -> Catalogue | None:
    for path in sorted(Path(directory).glob("*.yaml")):
        catalogue = load_catalogue(path)
        if regime_id in catalogue.regimes:
            return catalogue
    return None


def catalogue_from_doc(doc: YamlDoc) -> Catalogue:
    """The Catalogue of a parsed file: schema first, then what a schema cannot say."""
    return policydata.checked(doc, "requirements", _catalogue)


def _catalogue(doc: YamlDoc) -> Catalogue:
    """The Catalogue of a file that passed the schema (see :func:`catalogue_from_doc`)."""
    data = doc.value
    problems: list[Diagnostic] = []
    _check_id(doc, problems)
    sections = _sections(doc, problems)
    groups = _groups(doc, problems)
    by_level = _rows(doc, sections, {g.id for g in groups}, problems)
    if problems:
        raise InputError(_dedupe(problems))
    return Catalogue(
        id=data["id"], standard=data["standard"], regimes=tuple(data["regimes"]), title=_text(data["title"]),
        sources=tuple(dict(s) for s in data.get("sources") or ()), groups=groups, sections=sections,
        by_level={lvl: _ordered(rows, groups) for lvl, rows in by_level.items()},
        file=doc.file)


def _ordered(rows: list[Row], groups: tuple[Group, ...]) -> tuple[Row, ...]:
    """A level's rows in clause order; each basis row (in file order) right after the clause rows of its group,
    or, when its group has no clause row at this level, after every clause row in the order of group numbers."""
    out = sorted((r for r in rows if r.basis is None), key=lambda r: clause_order(r.clause))
    number = {g.id: g.number for g in groups}
    based = [r for r in rows if r.basis is not None]
    tail = []
    for r in based:
        last = max((i for i, c in enumerate(out) if c.group == r.group), default=None)
        if last is None:
            tail.append(r)
        else:
            out.insert(last + 1, r)
    return tuple(out + sorted(tail, key=lambda r: number.get(r.group, 0)))


def _dedupe(problems: list[Diagnostic]) -> list[Diagnostic]:
    """A shared text or means is checked once per level: report each problem once, in file order."""
    seen: dict[tuple[Any, ...], Diagnostic] = {}
    for d in problems:
        seen.setdefault((d.line, d.column, d.key, d.args.get("param")), d)
    return sorted(seen.values(), key=lambda d: (d.line, d.column, d.key))


def _text(v: Mapping[str, str]) -> LocalText:
    return LocalText(en=v["en"], vi=v["vi"])


def _check_id(doc: YamlDoc, problems: list[Diagnostic]) -> None:
    stem = Path(doc.file).stem
    if not doc.file.startswith("<") and doc.value["id"] != stem:
        problems.append(doc.diag(("id",), "catalogue.id_not_stem", id=doc.value["id"], stem=stem))


def _level_key(doc: YamlDoc, base: tuple[Any, ...], key: Any, problems: list[Diagnostic]) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool) and key in LEVELS:
        return key
    problems.append(doc.diag(base + (key,), "catalogue.bad_level", at_key=True, level=key))
    return None


def _sections(doc: YamlDoc, problems: list[Diagnostic]) -> dict[int, str]:
    sections: dict[int, str] = {}
    owner: dict[str, int] = {}
    for key, entry in doc.value["levels"].items():
        level = _level_key(doc, ("levels",), key, problems)
        if level is None:
            continue
        section = entry["section"]
        if section in owner:
            problems.append(doc.diag(("levels", key, "section"), "catalogue.duplicate_section",
                                     section=section, level=level, other=owner[section]))
        owner[section] = level
        sections[level] = section
    return sections


def _groups(doc: YamlDoc, problems: list[Diagnostic]) -> tuple[Group, ...]:
    groups = []
    ids: set[str] = set()
    numbers: set[int] = set()
    for i, g in enumerate(doc.value["groups"]):
        if g["id"] in ids:
            problems.append(doc.diag(("groups", i, "id"), "catalogue.duplicate_group", id=g["id"]))
        if g["number"] in numbers:
            problems.append(doc.diag(("groups", i, "number"), "catalogue.duplicate_group_number",
                                     number=g["number"]))
        ids.add(g["id"])
        numbers.add(g["number"])
        groups.append(Group(g["id"], g["number"], _text(g["title"])))
    return tuple(groups)


def _rows(doc: YamlDoc, sections: Mapping[int, str], groups: set[str],
          problems: list[Diagnostic]) -> dict[int, list[Row]]:
    by_level: dict[int, list[Row]] = {lvl: [] for lvl in sections}
    keys: dict[str, int] = {}
    for i, req in enumerate(doc.value["requirements"]):
        base = ("requirements", i)
        key = req["key"]
        if key in keys:
            problems.append(doc.diag(base + ("key",), "catalogue.duplicate_key", key=key, other=keys[key] + 1))
        keys.setdefault(key, i)
        if req["group"] not in groups:
            problems.append(doc.diag(base + ("group",), "catalogue.unknown_group", group=req["group"],
                                     suggestion=suggest(req["group"], groups) or "-"))
        elif not key.startswith(req["group"] + "."):
            problems.append(doc.diag(base + ("key",), "catalogue.key_not_in_group", key=key, group=req["group"]))
        for lvl_key, at in req["levels"].items():
            level = _level_key(doc, base + ("levels",), lvl_key, problems)
            if level is None:
                continue
            row = _row(doc, base, req, level, at, sections, problems)
            if row is not None:              # one clause may hold several duties: several keys share it
                by_level[level].append(row)
    return by_level


def _row(doc: YamlDoc, base: tuple[Any, ...], req: Mapping[str, Any], level: int, at: Mapping[str, Any],
         sections: Mapping[int, str], problems: list[Diagnostic]) -> Row | None:
    where = base + ("levels", level)
    section = sections.get(level)
    if section is None:
        problems.append(doc.diag(where, "catalogue.level_undeclared", at_key=True, level=level))
        return None
    if ("clause" in at) == ("basis" in at):
        problems.append(doc.diag(where, "catalogue.clause_or_basis", at_key=True, level=level,
                                 given="clause, basis" if "clause" in at else "-"))
        return None
    clause = at.get("clause", "")
    basis = _text(at["basis"]) if "basis" in at else None
    if basis is None and not clause.startswith(section + "."):
        problems.append(doc.diag(where + ("clause",), "catalogue.clause_section", clause=clause, level=level,
                                 section=section))
    params = dict(at.get("params") or {})
    text_path = where + ("text",) if "text" in at else base + ("text",)
    text = _fill(doc, text_path, at.get("text") or req["text"], params, level, problems)
    verify_path = where + ("verify",) if "verify" in at else base + ("verify",)
    verify = _verify(doc, verify_path, at.get("verify") or req["verify"], problems)
    return Row(key=req["key"], group=req["group"], kind=req["kind"], level=level, clause=clause, text=text,
               params=params, verify=verify, basis=basis)


def _fill(doc: YamlDoc, path: tuple[Any, ...], text: Mapping[str, str], params: Mapping[str, Any], level: int,
          problems: list[Diagnostic]) -> LocalText:
    filled = {}
    for lang in ("en", "vi"):
        missing = sorted({m for m in _PLACEHOLDER.findall(text[lang]) if m not in params})
        for name in missing:
            problems.append(doc.diag(path + (lang,), "catalogue.missing_param", param=name, level=level,
                                     known=", ".join(sorted(params)) or "-"))
        filled[lang] = _PLACEHOLDER.sub(lambda m: _param_text(params.get(m.group(1), m.group(0))), text[lang])
    return LocalText(en=filled["en"], vi=filled["vi"])


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _verify(doc: YamlDoc, path: tuple[Any, ...], items: list[Mapping[str, Any]],
            problems: list[Diagnostic]) -> tuple[Means, ...]:
    out = []
    for j, item in enumerate(items):
        if len(item) != 1:
            problems.append(doc.diag(path + (j,), "catalogue.means_one", kinds=", ".join(MEANS_KINDS),
                                     count=len(item)))
            continue
        (kind, value), = item.items()
        if kind in ("scan", "host"):
            out.append(Means(kind, control=value))
        elif kind == "import":
            out.append(Means(kind, tool=value["tool"], rule=value.get("rule"),
                             max_age_months=value.get("max_age_months")))
        else:
            out.append(Means(kind, hint=_text(value["hint"]), max_age_months=value.get("max_age_months")))
    return tuple(out)
