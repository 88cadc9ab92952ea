"""The classification engine: pure functions from systems and a regime to Classifications.

Rule (Decree 85 Art. 5.2, Decree 331 Art. 8.2, as the regime cites them): a system's level is the
highest level whose criteria it meets, and at least the highest level of its components (Decree 85
Art. 5.2; Decree 331 has no component rule: there it is secaudit's conservative convention). Criteria
are evaluated with three-valued logic; when a criterion that could raise the level above what is
already certain is unknown, the result is undetermined and names the facts to declare. The engine
never guesses: the only readings it applies are the regime's interpretations, and it lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from secaudit.classify.facts import system_facts
from secaudit.classify.regime import Regime
from secaudit.classify.result import (AppliedInterpretation, Classification, ComponentLevel, CriterionResult,
                                      DeclaredStatus, Deciding, Status)
from secaudit.errors import Diagnostic, InputError
from secaudit.model import Inventory, Message, System

MAX_LEVEL = 5


@dataclass
class _Core:
    """What a system's facts alone decide (no id, declared level or components): shared by systems
    whose facts are equal, since the engine is pure."""

    purpose: Any
    applied: tuple[AppliedInterpretation, ...]
    results: tuple[CriterionResult, ...]
    met_level: int
    open_readings: tuple[tuple[int, frozenset[str]], ...]
    unused: tuple[str, ...]
    alone: tuple[_MaxRule, Deciding | None] | None = None   # the max rule and deciding without components


def _core(facts: Mapping[str, Any], regime: Regime) -> _Core:
    f = dict(facts)
    for name, value in regime.defaults.items():
        if f.get(name) is None:
            f[name] = value
    purpose = f.get("purpose")
    applied = _assume(f, purpose, regime)                       # 1. readings that supply a fact
    results, met_level = _criteria(f, purpose, regime)          # 2. every criterion
    floor, open_readings = _floor_readings(f, purpose, regime)  # 3. readings that give a floor level
    applied += floor
    met_level = max([met_level] + [a.level for a in floor])
    unused = sorted(k for k, v in facts.items() if v is not None and k not in regime.facts_used and k != "purpose")
    return _Core(purpose, tuple(applied), tuple(results), met_level, tuple(open_readings), tuple(unused))


def classify_facts(system_id: str, facts: Mapping[str, Any], regime: Regime, *,
                   declared_level: int | None = None,
                   components: Sequence[Classification] = (), core: _Core | None = None) -> Classification:
    """Classify one system from its flat facts (see ``secaudit.classify.facts``); ``core`` is what
    :func:`_core` gave for these very facts, when known."""
    core = core or _core(facts, regime)
    purpose, applied, results = core.purpose, core.applied, core.results
    comps = tuple(ComponentLevel(c.system_id, c.level, c.lower_bound, c.upper_bound) for c in components)
    if comps or core.alone is None:
        m = _max_rule(core.met_level, results, core.open_readings, comps, regime)   # 4. the max rule
        deciding = _deciding(m.bound, results, applied, comps, regime) if m.bound else None
        if not comps:
            core.alone = (m, deciding)
    else:
        m, deciding = core.alone
    declared_status, warnings, notes = _declared(system_id, declared_level, m, deciding)  # 5. the declared level
    if m.nothing_matched:
        notes.append(Message("classify.note.nothing_matched", {"system": system_id, "purpose": purpose or "-"}))
    if core.unused:
        notes.append(Message("classify.note.unused_facts", {"system": system_id, "facts": ", ".join(core.unused)}))
    if not m.determined:
        notes.append(Message("classify.note.undetermined", {
            "system": system_id, "missing": ", ".join(sorted(m.missing)) or "-",
            "components": ", ".join(c.id for c in m.open_components) or "-"}))
    return Classification(
        system_id=system_id, regime_id=regime.id, level=m.bound if m.determined else None, lower_bound=m.bound,
        upper_bound=m.upper, missing=tuple(sorted(m.missing)),
        undetermined_components=tuple(c.id for c in m.open_components),
        deciding=deciding, criteria=results, interpretations=applied, components=comps,
        declared_level=declared_level, declared_status=declared_status,
        warnings=tuple(warnings), notes=tuple(notes))


def _applies(item: Any, purpose: Any) -> bool:
    return item.applies_to is None or purpose in item.applies_to


def _assume(f: dict[str, Any], purpose: Any, regime: Regime) -> list[AppliedInterpretation]:
    """Readings that supply an undeclared fact (e.g. damage from the secrecy grade); updates ``f``."""
    applied: list[AppliedInterpretation] = []
    for it in regime.interpretations:
        if not it.assume or not _applies(it, purpose):
            continue
        if it.evaluate(f)[0] is True:
            assumed = {k: v for k, v in it.assume.items() if f.get(k) is None}
            f.update(assumed)
            applied.append(AppliedInterpretation(it.id, it.level, assumed, it.flag is not None))
    return applied


def _criteria(f: Mapping[str, Any], purpose: Any, regime: Regime) -> tuple[list[CriterionResult], int]:
    """Every criterion's result, and the highest level met."""
    results: list[CriterionResult] = []
    met_level = 0
    for c, not_applicable, met, not_met in _prepared(regime):
        if c.applies_to is not None and purpose not in c.applies_to:
            results.append(not_applicable)
            continue
        value, missing = c.evaluate(f)
        if value is True:
            results.append(met)
            if c.level > met_level:
                met_level = c.level
        elif value is False:
            results.append(not_met)
        else:
            results.append(CriterionResult(c.id, c.level, c.article, Status.UNKNOWN, tuple(sorted(missing))))
    return results, met_level


def _floor_readings(f: Mapping[str, Any], purpose: Any, regime: Regime
                    ) -> tuple[list[AppliedInterpretation], list[tuple[int, frozenset[str]]]]:
    """Readings that give a floor level; one that might apply counts as open, like an unknown criterion."""
    applied: list[AppliedInterpretation] = []
    open_readings: list[tuple[int, frozenset[str]]] = []
    for it in regime.interpretations:
        if it.assume or it.level is None or not _applies(it, purpose):
            continue
        value, missing = it.evaluate(f)
        if value is True:
            applied.append(AppliedInterpretation(it.id, it.level, {}, it.flag is not None))
        elif value is None:
            open_readings.append((it.level, missing))
    return applied, open_readings


@dataclass(frozen=True)
class _MaxRule:
    bound: int                                  # the level that is certain
    upper: int                                  # the highest level still possible
    determined: bool
    nothing_matched: bool
    missing: frozenset[str]
    open_components: tuple[ComponentLevel, ...]


def _max_rule(met_level: int, results: Sequence[CriterionResult],
              open_readings: Sequence[tuple[int, frozenset[str]]], comps: Sequence[ComponentLevel],
              regime: Regime) -> _MaxRule:
    bound = max([met_level] + [c.lower_bound for c in comps])
    open_levels = [(r.level, frozenset(r.missing)) for r in results if r.status is Status.UNKNOWN and r.level > bound]
    open_levels += [(lvl, m) for lvl, m in open_readings if lvl > bound]
    open_components = tuple(c for c in comps if c.level is None and c.upper_bound > bound)
    missing_facts: set[str] = set()
    for _, m in open_levels:
        missing_facts.update(m)
    nothing_matched = bound == 0 and not open_levels and not open_components
    if nothing_matched:
        missing_facts.update(regime.nothing_matched_missing)
    determined = not (open_levels or open_components or nothing_matched)
    if determined:
        upper = bound
    else:
        upper = MAX_LEVEL if nothing_matched else max([lvl for lvl, _ in open_levels]
                                                      + [c.upper_bound for c in open_components])
    return _MaxRule(bound, upper, determined, nothing_matched, frozenset(missing_facts), open_components)


def _declared(system_id: str, declared_level: int | None, m: _MaxRule, deciding: Deciding | None
              ) -> tuple[DeclaredStatus, list[Message], list[Message]]:
    """How the declared level compares with the computed one, with the warning or note it deserves."""
    warnings: list[Message] = []
    notes: list[Message] = []
    if declared_level is None:
        return DeclaredStatus.UNDECLARED, warnings, notes
    if declared_level < m.bound:
        warnings.append(Message("classify.warn.underclassified", {
            "system": system_id, "declared": declared_level, "computed": m.bound if m.determined else f"≥{m.bound}",
            "deciding": deciding.id if deciding else "-"}))
        return DeclaredStatus.LOWER, warnings, notes
    if not m.determined:
        return DeclaredStatus.UNVERIFIED, warnings, notes
    if declared_level > m.bound:
        notes.append(Message("classify.note.declared_higher", {
            "system": system_id, "declared": declared_level, "computed": m.bound}))
        return DeclaredStatus.HIGHER, warnings, notes
    return DeclaredStatus.MATCHES, warnings, notes


_PREPARED: dict[int, tuple[Regime, list[tuple[Any, CriterionResult, CriterionResult, CriterionResult]]]] = {}


def _prepared(regime: Regime) -> list[tuple[Any, CriterionResult, CriterionResult, CriterionResult]]:
    """Per regime, the immutable results each criterion can share between systems (speed: no allocation)."""
    entry = _PREPARED.get(id(regime))
    if entry is None or entry[0] is not regime:
        entry = (regime, [(c, CriterionResult(c.id, c.level, c.article, Status.NOT_APPLICABLE),
                           CriterionResult(c.id, c.level, c.article, Status.MET),
                           CriterionResult(c.id, c.level, c.article, Status.NOT_MET)) for c in regime.criteria])
        _PREPARED[id(regime)] = entry
    return entry[1]


def _deciding(level: int, results: Iterable[CriterionResult], applied: Iterable[AppliedInterpretation],
              comps: Iterable[ComponentLevel], regime: Regime) -> Deciding | None:
    for r in results:
        if r.status is Status.MET and r.level == level:
            return Deciding("criterion", r.id, level, r.article)
    for a in applied:
        if a.level == level:
            return Deciding("interpretation", a.id, level)
    for c in comps:
        if c.lower_bound == level:
            return Deciding("component", c.id, level)
    return None


def classify_system(system: System, regime: Regime, components: Sequence[Classification] = (),
                    memo: dict[Any, _Core] | None = None) -> Classification:
    """Classify one system; ``components`` are the classifications of its components. ``memo``
    (one per regime) keeps what equal facts decide, for the next system declaring the same."""
    core = None
    if memo is not None:
        key = (system.purpose, system.facts)
        core = memo.get(key)
        if core is None:
            core = memo[key] = _core(system_facts(system), regime)
    return classify_facts(system.id, system_facts(system) if core is None else {}, regime,
                          declared_level=system.declared_level, components=components, core=core)


# --------------------------------------------------------------------------- inventories


def _diag(where: System, key: str, **args: Any) -> Diagnostic:
    return Diagnostic(where.source.file or "<inventory>", where.source.line, where.source.column, key, args)


def component_order(systems: Sequence[System], wanted: Iterable[str] | None = None) -> list[System]:
    """Systems in an order where components come before the systems made of them.

    Only ``wanted`` systems and their components (transitively) when given. Unknown component ids and
    component cycles are input errors located at the system that declares them.
    """
    by_id = {s.id: s for s in systems}
    problems = [_diag(s, "classify.error.unknown_component", system=s.id, component=c)
                for s in systems for c in s.components if c not in by_id]
    if problems:
        raise InputError(problems)

    order: list[System] = []
    state: dict[str, int] = {}          # 1 = on the current path, 2 = done
    roots = list(wanted) if wanted is not None else [s.id for s in systems]
    for root in roots:
        if state.get(root) == 2:
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        path: list[str] = [root]
        state[root] = 1
        while stack:
            sid, i = stack[-1]
            comps = by_id[sid].components
            if i < len(comps):
                stack[-1] = (sid, i + 1)
                child = comps[i]
                st = state.get(child)
                if st == 1:
                    cycle = path[path.index(child):] + [child]
                    raise InputError([_diag(by_id[sid], "classify.error.component_cycle",
                                            system=sid, cycle=" → ".join(cycle))])
                if st is None:
                    state[child] = 1
                    stack.append((child, 0))
                    path.append(child)
            else:
                stack.pop()
                path.pop()
                state[sid] = 2
                order.append(by_id[sid])
    return order


def classify_inventory(inventory: Inventory, regime: Regime,
                       only: Sequence[str] | None = None) -> tuple[Classification, ...]:
    """Classify the inventory's systems (or only those named), in inventory order."""
    ids = {s.id for s in inventory.systems}
    if only:
        unknown = [sid for sid in only if sid not in ids]
        if unknown:
            raise InputError([Diagnostic("--system", 0, 0, "classify.error.unknown_system",
                                         {"system": sid, "known": ", ".join(sorted(ids)) or "-"})
                              for sid in unknown])
    done: dict[str, Classification] = {}
    memo: dict[Any, _Core] = {}
    for system in component_order(inventory.systems, only or None):
        done[system.id] = classify_system(system, regime, [done[c] for c in system.components], memo)
    wanted = list(dict.fromkeys(only)) if only else [s.id for s in inventory.systems]
    return tuple(done[sid] for sid in wanted)
