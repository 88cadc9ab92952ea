"""Static check: test modules that may run at the same time do not share a loopback address.

The suite runs in two pytest-xdist workers (tests/conftest.py). A module's port scans see every
listener on the addresses they scan, and its servers bind fixed ports on some addresses, so two
modules naming the same address (other than 127.0.0.1 and ::1, where servers take ephemeral ports
and no test scans ranges) would see each other's servers or fail to bind. A module whose addresses
are only data (canned observations, inventories that are classified, not scanned) is listed below;
modules that must share addresses are one group in ``tests.conftest.SHARED``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from tests.conftest import SHARED

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"\b127\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")
ANY_MODULE = {"127.0.0.1", "127.0.0.0"}
# modules where these addresses are only data: nothing listens on them, nothing scans them
DATA_ONLY = {
    "tests/conftest.py",                     # names the zones group's networks in a comment
    "tests/cli/test_classify_cli.py",
    "tests/report/conftest.py",
    "tests/report/test_csv.py",
    "tests/report/test_history_reports.py",
    "tests/report/test_junit.py",
    "tests/report/test_markdown.py",
    "tests/store/test_history.py",
    "tests/store/test_store.py",
    "tests/support/bigrun.py",
    "tests/support/imports.py",              # hosts in other tools' reports (files, never reached)
    "tests/cli/test_import_cli.py",
    "tests/store/test_imports_store.py",
}


# the demo targets' addresses are used by the module that runs `secaudit demo`
RUNS_THE_DEMO = "tests/cli/test_wheel_demo.py"


def _group(module: str) -> str:
    return SHARED.get(module, module)


def test_no_two_test_modules_that_can_run_together_use_one_address():
    users: dict[str, set[str]] = defaultdict(set)
    for path in sorted((ROOT / "tests").rglob("*.py")):
        module = path.relative_to(ROOT).as_posix()
        if module.startswith("tests/unit/") or module in DATA_ONLY:
            continue
        for address in set(ADDRESS.findall(path.read_text(encoding="utf-8"))) - ANY_MODULE:
            users[address].add(_group(module))
    demo = (ROOT / "secaudit/lab/demo_targets.py").read_text(encoding="utf-8")
    for address in set(ADDRESS.findall(demo)) - ANY_MODULE:
        users[address].add(_group(RUNS_THE_DEMO))
    shared = {a: sorted(groups) for a, groups in users.items() if len(groups) > 1}
    assert not shared, f"give each module addresses of its own, or put them in one SHARED group: {shared}"


def test_the_check_sees_the_addresses_modules_really_use():
    # the check is only as good as its reading of the modules: it must find known addresses
    text = (ROOT / "tests/cli/test_scan_e2e.py").read_text(encoding="utf-8")
    assert {"127.0.0.51", "127.0.0.56"} <= set(ADDRESS.findall(text))
    assert _group("tests/integration/test_zones_tls.py") == _group("tests/integration/test_zones.py")
