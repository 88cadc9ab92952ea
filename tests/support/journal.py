"""Reading a run's journal while the scan that writes it is still running.

The scan appends one JSON line per observation with one write; a reader that looks at the same moment can
see the first part of that write (the file's size grows as the bytes are copied in), so the last line may
be half there. While the writer runs, only lines already ended by their newline are records; once it has
exited, tests read the whole file and expect every line to be whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def written_records(path: Path) -> list[dict[str, Any]]:
    """The records of the journal at ``path`` whose line is complete (none while the file does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in data.splitlines(keepends=True) if line.endswith(b"\n") and line.strip()]
