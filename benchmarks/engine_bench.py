"""Scan-engine benchmark (issue 8): the whole `secaudit scan` pipeline on many loopback TLS endpoints.

* 200 endpoints with the level-3 policy (TLS controls; `--only tls`): endpoints per minute, peak RSS.
* 1,000 endpoints, same: peak RSS must stay under 300 MB, because observations stream to the
  journal instead of being held by the scanner.

Targets: nginx processes (200 server blocks each) on 127.0.0.81-85. The child's peak RSS is its
VmHWM, polled from /proc. Run: .venv/bin/python benchmarks/engine_bench.py [--sizes 200,1000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import inventory  # noqa: E402
from benchmarks.tls_bench import measure  # noqa: E402
from secaudit.lab.pki import TestPKI  # noqa: E402
from secaudit.lab.servers import NginxFarm, Site  # noqa: E402

PER_FARM = 200
RSS_LIMIT_MIB = 300


@contextlib.contextmanager
def farms(work: Path, n: int):
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    hosts = [f"127.0.0.{81 + i}" for i in range((n + PER_FARM - 1) // PER_FARM)]
    crt, key = pki.write_leaf(pki.leaf(names=tuple(hosts)), work, "leaf")
    with contextlib.ExitStack() as stack:
        endpoints = []
        for i, host in enumerate(hosts):
            count = min(PER_FARM, n - i * PER_FARM)
            d = work / f"nginx-{i}"
            d.mkdir()
            farm = stack.enter_context(NginxFarm(
                [Site(f"s{i}-{j}", crt, key, host=host, hsts="max-age=31536000") for j in range(count)], d))
            endpoints += [s.address for s in farm.sites]
        yield ca, endpoints


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="200,1000")
    args = ap.parse_args()
    rows = []
    for n in (int(x) for x in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="secaudit-engine-bench-") as tmp:
            work = Path(tmp)
            with farms(work, n) as (ca, endpoints):
                inv = work / "inventory.yaml"
                inventory(inv, endpoints)
                argv = [sys.executable, "-m", "secaudit", "scan", str(inv), "--only", "tls", "--ca-file", str(ca),
                        "--quiet", "--runs-dir", str(work / "runs"), "--out", str(work / "out"), "--format", "json"]
                row = measure(f"secaudit scan, level 3, {n} endpoints", argv, n)
                row["rss_ok"] = row["peak_rss_mib"] < RSS_LIMIT_MIB
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k not in ("stdout_tail", "stderr_tail")}),
                      flush=True)
    print("\n| run | exit | wall (s) | endpoints/min | peak RSS (MiB) |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['rc']} | {r['wall_s']} | {r['endpoints_per_min']} | {r['peak_rss_mib']} |")
    big = [r for r in rows if "1000" in r["name"]]
    if big and not big[0]["rss_ok"]:
        print(f"FAIL: peak RSS {big[0]['peak_rss_mib']} MiB >= {RSS_LIMIT_MIB} MiB")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
