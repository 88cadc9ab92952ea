"""Giving memory back to the system between the phases of a long command.

The probes of a large scan run on many threads; each allocates (handshakes, sslyze results) and
frees again. glibc keeps what they freed in per-thread arenas, fragmented, so the process stays
as large as at its busiest moment while evaluation and reports then allocate on top. After the
probes are done, :func:`release_free_memory` collects cycles and asks glibc to return free pages
(``malloc_trim``); nothing is freed that is still in use. Elsewhere (musl, macOS) only the collection runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _libc() -> Any:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release_free_memory() -> None:
    """Collect garbage cycles, then return free heap pages to the system where glibc allows it."""
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
