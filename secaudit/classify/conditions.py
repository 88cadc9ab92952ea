"""The small declarative condition language of regime files, evaluated with three-valued logic.

A condition is a mapping::

    {all: [c, ...]}   {any: [c, ...]}   {not: c}
    {fact: NAME, OP: ARG}     OP in eq, ne, in, gte, gt, lte, lt, contains, contains_any, only, missing

Evaluation returns ``(value, missing)`` where ``value`` is ``True`` (met), ``False`` (not met) or
``None`` (unknown because a fact it needs is not declared) and ``missing`` names the undeclared facts
that made it unknown. ``all``/``any``/``not`` follow Kleene's logic: ``all`` is false as soon as one
part is false whatever the others, ``any`` is true as soon as one part is true. So a missing fact is
only reported when it could change the answer. ``missing: true`` tests the absence of a fact itself
and is never unknown.

Conditions are compiled once into closures (regimes are loaded once, systems are many).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

Tri = bool | None
Evaluator = Callable[[Mapping[str, Any]], tuple[Tri, frozenset[str]]]

EMPTY: frozenset[str] = frozenset()

LOGICAL_OPS = ("all", "any", "not")
FACT_OPS = ("eq", "ne", "in", "gte", "gt", "lte", "lt", "contains", "contains_any", "only", "missing")


@dataclass(frozen=True)
class ConditionError:
    """A problem in a condition: a path inside the condition (for line lookup), a message key and args."""

    path: tuple[str | int, ...]
    key: str
    args: Mapping[str, Any]


@dataclass(frozen=True)
class FactSpec:
    """What the condition compiler knows of one fact: its kind and, for enums, the allowed values."""

    kind: str                               # "enum" | "set" | "int" | "bool"
    values: frozenset[Any] | None = None    # allowed values (enum, set members)


def _leaf(name: str, op: str, arg: Any) -> Evaluator:
    if op == "missing":
        want = bool(arg)

        def ev_missing(f: Mapping[str, Any]) -> tuple[Tri, frozenset[str]]:
            return (f.get(name) is None) == want, EMPTY

        return ev_missing

    test: Callable[[Any], bool]
    if op == "eq":
        if isinstance(arg, bool):
            test = lambda v: v is arg  # noqa: E731
        else:
            test = lambda v: v == arg  # noqa: E731
    elif op == "ne":
        test = lambda v: v != arg  # noqa: E731
    elif op == "in":
        values = frozenset(arg)
        test = lambda v: v in values  # noqa: E731
    elif op == "gte":
        test = lambda v: v >= arg  # noqa: E731
    elif op == "gt":
        test = lambda v: v > arg  # noqa: E731
    elif op == "lte":
        test = lambda v: v <= arg  # noqa: E731
    elif op == "lt":
        test = lambda v: v < arg  # noqa: E731
    elif op == "contains":
        test = lambda v: arg in v  # noqa: E731
    elif op == "contains_any":
        values = frozenset(arg)
        test = lambda v: not values.isdisjoint(v)  # noqa: E731
    elif op == "only":
        values = frozenset(arg)
        test = lambda v: bool(v) and values.issuperset(v)  # noqa: E731
    else:  # pragma: no cover - validated before compiling
        raise ValueError(op)

    missing = frozenset((name,))

    def ev(f: Mapping[str, Any]) -> tuple[Tri, frozenset[str]]:
        v = f.get(name)
        if v is None:
            return None, missing
        return test(v), EMPTY

    return ev


def _all(parts: list[Evaluator]) -> Evaluator:
    def ev(f: Mapping[str, Any]) -> tuple[Tri, frozenset[str]]:
        unknown: frozenset[str] | None = None
        for p in parts:
            v, m = p(f)
            if v is False:
                return False, EMPTY
            if v is None:
                unknown = m if unknown is None else unknown | m
        return (True, EMPTY) if unknown is None else (None, unknown)

    return ev


def _any(parts: list[Evaluator]) -> Evaluator:
    def ev(f: Mapping[str, Any]) -> tuple[Tri, frozenset[str]]:
        unknown: frozenset[str] | None = None
        for p in parts:
            v, m = p(f)
            if v is True:
                return True, EMPTY
            if v is None:
                unknown = m if unknown is None else unknown | m
        return (False, EMPTY) if unknown is None else (None, unknown)

    return ev


def _not(part: Evaluator) -> Evaluator:
    def ev(f: Mapping[str, Any]) -> tuple[Tri, frozenset[str]]:
        v, m = part(f)
        return (None, m) if v is None else (not v, EMPTY)

    return ev


def _check_value(spec: FactSpec, value: Any, path: tuple[str | int, ...], name: str,
                 errors: list[ConditionError]) -> None:
    ok = True
    if spec.kind == "bool":
        ok = isinstance(value, bool)
    elif spec.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif spec.kind in ("enum", "set"):
        ok = isinstance(value, str) and (spec.values is None or value in spec.values)
    if not ok:
        allowed = ", ".join(sorted(str(v) for v in spec.values)) if spec.values else spec.kind
        errors.append(ConditionError(path, "classify.regime.bad_value",
                                     {"fact": name, "value": value, "allowed": allowed}))


_OPS_BY_KIND = {
    "enum": {"eq", "ne", "in", "missing"},
    "bool": {"eq", "ne", "missing"},
    "int": {"eq", "ne", "in", "gte", "gt", "lte", "lt", "missing"},
    "set": {"contains", "contains_any", "only", "missing"},
}


def compile_condition(node: Any, facts: Mapping[str, FactSpec],
                      path: tuple[str | int, ...] = ()) -> tuple[Evaluator | None, frozenset[str],
                                                                  list[ConditionError]]:
    """Compile a condition; returns (evaluator or None on error, facts referenced, errors)."""
    errors: list[ConditionError] = []
    used: set[str] = set()
    ev = _compile(node, facts, path, errors, used)
    return (ev if not errors else None), frozenset(used), errors


def _compile(node: Any, facts: Mapping[str, FactSpec], path: tuple[str | int, ...],
             errors: list[ConditionError], used: set[str]) -> Evaluator:
    never: Evaluator = lambda f: (False, EMPTY)  # noqa: E731  placeholder after an error
    if not isinstance(node, Mapping) or not node:
        errors.append(ConditionError(path, "classify.regime.bad_condition", {"got": repr(node)[:60]}))
        return never
    logical = [k for k in node if k in LOGICAL_OPS]
    if logical:
        if len(node) != 1:
            errors.append(ConditionError(path, "classify.regime.mixed_condition",
                                         {"keys": ", ".join(map(str, node))}))
            return never
        op = logical[0]
        arg = node[op]
        if op == "not":
            return _not(_compile(arg, facts, path + (op,), errors, used))
        if not isinstance(arg, list) or not arg:
            errors.append(ConditionError(path + (op,), "classify.regime.empty_list", {"op": op}))
            return never
        parts = [_compile(c, facts, path + (op, i), errors, used) for i, c in enumerate(arg)]
        return _all(parts) if op == "all" else _any(parts)

    if "fact" not in node:
        errors.append(ConditionError(path, "classify.regime.unknown_operator",
                                     {"op": ", ".join(map(str, node)),
                                      "known": ", ".join(LOGICAL_OPS + ("fact",))}))
        return never
    name = node["fact"]
    ops = [k for k in node if k != "fact"]
    if name not in facts:
        errors.append(ConditionError(path + ("fact",), "classify.regime.unknown_fact",
                                     {"fact": name, "known": ", ".join(sorted(facts))}))
        return never
    if len(ops) != 1 or ops[0] not in FACT_OPS:
        errors.append(ConditionError(path, "classify.regime.unknown_operator",
                                     {"op": ", ".join(map(str, ops)) or "-", "known": ", ".join(FACT_OPS)}))
        return never
    op = ops[0]
    arg = node[op]
    spec = facts[name]
    if op not in _OPS_BY_KIND[spec.kind]:
        errors.append(ConditionError(path + (op,), "classify.regime.operator_for_fact",
                                     {"op": op, "fact": name, "kind": spec.kind}))
        return never
    if op == "missing":
        if not isinstance(arg, bool):
            errors.append(ConditionError(path + (op,), "classify.regime.bad_value",
                                         {"fact": name, "value": arg, "allowed": "true, false"}))
    elif op in ("in", "contains_any", "only"):
        if not isinstance(arg, list) or not arg:
            errors.append(ConditionError(path + (op,), "classify.regime.empty_list", {"op": op}))
        else:
            for i, v in enumerate(arg):
                _check_value(spec, v, path + (op, i), name, errors)
    else:
        _check_value(spec, arg, path + (op,), name, errors)
    used.add(name)
    return _leaf(name, op, arg)
