"""The distributed executor: probe batches go to the Celery queue of their system's zone.

Same contract as the local executor (``execute/interface.py``): the calling thread alone writes
the journal and tells the observer; the run deadline ends the batches still out as ERROR observations;
a first interrupt (``execute.interrupts``) stops sending and waits ``grace_on_interrupt`` for the
batches out, a second stops waiting; unanswered batches are revoked and stay out of the journal,
so ``--resume`` runs them again. What differs:

* Routing: a probe goes to the zone of the inventory system that declares its host (the first one,
  in inventory order, when several do); hosts of systems without a zone go to zone ``default``.
* Fail fast: before anything is sent, every zone needed must have a live worker (broadcast ping),
  else :class:`ZoneUnavailableError` (exit status 2) names the zones. A zone whose workers all
  vanish mid-run is given up after two liveness checks: its probes stay unjournaled (reason
  ``no_worker``), and the other zones go on.
* At-least-once: a batch may be delivered twice (a worker killed mid-batch, a visibility timeout);
  only the first observation of a probe is journaled, so the journal never holds a probe twice.
* Each sent task is recorded in ``celery.jsonl`` beside the journal: a coordinator killed with
  kill -9 and resumed collects the results that arrived meanwhile before sending anything again.
* A worker interrupted mid-batch (Ctrl-C in its terminal) answers with what it observed and names the
  other probes ``interrupted``: they are sent again, as new batches of their zone, at most
  ``RESEND_INTERRUPTED`` times each; past that they stay out of the journal (reason
  ``worker_interrupted``) and ``--resume`` runs them.
* Safety deadline: the worker enforces probe deadlines itself; the coordinator gives a batch its
  budget plus the broker's visibility timeout (time for a redelivery) before the batch's remaining
  probes become ERROR observations.
* Same observations as here: every batch carries the run's settings (``wire.RunSettings``: CA
  bundle, family options); a worker that cannot honour them refuses the batch's probes saying why.
"""

from __future__ import annotations

import json
import math
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from secaudit.execute.broker import (
    DEFAULT_ZONE, TASK_NAME, BrokerConfig, BrokerConfigError, ZoneUnavailableError, live_workers, make_app, zone_queue,
)
from secaudit.execute.interface import (
    ExecutionObserver, ExecutionSummary, Interruption, JournalLike, NullObserver, ProbeRunner, Recorder,
)
from secaudit.execute.interrupts import INTERRUPTS, Interrupts, kept_after_interrupt
from secaudit.execute.local import Limits, error_observation, host_of
from secaudit.execute.wire import PayloadError, RunSettings, batch_message, parse_result
from secaudit.model import Inventory, Message, Observation, Probe
from secaudit.probes import registry
from secaudit.probes.interface import RunnerContext

LIVENESS_EVERY_S = 15.0
RESEND_INTERRUPTED = 2
POLL_S = 0.05


def zones_by_host(inventory: Inventory) -> dict[str, str]:
    """host -> zone of the first system (inventory order) declaring it (endpoints, then SSH hosts of host
    checks); no zone -> ``default``."""
    zones: dict[str, str] = {}
    for system in inventory.systems:
        for e in system.endpoints:
            zones.setdefault(e.host, system.zone or DEFAULT_ZONE)
    for system in inventory.systems:
        for h in system.ssh_hosts:
            zones.setdefault(h.address, system.zone or DEFAULT_ZONE)
    return zones


def probe_host(probe: Probe) -> str:
    host = probe.params.get("host")
    return host if isinstance(host, str) and host else host_of(probe.target)


@dataclass
class _Sent:
    zone: str
    kind: str
    probes: list[Probe]
    hosts: frozenset[str]
    task_id: str = ""
    result: Any = None
    sent_at: float = 0.0
    deadline: float = 0.0
    pending: dict[str, Probe] = field(default_factory=dict)


class CeleryExecutor:
    def __init__(self, broker: BrokerConfig, run_id: str, zones: Mapping[str, str],
                 runners: Mapping[str, ProbeRunner], limits: Limits | None = None, *, app: Any = None,
                 ping_timeout: float = 2.0, interrupts: Interrupts = INTERRUPTS,
                 settings: RunSettings = RunSettings(), family_options: Mapping[str, Mapping[str, Any]] | None = None):
        self.broker = broker
        self.run_id = run_id
        self.zones = dict(zones)
        self.runners = dict(runners)
        self.limits = limits or Limits()
        self.ping_timeout = ping_timeout
        self.interrupts = interrupts
        self.settings = settings           # the run's CA bundle and options: every batch carries them
        # kind -> that family's options: a batch carries its own family's (else settings.options, for all)
        self.family_options = None if family_options is None else {k: dict(v) for k, v in family_options.items()}
        self._app = app
        self.broker_overhead_ms: list[float] = []     # per batch: round trip minus the worker's run time (incl. queue wait)

    def settings_for(self, kind: str) -> RunSettings:
        """What a batch of ``kind`` carries: the run's CA bundle and the options of the batch's family."""
        if self.family_options is None:
            return self.settings
        return replace(self.settings, options=self.family_options.get(kind, {}))

    @property
    def app(self) -> Any:
        if self._app is None:
            self._app = make_app(self.broker)
        return self._app

    def zone_of(self, probe: Probe) -> str:
        return self.zones.get(probe_host(probe), DEFAULT_ZONE)

    # -- planning ------------------------------------------------------------
    def _batches(self, probes: Sequence[Probe]) -> list[_Sent]:
        groups: dict[tuple[str, str], list[Probe]] = {}
        for p in probes:
            groups.setdefault((self.zone_of(p), p.kind), []).append(p)
        out = []
        for (zone, kind), items in groups.items():
            runner = self.runners.get(kind)
            size = max(1, getattr(runner, "batch_size", 1) or 1)
            for i in range(0, len(items), size):
                chunk = items[i: i + size]
                out.append(_Sent(zone, kind, chunk, frozenset(probe_host(p) for p in chunk),
                                 pending={p.id: p for p in chunk}))
        return out

    def _timeout(self, kind: str) -> float:
        return self.limits.kind_timeouts.get(kind, self.limits.probe_timeout)

    def _budget(self, b: _Sent) -> float:
        runner = self.runners.get(b.kind)
        waves = math.ceil(len(b.probes) / max(1, getattr(runner, "parallel", 1) or 1))
        overhead = float(getattr(runner, "overhead_s", 0.0) or 0.0)
        return (self._timeout(b.kind) * waves + overhead + 2 * self.limits.grace + self.broker.visibility_timeout
                + 2 * self.broker.restore_interval)

    def check_zones(self, zones: set[str]) -> dict[str, list[str]]:
        """Live workers per zone; raises ZoneUnavailableError naming the zones that have none."""
        try:
            live = live_workers(self.app, self.ping_timeout)
        except Exception as e:  # kombu/redis connection and authentication errors
            raise BrokerConfigError("zones.broker_unreachable", url=self.broker.redacted(),
                                    reason=f"{type(e).__name__}: {e}"[:300]) from None
        missing = sorted(z for z in zones if not live.get(z))
        if missing:
            raise ZoneUnavailableError("zones.no_worker", zones=", ".join(missing), url=self.broker.redacted())
        return live

    def execute(self, probes: Sequence[Probe], journal: JournalLike,
                observer: ExecutionObserver | None = None) -> ExecutionSummary:
        done_before = journal.done_ids()
        todo = [p for p in probes if p.id not in done_before]
        run = _Run(self, journal, observer or NullObserver(), len(probes), len(probes) - len(todo))
        try:
            run.collect_earlier(todo)
        except Exception as e:
            if not _is_broker_error(e):
                raise
            raise BrokerConfigError("zones.broker_unreachable", url=self.broker.redacted(),
                                    reason=f"{type(e).__name__}: {e}"[:300]) from None
        todo = [p for p in todo if p.id not in run.recorded]
        if todo:
            self.check_zones({self.zone_of(p) for p in todo})
        run.observer.started(len(probes), run.skipped)
        return run.loop(self._batches(todo))


class _Run:
    """One execution's state: what was sent, what came back, what the journal holds."""

    def __init__(self, ex: CeleryExecutor, journal: JournalLike, observer: ExecutionObserver, total: int,
                 skipped: int):
        self.ex, self.journal, self.observer, self.total = ex, journal, observer, total
        self.skipped = skipped
        self.counts = Recorder(journal, observer, total, skipped)
        self.recorded: set[str] = set()
        self.reason = ""
        self.again: list[Probe] = []                  # handed back by an interrupted worker: to send again
        self.resent: Counter[str] = Counter()
        directory = getattr(journal, "directory", None)
        self.sidecar = Path(directory) / "celery.jsonl" if directory else None

    # -- journal -------------------------------------------------------------
    def record(self, obs: Observation) -> None:
        if obs.probe_id in self.recorded:
            return                       # a redelivered batch: the first answer stands
        if (self.reason == "interrupted" or self.ex.interrupts.count > 0) and not kept_after_interrupt(obs):
            return                       # perhaps the interrupt's doing: --resume runs it again
        self.recorded.add(obs.probe_id)
        self.counts.record(obs)

    def _remember(self, b: _Sent) -> None:
        if self.sidecar is None:
            return
        line = json.dumps({"task": b.task_id, "zone": b.zone, "probes": [p.id for p in b.probes]}) + "\n"
        with open(self.sidecar, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def collect_earlier(self, todo: Sequence[Probe]) -> None:
        """Resume: results of tasks an earlier coordinator sent that finished meanwhile."""
        if self.sidecar is None or not self.sidecar.exists() or not todo:
            return
        wanted = {p.id: p for p in todo}
        for raw in self.sidecar.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(raw)
                ids = [i for i in entry["probes"] if i in wanted and i not in self.recorded]
                if not ids:
                    continue
                result = self.ex.app.AsyncResult(str(entry["task"]))
                if result.state == "SUCCESS":
                    self._accept(result.result, {i: wanted[i] for i in ids}, None)
            except (ValueError, KeyError, TypeError):
                continue

    def _accept(self, message: Any, pending: dict[str, Probe], b: _Sent | None) -> None:
        try:
            res = parse_result(message, pending)
        except PayloadError as e:
            for p in list(pending.values()):
                self.record(error_observation(p, Message("zones.bad_answer", {"reason": str(e)})))
            pending.clear()
            return
        for obs in res.observations:
            self.record(replace(obs, worker=res.worker))
            pending.pop(obs.probe_id, None)
        for probe_id in res.interrupted:
            probe = pending.pop(probe_id, None)
            if probe is None:
                continue
            if b is not None and self.resent[probe_id] < RESEND_INTERRUPTED:
                self.resent[probe_id] += 1
                self.again.append(probe)
            elif b is not None:
                self.reason = self.reason or "worker_interrupted"     # unjournaled: --resume runs it
        why = message.get("error") if isinstance(message, Mapping) else None
        for p in list(pending.values()):
            self.record(error_observation(p, Message("zones.no_observation", {
                "worker": res.worker, "why": str(why)[:300] if why else "-"})))
        pending.clear()

    # -- the loop --------------------------------------------------------------
    def _send(self, b: _Sent) -> None:
        b.task_id = str(uuid.uuid4())
        self._remember(b)
        msg = batch_message(self.ex.run_id, b.zone, b.kind, b.probes, self.ex._timeout(b.kind),
                            self.ex.settings_for(b.kind))
        b.result = self.ex.app.send_task(TASK_NAME, args=[msg], queue=zone_queue(b.zone), task_id=b.task_id)
        b.sent_at = time.monotonic()
        b.deadline = b.sent_at + self.ex._budget(b)
        self.observer.running(b.kind, [p.target for p in b.probes])

    def _poll(self, b: _Sent) -> bool:
        """True when the batch is over (answered, failed or past its deadline)."""
        state = b.result.state
        if state == "SUCCESS":
            rtt_ms = (time.monotonic() - b.sent_at) * 1000
            message = b.result.result
            runtime = message.get("runtime_s", 0.0) if isinstance(message, Mapping) else 0.0
            if isinstance(runtime, (int, float)):
                self.ex.broker_overhead_ms.append(max(0.0, rtt_ms - float(runtime) * 1000))
            self._accept(message, b.pending, b)
            b.result.forget()
            return True
        if state in ("FAILURE", "REVOKED"):
            for p in list(b.pending.values()):
                self.record(error_observation(p, Message("zones.batch_failed", {
                    "zone": b.zone, "state": state.lower(), "info": repr(b.result.info)[:300]})))
            b.pending.clear()
            b.result.forget()
            return True
        if time.monotonic() > b.deadline:
            for p in list(b.pending.values()):
                self.record(error_observation(p, Message("zones.deadline", {
                    "zone": b.zone, "seconds": f"{self.ex._budget(b):g}"}), self.ex._timeout(b.kind)))
                self.counts.timed_out += 1
            b.pending.clear()
            return True
        return False

    def loop(self, waiting: list[_Sent]) -> ExecutionSummary:
        lim, interrupts = self.ex.limits, self.ex.interrupts
        inflight: list[_Sent] = []
        started_at = time.monotonic()
        next_start, next_ping, lost = started_at, started_at + LIVENESS_EVERY_S, Counter[str]()
        try:
            while waiting or inflight:
                if interrupts.count > 0:
                    self.reason = "interrupted"
                    self._drain(inflight)
                    break
                if lim.run_deadline is not None and time.monotonic() - started_at > lim.run_deadline:
                    self.reason = "run_deadline"
                    self._abandon(inflight, Message("execute.run_deadline", {"seconds": f"{lim.run_deadline:g}"}))
                    break
                next_start = self._schedule(waiting, inflight, next_start)
                inflight[:] = [b for b in inflight if not self._poll(b)]
                if self.again:
                    waiting += self.ex._batches(self.again)
                    self.again = []
                if time.monotonic() >= next_ping and (waiting or inflight):
                    next_ping = time.monotonic() + LIVENESS_EVERY_S
                    self._liveness(waiting, inflight, lost)
                time.sleep(POLL_S)
        except KeyboardInterrupt:   # no deferred handler installed: the default one raised here
            self.reason = "interrupted"
            self._drain(inflight)
        except Exception as e:      # the broker went away mid-run: what arrived is journaled, the rest resumable
            if not _is_broker_error(e):
                raise
            self.reason = self.reason or "broker_lost"
        self._revoke(inflight)
        self._note_overhead()
        complete = not self.reason and not waiting and not inflight
        return self.counts.finish(complete, self.reason)

    def _note_overhead(self) -> None:
        """run.json gets each batch's round trip minus the worker's own run time: the broker's cost plus the
        time the batch waited in its zone's queue (up to --concurrency batches per zone are out at once)."""
        samples = sorted(self.ex.broker_overhead_ms)
        update = getattr(self.journal, "update_meta", None)
        if not samples or update is None:
            return
        update(celery={"batches": len(samples), "queue_wait_and_broker_ms": {
            "median": round(samples[len(samples) // 2], 1), "p95": round(samples[int(len(samples) * 0.95)], 1),
            "max": round(samples[-1], 1)}})

    def _schedule(self, waiting: list[_Sent], inflight: list[_Sent], next_start: float) -> float:
        lim = self.ex.limits
        per_zone = Counter(b.zone for b in inflight)
        host_load = Counter(h for b in inflight for h in b.hosts)
        while waiting and time.monotonic() >= next_start:
            pick = next((b for b in waiting if per_zone[b.zone] < lim.concurrency
                         and all(host_load[h] < lim.per_host for h in b.hosts)), None)
            if pick is None:
                break
            waiting.remove(pick)
            self._send(pick)
            inflight.append(pick)
            per_zone[pick.zone] += 1
            host_load.update(pick.hosts)
            if lim.rate:
                next_start = max(time.monotonic(), next_start) + len(pick.probes) / lim.rate
        return next_start

    def _liveness(self, waiting: list[_Sent], inflight: list[_Sent], lost: Counter[str]) -> None:
        try:
            live = live_workers(self.ex.app, self.ex.ping_timeout)
        except Exception as e:
            if _is_broker_error(e):
                raise
            return
        for zone in {b.zone for b in waiting + inflight}:
            lost[zone] = 0 if live.get(zone) else lost[zone] + 1
            if lost[zone] >= 2:         # two checks in a row without a worker: give the zone up, resumable
                self.reason = "no_worker"
                waiting[:] = [b for b in waiting if b.zone != zone]
                gone = [b for b in inflight if b.zone == zone]
                self._revoke(gone)
                inflight[:] = [b for b in inflight if b.zone != zone]

    def _drain(self, inflight: list[_Sent]) -> None:
        """After an interrupt: journal what arrives within the grace, unless interrupted again (two interrupts
        noted before the loop saw the first count as two); the rest stays out of the journal (revoked, and run
        again by --resume). The observer hears of each step, as with the local executor."""
        interrupts = self.ex.interrupts
        seen, grace = interrupts.grace(self.ex.limits.grace_on_interrupt)
        self.observer.interrupted(Interruption(seen, _in_flight(inflight), grace))
        until = time.monotonic() + grace
        while inflight and time.monotonic() < until and not interrupts.cut_short(seen):
            inflight[:] = [b for b in inflight if not self._poll(b)]
            time.sleep(POLL_S)
        if inflight and interrupts.cut_short(seen):
            self.observer.interrupted(Interruption(interrupts.count, _in_flight(inflight), 0.0))

    def _abandon(self, inflight: list[_Sent], reason: Message) -> None:
        """The run deadline: batches still out end now, their probes as ERROR observations."""
        for b in inflight:
            for p in list(b.pending.values()):
                self.record(error_observation(p, reason, time.monotonic() - b.sent_at))
                self.counts.timed_out += 1
        self._revoke(inflight)
        for b in inflight:
            b.pending.clear()

    def _revoke(self, batches: Sequence[_Sent]) -> None:
        ids = [b.task_id for b in batches if b.task_id and b.pending]
        if not ids:
            return
        try:
            self.ex.app.control.revoke(ids)
        except Exception:  # best effort: a revoked batch that runs anyway is harmless (observations keyed by id)
            pass


def _in_flight(batches: Sequence[_Sent]) -> int:
    """Probes sent and not answered yet."""
    return sum(len(b.pending) for b in batches)


def _is_broker_error(e: BaseException) -> bool:
    try:
        # start-up: kombu, redis loaded only when needed
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError, TimeoutError as RedisTimeout
    except ImportError:
        return False
    return isinstance(e, (OperationalError, RedisConnectionError, RedisTimeout, ConnectionError, TimeoutError))


def default_runners() -> dict[str, ProbeRunner]:
    """Runners of every registered family, for their batch sizes and budgets only: the coordinator runs
    no probe (and needs none of their tools)."""
    return {f.kind: f.runner(RunnerContext(options=registry.option_values(f.kind))) for f in registry.families()}
