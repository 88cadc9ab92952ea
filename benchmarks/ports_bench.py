"""Benchmark: 1,000 loopback ports over 10 loopback hosts, secaudit vs one raw nmap command vs nmap per port.

    .venv/bin/python benchmarks/ports_bench.py [--rounds 3] [--sample 50] [--json OUT]

* secaudit: ``secaudit.probes.ports.run_probes`` (scope check, nmap lookup, one nmap per host, 8 at a time,
  XML parsed through python-nmap, normalised observations) — measured end to end.
* raw nmap: the very same argvs secaudit ran (taken from its observations), started by subprocess the same
  way (one per host, all at once), output discarded, alternating with secaudit round by round. The machine
  is shared: compare best-of-N and paired ratios. (benchmarks/coverage_bench.py measures the levels'
  top-1,000 and full-range coverage.)
* per port: one nmap invocation per (host, port) on a sample, extrapolated to 1,000 ports.

Only loopback (127.0.0.1–127.0.0.10). Some ports get real listeners, the rest are closed.
Ports 20000–20099 on each host: below the ephemeral range, away from other services.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from secaudit.probes import ports as pp  # noqa: E402

HOSTS = [f"127.0.0.{i}" for i in range(1, 11)]
PORTS = list(range(20000, 20100))           # 100 per host -> 1,000 host-ports
OPEN_EVERY = 10                             # a real listener on every 10th port (100 open in total)


@contextlib.contextmanager
def listeners():
    socks = []
    try:
        for host in HOSTS:
            for port in PORTS[::OPEN_EVERY]:
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind((host, port))
                except OSError:
                    s.close()
                    continue
                s.listen(64)
                socks.append(s)
        yield len(socks)
    finally:
        for s in socks:
            s.close()


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--sample", type=int, default=50, help="ports scanned one invocation each, then extrapolated")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    targets = {h: PORTS for h in HOSTS}
    probes = pp.probes_for(targets, {"ports:scan"})
    with listeners() as n_open:
        secaudit_t, raw_t = [], []
        argv: list[str] = []
        for _ in range(args.rounds):
            dt, obs = timed(lambda: pp.run_probes(probes, scope=HOSTS, deadline_s=60))
            assert all(o.status.value == "ok" for o in obs), [o.error for o in obs if o.error]
            seen_open = sum(len(o.facts.open_ports) for o in obs)
            assert seen_open == n_open, (seen_open, n_open)
            secaudit_t.append(dt)
            argvs = [list(o.facts.command) for o in obs]
            argv = argvs[0]
            dt, _ = timed(lambda: [p.wait(timeout=300) for p in [subprocess.Popen(
                a, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for a in argvs]])
            raw_t.append(dt)
        sample = [(h, p) for h in HOSTS for p in PORTS][:: max(1, len(HOSTS) * len(PORTS) // args.sample)][:args.sample]
        per_port = []
        for host, port in sample:
            one = argv[:argv.index("-p")] + ["-p", str(port), "--", host]
            dt, _ = timed(lambda: subprocess.run(one, stdin=subprocess.DEVNULL, capture_output=True, check=True))
            per_port.append(dt)

    total = len(HOSTS) * len(PORTS)
    sec, raw = statistics.median(secaudit_t), statistics.median(raw_t)
    best_sec, best_raw = min(secaudit_t), min(raw_t)
    paired = statistics.median(a / b for a, b in zip(secaudit_t, raw_t))
    per_port_total = statistics.mean(per_port) * total
    report = {
        "hosts": len(HOSTS), "ports": total, "open": n_open, "rounds": args.rounds,
        "nmap_argv": argv[1:8] + ["..."],
        "secaudit_s": [round(x, 4) for x in secaudit_t], "raw_nmap_s": [round(x, 4) for x in raw_t],
        "secaudit_median_s": round(sec, 4), "raw_nmap_median_s": round(raw, 4), "ratio": round(sec / raw, 3),
        "ratio_first_round": round(secaudit_t[0] / raw, 3),
        "secaudit_min_s": round(best_sec, 4), "raw_nmap_min_s": round(best_raw, 4),
        "ratio_min": round(best_sec / best_raw, 3), "ratio_paired_median": round(paired, 3),
        "per_port_sample": len(per_port), "per_port_mean_s": round(statistics.mean(per_port), 4),
        "per_port_extrapolated_s": round(per_port_total, 2), "speedup_vs_per_port": round(per_port_total / sec, 1),
    }
    print(f"{total} ports on {len(HOSTS)} loopback hosts ({n_open} open), {args.rounds} rounds")
    print(f"  secaudit (nmap per host + parse): median {sec:.3f} s   {report['secaudit_s']}")
    print(f"  raw nmap, same argvs:           median {raw:.3f} s   {report['raw_nmap_s']}")
    print(f"  best of {args.rounds}:                     secaudit {best_sec:.3f} s, raw nmap {best_raw:.3f} s")
    print(f"  ratio secaudit / raw nmap:      {best_sec / best_raw:.2f}x (best of each), {paired:.2f}x (median of"
          f" paired rounds), {sec / raw:.2f}x (medians); first round incl. the one-time nmap lookup:"
          f" {secaudit_t[0] / raw:.2f}x")
    print(f"  one nmap per port:              {report['per_port_mean_s']:.3f} s/port on {len(per_port)} ports"
          f" -> {per_port_total:.1f} s for {total} (x{report['speedup_vs_per_port']} slower than secaudit)")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
