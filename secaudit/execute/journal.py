"""The run journal: one JSON line per observation, flushed and fsync'd as it arrives.

A run lives in ``<runs dir>/<run id>/``: ``run.json`` (what was asked: inventory, options,
versions) and ``journal.jsonl`` (what was observed). A power cut can leave a truncated last
line: it is ignored on reading and cut off before the next append, so the journal stays
valid JSON Lines. Resuming reads the journal and skips the probes already in it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Iterator, Mapping

from secaudit.errors import Diagnostic, InputError
from secaudit.model import Observation
from secaudit.serialize import observation_from_dict, observation_to_dict

DEFAULT_RUNS_DIR = ".secaudit-runs"


def runs_dir(explicit: str | None = None) -> Path:
    return Path(explicit or os.environ.get("SECAUDIT_RUNS_DIR") or DEFAULT_RUNS_DIR)


def new_run_id(now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class MemoryJournal:
    """A journal kept in memory, for a batch whose observations go back to the caller instead of to a file
    (a zone worker's batch): it has done nothing before and keeps what is appended, in order."""

    def __init__(self) -> None:
        self.items: list[Observation] = []

    def done_ids(self) -> set[str]:
        return set()

    def append(self, observation: Observation) -> None:
        self.items.append(observation)


class Journal:
    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / "journal.jsonl"
        self.meta_path = directory / "run.json"
        self._lock = threading.Lock()
        self._fh = None

    # -- creation and lookup -------------------------------------------------
    @classmethod
    def create(cls, base: Path, run_id: str, meta: Mapping[str, Any]) -> "Journal":
        d = base / run_id
        d.mkdir(parents=True, exist_ok=False)
        j = cls(d)
        j._write_meta({"run_id": run_id, **meta})
        j.path.touch()
        return j

    @classmethod
    def open_existing(cls, base: Path, run_id: str) -> "Journal":
        d = base / run_id
        if not (d / "run.json").is_file():
            known = sorted(p.name for p in base.iterdir() if (p / "run.json").is_file()) if base.is_dir() else []
            raise InputError([Diagnostic(str(d), 0, 0, "execute.no_such_run",
                                         {"run": run_id, "known": ", ".join(known[-5:]) or "-"})])
        return cls(d)

    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_path.read_text(encoding="utf-8"))

    def update_meta(self, **changes: Any) -> None:
        self._write_meta({**self.meta(), **changes})

    def _write_meta(self, meta: Mapping[str, Any]) -> None:
        tmp = self.meta_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(tmp, self.meta_path)

    # -- reading -------------------------------------------------------------
    def _lines(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(end offset, record) for every complete, valid line."""
        if not self.path.exists():
            return
        offset = 0
        with open(self.path, "rb") as fh:
            for raw in fh:
                offset += len(raw)
                if not raw.endswith(b"\n"):
                    return                      # truncated last line: a crash mid-write
                try:
                    yield offset, json.loads(raw)
                except json.JSONDecodeError:
                    return

    def observations(self) -> Iterator[Observation]:
        """Every journaled observation, the last one of each probe winning (at-least-once delivery)."""
        latest: dict[str, Observation] = {}
        for _, rec in self._lines():
            obs = observation_from_dict(rec)
            latest[obs.probe_id] = obs
        yield from latest.values()

    def done_ids(self) -> set[str]:
        return {rec["probe_id"] for _, rec in self._lines()}

    # -- writing -------------------------------------------------------------
    def _repair(self) -> None:
        good = 0
        for good, _ in self._lines():
            pass
        if self.path.exists() and self.path.stat().st_size != good:
            with open(self.path, "r+b") as fh:
                fh.truncate(good)

    def append(self, observation: Observation) -> None:
        line = json.dumps(observation_to_dict(observation), ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            if self._fh is None:
                self._repair()
                self._fh = open(self.path, "ab")
            self._fh.write(line.encode("utf-8"))
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
