"""TLS benchmark: secaudit vs the sslyze command line on the same 50 loopback endpoints, same run.

One nginx serves 50 TLS server blocks on 127.0.0.1 (45 modern, 5 legacy). Four scans, each in
its own child process, one after the other:

* secaudit, full Mozilla-intermediate profile (every measurement the profile needs, then verdicts)
* sslyze CLI, its default run (``--mozilla_config intermediate``: the Mozilla command set and check)
* secaudit, a protocols-only policy (tls.protocols.forbidden + tls.protocols.required)
* sslyze CLI, protocol versions only (``--sslv2 --sslv3 --tlsv1 --tlsv1_1 --tlsv1_2 --tlsv1_3``)

For each: wall time, endpoints per minute, and the child's peak RSS (VmHWM of the child,
polled from /proc every 20 ms; VmHWM only grows, so the last reading is the peak).

Run: .venv/bin/python benchmarks/tls_bench.py [--endpoints 50] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent


def _child(mode: str, targets_file: str, ca_file: str) -> None:
    """Runs inside the child process: scan the targets with secaudit, print a summary as JSON."""
    from secaudit.checks import REGISTRY
    from secaudit.evaluate import judge_endpoint
    from secaudit.model import Endpoint, ObservationStatus, Service
    from secaudit.plan import needs_of
    from secaudit.policy import load_profile
    from secaudit.probes.tls import TlsTarget, params_for_needs, scan

    targets = json.loads(Path(targets_file).read_text())
    if mode == "full":
        policy = load_profile("mozilla-intermediate")
    else:
        prof = Path(tempfile.mkdtemp()) / "protocols.yaml"
        prof.write_text(
            "kind: policy\nid: protocols-only\ntitle: {en: Protocols only, vi: Chỉ giao thức}\ncontrols:\n"
            "  - {id: P-1, title: {en: p, vi: p}, check: tls.protocols.forbidden, severity: high}\n"
            "  - {id: P-2, title: {en: p, vi: p}, check: tls.protocols.required, severity: high}\n")
        policy = load_profile(str(prof))
    params = params_for_needs(needs_of(policy.controls, REGISTRY))
    tls_targets = [TlsTarget("127.0.0.1", p, probe_id=str(p)) for p in targets]
    verdicts: dict[str, int] = {}
    ok = 0
    for obs in scan(tls_targets, params, ca_file=Path(ca_file), timeout_s=120):
        ok += obs.status == ObservationStatus.OK
        ep = Endpoint("127.0.0.1", int(obs.probe_id), Service.HTTPS, tls=True)
        for f in judge_endpoint(policy, ep, [obs], REGISTRY):
            verdicts[f.verdict.value] = verdicts.get(f.verdict.value, 0) + 1
    print(json.dumps({"observations_ok": ok, "verdicts": verdicts, "commands": sorted(params.scan_commands),
                      "protocol_sweep": params.protocol_sweep}))


def _peak_rss_kib(pid: int, stop: threading.Event, out: list[int]) -> None:
    while not stop.is_set():
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    out[0] = max(out[0], int(line.split()[1]))
        except OSError:
            pass
        stop.wait(0.02)


def measure(name: str, argv: list[str], n: int, env: dict | None = None, cwd: Path | None = None) -> dict:
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    peak = [0]
    stop = threading.Event()
    poller = threading.Thread(target=_peak_rss_kib, args=(proc.pid, stop, peak), daemon=True)
    poller.start()
    try:
        out, err = proc.communicate(timeout=1800)
    finally:
        stop.set()
        poller.join()
    wall = time.monotonic() - t0
    return {"name": name, "rc": proc.returncode, "wall_s": round(wall, 2),
            "endpoints_per_min": round(n * 60 / wall, 1), "peak_rss_mib": round(peak[0] / 1024, 1),
            "stdout_tail": out.strip().splitlines()[-1][:300] if out.strip() else "", "stderr_tail": err[-300:]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoints", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", nargs=3, metavar=("MODE", "TARGETS", "CA"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0

    from secaudit.lab.pki import TestPKI
    from secaudit.lab.servers import NginxFarm, Site

    n = args.endpoints
    work = Path(tempfile.mkdtemp(prefix="secaudit-bench-"))
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(), work, "leaf")
    sites = []
    for i in range(n):
        if i % 10 == 9:
            sites.append(Site(f"legacy{i}", crt, key, protocols="TLSv1 TLSv1.1 TLSv1.2",
                              ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0"))
        else:
            sites.append(Site(f"modern{i}", crt, key, hsts="max-age=63072000"))
    with NginxFarm(sites, work) as farm:
        ports = [s.port for s in farm.sites]
        targets_file = work / "targets.json"
        targets_file.write_text(json.dumps(ports))
        sslyze_targets = work / "targets.txt"
        sslyze_targets.write_text("".join(f"127.0.0.1:{p}\n" for p in ports))
        py = sys.executable
        me = str(Path(__file__).resolve())
        sslyze_cli = [py, "-m", "sslyze", "--quiet", "--targets_in", str(sslyze_targets),
                      "--json_out", str(work / "sslyze.json")]
        runs = [
            ("secaudit full (mozilla-intermediate)", [py, me, "--child", "full", str(targets_file), str(ca)]),
            ("sslyze CLI default (mozilla intermediate)", sslyze_cli + ["--certinfo_ca_file", str(ca)]),
            ("secaudit protocols-only", [py, me, "--child", "protocols", str(targets_file), str(ca)]),
            ("sslyze CLI protocols only", sslyze_cli + ["--mozilla_config", "disable", "--sslv2", "--sslv3",
                                                        "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3"]),
        ]
        results = []
        for rep in range(args.repeat):
            for name, argv in runs:
                r = measure(name, argv, n)
                r["repeat"] = rep + 1
                results.append(r)
                print(f"{name:45s} {r['wall_s']:7.2f} s  {r['endpoints_per_min']:7.1f} endpoints/min  "
                      f"peak RSS {r['peak_rss_mib']:6.1f} MiB  rc={r['rc']}", flush=True)
    by = {}
    for r in results:
        by.setdefault(r["name"], []).append(r["endpoints_per_min"])
    best = {k: max(v) for k, v in by.items()}
    full_ratio = best["secaudit full (mozilla-intermediate)"] / best["sslyze CLI default (mozilla intermediate)"]
    proto_ratio = best["secaudit protocols-only"] / best["sslyze CLI default (mozilla intermediate)"]
    proto_vs_proto = best["secaudit protocols-only"] / best["sslyze CLI protocols only"]
    print(f"\nthroughput ratios (best of {args.repeat}): full vs CLI default {full_ratio:.2f}x (target >= 1.0); "
          f"protocols-only vs CLI default {proto_ratio:.2f}x; protocols-only vs CLI protocols-only "
          f"{proto_vs_proto:.2f}x (target >= 1.5)")
    print(json.dumps({"endpoints": n, "cpus": os.cpu_count(), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
