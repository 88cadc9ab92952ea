"""classify + resolve (design §2): for each system, the level it must meet and the policies of levels 1..that.

The required level is the higher of the computed level and the declared one; a declared
level lower than the computed one is noted (the computed level applies). An undetermined
classification falls back to the declared level, with a note; with neither, the system
cannot be evaluated and says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Sequence

from secaudit.model import Control, Inventory, Message, System
from secaudit.plan import SystemAssessment
from secaudit.policy import PolicyLibrary, ResolvedPolicy
from secaudit.classify.citation import cite
from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime


def level_policies(library: PolicyLibrary, level: int, profiles: Sequence[str] = ()) -> dict[int, ResolvedPolicy]:
    """The resolved policies of levels 1..level (profiles added to each)."""
    out: dict[int, ResolvedPolicy] = {}
    for lv in range(1, level + 1):
        base = library.resolve(library.level_policy_id(lv))
        out[lv] = library.resolve_profiles(base, profiles) if profiles else base
    return out


def assess_inventory(inventory: Inventory, library: PolicyLibrary, regime_id: str | None = None,
                     only: Sequence[str] | None = None, profiles: Sequence[str] = (),
                     lang: str = "en") -> list[SystemAssessment]:
    regime = load_regime(regime_id)
    classifications = classify_inventory(inventory, regime, only)
    by_id = {s.id: s for s in inventory.systems}
    out = []
    for c in classifications:
        system = by_id[c.system_id]
        deciding = ""
        if c.deciding is not None:
            deciding = cite(c.deciding.article, regime, lang) if c.deciding.article else c.deciding.id
        out.append(assessment_for(system, c.level, deciding, library, profiles, tuple(c.warnings), c.lower_bound))
    return out


def assessment_for(system: System, computed: int | None, deciding: str, library: PolicyLibrary,
                   profiles: Sequence[str] = (), notes: tuple[Message, ...] = (),
                   lower_bound: int = 0) -> SystemAssessment:
    """Required level = max(computed, declared). Undetermined: max(certain minimum, declared), noted;
    with neither a declared level nor a certain minimum the system cannot be evaluated."""
    declared = system.declared_level
    notes_l = list(notes)
    if computed is None:
        if declared is not None and declared >= lower_bound:
            notes_l.append(Message("assess.undetermined_uses_declared", {"system": system.id, "level": declared}))
        elif lower_bound:
            notes_l.append(Message("assess.undetermined_uses_minimum", {"system": system.id, "level": lower_bound}))
    levels = [x for x in (computed, declared, lower_bound if computed is None else 0) if x]
    required = max(levels) if levels else None
    policies = level_policies(library, required, profiles) if required else {}
    return SystemAssessment(system, computed, declared, required, deciding, policies, tuple(notes_l))


def adhoc_assessment(system: System, library: PolicyLibrary, level: int | None,
                     profiles: Sequence[str] = ()) -> SystemAssessment:
    """`scan --target HOST:PORT --level N` / `--profile P`: no inventory, no classification."""
    if level:
        return SystemAssessment(system, None, level, level, "--level", level_policies(library, level, profiles))
    resolved = [library.resolve(p) for p in profiles]
    merged = resolved[0]
    for extra in profiles[1:]:
        merged = library.resolve_profiles(merged, [extra])
    # A profile is evaluated as a single "level" so the achieved level reads 1 (met) or 0 (not met).
    return SystemAssessment(system, None, None, 1, "--profile " + ",".join(profiles), {1: merged})


def with_check_params(a: SystemAssessment, overlay: Mapping[str, Mapping[str, Any]]) -> SystemAssessment:
    """The assessment with ``overlay[check]`` laid over the params of every control using that check
    (the options of a preset such as ``secaudit ports --scan/--range`` become the controls' params)."""
    def control(c: Control) -> Control:
        extra = overlay.get(c.check)
        return dataclasses.replace(c, params={**c.params, **extra}) if extra else c

    policies = {lv: dataclasses.replace(p, controls=tuple(control(c) for c in p.controls))
                for lv, p in a.policies.items()}
    return dataclasses.replace(a, policies=policies)
