"""TLS verdicts in few handshakes (issue 28): one run, figures side by side.

1. Connections per endpoint, counted on the server side: a counting TCP proxy (127.28.1.1) in front
   of nginx (127.28.1.2), one compliant endpoint (TLS 1.2/1.3, AEAD + forward secrecy, HSTS) and one
   weak endpoint (TLS 1.0-1.2, static RSA, anonymous and NULL suites). Counted for
   ``secaudit scan --only tls`` at level 3 and for the sslyze CLI's default run (its Mozilla check).
2. 40 endpoints (36 modern, 4 legacy): ``secaudit scan --only tls`` at level 3 vs the sslyze CLI's
   default run, wall time each, ratio (target >= 2.5x); also secaudit with the Mozilla-intermediate
   profile, the check the CLI's default run makes.
3. 1,000 endpoints: ``secaudit scan --only tls`` at level 3, endpoints per minute (target >= 400)
   and peak RSS (target < 200 MiB).

``--baseline DIR`` runs every secaudit figure a second time with the code of another checkout
(``PYTHONPATH=DIR``; e.g. the main branch before this change), side by side in the same run.
Wall times are noisy on a shared machine: compare the columns of one run, and repeat (``--repeat``).

Run: .venv/bin/python benchmarks/tls_speed_bench.py [--sizes 40,1000] [--repeat 1] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.support import inventory  # noqa: E402
from benchmarks.tls_bench import measure  # noqa: E402
from secaudit.lab.counting import counting_proxy  # noqa: E402
from secaudit.lab.pki import TestPKI  # noqa: E402
from secaudit.lab.servers import NginxFarm, Site  # noqa: E402

PROXY, UPSTREAM = "127.28.1.1", "127.28.1.2"
PER_FARM = 200
TARGET_CONNECTIONS = 40
TARGET_RATIO = 2.5
TARGET_PER_MIN = 400
TARGET_RSS_MIB = 200
WEAK_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AECDH-AES128-SHA:NULL-SHA256:@SECLEVEL=0"
LEGACY_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AES256-SHA:@SECLEVEL=0"


def secaudit_scan(work: Path, endpoints: list[str], ca: Path, tag: str, src: Path) -> tuple[list[str], dict]:
    """argv and environment of ``secaudit scan --only tls`` (level 3) with the code of ``src``."""
    d = work / tag
    d.mkdir(parents=True, exist_ok=True)
    inv = d / "inventory.yaml"
    inventory(inv, endpoints)
    argv = [sys.executable, "-m", "secaudit", "scan", str(inv), "--only", "tls", "--ca-file", str(ca), "--quiet",
            "--runs-dir", str(d / "runs"), "--out", str(d / "out"), "--format", "json"]
    return argv, dict(os.environ, PYTHONPATH=str(src))   # the child runs in src (see run)


def secaudit_profile(work: Path, endpoints: list[str], ca: Path, tag: str, src: Path) -> tuple[list[str], dict]:
    """``secaudit scan --target ... --profile mozilla-intermediate``: the check the sslyze CLI runs by default."""
    d = work / tag
    d.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "secaudit", "scan", *(a for e in endpoints for a in ("--target", e)),
            "--service", "https", "--profile", "mozilla-intermediate", "--only", "tls", "--ca-file", str(ca),
            "--quiet", "--runs-dir", str(d / "runs"), "--out", str(d / "out"), "--format", "json"]
    return argv, dict(os.environ, PYTHONPATH=str(src))


def sslyze_cli(work: Path, endpoints: list[str], ca: Path, tag: str) -> list[str]:
    targets = work / f"{tag}.txt"
    targets.write_text("".join(e + "\n" for e in endpoints))
    return [sys.executable, "-m", "sslyze", "--quiet", "--targets_in", str(targets), "--certinfo_ca_file", str(ca),
            "--json_out", str(work / f"{tag}.json")]


def run(argv: list[str], env: dict | None = None, timeout: float = 1800) -> int:
    """Exit code of ``argv``; a secaudit child runs in its source tree (``-m`` puts the cwd first on sys.path)."""
    cwd = Path(env["PYTHONPATH"]) if env and "PYTHONPATH" in env else None
    return subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=timeout).returncode


def connections(work: Path, sources: dict[str, Path]) -> list[dict]:
    """Server-side connection counts for the compliant and the weak endpoint."""
    pki = TestPKI()
    ca = pki.write_ca_file(work / "ca.pem")
    crt, key = pki.write_leaf(pki.leaf(names=("localhost", PROXY)), work, "leaf")
    sites = [Site("compliant", crt, key, host=UPSTREAM, hsts="max-age=63072000"),
             Site("weak", crt, key, host=UPSTREAM, protocols="TLSv1 TLSv1.1 TLSv1.2", ciphers=WEAK_CIPHERS)]
    rows = []
    d = work / "nginx-connections"
    d.mkdir()
    with NginxFarm(sites, d) as farm:
        for name in ("compliant", "weak"):
            with counting_proxy((UPSTREAM, farm[name].port), PROXY) as proxy:
                ep = f"{PROXY}:{proxy.server_address[1]}"
                row: dict = {"endpoint": name}
                for label, src in sources.items():
                    proxy.reset()
                    rc = run(*secaudit_scan(work, [ep], ca, f"conn-{name}-{label}", src))
                    row[label] = proxy.reset()
                    row[f"{label} rc"] = rc
                rc = run(sslyze_cli(work, [ep], ca, f"conn-{name}-sslyze"))
                row["sslyze CLI"] = proxy.reset()
                row["sslyze CLI rc"] = rc
                rows.append(row)
    return rows


@contextlib.contextmanager
def farms(work: Path, n: int, first_host: int, legacy_every: int = 0):
    """n endpoints on nginx processes of at most PER_FARM server blocks, hosts 127.28.<first_host + i>.1."""
    pki = TestPKI()
    ca = pki.write_ca_file(work / f"ca-{n}.pem")
    hosts = [f"127.28.{first_host + i}.1" for i in range((n + PER_FARM - 1) // PER_FARM)]
    crt, key = pki.write_leaf(pki.leaf(names=tuple(hosts)), work, f"leaf-{n}")
    with contextlib.ExitStack() as stack:
        endpoints = []
        for i, host in enumerate(hosts):
            count = min(PER_FARM, n - i * PER_FARM)
            d = work / f"nginx-{n}-{i}"
            d.mkdir()
            sites = []
            for j in range(count):
                k = i * PER_FARM + j
                if legacy_every and k % legacy_every == legacy_every - 1:
                    sites.append(Site(f"l{k}", crt, key, host=host, protocols="TLSv1 TLSv1.1 TLSv1.2",
                                      ciphers=LEGACY_CIPHERS))
                else:
                    sites.append(Site(f"m{k}", crt, key, host=host, hsts="max-age=31536000"))
            farm = stack.enter_context(NginxFarm(sites, d))
            endpoints += [s.address for s in farm.sites]
        yield ca, endpoints


def versus_sslyze(work: Path, n: int, sources: dict[str, Path], repeat: int) -> list[dict]:
    rows = []
    with farms(work, n, first_host=2, legacy_every=10) as (ca, endpoints):
        for rep in range(repeat):
            for label, src in sources.items():
                argv, env = secaudit_scan(work, endpoints, ca, f"vs-{label}-{rep}", src)
                rows.append(dict(measure_env(f"secaudit {label}", argv, n, env), repeat=rep + 1))
                argv, env = secaudit_profile(work, endpoints, ca, f"vs-moz-{label}-{rep}", src)
                rows.append(dict(measure_env(f"secaudit {label} mozilla-intermediate", argv, n, env),
                                 repeat=rep + 1))
            rows.append(dict(measure("sslyze CLI", sslyze_cli(work, endpoints, ca, f"vs-sslyze-{rep}"), n),
                             repeat=rep + 1))
    return rows


def measure_env(name: str, argv: list[str], n: int, env: dict) -> dict:
    return measure(name, argv, n, env, cwd=Path(env["PYTHONPATH"]))


def many(work: Path, n: int, sources: dict[str, Path]) -> list[dict]:
    rows = []
    with farms(work, n, first_host=10) as (ca, endpoints):
        for label, src in sources.items():
            argv, env = secaudit_scan(work, endpoints, ca, f"many-{label}", src)
            rows.append(measure_env(f"secaudit {label}", argv, n, env))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="40,1000", help="endpoints for the sslyze comparison, then the big run")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--baseline", type=Path, help="another checkout to measure side by side (e.g. main)")
    args = ap.parse_args()
    small, big = (int(x) for x in args.sizes.split(","))
    sources = {"this tree": ROOT}
    if args.baseline:
        sources["baseline"] = args.baseline.resolve()
    print(f"load before: {os.getloadavg()}", flush=True)
    ok = True
    with tempfile.TemporaryDirectory(prefix="secaudit-tlsspeed-") as tmp:
        work = Path(tmp)
        conn = connections(work, sources)
        vs = versus_sslyze(work, small, sources, args.repeat)
        big_rows = many(work, big, sources)
    print(f"load after: {os.getloadavg()}")

    print("\n1. TLS connections per endpoint, counted on the server side (level 3, `scan --only tls`)")
    cols = [*sources, "sslyze CLI"]
    print("| endpoint | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for r in conn:
        print(f"| {r['endpoint']} | " + " | ".join(str(r[c]) for c in cols) + " |")
    compliant = next(r for r in conn if r["endpoint"] == "compliant")["this tree"]
    ok &= compliant <= TARGET_CONNECTIONS
    print(f"compliant endpoint: {compliant} connections (target <= {TARGET_CONNECTIONS})")

    print(f"\n2. {small} endpoints: secaudit level 3 vs the sslyze CLI (default run)")
    print("| run | repeat | exit | wall (s) | endpoints/min | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    for r in vs:
        print(f"| {r['name']} | {r['repeat']} | {r['rc']} | {r['wall_s']} | {r['endpoints_per_min']} "
              f"| {r['peak_rss_mib']} |")
    best = {}
    for r in vs:
        best[r["name"]] = min(best.get(r["name"], 1e9), r["wall_s"])
    for label in sources:
        ratio = best["sslyze CLI"] / best[f"secaudit {label}"]
        moz = best["sslyze CLI"] / best[f"secaudit {label} mozilla-intermediate"]
        print(f"secaudit ({label}) vs sslyze CLI, best wall of {args.repeat}: level 3 {ratio:.2f}x faster"
              + (f" (target >= {TARGET_RATIO})" if label == "this tree" else "")
              + f"; the Mozilla-intermediate profile (the CLI's own check) {moz:.2f}x")
        if label == "this tree":
            ok &= ratio >= TARGET_RATIO

    print(f"\n3. {big} endpoints, level 3, `scan --only tls`")
    print("| run | exit | wall (s) | endpoints/min | peak RSS (MiB) |")
    print("|---|---|---|---|---|")
    for r in big_rows:
        print(f"| {r['name']} | {r['rc']} | {r['wall_s']} | {r['endpoints_per_min']} | {r['peak_rss_mib']} |")
    mine = big_rows[0]
    ok &= mine["endpoints_per_min"] >= TARGET_PER_MIN and mine["peak_rss_mib"] < TARGET_RSS_MIB
    print(f"this tree: {mine['endpoints_per_min']} endpoints/min (target >= {TARGET_PER_MIN}), "
          f"peak RSS {mine['peak_rss_mib']} MiB (target < {TARGET_RSS_MIB})")
    print(json.dumps({"cpus": os.cpu_count(), "connections": conn, "versus": vs, "many": big_rows}))
    print("\nall targets met" if ok else "\nSOME TARGETS NOT MET (see above; timings are noisy on a shared machine)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
