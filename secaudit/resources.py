"""Where the shipped data lives: policies/ and templates/.

In a source checkout (and an editable install) they sit beside the package; an installed
wheel puts them under ``<prefix>/share/secaudit``. ``SECAUDIT_HOME`` overrides both.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def home() -> Path:
    env = os.environ.get("SECAUDIT_HOME")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parent.parent, Path(sys.prefix) / "share" / "secaudit"]
    for c in candidates:
        if (c / "policies").is_dir():
            return c
    return candidates[0]


def policies_dir() -> Path:
    return home() / "policies"


def templates_dir() -> Path:
    return home() / "templates"


def examples_dir() -> Path:
    return home() / "examples"
