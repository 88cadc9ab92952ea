"""Benchmark: classify an inventory of 10,000 generated systems (target: under 2 s).

Run: .venv/bin/python benchmarks/classify_bench.py [--systems N] [--yaml]
The systems are generated with a fixed seed across every purpose and fact; one in ten has
components. Times the engine on model objects (best of 3), and with --yaml also the whole
`load_inventory` + classify path from a generated YAML file.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from secaudit.classify.engine import classify_inventory  # noqa: E402
from secaudit.classify.regime import load_regime  # noqa: E402
from secaudit.model import (Damage, Facts, InfoClass, Inventory, Organisation, PersonalData, Purpose,  # noqa: E402
                            Scope, SecretGrade, System, WorksGrade)


def maybe(rng: random.Random, value, p: float = 0.8):
    return value if rng.random() < p else None


def generate(n: int, seed: int = 85) -> Inventory:
    rng = random.Random(seed)
    systems = []
    for i in range(n):
        purpose = rng.choice(list(Purpose))
        info = tuple(rng.sample(list(InfoClass), rng.randint(1, 3)))
        facts = Facts(
            information=info,
            secret_grade=maybe(rng, rng.choice(list(SecretGrade)), 0.3) if InfoClass.STATE_SECRET in info else None,
            damage=maybe(rng, rng.choice(list(Damage)), 0.5),
            strategic=maybe(rng, rng.random() < 0.2, 0.5),
            online_service_level=maybe(rng, rng.randint(1, 4)),
            administrative_procedures=maybe(rng, rng.random() < 0.5),
            conditional_business=maybe(rng, rng.random() < 0.2),
            personal_data=PersonalData(users=maybe(rng, rng.randint(0, 200_000)),
                                       basic=maybe(rng, rng.randint(0, 300_000)),
                                       sensitive=maybe(rng, rng.randint(0, 30_000))),
            scope=maybe(rng, rng.choice(list(Scope))),
            continuous_operation=maybe(rng, rng.random() < 0.5),
            national_egov=rng.random() < 0.02,
            works_grade=maybe(rng, rng.choice(list(WorksGrade))),
            designated_level=rng.choice([None] * 20 + [2, 3, 4, 5]),
            risk_assessed_level=rng.choice([None] * 20 + [2, 3, 4, 5]),
        )
        # components point to earlier systems only: no cycles
        comps = tuple(f"s{j}" for j in rng.sample(range(i), min(i, 3))) if i and rng.random() < 0.1 else ()
        systems.append(System(id=f"s{i}", name=f"System {i}", purpose=purpose, facts=facts,
                              declared_level=rng.choice([None, 1, 2, 3, 4, 5]), components=comps))
    return Inventory(Organisation("Benchmark"), tuple(systems))


def to_yaml(inv: Inventory) -> str:
    import yaml

    out = []
    for s in inv.systems:
        f = s.facts
        d = {"id": s.id, "name": s.name, "purpose": s.purpose.value, "information": [i.value for i in f.information]}
        if s.declared_level:
            d["declared_level"] = s.declared_level
        if s.components:
            d["components"] = list(s.components)
        out.append(d)
    return yaml.safe_dump({"kind": "inventory", "version": 1, "organisation": {"name": "Benchmark"},
                           "systems": out}, allow_unicode=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--systems", type=int, default=10_000)
    ap.add_argument("--yaml", action="store_true", help="also time load_inventory + classify from a YAML file")
    args = ap.parse_args()

    inv = generate(args.systems)
    for regime_id in ("decree-331-2026", "decree-85-2016"):
        regime = load_regime(regime_id)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            results = classify_inventory(inv, regime)
            best = min(best, time.perf_counter() - t0)
        levels = {lvl: sum(1 for r in results if r.level == lvl) for lvl in (1, 2, 3, 4, 5, None)}
        print(f"{regime_id}: classified {len(results)} systems in {best:.3f} s (best of 3); "
              f"levels {levels}; target < 2 s: {'OK' if best < 2 else 'MISSED'}")

    if args.yaml:
        from secaudit.load import load_inventory

        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False, encoding="utf-8") as fh:
            fh.write(to_yaml(inv))
            path = fh.name
        try:
            t0 = time.perf_counter()
            loaded = load_inventory(path)
            t1 = time.perf_counter()
            classify_inventory(loaded, load_regime())
            t2 = time.perf_counter()
            print(f"YAML path: load_inventory {t1 - t0:.3f} s + classify {t2 - t1:.3f} s "
                  f"for {len(loaded.systems)} systems")
        finally:
            os.unlink(path)


if __name__ == "__main__":
    main()
