"""Every test (and every secaudit process a test starts) uses a history store of its own session:
never the user's ~/.local/share/secaudit, never a store named by the environment."""

from __future__ import annotations

import os
import shutil
import tempfile

_DATA_DIR = tempfile.mkdtemp(prefix="secaudit-test-data-")


def pytest_configure(config) -> None:
    os.environ["SECAUDIT_DATA_DIR"] = _DATA_DIR
    # also for tests that drop SECAUDIT_* from a child's environment (CI templates): the XDG default
    os.environ["XDG_DATA_HOME"] = os.path.join(_DATA_DIR, "xdg")
    os.environ.pop("SECAUDIT_DB", None)


def pytest_unconfigure(config) -> None:
    shutil.rmtree(_DATA_DIR, ignore_errors=True)
