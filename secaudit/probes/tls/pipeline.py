"""One pipeline per endpoint: request → quick check → sweep → suites by elimination and sslyze commands → facts.

Each endpoint goes through its stages on its own, in its own thread, with its own budget: it
starts when the endpoint's quick check has answered (so a silent endpoint costs itself the quick
check's few seconds and nobody else anything) and lasts ``timeout_s``. An endpoint without an
observation when its budget is spent gets an ERROR observation saying so, and its workers stop.
No stage waits for other endpoints: an endpoint's observation is yielded as soon as it is made.

Called from the executor's runner, a batch is at most ``concurrency`` endpoints, so they all
start at once and the executor alone decides what runs when. Called directly with more
endpoints, at most ``concurrency`` run at a time, the next one starting as one ends.
"""

from __future__ import annotations

import queue
import threading
import time
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterator, Sequence

from secaudit.model import Message, Observation
from secaudit.probes.tls.commands import build_request, only_commands, run_commands, without_refused
from secaudit.probes.tls.eliminate import enumerate_versions, rsa_key_exchange_ruled_out, versions_to_enumerate
from secaudit.probes.tls.facts import OwnMeasurements, error_observation, now_iso, to_observation
from secaudit.probes.tls.groups import supported_groups
from secaudit.probes.tls.params import CIPHER_COMMANDS, ELLIPTIC_CURVES, ROBOT, TlsProbeParams, TlsTarget
from secaudit.probes.tls.reach import quick_check, quick_check_overhead_s, readable
from secaudit.probes.tls.sweep import Connected, connect, sweep


@dataclass(frozen=True)
class Settings:
    timeout_s: float
    ca_file: Path | None
    network_timeout_s: int
    network_max_retries: int
    quick_check_timeout_s: float
    per_server_connections: int | None


@dataclass
class _Endpoint:
    """One endpoint's progress, shared by its thread (writes) and the collector (reads)."""

    target: TlsTarget
    params: TlsProbeParams
    started: str = ""
    t0: float = 0.0
    deadline: float = 0.0            # the quick check's, then the endpoint's own budget
    answered: bool = False           # the quick check is behind it
    stop: threading.Event = field(default_factory=threading.Event)


def scan(targets: Sequence[TlsTarget], params: TlsProbeParams, *, timeout_s: float = 60.0,
         ca_file: Path | None = None, batch_size: int = 50, concurrency: int = 10, network_timeout_s: int = 5,
         network_max_retries: int = 2, quick_check_timeout_s: float | None = None,
         per_server_connections: int | None = None) -> Iterator[Observation]:
    """Scan ``targets``; yield one Observation per target (order of completion), never raise for a target.

    ``timeout_s`` is the budget of one endpoint once its quick check ("does it speak?", bounded by
    ``quick_check_timeout_s``, default the network timeout) has answered. At most ``concurrency``
    endpoints run at once (sslyze's default; more is slower on 2 cores, design §6); ``batch_size``
    is accepted for callers of the batch-synchronous adapter and no longer changes anything.
    ``network_timeout_s``/``network_max_retries`` go to sslyze; ``per_server_connections`` caps the
    simultaneous connections to one endpoint (sslyze's default is 5).
    """
    yield from scan_endpoints([(t, params) for t in targets], timeout_s=timeout_s, ca_file=ca_file,
                              concurrency=concurrency, network_timeout_s=network_timeout_s,
                              network_max_retries=network_max_retries, quick_check_timeout_s=quick_check_timeout_s,
                              per_server_connections=per_server_connections)


def scan_endpoints(jobs: Sequence[tuple[TlsTarget, TlsProbeParams]], *, timeout_s: float = 60.0,
                   ca_file: Path | None = None, concurrency: int = 10, network_timeout_s: int = 5,
                   network_max_retries: int = 2, quick_check_timeout_s: float | None = None,
                   per_server_connections: int | None = None) -> Iterator[Observation]:
    """:func:`scan` for endpoints that each have their own parameters."""
    if ca_file is not None and not Path(ca_file).is_file():
        raise FileNotFoundError(str(ca_file))
    # sslyze's bundled trust stores hold a root with a negative serial number; cryptography warns on
    # every load. It says nothing about the scanned server, so it must not reach users' terminals.
    warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive", module=r"sslyze\.")
    settings = Settings(timeout_s, ca_file, network_timeout_s, network_max_retries,
                        quick_check_timeout_s or network_timeout_s, per_server_connections)
    yield from _Collector([_Endpoint(t, p) for t, p in jobs], settings, max(1, concurrency)).run()


class _Collector:
    """Starts endpoints (at most ``concurrency`` at once), yields their observations, enforces their budgets."""

    def __init__(self, endpoints: list[_Endpoint], settings: Settings, concurrency: int):
        self.waiting, self.settings, self.concurrency = list(endpoints), settings, concurrency
        self.running: dict[int, _Endpoint] = {}
        self.out: queue.Queue[tuple[int, Observation]] = queue.Queue()

    def run(self) -> Iterator[Observation]:
        while self.waiting or self.running:
            while self.waiting and len(self.running) < self.concurrency:
                self._start(self.waiting.pop(0))
            try:
                key, obs = self.out.get(timeout=self._wait_s())
            except queue.Empty:
                key, obs = -1, None
            if obs is not None and self.running.pop(key, None) is not None:
                yield obs
            yield from self._overdue()

    def _start(self, ep: _Endpoint) -> None:
        ep.started, ep.t0 = now_iso(), time.monotonic()
        ep.deadline = ep.t0 + quick_check_overhead_s(self.settings.network_timeout_s,
                                                     self.settings.quick_check_timeout_s)
        key = id(ep)
        self.running[key] = ep

        def body() -> None:
            try:
                obs = endpoint_pipeline(ep, self.settings)
            except Exception as e:  # noqa: BLE001 - a bug in a stage loses no endpoint
                obs = error_observation(ep.target, Message("tls.probe.scan_failure", {"error": readable(e)}),
                                        ep.started, ep.t0)
            self.out.put((key, obs))

        threading.Thread(target=body, name=f"secaudit-tls-{ep.target.address}", daemon=True).start()

    def _wait_s(self) -> float:
        if not self.running:
            return 0.05
        return max(0.01, min(0.5, min(ep.deadline for ep in self.running.values()) - time.monotonic()))

    def _overdue(self) -> Iterator[Observation]:
        now = time.monotonic()
        for key, ep in list(self.running.items()):
            if now < ep.deadline:
                continue
            ep.stop.set()
            del self.running[key]
            if ep.answered:
                reason = Message("tls.probe.budget", {"seconds": f"{self.settings.timeout_s:g}"})
            else:
                reason = Message("tls.probe.no_answer", {"seconds": f"{self.settings.quick_check_timeout_s:g}"})
            yield error_observation(ep.target, reason, ep.started, ep.t0)


def endpoint_pipeline(ep: _Endpoint, s: Settings) -> Observation:
    """The stages of one endpoint, in order; each later stage only for an endpoint that got that far."""
    t = ep.target
    try:
        req = build_request(t, ep.params, s.ca_file, s.network_timeout_s, s.network_max_retries)
    except Exception as e:  # unresolvable name, bad configuration: an error observation, not a crash
        return error_observation(t, readable(e), ep.started, ep.t0)
    problem = quick_check(t, s.quick_check_timeout_s)
    if problem:
        return error_observation(t, problem, ep.started, ep.t0)
    ep.deadline, ep.answered = time.monotonic() + s.timeout_s, True     # from here, the endpoint's own budget
    connected = connect(req)
    protocols = sweep(connected) if ep.params.protocol_sweep and connected.connectivity_result is not None else None
    if not ep.params.scan_commands or connected.connectivity_result is None or ep.stop.is_set():
        return to_observation(t, connected, protocols, ep.started, ep.t0)
    versions = tuple(p for p in versions_to_enumerate(protocols) if CIPHER_COMMANDS[p] in ep.params.scan_commands)
    req = without_refused(req, protocols, eliminated=versions)
    groups = {c for c in req.scan_commands if c.value == ELLIPTIC_CURVES}
    own = _Background(lambda: _own_measurements(_info(connected), versions, bool(groups), ep.stop)) \
        if versions or groups else None
    # ROBOT waits for the suite lists: a server accepting no RSA key exchange at any version is not
    # vulnerable, which sslyze finds out with 3 x 2 handshakes (its verdict "RSA not supported")
    robot = {c for c in req.scan_commands if c.value == ROBOT} if versions else set()
    result = run_commands(replace(req, scan_commands=req.scan_commands - robot - groups), connected, ep.deadline,
                          s.per_server_connections, ep.stop)
    measured = own.wait(ep.deadline, ep.stop) if own else OwnMeasurements()
    if robot and result is not None and measured is not None:
        if rsa_key_exchange_ruled_out(protocols, measured.suites):
            measured = replace(measured, robot_ruled_out=True)
        else:
            later = run_commands(only_commands(req, robot), connected, ep.deadline, s.per_server_connections,
                                 ep.stop)
            result = None if later is None else replace(result, scan_result=replace(
                result.scan_result, robot=later.scan_result.robot))
    if result is None or measured is None:
        ep.stop.set()
        return error_observation(t, Message("tls.probe.budget", {"seconds": f"{s.timeout_s:g}"}), ep.started, ep.t0)
    return to_observation(t, result, protocols, ep.started, ep.t0, measured)


def _own_measurements(info: object, versions: tuple[str, ...], groups: bool, stop: threading.Event
                      ) -> OwnMeasurements:
    """The suites of ``versions`` and, when asked, the supported groups, both by elimination."""
    suites = enumerate_versions(info, versions, stop)
    return OwnMeasurements(suites=suites, groups=supported_groups(info, stop) if groups else None)


def _info(connected: Connected) -> object:
    # start-up: sslyze loaded only when needed
    from sslyze.server_connectivity import ServerConnectivityInfo

    return ServerConnectivityInfo(connected.server_location, connected.network_configuration,
                                  connected.connectivity_result)


class _Background:
    """A job on its own thread (the eliminations run while sslyze's commands run)."""

    def __init__(self, job: Callable[[], OwnMeasurements]):
        self.done = threading.Event()
        self.value: OwnMeasurements | None = None

        def body() -> None:
            try:
                self.value = job()
            finally:
                self.done.set()

        threading.Thread(target=body, name="secaudit-tls-suites", daemon=True).start()

    def wait(self, deadline: float, stop: threading.Event) -> OwnMeasurements | None:
        """The job's value, or None when the deadline passed or the endpoint was stopped first."""
        while not self.done.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic()))):
            if time.monotonic() >= deadline or stop.is_set():
                return None
        return self.value
