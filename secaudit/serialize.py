"""Model <-> JSON. The one place that turns frozen dataclasses into plain data and back, at every stage
boundary: the journal, the results document, stored runs and each family's observation facts.

Encoding is generic (dataclasses, enums, tuples, dates, mappings). Decoding is driven by
the dataclasses' type hints, so a stored run, a journal line or a results file comes back
as the same typed objects; unknown keys are an error. A facts type's ``to_dict``/``from_dict``
are usually :func:`fields_to_dict` / :func:`fields_from_dict` with its schema version. Observation facts are decoded by probe kind with the facts type of
the family registered for that kind (:mod:`secaudit.probes.registry`, its ``from_dict``).
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import enum
import types
import typing
from functools import lru_cache
from typing import Any, Mapping

from secaudit.model import Message, Observation, ObservationStatus, Results

RESULTS_SCHEMA = "secaudit/results/v2"
RESULTS_SCHEMA_FILE = "results-v2.schema.json"
# Documents of earlier versions that still read (a stored run, a results file): version -> its schema file.
# v1 -> v2: findings' references became the catalogue's clauses at the system's level; controls gained
# `requirements`. A v1 document reads as it was written (its references are the v1 free-text strings).
READABLE_SCHEMAS = {"secaudit/results/v1": "results-v1", RESULTS_SCHEMA: "results-v2"}


_PRIMITIVES = (type(None), bool, int, float, str)


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@lru_cache(maxsize=None)
def _own_to_dict(cls: type) -> bool:
    return callable(getattr(cls, "to_dict", None))


def to_jsonable(obj: Any) -> Any:
    """Plain JSON-compatible data for any model object (a dataclass with ``to_dict`` encodes itself).

    Checks run in order of frequency (a stored 1,000-endpoint run has ~10^6 values)."""
    cls = type(obj)
    if cls in _PRIMITIVES:
        return obj
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if cls is tuple or cls is list:
        return [to_jsonable(x) for x in obj]
    if cls is dict:
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return obj.to_dict() if _own_to_dict(cls) else fields_to_dict(obj)
    if isinstance(obj, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [to_jsonable(x) for x in obj]
        return sorted(items, key=repr) if isinstance(obj, (set, frozenset)) else items
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def fields_to_dict(obj: Any, schema: str | None = None) -> dict[str, Any]:
    """A dataclass's fields as plain data (for a ``to_dict`` that wants the generic form), optionally
    tagged with its ``schema`` version."""
    out = {name: to_jsonable(getattr(obj, name)) for name in _field_names(type(obj))}
    return {"schema": schema, **out} if schema else out


def fields_from_dict(cls: type, data: Any, schema: str | None = None) -> Any:
    """Rebuild dataclass ``cls`` from plain data by its type hints (for a ``from_dict``). Unknown keys are an
    error: a stored run that does not match the code is not silently half-read. With ``schema``, a
    ``"schema"`` key must name that version (absent: assumed)."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    if schema is not None:
        if data.get("schema", schema) != schema:
            raise ValueError(f"{cls.__name__}: unsupported schema {data.get('schema')!r}")
        data = {k: v for k, v in data.items() if k != "schema"}
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**{k: from_jsonable(hints[k], v) for k, v in data.items()})


def _facts_type(kind: str) -> type | None:
    """The facts dataclass of a probe kind, from the registered families (``None``: unknown kind)."""
    from secaudit.probes.registry import facts_types

    return facts_types().get(kind)


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from plain data."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is typing.Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        for a in args:
            try:
                return from_jsonable(a, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {args}")
    if origin is tuple:
        args = typing.get_args(tp)
        item = args[0] if args else Any
        return tuple(from_jsonable(item, x) for x in (data or ()))
    if origin in (frozenset, set):
        (item,) = typing.get_args(tp) or (Any,)
        return frozenset(from_jsonable(item, x) for x in (data or ()))
    if origin in (dict, collections.abc.Mapping):
        args = typing.get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(vt, v) for k, v in (data or {}).items()}
    if isinstance(tp, type):
        if tp is Observation:
            return observation_from_dict(data)
        if dataclasses.is_dataclass(tp):
            from_dict = getattr(tp, "from_dict", None)
            return from_dict(data) if callable(from_dict) else fields_from_dict(tp, data)
        if issubclass(tp, enum.Enum):
            return tp(data)
        if tp is dt.date:
            return dt.date.fromisoformat(data)
        if tp is dt.datetime:
            return dt.datetime.fromisoformat(data)
        if tp is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        if tp in (int, str, bool, float):
            if not isinstance(data, tp) or (tp is int and isinstance(data, bool)):
                raise TypeError(f"expected {tp.__name__}, got {type(data).__name__}")
            return data
    return data


def observation_to_dict(obs: Observation) -> dict[str, Any]:
    return to_jsonable(obs)


def observation_from_dict(data: Mapping[str, Any]) -> Observation:
    kind = data["kind"]
    facts = data.get("facts")
    facts_type = _facts_type(kind)
    if facts is not None and facts_type is not None and hasattr(facts_type, "from_dict"):
        facts = facts_type.from_dict(facts)
    return Observation(
        probe_id=data["probe_id"], kind=kind, target=data["target"], status=ObservationStatus(data["status"]),
        facts=facts, error=data.get("error"), started_at=data.get("started_at", ""),
        duration_s=float(data.get("duration_s", 0.0)), worker=str(data.get("worker") or ""),
        reason=fields_from_dict(Message, data["reason"]) if data.get("reason") else None,
    )


def results_to_dict(results: Results) -> dict[str, Any]:
    return {"schema": RESULTS_SCHEMA, **to_jsonable(results)}


def results_from_dict(data: Mapping[str, Any]) -> Results:
    if data.get("schema") not in READABLE_SCHEMAS:
        raise ValueError(f"not a {RESULTS_SCHEMA} document (schema: {data.get('schema')!r})")
    body = {k: v for k, v in data.items() if k != "schema"}
    return from_jsonable(Results, body)


def results_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) of the results document, with ``run.only`` limited to the
    probe families registered here (the file itself allows any family name)."""
    import json
    from importlib import resources

    from secaudit.probes.registry import kinds

    text = resources.files("secaudit").joinpath("schemas", RESULTS_SCHEMA_FILE).read_text(encoding="utf-8")
    schema = json.loads(text)
    only = _run_properties(schema)["only"]["items"]
    only.pop("pattern", None)
    only["enum"] = list(kinds())
    return schema


def _run_properties(schema: Mapping[str, Any]) -> dict[str, Any]:
    run = schema["properties"]["run"]
    if "$ref" in run:
        run = schema["$defs"][run["$ref"].rsplit("/", 1)[1]]
    return run["properties"]
