"""Facts of the ``host`` family: what one SSH login read on a server, raw, plus pure parsers.

The probe runs a fixed set of read-only commands and reads a fixed set of files
(:mod:`secaudit.probes.host`); this module keeps what came back — file texts and command outputs as
read, bounded and with control characters made visible — so a better parser never needs a new
login. The checks (:mod:`secaudit.checks.host`) parse them with the functions below.

A file is ``ok`` (read), ``missing`` (not there), ``denied`` (exists, not readable by the login:
"needs root") or ``error``. A command is ``ok`` (ran, exit 0), ``failed`` (ran, non-zero exit),
``missing`` (not installed), ``denied`` (needs root and sudo is not allowed or refused) or
``timeout`` (killed at its deadline).
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict
import ipaddress
import fnmatch

SCHEMA = "secaudit/observation/host/v1"

OK = "ok"
MISSING = "missing"
DENIED = "denied"
ERROR = "error"
FAILED = "failed"
TIMEOUT = "timeout"

# C0/C1 controls (except tab and newline), DEL and bidi overrides: shown as \xNN, never passed on.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def neutralise(raw: bytes | str) -> str:
    """Text safe to keep and show: invalid UTF-8 replaced, control characters and escapes made visible."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return _CONTROLS.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class FileRead:
    path: str
    status: str                                   # ok | missing | denied | error
    text: str = ""                                # neutralised, at most the probe's per-file limit
    truncated: bool = False
    mtime: int | None = None                      # seconds since the epoch (from the archive)
    is_dir: bool = False


@dataclass(frozen=True)
class CommandRun:
    name: str                                     # the fixed command's name in the probe's table
    status: str                                   # ok | failed | missing | denied | timeout | error
    exit: int | None = None
    stdout: str = ""                              # neutralised, bounded
    stderr: str = ""
    truncated: bool = False
    as_root: bool = False                         # ran through `sudo -n`


@dataclass(frozen=True)
class HostFacts:
    address: str
    user: str
    collected_at: str                             # ISO 8601 UTC, the host's clock as the probe saw it
    sudo_allowed: bool                            # the inventory allows `sudo -n`
    root: bool                                    # privileged reads ran as root (uid 0 or sudo worked)
    files: tuple[FileRead, ...] = ()
    commands: tuple[CommandRun, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "HostFacts":
        return fields_from_dict(cls, d, SCHEMA)

    def file(self, path: str) -> FileRead:
        for f in self.files:
            if f.path == path:
                return f
        return FileRead(path, MISSING)

    def files_under(self, directory: str) -> list[FileRead]:
        prefix = directory.rstrip("/") + "/"
        return sorted((f for f in self.files if f.path.startswith(prefix) and not f.is_dir), key=lambda f: f.path)

    def command(self, name: str) -> CommandRun:
        for c in self.commands:
            if c.name == name:
                return c
        return CommandRun(name, ERROR, stderr="not run")


# ----------------------------------------------------------------------------- parsers (pure)


def key_values(text: str, sep: str = "=") -> dict[str, str]:
    """``KEY=value`` lines (os-release, pwquality.conf, faillock.conf, journald.conf); quotes removed,
    comments skipped, the last value wins."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")) or sep not in line:
            continue
        key, value = line.split(sep, 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


def flags(text: str) -> set[str]:
    """Bare words on their own line (faillock.conf ``even_deny_root``)."""
    return {ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")
            and "=" not in ln and " " not in ln.strip()}


def words_table(text: str) -> dict[str, str]:
    """``KEY value`` lines (login.defs, ``sshd -T``): lower-case keys, the FIRST value wins (as in sshd)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if not parts or parts[0].startswith("#"):
            continue
        out.setdefault(parts[0].lower(), parts[1].strip() if len(parts) > 1 else "")
    return out


def login_defs(text: str) -> dict[str, str]:
    """login.defs: ``KEY value``; the last definition wins (shadow-utils reads top to bottom)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.strip().split(None, 1)
        if parts and not parts[0].startswith("#"):
            out[parts[0].upper()] = parts[1].strip() if len(parts) > 1 else ""
    return out


@dataclass(frozen=True)
class PamLine:
    file: str
    kind: str                                     # auth | account | password | session
    control: str
    module: str                                   # e.g. pam_faillock.so
    args: tuple[str, ...]
    line: str                                     # the line as written (evidence)


def pam_lines(path: str, text: str) -> list[PamLine]:
    out: list[PamLine] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            parts = shlex.split(line, comments=True)
        except ValueError:
            parts = line.split()
        if len(parts) < 3:
            continue
        kind = parts[0].lstrip("-")
        rest = parts[1:]
        if rest[0].startswith("["):                       # [success=1 default=ignore]
            j = next((i for i, p in enumerate(rest) if p.endswith("]")), 0)
            control, rest = " ".join(rest[:j + 1]), rest[j + 1:]
        else:
            control, rest = rest[0], rest[1:]
        if rest:
            out.append(PamLine(path, kind, control, rest[0].rsplit("/", 1)[-1], tuple(rest[1:]), line))
    return out


def pam_args(args: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for a in args:
        key, _, value = a.partition("=")
        out[key] = value
    return out


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    shell: str
    password: str | None = None                   # the shadow field, None when shadow was not read
    expires_day: int | None = None                # shadow field 8, days since 1970-01-01
    changed_day: int | None = None                # shadow field 3: last password change (or creation), days

    @property
    def login_shell(self) -> bool:
        return not self.shell.endswith(("/nologin", "/false", "/sync", "/shutdown", "/halt")) and bool(self.shell)

    @property
    def password_usable(self) -> bool | None:
        if self.password is None:
            return None
        return bool(self.password) and not self.password.startswith(("!", "*"))

    def expired(self, today: dt.date) -> bool:
        return self.expires_day is not None and dt.date(1970, 1, 1) + dt.timedelta(days=self.expires_day) <= today


def accounts(passwd: str, shadow: str | None) -> list[Account]:
    secrets: dict[str, tuple[str, int | None, int | None]] = {}
    for line in (shadow or "").splitlines():
        f = line.split(":")
        if len(f) >= 8:
            secrets[f[0]] = (f[1], int(f[7]) if f[7].isdigit() else None, int(f[2]) if f[2].isdigit() else None)
    out: list[Account] = []
    for line in passwd.splitlines():
        f = line.split(":")
        if len(f) < 7 or not f[2].isdigit():
            continue
        pw, exp, changed = secrets.get(f[0], (None, None, None)) if shadow is not None else (None, None, None)
        out.append(Account(f[0], int(f[2]), f[6].strip(), pw, exp, changed))
    return out


_LASTLOG_DATE = re.compile(r"(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d [+-]\d{4} \d{4})\s*$")


def lastlog(text: str) -> dict[str, dt.datetime | None]:
    """``LC_ALL=C lastlog`` -> user -> last login (None: never logged in)."""
    out: dict[str, dt.datetime | None] = {}
    for line in text.splitlines()[1:]:
        name = line.split(None, 1)[0] if line.strip() else ""
        if not name:
            continue
        if "**Never logged in**" in line:
            out[name] = None
            continue
        m = _LASTLOG_DATE.search(line)
        if m:
            try:
                out[name] = dt.datetime.strptime(m.group(1), "%a %b %d %H:%M:%S %z %Y")
            except ValueError:
                continue
    return out


@dataclass(frozen=True)
class Listener:
    proto: str                                    # tcp | udp
    address: str
    port: int


def _hex_address(text: str) -> str:
    raw = bytes.fromhex(text)
    if len(raw) == 4:
        return str(ipaddress.IPv4Address(raw[::-1]))
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
    addr = ipaddress.IPv6Address(words)
    return str(addr.ipv4_mapped) if addr.ipv4_mapped else str(addr)


def proc_net_listeners(text: str) -> list[Listener]:
    """Listening sockets from ``/proc/net/{tcp,tcp6,udp,udp6}`` printed one after the other, each table
    introduced by a line ``== tcp`` (TCP state 0A = LISTEN; UDP state 07 = unconnected)."""
    out: list[Listener] = []
    proto = ""
    for line in text.splitlines():
        if line.startswith("== "):
            proto = line[3:].strip()
            continue
        f = line.split()
        if len(f) < 4 or ":" not in f[1] or not proto:
            continue
        state = f[3]
        if (proto.startswith("tcp") and state != "0A") or (proto.startswith("udp") and state != "07"):
            continue
        try:
            addr_hex, port_hex = f[1].rsplit(":", 1)
            out.append(Listener("tcp" if proto.startswith("tcp") else "udp", _hex_address(addr_hex), int(port_hex, 16)))
        except ValueError:
            continue
    return sorted(set(out), key=lambda x: (x.proto, x.port, x.address))


def processes(text: str) -> set[str]:
    """Process names, one per line (``/proc/*/comm``)."""
    return {ln.strip() for ln in text.splitlines() if ln.strip()}


def tmout_values(files: Iterable[FileRead]) -> list[tuple[str, int]]:
    """``TMOUT=N`` assignments in shell start-up files: (file, seconds)."""
    out: list[tuple[str, int]] = []
    pattern = re.compile(r"^\s*(?:readonly\s+|export\s+|declare\s+-[a-zA-Z]+\s+|typeset\s+-[a-zA-Z]+\s+)*TMOUT=(\d+)")
    for f in files:
        for line in f.text.splitlines():
            m = pattern.match(line)
            if m:
                out.append((f.path, int(m.group(1))))
    return out


def sshd_config_files(main: FileRead, included: list[FileRead]) -> dict[str, str]:
    """Effective global settings from sshd_config text when ``sshd -T`` could not run: Include lines
    are followed for the files read, a Match block ends the global section, the first value wins."""
    out: dict[str, str] = {}

    def read(text: str) -> bool:
        for line in text.splitlines():
            parts = line.strip().split(None, 1)
            if not parts or parts[0].startswith("#"):
                continue
            key = parts[0].lower()
            value = parts[1].strip() if len(parts) > 1 else ""
            if key == "match":
                return False
            if key == "include":
                for inc in included:
                    if _glob_match(value, inc.path) and inc.status == OK:
                        if not read(inc.text):
                            return False
                continue
            out.setdefault(key, value)
        return True

    read(main.text)
    return out


def _glob_match(pattern: str, path: str) -> bool:
    pattern = pattern if pattern.startswith("/") else "/etc/ssh/" + pattern
    return fnmatch.fnmatch(path, pattern)


def apt_security_updates(text: str) -> list[str]:
    """``apt-get -s upgrade`` -> the packages whose candidate comes from a security suite."""
    out = []
    for line in text.splitlines():
        if line.startswith("Inst ") and re.search(r"\(\S+ [^)]*securit", line, re.IGNORECASE):
            out.append(line.split()[1])
    return out


def dnf_security_updates(text: str) -> list[str]:
    """``dnf -q -C updateinfo list --security`` -> advisory lines (``ID  type  package``)."""
    return [ln.split()[-1] for ln in text.splitlines() if len(ln.split()) >= 3 and "/Sec" in ln]
