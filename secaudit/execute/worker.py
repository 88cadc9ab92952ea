"""The worker side of the distributed executor: one probe batch in, its observations out.

``secaudit worker --zone Z --scope NETWORKS…`` consumes only the queue of zone Z and, for each
batch, (1) checks the message (JSON, well-formed, for this zone), (2) refuses every probe whose
target lies outside the worker's scope (``targets.Scope``; names are never resolved) with an ERROR
observation saying so, (3) takes the run's settings (``wire.RunSettings``): the run's CA bundle,
not its own, and the run's family options; a CA bundle too large to travel must be the worker's own
``--ca-file`` (same SHA-256), or every probe of the batch is refused saying so, and (4) runs the
rest through the local executor, with the same runners, per-probe deadlines and abandonment of
hostile servers as a local scan. So a worker observes as the coordinator would, or says why it
cannot; never otherwise. A worker connects only outward, to the broker; it never listens.

Ctrl-C in the worker's terminal reaches its whole process group: Celery's main process (a warm
shutdown: the batch running is finished first), the pool process running the batch, and the tools
that batch started (nmap dies of it). The pool process notes it (:data:`~secaudit.execute.interrupts.INTERRUPTS`)
and the local executor treats it as in a scan: it stops starting probes, keeps what in-flight probes
observe within the grace, keeps a failure out (perhaps the interrupt's doing) and ends the tools it
abandons. The answer carries what was observed and names the other probes ``interrupted``; the
coordinator sends those again (another worker of the zone takes them). A second Ctrl-C ends the pool
process (Celery's cold shutdown, SIGTERM): it ends its tools first, and the unacknowledged batch goes
back to the queue (``task_acks_late``, ``task_reject_on_worker_lost``).
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from secaudit.execute.broker import TASK_NAME, BrokerConfig, BrokerConfigError, make_app, zone_queue
from secaudit.execute.children import children, end_children
from secaudit.execute.interrupts import INTERRUPTS
from secaudit.execute.journal import MemoryJournal
from secaudit.execute.local import Limits, LocalExecutor, error_observation, host_of
from secaudit.execute.wire import PayloadError, RunSettings, parse_batch, result_message
from secaudit.errors import InputError
from secaudit.model import Message, Observation, Probe
from secaudit.targets import Scope
from secaudit.probes import registry
from secaudit.probes.interface import RunnerContext

log = logging.getLogger("secaudit.worker")


@dataclass(frozen=True)
class WorkerSettings:
    zone: str
    scope: Scope
    ca_file: str | None = None     # used only for a run whose CA bundle is too large to travel (same SHA-256)
    grace_s: float = 5.0


def probe_hosts(probe: Probe) -> list[str]:
    """Every host a probe would connect to: its target's host, its ``host`` parameter and its ``jump_host``
    parameter (host checks through a jump host)."""
    hosts = [host_of(probe.target)]
    for name in ("host", "jump_host"):
        param = probe.params.get(name)
        if param is not None and param not in hosts:
            hosts.append(param if isinstance(param, str) else repr(param))
    return hosts


def outside_scope(probe: Probe, scope: Scope) -> str | None:
    """The first host (or network: discovery) of a probe outside the scope, or None when the probe may run."""
    return next((h for h in probe_hosts(probe) if not scope.covers(h)), None)


def _runners(options: Mapping[str, Any], ca_file: str | None, kind: str, probes: Sequence[Probe]) -> dict[str, Any]:
    """The registry's runner for the batch's kind, limited to the hosts of the probes that passed the
    scope check (each family's own guard then holds them to exactly those), with the run's CA bundle
    and the family's options."""
    hosts = tuple(sorted({h for p in probes for h in probe_hosts(p)}))
    return {kind: registry.get(kind).runner(RunnerContext(scope=hosts, ca_file=ca_file, options=dict(options)))}


def run_options(run: RunSettings, kind: str, worker: str) -> tuple[dict[str, Any] | None, Message | None]:
    """The options the batch's family observes with: the run's values, this family's defaults for the rest.
    An option this worker's family does not have (another version, a plug-in not installed here) or a value
    it refuses: a refusal saying which, never a measurement made otherwise than the run asked."""
    try:
        values = registry.option_values(kind, run.options)
    except (ValueError, InputError) as e:
        return None, Message("worker.refused_option", {"worker": worker, "kind": kind, "reason": str(e)[:300]})
    return values, None


_CA_LOCK = threading.Lock()
_CA_FILES: dict[str, str] = {}


def _sha256_of(path: str) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _ca_file_for(pem: str, digest: str) -> str:
    """The run's CA bundle as a file of this worker process (written once per bundle, removed at exit)."""
    with _CA_LOCK:
        if digest not in _CA_FILES:
            directory = tempfile.mkdtemp(prefix="secaudit-worker-ca-")
            atexit.register(shutil.rmtree, directory, True)
            path = os.path.join(directory, f"{digest}.pem")
            with open(path, "w", encoding="ascii") as fh:
                fh.write(pem)
            _CA_FILES[digest] = path
        return _CA_FILES[digest]


def run_ca_file(run: RunSettings, settings: WorkerSettings, worker: str) -> tuple[str | None, Message | None]:
    """The CA file to observe with: the run's (None when the run has none). When the run's bundle did
    not travel (too large), the worker's own --ca-file must be the same file; else a refusal."""
    if run.ca_sha256 is None:
        return None, None
    if run.ca_pem is not None:
        return _ca_file_for(run.ca_pem, run.ca_sha256), None
    own = _sha256_of(settings.ca_file) if settings.ca_file else None
    if own == run.ca_sha256:
        return settings.ca_file, None
    return None, Message("worker.refused_ca", {"worker": worker, "run": run.ca_sha256[:16],
                                               "own": own[:16] if own else "-"})


def known_kinds() -> tuple[str, ...]:
    return registry.kinds()


def run_batch(message: Any, settings: WorkerSettings, worker: str) -> dict[str, Any]:
    """Run one batch message; never raises (a bad message or a runner bug becomes ERROR observations)."""
    started = time.monotonic()
    try:
        batch = parse_batch(message)
    except PayloadError as e:
        log.warning("refused a malformed batch: %s", e)
        return {**result_message(worker, settings.zone, 0.0, []), "error": f"malformed batch: {e}"}
    if batch.zone != settings.zone or batch.kind not in known_kinds():
        why = (Message("worker.refused_zone", {"worker": worker, "zone": repr(batch.zone), "queue": repr(settings.zone)})
               if batch.zone != settings.zone else Message("worker.unknown_kind", {"kind": repr(batch.kind)}))
        return result_message(worker, settings.zone, time.monotonic() - started,
                              [error_observation(p, why) for p in batch.probes])
    refused: list[Observation] = []
    accepted: list[Probe] = []
    for p in batch.probes:
        host = outside_scope(p, settings.scope)
        if host is None:
            accepted.append(p)
            continue
        log.warning("refused probe %s: %s is outside this worker's scope", p.id, host)
        refused.append(error_observation(p, Message("worker.out_of_scope", {
            "worker": worker, "zone": settings.zone, "host": host, "scope": settings.scope.describe()})))
    observed: list[Observation] = []
    interrupted: list[str] = []
    ca_file, cannot = run_ca_file(batch.settings, settings, worker)
    options, refusal = run_options(batch.settings, batch.kind, worker)
    cannot = cannot or refusal
    if cannot is not None and accepted:
        log.warning("refused %d probes: %s", len(accepted), cannot.render("en"))
        refused += [error_observation(p, cannot) for p in accepted]
        accepted = []
    if accepted:
        journal = MemoryJournal()
        limits = Limits(concurrency=1, per_host=len(accepted), probe_timeout=batch.timeout_s,
                        kind_timeouts={batch.kind: batch.timeout_s}, grace=settings.grace_s)
        INTERRUPTS.reset()                 # an interrupt counts for the batch it arrives in
        summary = LocalExecutor(_runners(options or {}, ca_file, batch.kind, accepted), limits).execute(
            accepted, journal)
        observed = journal.items
        if summary.reason == "interrupted":
            seen = {o.probe_id for o in observed}
            interrupted = [p.id for p in accepted if p.id not in seen]
            log.warning("interrupted: %d probe(s) observed, %d handed back to be sent again",
                        len(observed), len(interrupted))
    return result_message(worker, settings.zone, time.monotonic() - started, refused + observed, interrupted)


# ----------------------------------------------------------------------------- signals of a pool process

class _PoolSignals:
    """A prefork pool process's SIGINT and SIGTERM while it runs batches.

    Celery and billiard set them up after any hook of ours could run (SIGINT ignored; SIGTERM raises
    SystemExit wherever the process is), so :meth:`install` is called as each batch starts: SIGINT is
    noted for the batch (the executor then hands back what it could not observe), and SIGTERM first ends
    the tools the process started (nmap would outlive it, an orphan still probing) and then does what
    billiard's handler does. SIGKILL cannot be handled: nmap then dies of its parent-death signal
    (:mod:`secaudit.probes.pdeath`)."""

    def __init__(self) -> None:
        self.installed = False
        self.before: set[int] = set()
        self.previous: Any = signal.SIG_DFL

    def install(self) -> None:
        if self.installed or threading.current_thread() is not threading.main_thread():
            return
        self.before = children()
        self.previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGINT, self.on_interrupt)
        signal.signal(signal.SIGTERM, self.on_terminate)
        self.installed = True

    def on_interrupt(self, signum: int, frame: Any) -> None:
        INTERRUPTS.note()

    def on_terminate(self, signum: int, frame: Any) -> None:
        end_children(self.before, grace_s=1.0)
        if callable(self.previous):
            self.previous(signum, frame)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)


POOL_SIGNALS = _PoolSignals()


def default_name(zone: str) -> str:
    return f"secaudit-{zone}-{os.getpid()}@{socket.gethostname()}"


def worker_app(cfg: BrokerConfig, settings: WorkerSettings, pool_process: bool = False) -> Any:
    """The Celery app of a worker, with the one task it runs. ``pool_process``: batches run in prefork pool
    processes, whose SIGINT and SIGTERM the task takes over (:class:`_PoolSignals`); never in Celery's main
    process, whose handlers are its warm and cold shutdowns."""
    app = make_app(cfg, name=f"secaudit-worker-{settings.zone}")

    @app.task(name=TASK_NAME, bind=True)
    def run_batch_task(self: Any, message: Mapping[str, Any]) -> dict[str, Any]:
        if pool_process:
            POOL_SIGNALS.install()
        return run_batch(message, settings, str(self.request.hostname or default_name(settings.zone)))

    return app


def check_broker(app: Any, cfg: BrokerConfig) -> None:
    """Connect once before starting (wrong password, wrong CA, broker down: a clear error, exit 2)."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=2, interval_start=1, interval_step=1, timeout=10)
    except Exception as e:
        raise BrokerConfigError("zones.broker_unreachable", url=cfg.redacted(),
                                reason=f"{type(e).__name__}: {e}"[:300]) from None


def start_worker(cfg: BrokerConfig, settings: WorkerSettings, *, name: str | None = None, concurrency: int = 1,
                 pool: str = "prefork", loglevel: str = "WARNING") -> None:
    """Run a worker in the foreground until SIGTERM/SIGINT (Celery's warm shutdown)."""
    app = worker_app(cfg, settings, pool_process=pool == "prefork")
    check_broker(app, cfg)
    argv = ["worker", "--queues", zone_queue(settings.zone), "--hostname", name or default_name(settings.zone),
            "--concurrency", str(concurrency), "--pool", pool, "--loglevel", loglevel, "--without-mingle",
            "--without-gossip", "--prefetch-multiplier", "1"]
    app.worker_main(argv=argv)
