"""Validation of scan targets: the only values allowed to reach nmap (or any probe) as a host or a port.

A scanner is a weapon: a host string is accepted only if it is an IPv4 literal, an IPv6
literal or a DNS name made of letters, digits, hyphens and dots (LDH, RFC 1123), so it can
never look like a command-line option (``-oN``), carry shell metacharacters (``;``, ``$()``)
or whitespace, or widen the scope (``/24`` CIDR, ``1-5`` ranges, ``*`` wildcards). The
lead's loader validates inventories too; this module is what the probes themselves trust.
"""

from __future__ import annotations

import ipaddress
import re

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_MAX_NAME = 253


def validate_host(host: str) -> str:
    """Return ``host`` normalised (IP literals in canonical form, names lower-cased, no trailing dot).

    Raise ``ValueError`` with a reason when it is not a single IP literal or DNS name.
    """
    if not isinstance(host, str):
        raise ValueError(f"host must be a string, not {type(host).__name__}")
    if host == "":
        raise ValueError("host is empty")
    if host.startswith("-"):
        raise ValueError(f"host {host!r} starts with '-' and would be read as an option")
    if any(c.isspace() for c in host):
        raise ValueError(f"host {host!r} contains whitespace")
    if not host.isascii() or not host.isprintable():
        raise ValueError(f"host {host!r} contains non-ASCII or control characters")
    if "/" in host:
        raise ValueError(f"host {host!r} is a network range (CIDR), not a single host")
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if "%" in candidate:
        raise ValueError(f"host {host!r}: IPv6 zone identifiers are not accepted")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        pass
    if ":" in candidate:
        raise ValueError(f"host {host!r} is not a valid IPv6 address")
    name = candidate[:-1] if candidate.endswith(".") else candidate
    if len(name) > _MAX_NAME:
        raise ValueError(f"host name is longer than {_MAX_NAME} characters")
    labels = name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            raise ValueError(
                f"host {host!r} is not a valid DNS name (label {label!r}: letters, digits and inner hyphens only)"
            )
    if not labels[-1][0].isalpha():
        # "1.2.3", "999.1.1.1", "127.0.0.1-5": nmap would read these as addresses or octet ranges.
        # Top-level domains start with a letter, so a real name never looks like this.
        raise ValueError(f"host {host!r} is neither a valid IP address nor a DNS name (last label must start "
                         "with a letter)")
    return name.lower()


def validate_port(port: object) -> int:
    """Return ``port`` as an int in 1..65535; raise ``ValueError`` otherwise (bools and strings with signs refused)."""
    if isinstance(port, bool):
        raise ValueError(f"port {port!r} is not a number")
    if isinstance(port, int):
        value = port
    elif isinstance(port, str) and port.isascii() and port.isdigit():
        value = int(port)
    else:
        raise ValueError(f"port {port!r} is not a whole number")
    if not 1 <= value <= 65535:
        raise ValueError(f"port {value} is outside 1..65535")
    return value


def is_ipv6(host: str) -> bool:
    """True for an IPv6 literal (already validated)."""
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False


def is_loopback(host: str) -> bool:
    """True for a loopback IP literal or ``localhost``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def format_url_host(host: str) -> str:
    """A validated host as it appears in a URL authority (IPv6 literals in brackets)."""
    return f"[{host}]" if is_ipv6(host) else host
