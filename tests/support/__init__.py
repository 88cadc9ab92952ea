"""Test helpers. The real servers, certificates and hostile peers moved to :mod:`secaudit.lab`
(the demo and the benchmarks use them from an installed package too); the old module names stay
importable so a test written against ``tests.support.pki`` keeps working."""

import importlib
import sys

for _name in ("pki", "servers", "hostile"):
    sys.modules[f"{__name__}.{_name}"] = importlib.import_module(f"secaudit.lab.{_name}")
