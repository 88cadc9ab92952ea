"""Dataclasses <-> plain JSON data, generically: the codec under :mod:`secaudit.serialize` and every facts
type's ``to_dict``/``from_dict``. Encoding follows the value (dataclasses, enums, tuples, dates, mappings);
decoding follows the type hints, and unknown keys are an error. A type that needs more than its hints
(an observation, whose facts are decoded by probe kind) is given by the caller in ``decoders``: this
module knows no model type, so everything may import it.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as dt
import enum
import types
import typing
from functools import lru_cache
from typing import Any, Callable, Mapping

Decoders = Mapping[type, Callable[[Any], Any]]

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


def fields_from_dict(cls: type, data: Any, schema: str | None = None, *, decoders: Decoders | None = None) -> Any:
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
    return cls(**{k: from_jsonable(hints[k], v, decoders) for k, v in data.items()})


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any, decoders: Decoders | None = None) -> Any:
    """Rebuild a value of type ``tp`` from plain data (a type in ``decoders`` by its own decoder)."""
    origin = typing.get_origin(tp)
    if tp is Any or tp is typing.Any:
        return data
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None:
            return None
        for a in args:
            try:
                return from_jsonable(a, data, decoders)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {args}")
    if origin is tuple:
        args = typing.get_args(tp)
        item = args[0] if args else Any
        return tuple(from_jsonable(item, x, decoders) for x in (data or ()))
    if origin in (frozenset, set):
        (item,) = typing.get_args(tp) or (Any,)
        return frozenset(from_jsonable(item, x, decoders) for x in (data or ()))
    if origin in (dict, collections.abc.Mapping):
        args = typing.get_args(tp)
        vt = args[1] if len(args) == 2 else Any
        return {k: from_jsonable(vt, v, decoders) for k, v in (data or {}).items()}
    if isinstance(tp, type):
        if decoders and tp in decoders:
            return decoders[tp](data)
        if dataclasses.is_dataclass(tp):
            from_dict = getattr(tp, "from_dict", None)
            return from_dict(data) if callable(from_dict) else fields_from_dict(tp, data, decoders=decoders)
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


