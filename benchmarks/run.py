"""`make bench`: every benchmark, one after the other, each printing its own figures.

Speed and memory targets live here, never in the test suite. Each runs against real servers it
starts on loopback and stops itself. Pass names to run a subset: python benchmarks/run.py tls ports
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = {
    "classify": ["classify_bench.py"],
    "classify-formats": ["classify_formats_bench.py"],
    "load": ["load_bench.py"],
    "reports": ["reports.py"],
    "ports": ["ports_bench.py"],
    "coverage": ["coverage_bench.py"],
    "tls": ["tls_bench.py"],
    "tlsspeed": ["tls_speed_bench.py"],
    "engine": ["engine_bench.py"],
    "zones": ["zones_bench.py"],
    "store": ["store_bench.py"],
    "host": ["host_bench.py"],
    "assess": ["assess_bench.py"],
    "import": ["import_bench.py"],
}


def main(argv: list[str]) -> int:
    wanted = argv or list(BENCHES)
    failed = []
    for name in wanted:
        print(f"\n===== {name} =====", flush=True)
        rc = subprocess.run([sys.executable, str(HERE / BENCHES[name][0]), *BENCHES[name][1:]],
                            cwd=HERE.parent).returncode
        if rc != 0:
            failed.append(name)
    print(f"\nbenchmarks done; {'failed: ' + ', '.join(failed) if failed else 'all met their targets'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
