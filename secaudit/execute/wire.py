"""What travels over the broker: one probe batch out, its observations back. JSON only, checked on arrival.

A batch message is ``{"v": 1, "run": RUN_ID, "zone": Z, "kind": K, "timeout_s": S, "probes": [...]}``
with each probe as ``{"id", "kind", "target", "params"}``; a result is
``{"v": 1, "worker": NAME, "zone": Z, "runtime_s": S, "observations": [...]}`` with each observation
in the journal's own form. Anything else is refused: a forged or corrupted message becomes an error,
never a crash, and a result can only speak for the probes of its own batch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from secaudit.model import Observation, Probe
from secaudit.serialize import observation_from_dict, observation_to_dict

VERSION = 1
MAX_PROBES = 256
MAX_TEXT = 2048


class PayloadError(ValueError):
    """A message that is not a well-formed batch or result."""


@dataclass(frozen=True)
class Batch:
    run: str
    zone: str
    kind: str
    timeout_s: float
    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class BatchResult:
    worker: str
    zone: str
    runtime_s: float
    observations: tuple[Observation, ...]


def _text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PayloadError(f"{what}: expected a non-empty string of at most {limit} characters")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PayloadError(f"{what}: expected a positive number")
    return float(value)


def batch_message(run: str, zone: str, kind: str, probes: Sequence[Probe], timeout_s: float) -> dict[str, Any]:
    return {"v": VERSION, "run": run, "zone": zone, "kind": kind, "timeout_s": timeout_s,
            "probes": [{"id": p.id, "kind": p.kind, "target": p.target, "params": dict(p.params)} for p in probes]}


def parse_batch(message: Any) -> Batch:
    if not isinstance(message, Mapping) or message.get("v") != VERSION:
        raise PayloadError("not a secaudit batch (version 1)")
    kind = _text(message.get("kind"), "kind", 32)
    raw = message.get("probes")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_PROBES:
        raise PayloadError(f"probes: expected a list of 1..{MAX_PROBES}")
    probes = []
    for i, p in enumerate(raw):
        if not isinstance(p, Mapping) or not isinstance(p.get("params"), Mapping):
            raise PayloadError(f"probes[{i}]: expected an object with params")
        if p.get("kind") != kind:
            raise PayloadError(f"probes[{i}]: kind differs from the batch's")
        probes.append(Probe(_text(p.get("id"), f"probes[{i}].id"), kind, _text(p.get("target"), f"probes[{i}].target"),
                            dict(p["params"])))
    return Batch(_text(message.get("run"), "run", 128), _text(message.get("zone"), "zone", 64), kind,
                 _number(message.get("timeout_s"), "timeout_s"), tuple(probes))


def result_message(worker: str, zone: str, runtime_s: float, observations: Sequence[Observation]) -> dict[str, Any]:
    return {"v": VERSION, "worker": worker, "zone": zone, "runtime_s": round(runtime_s, 4),
            "observations": [observation_to_dict(o) for o in observations]}


def parse_result(message: Any, batch_probes: Mapping[str, Probe]) -> BatchResult:
    """A worker's answer, keeping only observations of this batch's probes, with kind and target as planned."""
    if not isinstance(message, Mapping) or message.get("v") != VERSION:
        raise PayloadError("not a secaudit result (version 1)")
    raw = message.get("observations")
    if not isinstance(raw, list):
        raise PayloadError("observations: expected a list")
    worker = _text(message.get("worker"), "worker", 256)
    kept: dict[str, Observation] = {}
    for item in raw:
        try:
            obs = observation_from_dict(item)
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
        probe = batch_probes.get(obs.probe_id)
        if probe is None or obs.kind != probe.kind or obs.target != probe.target or obs.probe_id in kept:
            continue
        kept[obs.probe_id] = obs
    runtime = message.get("runtime_s")
    return BatchResult(worker, _text(message.get("zone"), "zone", 64),
                       float(runtime) if isinstance(runtime, (int, float)) and not isinstance(runtime, bool) else 0.0,
                       tuple(kept.values()))
