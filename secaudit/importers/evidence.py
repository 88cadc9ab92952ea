"""Stored imports as evidence for the catalogue's rows (``assess``), through data in ``policies/mappings/``.

- A vulnerability scanner's import (Greenbone, Nessus, Nuclei) is evidence that each system whose hosts
  it covered was scanned on the scan's date: one ``pass`` item per row of ``vulnerability-scanners.yaml``
  (the catalogue's ``import: {tool: vulnerability-scanner}`` rows), under the source
  ``import:vulnerability-scanner`` and again under ``import:<tool>`` (rows may name the tool). How long
  it counts is the row's ``max_age_months``: ``assess`` decides, not this module.
- A host engine's import (OpenSCAP, Lynis) gives, for each rule or test listed in its mapping file
  (``openscap-ssg-debian.yaml``, ``lynis.yaml``: rule id -> catalogue keys), one item per key with the
  rule's result: pass, fail, partial (a Lynis suggestion), not_applicable or error. Rules not listed
  speak to no row; informational results say nothing.

Mapping files are read with the project's YAML reader; a mistake is an error at file:line:col.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import t
from secaudit.importers.model import CATEGORY_VULNERABILITY, SEVERITIES
from secaudit.requirements.model import EvidenceItem
from secaudit.resources import policies_dir
from secaudit.yamlread import read_yaml_file

SCANNER_SOURCE = f"import:{CATEGORY_VULNERABILITY}"
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$")
_OUTCOME = {"pass": "pass", "fail": "fail", "partial": "partial", "not_applicable": "not_applicable",
            "error": "error"}


@dataclass(frozen=True)
class RuleMapping:
    """One mapping file: a category's rows (scanners) or a tool's rules -> catalogue keys."""

    id: str
    file: str
    category: str | None = None                        # scanners: every importer of this category
    requirements: tuple[str, ...] = ()                 # ... evidences these rows
    tool: str | None = None                            # host engines: this tool's
    prefix: str = ""                                   # rule ids written without this prefix
    rules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def keys_of(self, rule: str) -> tuple[str, ...]:
        if self.prefix and rule.startswith(self.prefix):
            rule = rule[len(self.prefix):]
        return self.rules.get(rule, ())

    def all_keys(self) -> frozenset[str]:
        return frozenset(self.requirements) | frozenset(k for keys in self.rules.values() for k in keys)


def _keys(doc: Any, path: tuple, value: object, problems: list[Diagnostic]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(k, str) and _KEY.match(k) for k in value):
        problems.append(doc.diag(path, "mapping.bad_keys"))
        return ()
    return tuple(value)


def load_mapping(file: Path) -> RuleMapping:
    doc, diags = read_yaml_file(str(file))
    if doc is None or diags:
        raise InputError(diags)
    v = doc.value
    problems: list[Diagnostic] = []
    if not isinstance(v, dict) or v.get("kind") != "mapping" or v.get("version") != 1:
        raise InputError([doc.diag((), "mapping.not_mapping")])
    unknown = sorted(set(v) - {"kind", "version", "id", "category", "requirements", "tool", "prefix", "rules"})
    problems += [doc.diag((k,), "mapping.unknown_key", at_key=True, key=k) for k in unknown]
    mapping = RuleMapping(id=str(v.get("id", file.stem)), file=str(file))
    if "category" in v:
        mapping = RuleMapping(mapping.id, mapping.file, category=str(v["category"]),
                              requirements=_keys(doc, ("requirements",), v.get("requirements"), problems))
    elif isinstance(v.get("tool"), str) and isinstance(v.get("rules"), dict):
        rules = {str(rule): _keys(doc, ("rules", rule), keys, problems) for rule, keys in v["rules"].items()}
        mapping = RuleMapping(mapping.id, mapping.file, tool=v["tool"], prefix=str(v.get("prefix", "")), rules=rules)
    else:
        problems.append(doc.diag((), "mapping.not_mapping"))
    if problems:
        raise InputError(problems)
    return mapping


def load_mappings(directory: Path | None = None) -> tuple[RuleMapping, ...]:
    """Every mapping file of ``policies/mappings/`` (or ``directory``), in name order."""
    folder = directory if directory is not None else policies_dir() / "mappings"
    if not folder.is_dir():
        return ()
    return tuple(load_mapping(p) for p in sorted(folder.glob("*.yaml")))


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    d = dt.datetime.fromisoformat(value)
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def _imports(source: Any) -> Iterable[tuple[Any, Sequence[Any]]]:
    """(ImportRecord, its ImportedFindingRecords) from a store or from such pairs."""
    if hasattr(source, "imports") and hasattr(source, "imported_findings"):
        for record in source.imports():
            yield record, source.imported_findings(record.run_id)
    else:
        yield from source


def evidence_for(store_or_records: Any, systems: Iterable[Any], now: dt.datetime,
                 mappings: Sequence[RuleMapping] | None = None) -> list[EvidenceItem]:
    """Evidence items of every stored import made on or before ``now`` for ``systems`` (ids or
    :class:`~secaudit.model.System`), oldest import first."""
    wanted = {getattr(s, "id", s) for s in systems}
    maps = load_mappings() if mappings is None else tuple(mappings)
    scanner_keys = tuple(k for m in maps if m.category == CATEGORY_VULNERABILITY for k in m.requirements)
    by_tool: dict[str, list[RuleMapping]] = {}
    for m in maps:
        if m.tool:
            by_tool.setdefault(m.tool, []).append(m)
    out: list[EvidenceItem] = []
    for record, items in _imports(store_or_records):
        when = record.date
        if when > now:
            continue
        covered = [sid for sid in record.systems if sid in wanted]
        if record.category == CATEGORY_VULNERABILITY:
            out += _scanner_items(record, items, covered, scanner_keys, when)
        for m in by_tool.get(record.tool, ()):
            out += _rule_items(record, items, set(covered), m, when)
    return out


def _scanner_items(record: Any, items: Sequence[Any], covered: list[str], keys: tuple[str, ...],
                   when: dt.datetime) -> list[EvidenceItem]:
    out = []
    tool = f"{record.tool} {record.tool_version}".strip()
    for sid in covered:
        counts = Counter(i.severity for i in items if i.system_id == sid and i.result in ("fail", "partial"))
        open_text = ", ".join(f"{s} {counts[s]}" for s in SEVERITIES if counts[s]) or "0"
        summary = t("import.evidence.scan", tool=tool, day=when.date().isoformat(), open=open_text)
        for key in keys:
            for source in dict.fromkeys((SCANNER_SOURCE, f"import:{record.tool}")):
                out.append(EvidenceItem(source, key, sid, "pass", when, summary, record.run_id))
    return out


def _rule_items(record: Any, items: Sequence[Any], covered: set[str], mapping: RuleMapping,
                when: dt.datetime) -> list[EvidenceItem]:
    out = []
    for i in items:
        outcome = _OUTCOME.get(i.result)
        if outcome is None or i.system_id not in covered:
            continue
        for key in mapping.keys_of(i.rule):
            summary = t("import.evidence.rule", tool=record.tool, rule=i.rule, result=i.result, title=i.title)
            out.append(EvidenceItem(f"import:{record.tool}", key, i.system_id, outcome,
                                    _when(i.last_seen) or when, summary, i.fingerprint))
    return out
