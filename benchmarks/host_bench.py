"""Host-checks benchmark (issue 23): 100 host targets over SSH, and Lynis on one host for comparison.

* Targets: one planted hardened host (secaudit.lab.sshlab: real `sshd -i` per connection inside its own
  namespaces) answering on 100 loopback addresses 127.23.100.1-100; the inventory has 100 systems (level 4,
  every HOST-* control), one host each, with the documented sudo line.
* secaudit: `secaudit scan --only host` in a process of its own; wall time and that process's peak RSS
  (wait4). Every control must have a verdict on every host (no ERROR) for the run to count.
* Lynis: `lynis audit system --quick` on this machine (one host, run locally as root), wall time.

Target: the 100 hosts in under 60 s. Run: .venv/bin/python benchmarks/host_bench.py [--hosts N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from secaudit.lab.sshlab import USER, lab_hosts  # noqa: E402
from secaudit.probes.host import sudoers_lines  # noqa: E402

TARGET_S = 60.0
PORT = 2222


def inventory(path: Path, addresses: list[str], key: Path, known: Path) -> None:
    lines = ["kind: inventory", "version: 1", "organisation:", "  name: Bench", "systems:"]
    for i, a in enumerate(addresses):
        lines += [f"  - {{id: h{i}, name: H{i}, purpose: internal, information: [public], declared_level: 4, "
                  f"hosts: [{{address: {a}, ssh: {{port: {PORT}, user: {USER}, key: '{key}', "
                  f"known_hosts: '{known}', sudo: true}}}}]}}"]
    path.write_text("\n".join(lines) + "\n")


def run_measured(argv: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """(exit status, wall seconds, peak RSS in MB) of one child process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024


def lynis_seconds(work: Path) -> float | None:
    lynis = shutil.which("lynis")
    if lynis is None:
        print("lynis: not installed (apt-get install lynis) — comparison skipped")
        return None
    t0 = time.monotonic()
    subprocess.run([lynis, "audit", "system", "--quick", "--no-colors", "--logfile", str(work / "lynis.log"),
                    "--report-file", str(work / "lynis-report.dat")], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=900)
    return time.monotonic() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=100)
    args = ap.parse_args()
    addresses = [f"127.23.100.{i}" for i in range(1, args.hosts + 1)]
    with tempfile.TemporaryDirectory(prefix="secaudit-host-bench-") as tmp:
        work = Path(tmp)
        with lab_hosts(work / "lab", {(a, PORT): "hardened" for a in addresses}, sudoers_lines(USER)) as lab:
            inv = work / "inventory.yaml"
            inventory(inv, addresses, lab["key"], lab["known_hosts"])
            out = work / "out"
            argv = [sys.executable, "-W", "ignore", "-m", "secaudit", "scan", str(inv), "--only", "host", "--quiet",
                    "--runs-dir", str(work / "runs"), "--out", str(out), "--format", "json"]
            rc, wall, rss = run_measured(argv, dict(os.environ, PYTHONPATH=str(ROOT)))
        report = json.loads((out / "report.json").read_text())
        host = [f for f in report["findings"] if f["control_id"].startswith("HOST-")]
        errors = [f for f in host if f["verdict"] == "error"]
        print(f"secaudit: {args.hosts} hosts, {len(host)} host findings, {len(errors)} errors, exit {rc}")
        print(f"secaudit: wall {wall:.1f} s ({wall / args.hosts:.2f} s per host), peak RSS {rss:.0f} MB")
        lyn = lynis_seconds(work)
        if lyn is not None:
            print(f"lynis audit system --quick, one host locally: {lyn:.1f} s per host "
                  f"(secaudit: {wall / args.hosts:.2f} s per host over SSH, hosts in parallel)")
    ok = wall < TARGET_S and not errors and len(host) == 16 * args.hosts
    print(f"target: {args.hosts} hosts under {TARGET_S:.0f} s with a verdict on every control: {'met' if ok else 'NOT MET'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
