"""Model <-> JSON. The one place that turns frozen dataclasses into plain data and back.

Encoding is generic (dataclasses, enums, tuples, dates, mappings). Decoding is driven by
the dataclasses' type hints, so a stored run, a journal line or a results file comes back
as the same typed objects. Observation facts are decoded by probe kind through
:data:`FACTS_DECODERS` (each family's ``from_dict``).
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

from secaudit.model import Observation, ObservationStatus, Results

RESULTS_SCHEMA = "secaudit/results/v1"


def to_jsonable(obj: Any) -> Any:
    """Plain JSON-compatible data for any model object."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj.value if isinstance(obj, enum.Enum) else obj
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        to_dict = getattr(obj, "to_dict", None)
        if callable(to_dict):
            return to_dict()
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(to_jsonable(k)): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        items = [to_jsonable(x) for x in obj]
        return sorted(items, key=repr) if isinstance(obj, (set, frozenset)) else items
    raise TypeError(f"cannot serialise {type(obj).__name__}")


# Observation facts by probe kind: kind -> from_dict. Filled explicitly by the probe families.
FACTS_DECODERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {}


def register_facts_decoder(kind: str, decoder: Callable[[Mapping[str, Any]], Any]) -> None:
    FACTS_DECODERS[kind] = decoder


def _facts_decoders() -> dict[str, Callable[[Mapping[str, Any]], Any]]:
    """Decoders of every probe family present in this installation."""
    if not FACTS_DECODERS:
        from importlib import import_module

        for kind, (module, name) in _KNOWN_FACTS.items():
            try:
                cls = getattr(import_module(module), name)
            except (ImportError, AttributeError):
                continue
            FACTS_DECODERS[kind] = cls.from_dict
    return FACTS_DECODERS


# kind -> (module, facts class). Explicit list: no registration by import side effect.
_KNOWN_FACTS: dict[str, tuple[str, str]] = {
    "tls": ("secaudit.observations.tls", "TlsFacts"),
    "ports": ("secaudit.observations.ports", "PortScan"),
    "http": ("secaudit.observations.http", "HttpRedirect"),
}


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
            if callable(from_dict):
                return from_dict(data)
            hints = _hints(tp)
            kwargs = {f.name: from_jsonable(hints[f.name], data[f.name])
                      for f in dataclasses.fields(tp) if f.name in data}
            return tp(**kwargs)
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
    decoder = _facts_decoders().get(kind)
    if facts is not None and decoder is not None:
        facts = decoder(facts)
    return Observation(
        probe_id=data["probe_id"], kind=kind, target=data["target"], status=ObservationStatus(data["status"]),
        facts=facts, error=data.get("error"), started_at=data.get("started_at", ""),
        duration_s=float(data.get("duration_s", 0.0)), worker=str(data.get("worker") or ""),
    )


def results_to_dict(results: Results) -> dict[str, Any]:
    return {"schema": RESULTS_SCHEMA, **to_jsonable(results)}


def results_from_dict(data: Mapping[str, Any]) -> Results:
    if data.get("schema") != RESULTS_SCHEMA:
        raise ValueError(f"not a {RESULTS_SCHEMA} document (schema: {data.get('schema')!r})")
    body = {k: v for k, v in data.items() if k != "schema"}
    return from_jsonable(Results, body)
