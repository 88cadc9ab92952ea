"""A real PostgreSQL server for the store tests: Debian's initdb and pg_ctl in a temp directory.

PostgreSQL refuses to run as root, so under root the cluster belongs to an unprivileged system
user (``postgres``, created by Debian's package; else ``nobody``) and the server runs through
``runuser``. It listens on 127.0.0.1 on a free port and on a Unix socket inside the directory,
trusts local connections (a throw-away cluster), and is stopped (``pg_ctl stop -m fast``) on exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from secaudit.lab.servers import LOOPBACK, free_port

SUPERUSER = "secaudit"


def pg_bindir() -> Path:
    """The newest installed PostgreSQL's bin directory (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parent.parent.name))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    if which:
        return Path(which).parent
    raise RuntimeError("PostgreSQL is not installed: run scripts/ensure-sysdeps.sh (Debian package postgresql)")


def _run_as() -> list[str]:
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        try:
            pwd.getpwnam(user)
        except KeyError:
            continue
        return ["runuser", "-u", user, "--"]
    raise RuntimeError("no unprivileged user to run PostgreSQL as (postgres or nobody)")


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=SUPERUSER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextlib.contextmanager
def postgres_server(start_timeout_s: float = 60.0) -> Iterator[PostgresServer]:
    bindir = pg_bindir()
    prefix = _run_as()
    base = Path(tempfile.mkdtemp(prefix="secaudit-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if prefix:
        user = pwd.getpwnam(prefix[2])
        for p in (base, sock):
            os.chown(p, user.pw_uid, user.pw_gid)
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    try:
        subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                        "-E", "UTF8", "--no-sync"], check=True, capture_output=True, timeout=120, env=env, cwd=base)
        port = _start(prefix, bindir, data, base, sock, env, start_timeout_s)
        try:
            yield PostgresServer(LOOPBACK, port, base)
        finally:
            subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "30",
                            "stop"], capture_output=True, timeout=40, env=env, cwd=base)
            _wait_stopped(data, 10.0)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _start(prefix: list[str], bindir: Path, data: Path, base: Path, sock: Path, env: dict[str, str],
           start_timeout_s: float) -> int:
    """Start the cluster on a free port of 127.0.0.1; returns the port.

    The port is picked just before the start, and picked again if the server could not bind it: another
    test's server (another xdist worker) may take a port between its release by :func:`free_port` and
    the postmaster's bind."""
    log = base / "log"
    for attempt in range(3):
        port = free_port()
        options = f"-h {LOOPBACK} -p {port} -k {sock} -c fsync=off -c max_connections=40"
        r = subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                            "-w", "-t", str(int(start_timeout_s)), "start"], capture_output=True,
                           timeout=start_timeout_s + 10, env=env, cwd=base)
        if r.returncode == 0:
            return port
        taken = "already in use" in (log.read_text(errors="replace") if log.is_file() else "")
        if not taken or attempt == 2:
            raise subprocess.CalledProcessError(r.returncode, r.args, r.stdout, r.stderr)
        log.unlink()
    raise AssertionError("unreachable")


def _wait_stopped(data: Path, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while (data / "postmaster.pid").exists() and time.monotonic() < end:
        time.sleep(0.1)
