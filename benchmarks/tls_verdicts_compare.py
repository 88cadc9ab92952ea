"""Same verdicts, same evidence: the TLS test lab judged by this tree and by another checkout, compared.

Starts the integration tests' TLS lab (tests/support/lab.py: modern, legacy TLS 1.0/1.1 with static
RSA, expired, not yet valid, self-signed, wrong host, RSA-1024, SHA-1, no intermediate, soon expiring,
DHE-1024, bad chain order, OCSP cases, SMTP STARTTLS...). Each tree, in its own child process,
scans every endpoint once with everything the level 1-5 policies and the Mozilla profiles need and
judges the TLS and certificate controls of every one of those policies on it. Compared: the sets of (policy, control, endpoint, verdict),
and the evidence of every finding (so a FAIL still names the same offending suites, and a PASS lists
the same accepted suites and groups), less the validity dates of freshly made certificates and the
line suites by elimination add to a PASS.

Run: .venv/bin/python benchmarks/tls_verdicts_compare.py --baseline /path/to/other/checkout
Exit 0 when both agree, 1 otherwise (the differences are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ("level-1", "level-2", "level-3", "level-4", "level-5", "mozilla-intermediate", "mozilla-modern",
            "mozilla-old")
# evidence that changes between two scans of the same server and says nothing about the verdict, and
# the line suites by elimination add to a PASS ("other suites offered at once and refused")
_VOLATILE = {"cert.ev.validity", "tls.ev.refused_offers"}


def _child(targets_file: str, ca_file: str) -> None:
    from secaudit.checks import REGISTRY
    from secaudit.evaluate import judge_endpoint
    from secaudit.model import Endpoint, Service, Starttls
    from secaudit.plan import needs_of
    from secaudit.policy import load_profile
    from secaudit.probes.tls import TlsTarget, params_for_needs, scan

    targets = json.loads(Path(targets_file).read_text())
    policies = [load_profile(p) for p in PROFILES]
    needs = frozenset().union(*(needs_of(p.controls, REGISTRY) for p in policies))
    params = params_for_needs(needs)
    tls = [TlsTarget("127.0.0.1", port, "localhost", starttls, probe_id=name)
           for name, (port, starttls) in targets.items()]
    rows = []
    for obs in scan(tls, params, ca_file=Path(ca_file), timeout_s=180):
        port, starttls = targets[obs.probe_id]
        ep = Endpoint("127.0.0.1", port, Service.SMTP if starttls else Service.HTTPS, tls=not starttls,
                      starttls=Starttls(starttls) if starttls else None, sni="localhost")
        for policy in policies:
            tls_controls = {c.id for c in policy.controls if c.check in REGISTRY
                            and all(n.startswith("tls:") for n in REGISTRY[c.check].needs)}
            for f in judge_endpoint(policy, ep, [obs], REGISTRY):
                if f.control_id not in tls_controls:
                    continue
                evidence = [[e.label, e.value] for e in f.evidence if e.label not in _VOLATILE]
                rows.append([policy.id, f.control_id, obs.probe_id, f.verdict.value, evidence])
    print(json.dumps(rows))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", type=Path, required=False)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(*args.child)
        return 0
    if args.baseline is None:
        ap.error("--baseline DIR is required")
    sys.path.insert(0, str(ROOT))
    from tests.support.lab import tls_lab

    trees = {"this tree": ROOT, "baseline": args.baseline.resolve()}
    results = {}
    with tempfile.TemporaryDirectory(prefix="secaudit-verdicts-") as tmp, tls_lab(Path(tmp)) as lab:
        targets = {name: [port, lab.starttls.get(name)] for name, port in lab.ports.items()
                   if name not in ("silent", "closed")}
        tf = Path(tmp) / "targets.json"
        tf.write_text(json.dumps(targets))
        for label, src in trees.items():
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(tf), str(lab.ca_file)],
                                 cwd=src, env=dict(os.environ, PYTHONPATH=str(src)), capture_output=True, text=True,
                                 timeout=1800)
            if out.returncode != 0:
                print(f"{label} failed: {out.stderr[-2000:]}")
                return 1
            results[label] = json.loads(out.stdout.strip().splitlines()[-1])
    verdicts = {label: {tuple(r[:4]) for r in rows} for label, rows in results.items()}
    evidence = {label: {tuple(r[:3]): r[4] for r in rows} for label, rows in results.items()}
    a, b = verdicts["this tree"], verdicts["baseline"]
    print(f"{len(a)} (policy, control, endpoint, verdict) this tree, {len(b)} baseline, "
          f"{len(targets)} endpoints, {len(PROFILES)} policies")
    ok = a == b
    for item in sorted(a - b):
        print("only this tree:", item)
    for item in sorted(b - a):
        print("only baseline:", item)
    evidence_diff = [k for k in evidence["baseline"] if evidence["baseline"][k] != evidence["this tree"].get(k)]
    for k in evidence_diff:
        print("evidence differs:", k, "\n  baseline:", evidence["baseline"][k], "\n  this tree:",
              evidence["this tree"].get(k))
    ok &= not evidence_diff
    counts: dict[str, int] = {}
    for item in a:
        counts[item[3]] = counts.get(item[3], 0) + 1
    print(f"verdicts: {counts}; findings compared with their evidence: {len(evidence['baseline'])}")
    print("same verdicts and same evidence" if ok else "DIFFERENCES (above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
