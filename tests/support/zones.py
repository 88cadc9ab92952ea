"""Real pieces of the distributed executor for the tests and benchmarks: Debian's redis-server on a
loopback port with a password, and `secaudit worker` processes (one process group each).

Everything is a context manager with bounded waits; leaving it stops what it started.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from tests.support.servers import LOOPBACK, start_listening, stop_process

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 20.0          # tests: a batch a killed worker held is redelivered after ~20 s


@dataclass
class Redis:
    port: int
    password: str
    proc: subprocess.Popen
    user: str = ""                 # an ACL user (the default user is then off); "" for requirepass
    tls: bool = False
    ca: str | None = None          # TLS: the CA of the broker's certificate (--broker-ca)

    def broker_args(self) -> list[str]:
        return ["--broker", self.bare_url] + (["--broker-ca", self.ca] if self.ca else [])

    def config(self):
        from secaudit.execute.broker import broker_config

        return broker_config(self.url, ca_file=self.ca)

    @property
    def url(self) -> str:
        """The broker URL with its password (what a scan or worker is given)."""
        return f"{self._scheme}://{self.user}:{self.password}@{LOOPBACK}:{self.port}/0"

    @property
    def bare_url(self) -> str:
        """Without the password (it then comes from $SECAUDIT_BROKER_PASSWORD)."""
        return f"{self._scheme}://{self.user + '@' if self.user else ''}{LOOPBACK}:{self.port}/0"

    @property
    def _scheme(self) -> str:
        return "rediss" if self.tls else "redis"


def redis_server_path() -> str:
    found = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.path.exists(found):
        raise RuntimeError("redis-server is missing: run scripts/ensure-sysdeps.sh")
    return found


def _redis_conf(workdir: Path, port: int, password: str, user: str, tls: tuple[Path, Path, Path] | None) -> str:
    lines = [f"bind {LOOPBACK}", "protected-mode yes", 'save ""', "appendonly no", f"dir {workdir}",
             "daemonize no", f"logfile {workdir}/redis.log"]
    if user:     # the ACL of examples/zones/secaudit-broker.conf
        lines += ["user default off", f"user {user} on >{password} ~* &* +@all -@admin -flushall -flushdb -keys"]
    else:
        lines.append(f"requirepass {password}")
    if tls:
        cert, key, ca = tls
        lines += ["port 0", f"tls-port {port}", f"tls-cert-file {cert}", f"tls-key-file {key}",
                  f"tls-ca-cert-file {ca}", "tls-auth-clients no"]
    else:
        lines.append(f"port {port}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def redis_server(workdir: Path, *, user: str = "", tls: tuple[Path, Path, Path] | None = None) -> Iterator[Redis]:
    """redis-server on 127.0.0.1, an ephemeral port, a password required (``requirepass``, or an ACL
    ``user`` with the default user off), optionally TLS only (cert, key, CA); nothing persisted."""
    password = secrets.token_urlsafe(18)
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "redis.conf"

    def start(port: int) -> subprocess.Popen:
        conf.write_text(_redis_conf(workdir, port, password, user, tls))
        return subprocess.Popen([redis_server_path(), str(conf)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    port, proc = start_listening(start)          # the listener is redis's own, not another test's server
    try:
        yield Redis(port, password, proc, user, tls is not None, str(tls[2]) if tls else None)
    finally:
        stop_process(proc)


@dataclass
class Worker:
    name: str
    zone: str
    proc: subprocess.Popen
    log: Path

    def kill9(self) -> None:
        """kill -9 of the whole worker: its main process and its pool processes."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)     # a pool process left behind


def secaudit_env(redis: Redis) -> dict[str, str]:
    env = dict(os.environ, SECAUDIT_BROKER_PASSWORD=redis.password, PYTHONPATH=str(ROOT))
    env.pop("SECAUDIT_LANG", None)
    return env


def start_worker(redis: Redis, zone: str, scope: Sequence[str], name: str, workdir: Path, *,
                 ca_file: Path | None = None, concurrency: int = 1,
                 visibility_timeout: float = VISIBILITY_TIMEOUT) -> Worker:
    """`secaudit worker` as a process of its own (password from the environment, not the command line).
    ``name`` is the Celery node name (NAME@HOST)."""
    log = workdir / f"{name.split('@')[0]}.log"
    argv = [sys.executable, "-m", "secaudit", "worker", "--zone", zone, *redis.broker_args(), "--name", name,
            "--concurrency", str(concurrency), "--visibility-timeout", str(visibility_timeout), "--loglevel", "INFO"]
    for s in scope:
        argv += ["--scope", s]
    if ca_file:
        argv += ["--ca-file", str(ca_file)]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT,
                                env=secaudit_env(redis), cwd=ROOT, start_new_session=True)
    return Worker(name, zone, proc, log)


def wait_workers(redis: Redis, names: Sequence[str], deadline_s: float = 90.0) -> dict[str, list[str]]:
    """Poll the broker until every named worker answers (bounded); returns zone -> workers."""
    from secaudit.execute.broker import live_workers, make_app

    app = make_app(redis.config())
    end = time.monotonic() + deadline_s
    live: dict[str, list[str]] = {}
    while time.monotonic() < end:
        live = live_workers(app, timeout=1.0)
        answered = {w for ws in live.values() for w in ws}
        if all(n in answered for n in names):
            return live
        time.sleep(0.5)
    raise RuntimeError(f"workers {sorted(names)} did not come up in {deadline_s} s (live: {live})")


@contextlib.contextmanager
def workers(redis: Redis, specs: Sequence[tuple[str, str, Sequence[str]]], workdir: Path, *,
            ca_file: Path | None = None) -> Iterator[dict[str, Worker]]:
    """Start workers given as (name, zone, scope), wait until all answer, stop them all on exit."""
    started: dict[str, Worker] = {}
    try:
        for name, zone, scope in specs:
            started[name] = start_worker(redis, zone, scope, name, workdir, ca_file=ca_file)
        # all start together (about 3 s each on a loaded 2-core machine), then one bounded wait
        wait_workers(redis, [n for n, _, _ in specs])
        yield started
    finally:
        for w in started.values():
            w.stop()


@dataclass
class Gate:
    """A TCP forwarder on its own loopback address that can hold every connection (to catch a
    worker mid-probe) and then let them through to the real server."""

    host: str
    target: tuple[str, int]
    port: int = 0
    held: threading.Event = field(default_factory=threading.Event)     # a connection is being held
    release: threading.Event = field(default_factory=threading.Event)
    accepted: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while not self._stop.is_set():
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _serve(self, client: socket.socket) -> None:
        with client:
            while not self.release.is_set() and not self._stop.is_set():
                self.held.set()
                self.release.wait(0.1)
            if self._stop.is_set():
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                return
            with upstream:
                t = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
                t.start()
                self._pipe(client, upstream)
                t.join(timeout=10)

    def __enter__(self) -> "Gate":
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]

        def accept_loop() -> None:
            while not self._stop.is_set():
                try:
                    client, _ = self.sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                self.accepted += 1
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

        self.thread = threading.Thread(target=accept_loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.release.set()
        self.sock.close()
        self.thread.join(timeout=5)


@dataclass
class Listener:
    """A port that counts the connections made to it (and closes them): proves a refused probe never touched it."""

    host: str
    port: int
    _accepted: list[tuple] = field(default_factory=list)         # the peer address of each accepted connection
    _markers: set[tuple] = field(default_factory=set)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def accepted(self, peer: tuple) -> None:
        with self._changed:
            self._accepted.append(peer)
            self._changed.notify_all()

    def connections(self, deadline_s: float = 10.0) -> int:
        """How many connections were made before this call, every one of them counted.

        A connection the kernel completed waits in the listening socket's queue until the accepting thread takes
        it: counting at once could miss it. A marker connection made now joins the queue behind every earlier
        one (the queue is first in, first out), so once the marker is accepted, all of those were."""
        with socket.create_connection((self.host, self.port), timeout=deadline_s) as marker:
            me = marker.getsockname()
            with self._changed:
                self._markers.add(me)
                if not self._changed.wait_for(lambda: me in self._accepted, deadline_s):
                    raise RuntimeError(f"the listener on {self.host}:{self.port} did not accept in {deadline_s} s")
                return sum(1 for peer in self._accepted if peer not in self._markers)


@contextlib.contextmanager
def listener(host: str) -> Iterator[Listener]:
    """A :class:`Listener` on a port of ``host`` picked by the kernel, for as long as the block runs."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(16)
    sock.settimeout(0.2)
    seen = Listener(host, sock.getsockname()[1])
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                c, peer = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            seen.accepted(peer)
            c.close()

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        yield seen
    finally:
        stop.set()
        sock.close()
        t.join(timeout=5)


# ----------------------------------------------------------------------------- scans through the CLI


def write_inventory(path: Path, systems: Sequence[tuple[str, str | None, Sequence[str]]]) -> Path:
    """Systems given as (id, zone or None, ["host:port", ...]): internal, private data, level 3, https."""
    lines = ["kind: inventory", "systems:"]
    for sid, zone, endpoints in systems:
        eps = ", ".join(f"'https://{e}'" for e in endpoints)
        z = f", zone: {zone}" if zone else ""
        lines.append(f"  - {{id: {sid}, name: {sid.upper()}, purpose: internal, information: [private], "
                     f"declared_level: 3{z}, endpoints: [{eps}]}}")
    path.write_text("\n".join(lines) + "\n")
    return path


@dataclass
class ScanRun:
    rc: int
    stdout: str
    stderr: str
    runs: Path
    out: Path
    wall_s: float

    @property
    def run_dir(self) -> Path:
        dirs = [d for d in self.runs.iterdir() if (d / "run.json").is_file()]
        assert len(dirs) == 1, dirs
        return dirs[0]

    def journal(self) -> list[dict]:
        import json

        return [json.loads(line) for line in (self.run_dir / "journal.jsonl").read_text().splitlines() if line]

    def report(self) -> dict:
        import json

        return json.loads((self.out / "report.json").read_text())

    def findings(self) -> list[tuple]:
        import json

        return sorted((f["control_id"], f["system_id"], f["target"], f["verdict"], f["severity"],
                       json.dumps(f["message"], sort_keys=True)) for f in self.report()["findings"])


def scan_argv(inventory: Path, workdir: Path, *extra: str) -> tuple[list[str], Path, Path]:
    runs, out = workdir / "runs", workdir / "out"
    argv = [sys.executable, "-m", "secaudit", "scan", str(inventory), "--only", "tls", "--quiet", "--runs-dir",
            str(runs), "--out", str(out), "--format", "json", "--lang", "en", *extra]
    return argv, runs, out


def run_scan(inventory: Path, workdir: Path, redis: Redis | None, *extra: str, timeout_s: float = 240) -> ScanRun:
    """`secaudit scan` in a process of its own; with ``redis``, through the celery executor."""
    workdir.mkdir(parents=True, exist_ok=True)
    more = ["--executor", "celery", *redis.broker_args(),
            "--visibility-timeout", str(VISIBILITY_TIMEOUT)] if redis else []
    argv, runs, out = scan_argv(inventory, workdir, *more, *extra)
    env = secaudit_env(redis) if redis else dict(os.environ, PYTHONPATH=str(ROOT))
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=env, cwd=ROOT)
    return ScanRun(done.returncode, done.stdout, done.stderr, runs, out, time.monotonic() - t0)
