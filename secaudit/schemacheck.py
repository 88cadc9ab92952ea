"""JSON-Schema validation of a parsed YAML document, every error at its file:line:col.

The published schemas (``secaudit/schemas/``) are the reference, checked by ``jsonschema``.
Large files first go through a compiled validator (``fastjsonschema``, about 10x faster):
when it finds the document valid nothing more is done; when it does not, ``jsonschema``
runs and reports every error with its position. The compiled validator is only ever
stricter than or equal to ``jsonschema`` on our schemas (it reads ``$`` as end of string and
an integer as an int), so a document it accepts has no error to report.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable, Iterable

from secaudit.errors import Diagnostic
from secaudit.yamlread import Path, YamlDoc
from secaudit.i18n import t

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

# Schemas written only with keywords the compiled validator implements as draft 2020-12 does
# and local $ref (no if/then, no propertyNames): the results schema is left to jsonschema.
_COMPILED_KINDS = ("inventory", "waivers", "policy", "regime", "evidence")


@lru_cache(maxsize=None)
def schema(kind: str) -> dict[str, Any]:
    """The published JSON Schema of a document kind."""
    text = resources.files("secaudit").joinpath("schemas", f"{kind}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def validator(kind: str) -> "Draft202012Validator":
    """The reference validator of a kind (imported only when a document needs its errors listed)."""
    # start-up: jsonschema loaded only when needed
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(kind))


@lru_cache(maxsize=None)
def _compiled(kind: str) -> Callable[[Any], Any] | None:
    if kind not in _COMPILED_KINDS:
        return None
    # start-up: fastjsonschema loaded only when needed
    import fastjsonschema

    return fastjsonschema.compile(schema(kind), use_default=False, use_formats=False)


def quickly_valid(kind: str, value: Any) -> bool:
    """True when the compiled validator accepts ``value`` (False only means "look closer")."""
    check = _compiled(kind)
    if check is None:
        return False
    # start-up: fastjsonschema loaded only when needed
    import fastjsonschema

    try:
        check(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def type_name(value: Any) -> str:
    """The catalog key naming the JSON type of ``value``."""
    if value is None:
        return "type.null"
    if isinstance(value, bool):
        return "type.boolean"
    for cls, name in ((int, "type.integer"), (float, "type.number"), (str, "type.string"), (list, "type.array"),
                      (dict, "type.object")):
        if isinstance(value, cls):
            return name
    return "type.unknown"


def suggest(word: Any, choices: Iterable[Any]) -> str | None:
    matches = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schema_diagnostics(doc: YamlDoc, kind: str, skip: Iterable[Path] = ()) -> list[Diagnostic]:
    """Every schema error of ``doc`` as a located diagnostic (none under a path in ``skip``)."""
    if quickly_valid(kind, doc.value):
        return []
    skip = tuple(skip)
    out: list[Diagnostic] = []
    for err in validator(kind).iter_errors(doc.value):
        path: Path = tuple(err.absolute_path)
        if any(path[: len(p)] == p for p in skip):
            continue
        out += _RENDER.get(err.validator, _other)(doc, path, err)
    return out


def _additional(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    if not isinstance(err.instance, dict):
        return _other(doc, path, err)
    allowed = list(err.schema.get("properties", {}))
    out = []
    for key in sorted(set(err.instance) - set(allowed), key=str):
        hint = suggest(key, allowed)
        if hint:
            out.append(doc.diag(path + (key,), "schema.unknown_key_suggest", at_key=True, key=key, suggestion=hint))
        else:
            out.append(doc.diag(path + (key,), "schema.unknown_key", at_key=True, key=key,
                                allowed=", ".join(allowed)))
    return out


def _required(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    if not isinstance(err.instance, dict):
        return _other(doc, path, err)
    return [doc.diag(path, "schema.required", at_key=True, key=key)
            for key in err.validator_value if key not in err.instance]


def _type(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    expected = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    return [doc.diag(path, "schema.type", expected=" | ".join(t("type." + e) for e in expected),
                     actual=t(type_name(err.instance)), value=short(err.instance))]


def _enum(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    hint = suggest(err.instance, err.validator_value)
    allowed = ", ".join(str(x) for x in err.validator_value)
    if hint:
        return [doc.diag(path, "schema.enum_suggest", value=short(err.instance), suggestion=hint, allowed=allowed)]
    return [doc.diag(path, "schema.enum", value=short(err.instance), allowed=allowed)]


def _const(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    return [doc.diag(path, "schema.const", value=short(err.instance), expected=err.validator_value)]


def _range(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    lo, hi = err.schema.get("minimum"), err.schema.get("maximum")
    if lo is not None and hi is not None:
        return [doc.diag(path, "schema.range", value=err.instance, minimum=lo, maximum=hi)]
    if lo is not None:
        return [doc.diag(path, "schema.minimum", value=err.instance, minimum=lo)]
    return [doc.diag(path, "schema.maximum", value=err.instance, maximum=hi)]


def _pattern(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    return [doc.diag(path, err.schema.get("x-error", "schema.pattern"), value=short(err.instance),
                     pattern=err.validator_value)]


def _empty(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    return [doc.diag(path, "schema.empty")]


def _unique(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    return [doc.diag(path, "schema.unique")]


def _other(doc: YamlDoc, path: Path, err: Any) -> list[Diagnostic]:
    return [doc.diag(path, "schema.other", message=err.message)]


_RENDER: dict[str, Callable[[YamlDoc, Path, Any], list[Diagnostic]]] = {
    "additionalProperties": _additional, "required": _required, "type": _type, "enum": _enum, "const": _const,
    "minimum": _range, "maximum": _range, "pattern": _pattern, "minLength": _empty, "minItems": _empty, "minProperties": _empty,
    "uniqueItems": _unique,
}
