"""Fallback measurement of SSH authentication methods with the OpenSSH client.

nmap's ``ssh-auth-methods`` goes through libssh2, which (1.10, Debian 12) cannot negotiate with a
hardened server (curve25519 + chacha20/AES-GCM + ETM MACs only): the script fails exactly where a
well-configured server should pass. The OpenSSH client negotiates with those servers; asking for
the ``none`` method makes the server answer with the list of methods that can continue
(RFC 4252 §5.2), and ``-N`` ensures no command is ever run. Host and port are validated values and
the arguments are a list; the host comes after ``--``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Sequence

from secaudit.observations.ports import SshAuthMethods
from secaudit.probes.pdeath import die_with_parent
from secaudit.targets import validate_host, validate_port

SOURCE = "openssh-client"
_DENIED = re.compile(r"Permission denied \(([A-Za-z0-9@.,_-]*)\)")


def build_argv(ssh_path: str, host: str, port: int, timeout_s: int, user: str = "root") -> list[str]:
    """The ssh argument list (pure): no config file, no known-hosts writes, batch mode, ``none`` auth only."""
    host = validate_host(host)
    port = validate_port(port)
    if not re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", user):
        raise ValueError(f"invalid user name {user!r}")
    return [ssh_path, "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=none",
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", f"ConnectTimeout={max(1, int(timeout_s))}",
            "-o", "LogLevel=ERROR", "-N", "-p", str(port), "-l", user, "--", host]


def parse_denied(stderr: str) -> SshAuthMethods | None:
    """``user@host: Permission denied (publickey,password).`` -> the methods; None when absent."""
    m = _DENIED.search(stderr)
    if not m:
        return None
    return SshAuthMethods(methods=tuple(x for x in m.group(1).split(",") if x), source=SOURCE)


def auth_methods(host: str, port: int, timeout_s: float = 10.0, ssh_path: str | None = None) -> tuple[SshAuthMethods | None, Sequence[str], str]:
    """Ask the server which methods it offers. Returns (methods or None, argv run, reason when None)."""
    path = ssh_path or shutil.which("ssh")
    if not path:
        return None, (), "the OpenSSH client (ssh) is not installed"
    argv = build_argv(path, host, port, int(timeout_s))
    try:
        # its own process group: a Ctrl-C in the terminal is the scan's to handle (its journal, then --resume),
        # not a reason for ssh to die and leave an answer missing (the executor ends what it abandons);
        # but it dies with the scan when that one is killed outright (kill -9), on Linux
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout_s + 2, check=False,
                           process_group=0, preexec_fn=die_with_parent())
    except subprocess.TimeoutExpired:
        return None, argv, f"ssh did not answer within {timeout_s:.0f} s"
    except OSError as e:
        return None, argv, f"ssh could not be started: {e}"
    stderr = p.stderr.decode("utf-8", "replace")
    methods = parse_denied(stderr)
    if methods is None:
        return None, argv, (stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1][:300]
    return methods, argv, ""
