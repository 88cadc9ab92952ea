"""Host probe: one SSH login per server (asyncssh), a fixed set of read-only commands and file reads.

Rules (docs/host.md):

* Host keys are checked against the ``known_hosts`` file the inventory names and nothing else: an unknown
  or changed key ends the probe as an ERROR saying which; nothing is ever trusted on first use.
* Public-key authentication only (a key file, or the SSH agent when no key is named); no password or
  keyboard-interactive method is ever offered; ``~/.ssh/config`` is not read. An optional jump host.
* Every command below is a constant string: nothing from the inventory or from the server is ever built
  into a shell line. Each runs with a deadline and an output limit; the whole probe has the executor's
  deadline. Commands that need root go through ``sudo -n`` only when the inventory allows it; otherwise
  they are recorded as ``denied`` and the checks say "not assessed: needs root".
* Key and known_hosts paths are read on the machine that connects (a zone worker reads its own files);
  no secret travels in a probe.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import re
import tarfile
import time
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from secaudit.model import Control, Endpoint, Message, Observation, ObservationStatus, Probe, System, format_hostport
from secaudit.observations.host import (
    DENIED, ERROR, FAILED, MISSING, OK, TIMEOUT, CommandRun, FileRead, HostFacts, neutralise,
)
from secaudit.probes.interface import HOST, BaseFamily, RunnerContext, Target
from secaudit.targets import TargetError, normalize_host
import os
import importlib.util
from secaudit.errors import ToolMissingError

KIND = "host"

# Files read in one `tar` (directories with their files). Fixed: never built from input.
FILES: tuple[str, ...] = (
    "/etc/os-release", "/etc/login.defs", "/etc/security/pwquality.conf", "/etc/security/pwquality.conf.d",
    "/etc/security/faillock.conf", "/etc/pam.d/common-password", "/etc/pam.d/common-auth",
    "/etc/pam.d/system-auth", "/etc/pam.d/password-auth", "/etc/profile", "/etc/profile.d", "/etc/bash.bashrc",
    "/etc/bashrc", "/etc/ssh/sshd_config", "/etc/ssh/sshd_config.d", "/etc/passwd", "/etc/shadow",
    "/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d", "/etc/rsyslog.conf", "/etc/rsyslog.d",
    "/etc/logrotate.conf", "/etc/logrotate.d/rsyslog", "/etc/audit/auditd.conf", "/etc/audit/audit.rules",
    "/etc/audit/rules.d", "/etc/crypttab", "/etc/ufw/ufw.conf", "/etc/chrony/chrony.conf", "/etc/chrony.conf",
    "/etc/systemd/timesyncd.conf",
)
STATS: tuple[str, ...] = (
    "/var/log/journal", "/var/lib/apt/lists", "/var/lib/apt/periodic/update-success-stamp", "/var/cache/dnf",
    "/run/systemd/timesync/synchronized", "/var/lib/systemd/timesync/clock",
)


@dataclass(frozen=True)
class Command:
    name: str
    line: str                                     # a constant shell line, run as the audit account
    root: bool = False                            # needs root: `sudo` when allowed, else "denied"
    prefer_root: bool = False                     # root when possible, else as the login (what it can read)
    sudo: str = ""                                # the exact command given to `sudo -n` (docs/host.md's sudoers)
    limit: int = 256 << 10                        # bytes of stdout read and kept (then the channel is closed)


_TAR = "/usr/bin/tar -chf - --ignore-failed-read -- " + " ".join(FILES)
COMMANDS: tuple[Command, ...] = (
    Command("files", "LC_ALL=C " + _TAR, prefer_root=True, sudo=_TAR, limit=8 << 20),
    Command("stat", "LC_ALL=C stat -c '%n|%F|%Y' -- " + " ".join(STATS) + " 2>/dev/null; true"),
    Command("sshd", "LC_ALL=C /usr/sbin/sshd -T", root=True, sudo="/usr/sbin/sshd -T"),
    Command("lastlog", "LC_ALL=C lastlog"),
    Command("listen", "for f in tcp tcp6 udp udp6; do echo \"== $f\"; cat /proc/net/$f 2>/dev/null; done"),
    Command("procs", "cat /proc/[0-9]*/comm 2>/dev/null; true"),
    Command("chrony", "LC_ALL=C chronyc -n tracking"),
    Command("timedatectl", "LC_ALL=C timedatectl show -p NTPSynchronized --value"),
    Command("nft", "nft list ruleset", root=True, sudo="/usr/sbin/nft list ruleset"),
    Command("iptables", "iptables -S", root=True, sudo="/usr/sbin/iptables -S"),
    Command("apt", "LC_ALL=C apt-get -s -o Debug::NoLocking=1 upgrade", limit=1 << 20),
    Command("dnf", "LC_ALL=C dnf -q -C updateinfo list --security", limit=1 << 20),
    Command("lsblk", "LC_ALL=C lsblk -P -o NAME,TYPE,FSTYPE,MOUNTPOINT,PKNAME"),
)


def sudoers_lines(user: str) -> list[str]:
    """The sudoers lines that allow exactly the privileged reads of this probe, and nothing else."""
    return [f"{user} ALL=(root) NOPASSWD: " + ", ".join(c.sudo for c in COMMANDS if c.sudo)]


STDERR_LIMIT = 64 << 10
FILE_LIMIT = 256 << 10                            # bytes kept of one file
FILES_BUDGET = 2 << 20                            # bytes kept of all files together (an observation stays small
                                                  # enough for the journal and the broker: ~5 MB at worst)
COMMAND_S = 20.0                                  # one command's deadline (within the probe's)
CHANNELS = 4                                      # commands at once on one connection (sshd's MaxSessions is 10)
CONNECT_S = 10.0

_NOT_FOUND = re.compile(r"(command not found|not found|No such file or directory)\s*$", re.MULTILINE)
_SSHD_NO_HOME = re.compile(r"^Could not chdir to home directory .*$", re.MULTILINE)
_SUDO_REFUSED = re.compile(r"^sudo: (a password is required|.*not allowed|.*may not run)", re.MULTILINE)
_TAR_PROBLEM = re.compile(r"^(?:\S*/)?tar: (/?\S[^:]*): (?:Warning: )?Cannot (?:stat|open|readlink): (.*)$", re.MULTILINE)


# ----------------------------------------------------------------------------- reading one command


async def _read(stream: Any, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return b"".join(chunks), False
        if size + len(chunk) > limit:
            chunks.append(chunk[: limit - size])
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)


async def run_command(conn: Any, cmd: Command, line: str, deadline: float, as_root: bool) -> tuple[CommandRun, bytes]:
    """Run ``line`` (a constant) with a deadline and an output limit; never raises."""
    left = min(COMMAND_S, deadline - time.monotonic())
    if left <= 0.05:
        return CommandRun(cmd.name, TIMEOUT, stderr="probe deadline reached before this command", as_root=as_root), b""
    proc = None
    try:
        async with asyncio.timeout(left):
            proc = await conn.create_process(line, encoding=None, stdin=None)
            errors = asyncio.ensure_future(_read(proc.stderr, STDERR_LIMIT))
            try:
                out, cut = await _read(proc.stdout, cmd.limit)
                if cut:                       # stop the flood: the server may keep writing, nothing more is read
                    proc.close()
                    err = b""
                else:
                    err, _cut = await errors
                    await proc.wait_closed()
            finally:
                if not errors.done():
                    errors.cancel()
    except TimeoutError:
        if proc is not None:
            proc.close()
        return CommandRun(cmd.name, TIMEOUT, stderr=f"no answer within {left:.0f} s", as_root=as_root), b""
    except Exception as e:  # the connection dropped mid-command: an error of this command
        return CommandRun(cmd.name, ERROR, stderr=neutralise(f"{type(e).__name__}: {e}"[:300]), as_root=as_root), b""
    code = proc.exit_status
    stderr = neutralise(err)
    text = "" if cmd.name == "files" else neutralise(out)
    return CommandRun(cmd.name, command_status(cmd.name, code, bool(out), stderr, cut, as_root), code, text, stderr,
                      cut, as_root), out


def command_status(name: str, code: int | None, printed: bool, stderr: str, cut: bool, as_root: bool) -> str:
    """What a finished command's exit status and standard error say: ok, missing, denied or failed. sshd's own
    "Could not chdir to home directory X: No such file or directory" (an audit account without a home) is not
    the command's: a command that failed after it is failed, not missing."""
    said = _SSHD_NO_HOME.sub("", stderr)
    if cut or code == 0:
        return OK
    if code == 127 or (code is not None and _NOT_FOUND.search(said) and not printed and name != "files"):
        return MISSING
    if as_root and _SUDO_REFUSED.search(said):
        return DENIED
    return FAILED


def files_from_tar(data: bytes, stderr: str, truncated: bool) -> tuple[FileRead, ...]:
    """The archive's files (text, mtime) and, from tar's warnings, those missing or unreadable."""
    found: dict[str, FileRead] = {}
    budget = FILES_BUDGET
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                path = "/" + member.name.lstrip("/")
                if member.isdir():
                    found[path] = FileRead(path, OK, mtime=int(member.mtime), is_dir=True)
                elif member.isfile():
                    raw = tar.extractfile(member)
                    keep = max(0, min(FILE_LIMIT, budget))
                    body = raw.read(keep + 1) if raw is not None else b""
                    budget -= min(len(body), keep)
                    found[path] = FileRead(path, OK, neutralise(body[:keep]), len(body) > keep, int(member.mtime))
    except (tarfile.TarError, EOFError, OSError):
        pass                                       # a cut or damaged archive: the members read so far count
    for m in _TAR_PROBLEM.finditer(stderr):
        path, why = "/" + m.group(1).lstrip("/"), m.group(2)
        status = DENIED if "Permission denied" in why else MISSING if "No such file" in why else ERROR
        found.setdefault(path, FileRead(path, status, neutralise(why[:200])))
    if truncated:
        for path in FILES:
            found.setdefault(path, FileRead(path, ERROR, "output limit reached before this file"))
    return tuple(sorted(found.values(), key=lambda f: f.path))


# ----------------------------------------------------------------------------- one host


class ProbeFailed(Exception):
    def __init__(self, key: str, **args: Any):
        super().__init__(key)
        self.message = Message(key, {k: neutralise(str(v))[:300] for k, v in args.items()})


def _host_key_problem(known_hosts: str, host: str, port: int) -> ProbeFailed:
    # start-up: asyncssh loaded only when needed
    import asyncssh

    try:
        matched = asyncssh.read_known_hosts(known_hosts).match(host, "", port)
    except (OSError, ValueError, asyncssh.Error) as e:
        return ProbeFailed("host.probe.known_hosts_unreadable", file=known_hosts, reason=e)
    if matched[0] or matched[1]:
        return ProbeFailed("host.probe.key_changed", host=host, port=port, file=known_hosts)
    return ProbeFailed("host.probe.key_unknown", host=host, port=port, file=known_hosts)


def _options(p: Mapping[str, Any], host: str, port: int, user: str, connect_s: float) -> dict[str, Any]:
    key = p.get("key")
    return dict(host=host, port=port, username=user, known_hosts=p["known_hosts"], config=None,
                client_keys=[key] if key else (), agent_path=None if key else (), preferred_auth="publickey",
                password=None, kbdint_auth=False, gss_host=None, x509_trusted_certs=None,
                connect_timeout=connect_s, login_timeout=connect_s, keepalive_interval=5, keepalive_count_max=2)


async def _connect(p: Mapping[str, Any], deadline: float) -> tuple[Any, Any]:
    """(connection, jump connection or None)."""
    # start-up: asyncssh loaded only when needed
    import asyncssh

    connect_s = max(1.0, min(CONNECT_S, deadline - time.monotonic()))
    jump = None
    stage = (p.get("jump_host"), p.get("jump_port")) if p.get("jump_host") else (p["host"], p["port"])
    try:
        async with asyncio.timeout(connect_s * (2 if p.get("jump_host") else 1)):
            if p.get("jump_host"):
                jump = await asyncssh.connect(**_options(p, p["jump_host"], p["jump_port"],
                                                         p.get("jump_user") or p["user"], connect_s))
                stage = (p["host"], p["port"])
                conn = await jump.connect_ssh(**_options(p, p["host"], p["port"], p["user"], connect_s))
            else:
                conn = await asyncssh.connect(**_options(p, p["host"], p["port"], p["user"], connect_s))
    except asyncssh.HostKeyNotVerifiable:
        _close(jump)
        raise _host_key_problem(p["known_hosts"], *stage) from None
    except asyncssh.PermissionDenied:
        _close(jump)
        raise ProbeFailed("host.probe.auth_failed", user=p["user"], host=stage[0]) from None
    except (TimeoutError, asyncio.TimeoutError):
        _close(jump)
        raise ProbeFailed("host.probe.connect_timeout", host=stage[0], port=stage[1], seconds=round(connect_s)) from None
    except (OSError, asyncssh.Error, ValueError) as e:
        _close(jump)
        raise ProbeFailed("host.probe.unreachable", host=stage[0], port=stage[1], reason=f"{type(e).__name__}: {e}") from None
    return conn, jump


def _close(conn: Any) -> None:
    if conn is not None:
        conn.abort()


async def collect(p: Mapping[str, Any], deadline: float) -> HostFacts:
    """Log in, run the fixed commands (at most CHANNELS at once), and keep what came back."""
    for path_key, key in (("known_hosts", "host.probe.known_hosts_missing"), ("key", "host.probe.key_missing")):
        path = p.get(path_key)
        if path and not _readable(path):
            raise ProbeFailed(key, file=path)
    conn, jump = await _connect(p, deadline)
    try:
        ident, _ = await run_command(conn, Command("id", "id -u"), "id -u", deadline, False)
        if ident.status == TIMEOUT:
            raise ProbeFailed("host.probe.hung", host=p["host"], seconds=round(min(COMMAND_S, deadline - time.monotonic())))
        if ident.status != OK or not ident.stdout.strip().isdigit():
            raise ProbeFailed("host.probe.no_shell", host=p["host"], reason=(ident.stderr or ident.stdout)[:200])
        is_root = ident.stdout.strip() == "0"
        sudo = bool(p.get("sudo"))
        gate = asyncio.Semaphore(CHANNELS)

        async def one(cmd: Command) -> tuple[CommandRun, bytes]:
            if cmd.root and not is_root and not sudo:
                return CommandRun(cmd.name, DENIED, stderr="needs root; sudo is not allowed for this host"), b""
            elevate = (cmd.root or cmd.prefer_root) and sudo and not is_root
            line = "LC_ALL=C sudo -n " + cmd.sudo if elevate else cmd.line
            async with gate:
                return await run_command(conn, cmd, line, deadline, elevate)

        results = await asyncio.gather(*(one(c) for c in COMMANDS))
    finally:
        conn.abort()
        _close(jump)
    runs = tuple(r for r, _raw in results)
    files_run, files_raw = results[0]
    files = files_from_tar(files_raw, files_run.stderr, files_run.truncated) if files_run.status in (OK, FAILED) \
        else tuple(FileRead(path, DENIED if files_run.status == DENIED else ERROR, files_run.stderr[:200])
                   for path in FILES)
    root = is_root or (sudo and files_run.as_root and files_run.status in (OK, FAILED))
    return HostFacts(p["host"], p["user"], dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     sudo, root, files, runs)


def _readable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.R_OK)


async def probe_one(p: Probe, deadline: float, scope: frozenset[str]) -> Observation:
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    try:
        for name in ("host", "jump_host"):
            if p.params.get(name) is not None:
                host = normalize_host(p.params[name])
                if scope and host not in scope:
                    raise ProbeFailed("host.probe.out_of_scope", host=host)
        facts = await collect(p.params, deadline)
    except ProbeFailed as e:
        return Observation.failed(p, e.message, started, round(time.monotonic() - t0, 3))
    except TargetError as e:
        return Observation.failed(p, Message("host.probe.out_of_scope", {"host": repr(e.value)[:200]}), started)
    except Exception as e:  # never raise for a target's fault
        return Observation.failed(p, Message("host.probe.unreachable", {
            "host": p.params.get("host", ""), "port": p.params.get("port", ""),
            "reason": neutralise(f"{type(e).__name__}: {e}")[:300]}), started, round(time.monotonic() - t0, 3))
    return Observation(p.id, KIND, p.target, ObservationStatus.OK, facts, None, started, round(time.monotonic() - t0, 3))


# ----------------------------------------------------------------------------- the plug-in


class HostRunner:
    kind = KIND
    batch_size = 25              # hosts handed over at once, all logged in to concurrently (one event loop)
    parallel = 25

    def __init__(self, scope: Sequence[str]):
        self.scope = frozenset(scope)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        deadline = time.monotonic() + timeout_s
        loop = asyncio.new_event_loop()
        pending: set[asyncio.Task[Observation]] = set()
        try:
            pending = {loop.create_task(probe_one(p, deadline, self.scope)) for p in probes}
            while pending:
                done, pending = loop.run_until_complete(asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED))
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()


class HostFamily(BaseFamily):
    """Servers of a system read over SSH: one probe per declared ``hosts:`` entry."""

    kind = KIND
    provides = frozenset({KIND})
    facts_type = HostFacts

    def targets(self, system: System, scope: str) -> Sequence[Target]:
        if scope != HOST:
            return []
        return [Target(_name(h.address, h.port), h.address, None, HOST) for h in system.ssh_hosts]

    def applies(self, endpoint: Endpoint) -> bool:
        return False

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        name = targets[0].name
        access = next(h for s in systems for h in s.ssh_hosts if _name(h.address, h.port) == name)
        params: dict[str, Any] = {"host": access.address, "port": access.port, "user": access.user,
                                  "key": access.key, "known_hosts": access.known_hosts, "sudo": access.sudo}
        if access.jump is not None:
            params.update(jump_host=access.jump.host, jump_port=access.jump.port, jump_user=access.jump.user)
        return params

    def runner(self, ctx: RunnerContext) -> HostRunner:
        return HostRunner(ctx.scope)

    def check_tools(self) -> None:
        if importlib.util.find_spec("asyncssh") is None:
            raise ToolMissingError("host.asyncssh_missing") from None


def _name(address: str, port: int) -> str:
    return format_hostport(address, port)
