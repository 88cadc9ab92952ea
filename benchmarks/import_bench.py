"""Benchmark: `secaudit import` of a 50 MB Nessus v2 file (targets: under 30 s, peak RSS under 300 MB), and of
a 50 MB Nuclei JSON export (``-json-export``: one JSON array on a single line, read element by element).

Run: .venv/bin/python benchmarks/import_bench.py [--mb 50] [--hosts 200]
The file is generated here in Nessus's real shape (tests/support/imports.py writes the same shape for the
tests): HOSTS hosts on loopback addresses, each with ReportItems of every severity, CVEs and a few hundred
bytes of plugin output, until the file reaches the size asked. The inventory declares every host as a
system's endpoint, so every item is matched and stored as a finding as well. The command runs in a child
process (the real console entry point) into a fresh SQLite store; its peak RSS comes from wait4(). A second
import of the same file is timed too: it must add nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TIME_TARGET_S = 30.0
RSS_TARGET_MIB = 300
SEVERITIES = ["0", "1", "2", "3", "4"]


def write_nessus(path: Path, size: int, hosts: int) -> int:
    """A Nessus v2 file of at least ``size`` bytes; returns the number of ReportItems."""
    names = [f"127.24.{1 + i // 250}.{1 + i % 250}" for i in range(hosts)]
    output = escape("Remote banner : nginx/1.22.1 <- " + "x" * 200 + "\nThe remote service accepts weak ciphers.")
    items = 0
    per_host = 1
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" ?>\n<NessusClientData_v2>\n<Report name="bench" xmlns:cm="http://www.nessus.org/cm">\n')
        written = f.tell()
        while written < size:
            for h in names:
                f.write(f'<ReportHost name="{h}"><HostProperties><tag name="HOST_END">Mon Dec  7 02:30:00 2026</tag>'
                        f'<tag name="host-ip">{h}</tag><tag name="HOST_START">Mon Dec  7 02:00:00 2026</tag>'
                        "</HostProperties>\n")
                for k in range(per_host):
                    n = items
                    sev = SEVERITIES[n % 5]
                    f.write(f'<ReportItem port="{443 if n % 3 else 80}" svc_name="www" protocol="tcp" severity="{sev}" '
                            f'pluginID="{100000 + n}" pluginName="Synthetic check {n}" pluginFamily="Web Servers">'
                            f"<description>Synthetic vulnerability {n} for the benchmark.</description>"
                            f"<solution>Upgrade to a fixed version.</solution><risk_factor>Medium</risk_factor>"
                            f"<cve>CVE-2026-{10000 + n % 50000}</cve><xref>CWE:79</xref>"
                            f"<plugin_output>{output}</plugin_output></ReportItem>\n")
                    items += 1
                f.write("</ReportHost>\n")
            written = f.tell()
            per_host = 50
        f.write("</Report>\n</NessusClientData_v2>\n")
    return items


NUCLEI_SEVERITIES = ["info", "low", "medium", "high", "critical", "unknown"]


def write_nuclei_export(path: Path, size: int, hosts: int) -> int:
    """A Nuclei JSON export (one array, one line, as Go's json.Marshal writes it) of at least ``size`` bytes."""
    names = [f"127.24.{1 + i // 250}.{1 + i % 250}" for i in range(hosts)]
    items = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("[")
        while f.tell() < size:
            h = names[items % hosts]
            url = f"https://{h}:443"
            record = {"template-id": f"synthetic-{items}", "template-path": f"/t/synthetic-{items}.yaml",
                      "info": {"name": f"Synthetic check {items}", "author": ["bench"], "tags": ["bench"],
                               "severity": NUCLEI_SEVERITIES[items % 6], "remediation": "Upgrade.",
                               "classification": {"cve-id": [f"CVE-2026-{10000 + items % 50000}"], "cwe-id": ["cwe-79"]}},
                      "type": "http", "host": url, "port": "443", "scheme": "https", "url": url,
                      "matched-at": f"{url}/p{items}", "extracted-results": ["nginx/1.22.1"], "ip": h,
                      "timestamp": "2026-12-07T02:10:00.123456789Z", "request": "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                      "response": "HTTP/1.1 200 OK\r\nServer: nginx\r\n\r\n" + "x" * 300, "matcher-status": True}
            f.write(("," if items else "") + json.dumps(record, separators=(",", ":")))
            items += 1
        f.write("]")
    return items


def write_inventory(path: Path, hosts: int) -> None:
    lines = ["kind: inventory", "version: 1", "organisation: {name: Bench}", "systems:"]
    for i in range(hosts):
        host = f"127.24.{1 + i // 250}.{1 + i % 250}"
        lines.append(f"  - {{id: s{i}, name: S{i}, purpose: internal, information: [private], declared_level: 3, "
                     f"endpoints: [{{host: {host}, port: 443, service: https}}]}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(argv: list[str]) -> tuple[int, float, float, str]:
    """(exit status, wall seconds, peak RSS MiB, stderr tail) of a child process."""
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024, err[-300:]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=50)
    ap.add_argument("--hosts", type=int, default=200)
    args = ap.parse_args()
    print("| file | items | exit | wall (s) | peak RSS (MiB) | re-import (s) | store (MiB) |")
    print("|---|---|---|---|---|---|---|")
    ok = True
    for label, name, writer in (("Nessus v2", "big.nessus", write_nessus),
                                ("Nuclei JSON export (one line)", "big.json", write_nuclei_export)):
        with tempfile.TemporaryDirectory(prefix="secaudit-import-bench-") as tmp:
            work = Path(tmp)
            report = work / name
            items = writer(report, args.mb * 1024 * 1024, args.hosts)
            write_inventory(work / "inventory.yaml", args.hosts)
            size_mb = report.stat().st_size / 1024 / 1024
            argv = [sys.executable, "-m", "secaudit", "import", str(work / "inventory.yaml"), str(report),
                    "--data-dir", str(work / "db")]
            rc, wall, rss, err = run(argv)
            rc2, wall2, rss2, err2 = run(argv)
            store_mb = sum(p.stat().st_size for p in (work / "db").glob("store.sqlite*")) / 1024 / 1024
        print(f"| {label}, {size_mb:.1f} MB, {args.hosts} hosts | {items} | {rc} | {wall:.1f} | {rss:.0f} | "
              f"{wall2:.1f} | {store_mb:.0f} |")
        if not (rc == 0 and rc2 == 0 and wall < TIME_TARGET_S and rss < RSS_TARGET_MIB):
            ok = False
            print(f"FAIL ({label}): targets {TIME_TARGET_S} s and {RSS_TARGET_MIB} MiB; stderr: {err or err2}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
