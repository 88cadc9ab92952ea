"""Validation of scan targets: the only hosts and ports that may ever reach nmap or sslyze.

A host is a DNS name, an IPv4 literal or an IPv6 literal. Anything that could be read as
a command-line option, a shell construct, a path or a network range is refused.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from dataclasses import dataclass
from typing import Iterable
from secaudit.i18n import t

_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_FORBIDDEN = set(" \t\r\n\f\v;|&$`'\"<>(){}[]*?!\\,=#~^")
_FORBIDDEN_RE = re.compile("[" + re.escape("".join(sorted(_FORBIDDEN))) + "\x00-\x1f\x7f]")   # or a control


class TargetError(ValueError):
    """A host or port that must not be scanned. ``key`` names the catalog message."""

    def __init__(self, key: str, value: object, suggestion: str | None = None):
        self.key = key
        self.value = value
        self.suggestion = suggestion
        super().__init__(f"{key}: {value!r}")

    def args_for(self, value: object) -> dict[str, object]:
        """The message's arguments, with ``value`` as the caller shows it (shortened, say)."""
        return {"value": value} if self.suggestion is None else {"value": value, "suggestion": self.suggestion}


def normalize_host(host: object) -> str:
    """Return the canonical form of a valid host, or raise TargetError saying why it is refused."""
    if not isinstance(host, str) or not host:
        raise TargetError("target.host_empty", host)
    return _normalize(host)


@lru_cache(maxsize=1 << 16)
def _normalize(host: str) -> str:
    """:func:`normalize_host` of a non-empty string, remembered (an inventory checks each host
    several times: semantics, model, plan, probes)."""
    if host.startswith("[") and host.endswith("]"):      # [::1] as written in URLs
        # The inner text passes every check a bare host does (a zone id such as %25eth0 in
        # URL form, metacharacters...), and must then be an IPv6 literal.
        try:
            inner = normalize_host(host[1:-1])
        except TargetError as e:
            raise TargetError(e.key, host) from None
        if not is_ipv6(inner):
            raise TargetError("target.host_invalid", host)
        return inner
    if host.startswith("-"):
        raise TargetError("target.host_option", host)
    if "/" in host:
        raise TargetError("target.host_path", host)
    if _FORBIDDEN_RE.search(host):
        raise TargetError("target.host_metachar", host)
    if "%" in host:
        raise TargetError("target.host_zone", host)
    if ":" in host:
        try:
            addr = ipaddress.ip_address(host)
        except ValueError:
            raise TargetError("target.host_invalid", host) from None
        return str(addr)
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            raise TargetError("target.host_invalid", host) from None
    labels = name.split(".")
    if len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        raise TargetError("target.host_invalid", host)
    if labels[-1].isdigit():        # 127.0.0.300, 10.1: a malformed IPv4 address, not a name
        raise TargetError("target.host_bad_ipv4", host)
    if not labels[-1][0].isalpha():
        # 10.0.0.1-255 or 127.0.0.1-5: nmap reads these as octet RANGES (many hosts). A top-level
        # domain always starts with a letter, so no real name looks like this.
        raise TargetError("target.host_bad_ipv4", host)
    return name.lower()


def is_valid_host(host: object) -> bool:
    try:
        normalize_host(host)
    except TargetError:
        return False
    return True


def validate_port(port: object) -> int:
    """Return a port number 1..65535, or raise TargetError."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise TargetError("target.port_range", port)
    return port


def parse_hostport(text: str, default_port: int | None = None) -> tuple[str, int]:
    """Split ``host:port`` / ``[v6]:port`` / ``host`` (with a default port) into validated parts."""
    text = text.strip() if isinstance(text, str) else text
    if not isinstance(text, str) or not text:
        raise TargetError("target.host_empty", text)
    if text.startswith("-"):
        raise TargetError("target.host_option", text)
    host, port_text = text, None
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            raise TargetError("target.host_invalid", text)
        host, rest = text[: end + 1], text[end + 1:]
        if rest:
            if not rest.startswith(":"):
                raise TargetError("target.host_invalid", text)
            port_text = rest[1:]
    elif "://" in text:
        raise TargetError("target.url", text, _hostport_of_url(text) or "HOST:PORT")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    if port_text is None:
        if default_port is None:
            hint = bracketed(text)
            if hint:
                raise TargetError("target.ipv6_brackets", text, hint)
            raise TargetError("target.port_missing", text)
        port = default_port
    else:
        if not port_text.isdigit():
            raise TargetError("target.port_range", port_text)
        port = int(port_text)
    return normalize_host(host), validate_port(port)


def bracketed(text: str) -> str | None:
    """``::1:8443`` → ``[::1]:8443`` (and ``https://::1:8443`` → ``https://[::1]:8443``): what the writer
    most likely meant by an IPv6 address and a port without brackets, or None when that is not it."""
    scheme, sep, rest = text.rpartition("://")
    rest = rest.rstrip("/")
    head, _, port = rest.rpartition(":")
    if not (port.isascii() and port.isdigit()) or ":" not in head:
        return None
    try:
        ipaddress.IPv6Address(head)
    except ValueError:
        return None
    return f"{scheme}{sep}[{head}]:{port}"


def _hostport_of_url(text: str) -> str | None:
    rest = text.split("://", 1)[1].rstrip("/")
    if rest.startswith("[") or rest.count(":") == 1:
        return rest
    return bracketed(rest)


# ----------------------------------------------------------------------------- helpers for the probes


def validate_host(host: object) -> str:
    """Alias of :func:`normalize_host` for the probes: the canonical host, or TargetError (a ValueError)."""
    return normalize_host(host)


def parse_port(value: object) -> int:
    """A port from an int or a string of ASCII digits (command-line options, ranges), or TargetError."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 5:
        value = int(value)
    return validate_port(value)


def is_ipv6(host: str) -> bool:
    """True for an IPv6 literal (already validated)."""
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv6Address)
    except ValueError:
        return False


def format_url_host(host: str) -> str:
    """A validated host as it appears in a URL authority (IPv6 literals in brackets)."""
    return f"[{host}]" if is_ipv6(host) else host


def reason(error: ValueError, lang: str | None = None) -> str:
    """A TargetError (or any ValueError) as a sentence in the reader's language."""
    if isinstance(error, TargetError):
        return t(error.key, lang, **error.args_for(error.value))
    return str(error)


# ----------------------------------------------------------------------------- scopes (networks a scanner may touch)


@dataclass(frozen=True)
class Scope:
    """Where a scanner may go: IP networks (CIDR or single addresses), exact DNS names, and DNS
    domains written ``.corp.example`` (any name below it). Names are never resolved: an address
    matches only a network, a name only a name or a domain, so DNS cannot widen a scope."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    names: frozenset[str] = frozenset()
    domains: tuple[str, ...] = ()

    def contains(self, host: object) -> bool:
        """True when a host (validated here with :func:`normalize_host`) lies inside the scope."""
        try:
            canonical = normalize_host(host)
        except TargetError:
            return False
        try:
            addr = ipaddress.ip_address(canonical)
        except ValueError:
            return canonical in self.names or any(canonical.endswith(d) for d in self.domains)
        return any(addr.version == net.version and addr in net for net in self.networks)

    def covers(self, entry: object) -> bool:
        """A host (:meth:`contains`), or a network given as CIDR every address of which lies inside one
        network of the scope (a discovery sweep)."""
        if isinstance(entry, str) and "/" in entry:
            try:
                net = ipaddress.ip_network(entry.strip(), strict=True)
            except ValueError:
                return False
            return any(net.version == n.version and net.subnet_of(n) for n in self.networks)  # type: ignore[arg-type]
        return self.contains(entry)

    def describe(self) -> str:
        return ", ".join([str(n) for n in self.networks] + sorted(self.names) + list(self.domains))


def parse_scope(entries: Iterable[str]) -> Scope:
    """A :class:`Scope` from entries such as ``127.7.0.0/16``, ``127.7.9.9``, ``::1/128``,
    ``mail.corp.example`` or ``.corp.example``; raises TargetError for the first bad entry.
    A network with host bits set (``127.7.1.5/24``) is refused: it is usually a typo."""
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    names: set[str] = set()
    domains: list[str] = []
    for raw in entries:
        entry = raw.strip() if isinstance(raw, str) else raw
        if not isinstance(entry, str) or not entry:
            raise TargetError("target.scope_empty", raw)
        if entry.startswith("-"):
            raise TargetError("target.host_option", entry)
        if "/" in entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=True))
            except ValueError:
                raise TargetError("target.scope_network", entry) from None
            continue
        if entry.startswith("*."):
            entry = entry[1:]
        if entry.startswith("."):
            domains.append("." + normalize_host(entry[1:]))
            continue
        host = normalize_host(entry)
        try:
            networks.append(ipaddress.ip_network(host))
        except ValueError:
            names.add(host)
    if not networks and not names and not domains:
        raise TargetError("target.scope_empty", "")
    return Scope(tuple(networks), frozenset(names), tuple(domains))


def parse_coverage(spec: object) -> str:
    """A port-scan coverage: ``top-N`` (nmap's N most common TCP ports), ``A-B``, ``N`` or ``all``
    (= ``1-65535``), in canonical form; TargetError ``target.coverage`` otherwise."""
    text = spec.strip().lower() if isinstance(spec, str) else ""
    if text == "all":
        return "1-65535"
    try:
        if text.startswith("top-"):
            parse_port(text[4:])
            return text
        lo, sep, hi = text.partition("-")
        if parse_port(lo) <= (parse_port(hi) if sep else parse_port(lo)):
            return text
    except TargetError:
        pass
    raise TargetError("target.coverage", spec)
