"""Generic JSON round-trip for the frozen observation dataclasses.

``to_jsonable`` turns dataclasses, tuples, enums into dicts, lists and strings;
``from_jsonable(cls, data)`` rebuilds an instance from the type hints of ``cls``
(dataclasses, ``tuple[X, ...]``, ``X | None``, enums, str/int/float/bool).
Unknown keys in ``data`` are an error: a stored run that does not match the code is
not silently half-read.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from functools import lru_cache
from typing import Any


_PRIMITIVES = (type(None), bool, int, float, str)


@lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def to_jsonable(obj: Any) -> Any:
    cls = type(obj)
    if cls in _PRIMITIVES:                       # most values: decided without the slower checks below
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {name: to_jsonable(getattr(obj, name)) for name in _field_names(cls)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (tuple, list)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


@lru_cache(maxsize=None)
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def from_jsonable(tp: Any, data: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            return from_jsonable(arg, data)
    if origin is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        return tuple(from_jsonable(item_tp, x) for x in data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ValueError(f"{tp.__name__}: expected an object, got {type(data).__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"{tp.__name__}: unknown keys {sorted(unknown)}")
        return tp(**{k: from_jsonable(hints[k], v) for k, v in data.items()})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if tp is float and isinstance(data, int):
        return float(data)
    return data
