"""Large honest inventories (issue 12, item 4): 10,000 systems validate and classify.

They used to be refused as an alias-expansion bomb because the node budget was absolute.
The speed target (< 1.5 s for `classify`) is measured in benchmarks/load_bench.py, not here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.bigfiles import honest_inventory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


def test_ten_thousand_systems_validate_and_classify(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text(honest_inventory(10_000), encoding="utf-8")
    r = run("validate", str(f))
    assert r.returncode == 0, r.stderr[-2000:]
    assert "valid inventory (10000 systems" in r.stdout
    r = run("classify", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr[-2000:]
    data = json.loads(r.stdout)
    systems = data["systems"]
    assert len(systems) == data["summary"]["systems"] == 10_000
    assert {s["system"] for s in systems} == {f"sys-{i:05d}" for i in range(10_000)}
