"""Benchmark: large honest inventories and alias bombs (issue 12, item 4).

Run: .venv/bin/python benchmarks/load_bench.py [--rounds N]
Generates the inventories of tests/support/bigfiles.py (10,000 and 12,000 systems), then times
the real console script end to end, as a user runs it: `secaudit validate` and `secaudit classify`
(text output to a file). Wall time is the best of N rounds; CPU time (user + system of the child)
is shown too, since on a shared machine it is the steadier figure. Also times the refusal of a
billion-laughs file and of a 2 MB alias bomb in-process. Target: classify of 10,000 systems under
1.5 s end to end, a billion-laughs refusal under 1 s.

The package's modules are byte-compiled first, as an installed package is (pip compiles them):
with PYTHONDONTWRITEBYTECODE set and no ``__pycache__``, every run would also pay about 0.1 s to
compile secaudit's sources, which no installed copy does.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.bigfiles import honest_inventory  # noqa: E402

TARGET_CLASSIFY_S = 1.5
TARGET_BOMB_S = 1.0


def timed(args: list[str], rounds: int) -> tuple[float, float]:
    """Best wall time and the CPU time of that round, of ``secaudit ARGS``."""
    best = (float("inf"), 0.0)
    for _ in range(rounds):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        r = subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode != 0:
            raise SystemExit(f"secaudit {' '.join(args)} exited {r.returncode}: {r.stderr[-500:]}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best = min(best, (wall, cpu))
    return best


def laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines + [f"systems: *a{levels}"]) + "\n"


def big_bomb() -> str:
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i-1}, *a{i-1}]" for i in range(1, 60)]
    return "\n".join(lines + [f"b{i}: [" + ", ".join(["*a59"] * 50) + "]" for i in range(2000)]) + "\n"


def bombs() -> bool:
    from secaudit.yamlread import read_yaml_text

    ok = True
    for name, text in (("billion laughs", laughs()), ("alias bomb of 2,000 lines", big_bomb())):
        t0 = time.process_time()
        doc, diags = read_yaml_text("bomb.yaml", text)
        cpu = time.process_time() - t0
        d = diags[0]
        met = doc is None and d.key == "yaml.alias_bomb" and (name != "billion laughs" or cpu < TARGET_BOMB_S)
        ok &= met
        print(f"{name} ({len(text):,} bytes): refused in {cpu:.3f} s CPU at {d.file}:{d.line}:{d.column} "
              f"({d.key}){'' if name != 'billion laughs' else f'; target < {TARGET_BOMB_S} s: ' + ('OK' if met else 'MISSED')}")
    return ok


def main() -> int:
    import compileall

    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    compileall.compile_dir(ROOT / "secaudit", quiet=1)
    ok = bombs()
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 12_000):
            path = Path(tmp) / f"inventory-{n}.yaml"
            path.write_text(honest_inventory(n), encoding="utf-8")
            size = os.path.getsize(path)
            for label, cmd in (("validate", ["validate", str(path)]),
                               ("classify", ["classify", str(path), "-o", str(Path(tmp) / "levels.txt")])):
                wall, cpu = timed(cmd, args.rounds)
                line = f"{label} {n:,} systems ({size / 1e6:.1f} MB): {wall:.2f} s wall (best of {args.rounds}), {cpu:.2f} s CPU"
                if label == "classify" and n == 10_000:
                    met = wall < TARGET_CLASSIFY_S
                    ok &= met
                    line += f"; target < {TARGET_CLASSIFY_S} s: {'OK' if met else 'MISSED'}"
                print(line, flush=True)
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
