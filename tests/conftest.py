"""Every test (and every secaudit process a test starts) uses a history store of its own session:
never the user's ~/.local/share/secaudit, never a store named by the environment.

The suite runs in three pytest-xdist workers (``-n 3 --dist loadfile``, setup.cfg; on two cores: tests mostly
wait on the servers they start, so a third worker uses the idle time). Each test module is
one unit of work, so a module's fixtures start once; modules that share something that cannot be used
twice at once are one unit together and run one after another in the same worker. A module's servers
listen on addresses of its own (design §6), so that its port scans see only its own servers; the groups
below are the exceptions.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_DATA_DIR = tempfile.mkdtemp(prefix="secaudit-test-data-")

# Modules that share addresses (and scan them): one worker, one after another.
SHARED = {
    "tests/integration/test_zones.py": "zones",            # 127.7.1.0/24 and 127.7.2.0/24, both zones' scopes
    "tests/integration/test_zones_failover.py": "zones",
    "tests/integration/test_zones_tls.py": "zones",
}


# The longest units of work first (their --durations under load, longest first): `--dist loadfile` hands modules
# out in collection order, so a long module collected late ran alone at the end while the other workers idled.
LONGEST_FIRST = (
    "tests/cli/test_wheel_demo.py",                    # builds the wheel (shared with test_wheel) and runs the demo
    "tests/cli/test_wheel.py",
    "tests/integration/test_interrupt_resume.py",
    "tests/integration/test_presets.py",
    "tests/integration/test_zones_failover.py",        # the "zones" group (SHARED) starts with its longest module
    "tests/integration/test_history_scan.py",
    "tests/cli/test_import_cli.py",
    "tests/store/test_crash.py",
    "tests/cli/test_scan_e2e.py",
    "tests/integration/test_resume.py",
    "tests/integration/test_ports_coverage.py",
    "tests/integration/test_zones_interrupt.py",
    "tests/integration/test_discover_pipeline.py",
)


def pytest_collection_modifyitems(session, config, items) -> None:
    """Put the modules of :data:`LONGEST_FIRST` first, in that order (the others, and the tests inside each
    module, keep their order)."""
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_configure(config) -> None:
    os.environ["SECAUDIT_DATA_DIR"] = _DATA_DIR
    # also for tests that drop SECAUDIT_* from a child's environment (CI templates): the XDG default
    os.environ["XDG_DATA_HOME"] = os.path.join(_DATA_DIR, "xdg")
    os.environ.pop("SECAUDIT_DB", None)


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, with the modules of one :data:`SHARED` group as one unit of work.

    (pytest-xdist's own ``loadgroup`` cannot do this under pytest 9.2: it renames a test's node id by an
    attribute pytest no longer reads, so its groups are silently ignored.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ModuleGroups(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return SHARED.get(module, module)

    return ModuleGroups(config, log)
