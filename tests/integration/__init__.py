"""Integration tests. Server helpers live in :mod:`secaudit.lab`; the old module name stays importable."""

import importlib
import sys

sys.modules[f"{__name__}.ports_servers"] = importlib.import_module("secaudit.lab.ports_servers")
