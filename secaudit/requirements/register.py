"""The evidence register (``evidence.yaml``, ``kind: evidence``) -> :class:`Register`, every problem at file:line:col.

Same steps as every input (:mod:`secaudit.load`): safe YAML with positions, the published JSON Schema
(``secaudit/schemas/evidence.schema.json``), then what a schema cannot say:

- dates are real dates, ``valid_until`` is not before ``date``, ids are unique;
- ``status: not_applicable`` carries a ``reason``; ``sha256`` comes with a ``file``;
- every requirement key is in the catalogue and every system in the inventory ("did you mean");
- a ``file`` (relative to the register, or absolute) exists and, with ``sha256``, still has that
  digest: a changed or missing document is an error at the ``sha256`` key (at ``file`` without one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from typing import Any, Collection

from secaudit.errors import Diagnostic, InputError
from secaudit.gcpause import collector_paused
from secaudit.schemacheck import schema_diagnostics, short, suggest
from secaudit.model import SourceRef
from secaudit.requirements.catalogue import load_catalogue
from secaudit.requirements.model import EntryKind, EntryStatus, Officer, Register, RegisterEntry
from secaudit.yamlread import YamlDoc, read_yaml_file
from secaudit.resources import policies_dir

KIND = "evidence"
_HASH_CHUNK = 1 << 20


def evidence_problems(doc: YamlDoc, keys: Collection[str] | None = None,
                      systems: Collection[str] | None = None, check_files: bool = True) -> list[Diagnostic]:
    """Every problem of a parsed register; ``keys``/``systems`` None: names not checked."""
    if not isinstance(doc.value, dict):
        return [doc.diag((), "load.not_mapping", actual="type.unknown")]
    out = schema_diagnostics(doc, KIND)
    entries = doc.value.get("entries")
    if not isinstance(entries, list):
        return out
    first: dict[str, int] = {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict):
            continue
        base = ("entries", i)
        eid = e.get("id")
        if isinstance(eid, str):
            if eid in first:
                out.append(doc.diag(base + ("id",), "evidence.duplicate_id", id=eid,
                                    first_line=doc.where(("entries", first[eid], "id"))[0]))
            else:
                first[eid] = i
        out += _dates(doc, base, e)
        if e.get("status") == "not_applicable" and not e.get("reason"):
            out.append(doc.diag(base + ("status",), "evidence.na_without_reason", at_key=True))
        if "sha256" in e and "file" not in e:
            out.append(doc.diag(base + ("sha256",), "evidence.sha256_without_file", at_key=True))
        out += _names(doc, base, e, "requirements", keys, "evidence.unknown_requirement")
        out += _names(doc, base, e, "systems", systems, "evidence.unknown_system")
        if check_files:
            out += _file(doc, base, e)
    return out


def _dates(doc: YamlDoc, base: tuple[Any, ...], e: dict[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    parsed: dict[str, dt.date] = {}
    for key in ("date", "valid_until"):
        value = e.get(key)
        if isinstance(value, str) and len(value) == 10:
            try:
                parsed[key] = dt.date.fromisoformat(value)
            except ValueError:
                out.append(doc.diag(base + (key,), "schema.date", value=value))
    if "date" in parsed and "valid_until" in parsed and parsed["valid_until"] < parsed["date"]:
        out.append(doc.diag(base + ("valid_until",), "evidence.valid_before_date", date=parsed["date"].isoformat(),
                            valid_until=parsed["valid_until"].isoformat()))
    return out


def _names(doc: YamlDoc, base: tuple[Any, ...], e: dict[str, Any], field: str, known: Collection[str] | None,
           key: str) -> list[Diagnostic]:
    names = e.get(field)
    if known is None or not isinstance(names, list):
        return []
    out = []
    for k, name in enumerate(names):
        if isinstance(name, str) and name not in known:
            hint = suggest(name, known)
            out.append(doc.diag(base + (field, k), key + ("_suggest" if hint else ""), id=short(name),
                                suggestion=hint or ""))
    return out


def shipped_keys() -> frozenset[str]:
    """Every requirement key of the shipped catalogues (``validate`` does not know the regime)."""
    return frozenset(k for p in sorted((policies_dir() / "requirements").glob("*.yaml"))
                     for k in load_catalogue(p).keys())


def resolve_file(register_file: str, written: str) -> str:
    """The path of an entry's document: relative paths are relative to the register file."""
    if os.path.isabs(written):
        return written
    return os.path.join(os.path.dirname(os.path.abspath(register_file)), written)


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file(doc: YamlDoc, base: tuple[Any, ...], e: dict[str, Any]) -> list[Diagnostic]:
    written = e.get("file")
    if not isinstance(written, str) or not written:
        return []
    path = resolve_file(doc.file, written)
    expected = e.get("sha256")
    at = base + ("sha256",) if isinstance(expected, str) else base + ("file",)
    if not os.path.isfile(path):
        return [doc.diag(at, "evidence.file_missing", at_key=True, file=short(written, 120))]
    if not isinstance(expected, str) or len(expected) != 64:
        return []
    try:
        actual = file_sha256(path)
    except OSError as exc:
        return [doc.diag(at, "evidence.file_unreadable", at_key=True, file=short(written, 120),
                         reason=exc.strerror or str(exc))]
    if actual != expected.lower():
        return [doc.diag(at, "evidence.sha256_mismatch", at_key=True, file=short(written, 120),
                         expected=expected.lower(), actual=actual)]
    return []


def build_register(doc: YamlDoc) -> Register:
    entries = []
    for i, e in enumerate(doc.value["entries"]):
        line, col = doc.where(("entries", i))
        officer = e["officer"]
        entries.append(RegisterEntry(
            id=e["id"], requirements=tuple(e["requirements"]),
            systems=tuple(e["systems"]) if "systems" in e else None,
            kind=EntryKind(e["kind"]), title=e["title"],
            officer=Officer(officer["name"], officer.get("position", "")),
            date=dt.date.fromisoformat(e["date"]), status=EntryStatus(e["status"]),
            valid_until=dt.date.fromisoformat(e["valid_until"]) if e.get("valid_until") else None,
            file=e.get("file"), sha256=e["sha256"].lower() if e.get("sha256") else None,
            reason=e.get("reason", ""), note=e.get("note", ""), source=SourceRef(doc.file, line, col)))
    return Register(tuple(entries), doc.file, doc.digest)


def load_register(path: str, keys: Collection[str] | None = None,
                  systems: Collection[str] | None = None) -> Register:
    """Load and check an evidence register; raises :class:`InputError` listing every problem."""
    with collector_paused():
        return _load_register(path, keys, systems)


def _load_register(path: str, keys: Collection[str] | None, systems: Collection[str] | None) -> Register:
    doc, diags = read_yaml_file(path)
    if doc is None:
        raise InputError(diags)
    kind = doc.value.get("kind") if isinstance(doc.value, dict) else None
    if kind != KIND:
        raise InputError(diags + [doc.diag(("kind",) if isinstance(doc.value, dict) and "kind" in doc.value else (),
                                           "load.wrong_kind", kind=short(kind or "?"), expected=KIND)])
    problems = diags + evidence_problems(doc, keys, systems)
    if problems:
        raise InputError(sorted(problems, key=lambda d: (d.line, d.column, d.key)))
    return build_register(doc)
