"""``secaudit validate``: every input file checked at once, each problem named by file, line and column.

Above the loaders: a file is checked by the loader of its kind (:mod:`secaudit.load`, the classification
regime parser, the requirement catalogue loader, the evidence register), and waivers' control names against
the shipped policy library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Collection, Sequence

from secaudit.classify.regime import regime_from_doc
from secaudit.errors import Diagnostic, InputError
from secaudit.gcpause import collector_paused
from secaudit.i18n import t
from secaudit.load import KINDS, _dedupe, check_document, control_ids, detect_kind, waiver_name_problems
from secaudit.policy import default_library
from secaudit.requirements.catalogue import Catalogue, catalogue_from_doc
from secaudit.requirements.register import evidence_problems, shipped_keys
from secaudit.schemacheck import short, suggest
from secaudit.yamlread import YamlDoc, read_yaml_file


@dataclass
class FileResult:
    file: str
    kind: str | None
    diagnostics: list[Diagnostic]
    summary: dict[str, Any] = field(default_factory=dict)
    warnings: list[Diagnostic] = field(default_factory=list)     # valid, but worth a word (exit status 0)


def _validate_regime(doc: YamlDoc, diags: list[Diagnostic]) -> FileResult:
    """A regime file, checked by the classification loader from the document already parsed."""
    try:
        regime = regime_from_doc(doc)
    except InputError as e:
        return FileResult(doc.file, "regime", _dedupe(diags + list(e.diagnostics)))
    return FileResult(doc.file, "regime", diags, {"criteria": len(regime.criteria)})


# kinds checked here by their own loaders, beside the ones secaudit.load checks
OWN_LOADERS = ("regime", "requirements", "evidence")


def _validate_requirements(doc: YamlDoc, diags: list[Diagnostic]) -> tuple[FileResult, Catalogue | None]:
    """A requirement catalogue, checked by the catalogue loader from the document already parsed."""
    try:
        cat = catalogue_from_doc(doc)
    except InputError as e:
        return FileResult(doc.file, "requirements", _dedupe(diags + list(e.diagnostics))), None
    rows = ", ".join(f"{level}: {len(cat.rows(level))}" for level in cat.levels())
    return FileResult(doc.file, "requirements", diags, {"standard": cat.standard, "keys": len(cat.keys()),
                                                        "rows": rows}), cat


def _bad_kind(doc: YamlDoc, kind: str) -> FileResult:
    known = KINDS + OWN_LOADERS
    return FileResult(doc.file, None, [doc.diag(("kind",), "load.bad_kind", kind=short(kind),
                                                suggestion=suggest(kind, known) or known[0],
                                                kinds=", ".join(known))])


def _validate_evidence(doc: YamlDoc, diags: list[Diagnostic], systems: Collection[str] | None,
                       keys: Collection[str] = frozenset()) -> FileResult:
    """An evidence register: schema, dates, documents' sha256, and its names against the shipped catalogues'
    keys (and those of the catalogues validated with it) and the systems of the inventories validated with it
    (when any)."""
    problems = evidence_problems(doc, shipped_keys() | frozenset(keys), systems)
    entries = doc.value.get("entries") if isinstance(doc.value, dict) else None
    return FileResult(doc.file, "evidence", _dedupe(diags + problems),
                      {"entries": len(entries)} if isinstance(entries, list) else {})


@dataclass
class ValidationReport:
    files: list[FileResult]

    @property
    def ok(self) -> bool:
        return bool(self.files) and all(not f.diagnostics for f in self.files)

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.diagnostics]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for f in self.files for d in f.warnings]

    def summary_lines(self, lang: str | None = None) -> list[str]:
        lines = []
        for f in self.files:
            if f.diagnostics:
                lines.append(t("validate.file_errors", lang, file=f.file, count=len(f.diagnostics)))
            else:
                lines.append(t(f"validate.ok.{f.kind}", lang, file=f.file, **f.summary))
        return lines


def _check_waiver_names(waiver_docs: list[tuple[YamlDoc, FileResult]], inventories: list[tuple[YamlDoc, FileResult]],
                        policy_docs: list[YamlDoc]) -> None:
    """Cross-file: a waiver names a system of the inventories validated with it (when any) and a
    control of the shipped policies or of the policy files validated with it."""
    systems = {s.get("id") for doc, _ in inventories for s in doc.value["systems"] if isinstance(s, dict)}
    controls = set(control_ids(default_library().policies.values()))
    for doc in policy_docs:
        controls |= {c.get("id") for c in doc.value["controls"] if isinstance(c, dict) and isinstance(c.get("id"), str)}
    for doc, result in waiver_docs:
        result.diagnostics += waiver_name_problems(doc, systems if inventories else None, controls)


def validate_files(paths: Sequence[str]) -> ValidationReport:
    """Check every file; collect every problem instead of stopping at the first."""
    if not paths:
        raise InputError([Diagnostic("secaudit validate", 0, 0, "validate.no_files")])
    with collector_paused():
        return _validate_files(paths)


def _validate_files(paths: Sequence[str]) -> ValidationReport:
    results: list[FileResult] = []
    inventories: list[tuple[YamlDoc, FileResult]] = []
    waiver_docs: list[tuple[YamlDoc, FileResult]] = []
    policy_docs: list[YamlDoc] = []
    evidence_docs: list[tuple[YamlDoc, list[Diagnostic], int]] = []
    keys: set[str] = set()
    for path in paths:
        doc, diags = read_yaml_file(path)
        if doc is None:
            results.append(FileResult(path, None, diags))
            continue
        kind = detect_kind(doc)
        if kind == "regime":                       # classification criteria: validated by their own parser
            results.append(_validate_regime(doc, diags))
            continue
        if kind == "requirements":                 # a standard's rows: validated by the catalogue loader
            result, cat = _validate_requirements(doc, diags)
            keys |= cat.keys() if cat is not None else set()
            results.append(result)
            continue
        if kind is not None and kind not in KINDS + OWN_LOADERS and isinstance(doc.value, dict) \
                and "kind" in doc.value:
            results.append(_bad_kind(doc, kind))
            continue
        if kind == "evidence":                     # the evidence register: checked once the inventories are known
            evidence_docs.append((doc, diags, len(results)))
            results.append(FileResult(doc.file, "evidence", []))
            continue
        kind, problems = check_document(doc)
        result = FileResult(doc.file, kind, sorted(diags + problems, key=lambda d: (d.line, d.column)))
        if kind == "inventory" and isinstance(doc.value.get("systems"), list):
            systems = [s for s in doc.value["systems"] if isinstance(s, dict)]
            result.summary = {"systems": len(systems),
                              "endpoints": sum(len(s.get("endpoints") or []) for s in systems
                                               if isinstance(s.get("endpoints"), list))}
            if not systems and not result.diagnostics:
                result.warnings.append(doc.diag(("systems",), "validate.warn_no_systems", at_key=True))
            inventories.append((doc, result))
        elif kind == "policy" and isinstance(doc.value.get("controls"), list):
            result.summary = {"controls": len(doc.value["controls"])}
            policy_docs.append(doc)
        elif kind == "waivers" and isinstance(doc.value.get("waivers"), list):
            result.summary = {"waivers": len(doc.value["waivers"])}
            waiver_docs.append((doc, result))
        results.append(result)
    if waiver_docs:
        _check_waiver_names(waiver_docs, inventories, policy_docs)
    systems = {s.get("id") for doc, _ in inventories for s in doc.value["systems"] if isinstance(s, dict)}
    for doc, diags, at in evidence_docs:
        results[at] = _validate_evidence(doc, diags, systems if inventories else None, keys)
    return ValidationReport(results)
