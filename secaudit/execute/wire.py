"""What travels over the broker: one probe batch out, its observations back. JSON only, checked on arrival.

A batch message is ``{"v": 3, "run": RUN_ID, "zone": Z, "kind": K, "timeout_s": S, "settings": {...},
"probes": [...]}`` with each probe as ``{"id", "kind", "target", "params"}``; a result is
``{"v": 3, "worker": NAME, "zone": Z, "runtime_s": S, "observations": [...]}`` with each observation
in the journal's own form. Anything else is refused: a forged or corrupted message becomes an error,
never a crash, and a result can only speak for the probes of its own batch.

A worker must observe as the coordinator would: the run's settings travel with every batch
(:class:`RunSettings`: the CA bundle, or its hash when it is too large to travel, and the options
of the batch's own family, ``RunnerContext.options``, such as the mail family's DNS resolver; version 2
carried one set of options for every family). What else decides a verdict travels already: port
coverage, profile needs, SNI and STARTTLS in each probe's params, the deadline in ``timeout_s``;
the judging itself happens on the coordinator.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from secaudit.model import Observation, Probe
from secaudit.serialize import observation_from_dict, observation_to_dict

VERSION = 3
MAX_PROBES = 256
MAX_TEXT = 2048
MAX_CA_PEM = 128 * 1024        # a larger CA bundle travels as its hash only: workers must hold the same file
MAX_OPTIONS = 16
MAX_OPTION_ITEMS = 256         # values of one repeatable option ("multi": networks of a sweep...)
_SHA256 = re.compile(r"[0-9a-f]{64}")


class PayloadError(ValueError):
    """A message that is not a well-formed batch or result."""


@dataclass(frozen=True)
class RunSettings:
    """How the run observes, which every worker must honour or refuse: the CA bundle that decides which
    certificates are trusted (SHA-256 of the file; its PEM text too when at most ``MAX_CA_PEM``) and the
    options of the batch's family (its ``RunnerContext.options``: the mail family's DNS resolver...)."""

    ca_sha256: str | None = None
    ca_pem: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, ca_file: str | None, options: Mapping[str, Any]) -> "RunSettings":
        """The settings of a run with this CA file (read now) and these options."""
        opts = {k: v for k, v in options.items()}
        if not ca_file:
            return cls(None, None, opts)
        data = Path(ca_file).read_bytes()
        pem = data.decode("ascii") if len(data) <= MAX_CA_PEM and data.isascii() else None
        return cls(hashlib.sha256(data).hexdigest(), pem, opts)

    def to_message(self) -> dict[str, Any]:
        return {"ca_sha256": self.ca_sha256, "ca_pem": self.ca_pem,
                "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.items()}}


@dataclass(frozen=True)
class Batch:
    run: str
    zone: str
    kind: str
    timeout_s: float
    probes: tuple[Probe, ...]
    settings: RunSettings = RunSettings()


@dataclass(frozen=True)
class BatchResult:
    worker: str
    zone: str
    runtime_s: float
    observations: tuple[Observation, ...]
    interrupted: tuple[str, ...] = ()      # probes of the batch a Ctrl-C on the worker left unobserved: send again


def _text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PayloadError(f"{what}: expected a non-empty string of at most {limit} characters")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise PayloadError(f"{what}: expected a positive number")
    return float(value)


def batch_message(run: str, zone: str, kind: str, probes: Sequence[Probe], timeout_s: float,
                  settings: RunSettings = RunSettings()) -> dict[str, Any]:
    return {"v": VERSION, "run": run, "zone": zone, "kind": kind, "timeout_s": timeout_s,
            "settings": settings.to_message(),
            "probes": [{"id": p.id, "kind": p.kind, "target": p.target, "params": dict(p.params)} for p in probes]}


def parse_settings(raw: Any) -> RunSettings:
    if not isinstance(raw, Mapping):
        raise PayloadError("settings: expected an object")
    digest, pem, options = raw.get("ca_sha256"), raw.get("ca_pem"), raw.get("options")
    if digest is not None and not (isinstance(digest, str) and _SHA256.fullmatch(digest)):
        raise PayloadError("settings.ca_sha256: expected 64 lowercase hex digits or null")
    if pem is not None:
        if not isinstance(pem, str) or len(pem) > MAX_CA_PEM or not pem.isascii():
            raise PayloadError(f"settings.ca_pem: expected ASCII text of at most {MAX_CA_PEM} characters or null")
        if digest is None or hashlib.sha256(pem.encode("ascii")).hexdigest() != digest:
            raise PayloadError("settings.ca_pem: does not match settings.ca_sha256")
    if not isinstance(options, Mapping) or len(options) > MAX_OPTIONS:
        raise PayloadError(f"settings.options: expected an object of at most {MAX_OPTIONS} entries")
    for k, v in options.items():
        _text(k, "settings.options key", 64)
        if not (_scalar(v) or (isinstance(v, list) and len(v) <= MAX_OPTION_ITEMS and all(
                isinstance(x, str) and _scalar(x) for x in v))):
            raise PayloadError(f"settings.options.{k}: expected a number, a short string, a short list of "
                               "them or null")
    return RunSettings(digest, pem, dict(options))


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 256)


def parse_batch(message: Any) -> Batch:
    if not isinstance(message, Mapping) or message.get("v") != VERSION:
        raise PayloadError(f"not a secaudit batch (version {VERSION})")
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
                 _number(message.get("timeout_s"), "timeout_s"), tuple(probes), parse_settings(message.get("settings")))


def result_message(worker: str, zone: str, runtime_s: float, observations: Sequence[Observation],
                   interrupted: Sequence[str] = ()) -> dict[str, Any]:
    """A worker's answer. ``interrupted`` (optional, so the wire stays v2: an older coordinator ignores it and
    reports those probes as unobserved) names the probes an interrupt on the worker left without an observation."""
    message = {"v": VERSION, "worker": worker, "zone": zone, "runtime_s": round(runtime_s, 4),
               "observations": [observation_to_dict(o) for o in observations]}
    if interrupted:
        message["interrupted"] = list(interrupted)
    return message


def parse_result(message: Any, batch_probes: Mapping[str, Probe]) -> BatchResult:
    """A worker's answer, keeping only observations of this batch's probes, with kind and target as planned."""
    if not isinstance(message, Mapping) or message.get("v") != VERSION:
        raise PayloadError(f"not a secaudit result (version {VERSION})")
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
    raw_interrupted = message.get("interrupted", [])
    interrupted = tuple(dict.fromkeys(i for i in raw_interrupted if isinstance(i, str) and i in batch_probes
                                      and i not in kept)) if isinstance(raw_interrupted, list) else ()
    return BatchResult(worker, _text(message.get("zone"), "zone", 64),
                       float(runtime) if isinstance(runtime, (int, float)) and not isinstance(runtime, bool) else 0.0,
                       tuple(kept.values()), interrupted)
