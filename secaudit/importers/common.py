"""Small pure helpers the importers share: dates, ports, CVE lists."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$", re.IGNORECASE)
_CWE = re.compile(r"^(?:CWE-)?(\d{1,6})$", re.IGNORECASE)
CVE_MAX = 200                           # CVEs kept per item


def utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def parse_time(text: str | None, *formats: str) -> dt.datetime | None:
    """ISO 8601 (``Z`` allowed, nanoseconds cut to microseconds), else the given ``strptime`` formats;
    None when the text is none of them (a date the file does not give is not invented)."""
    value = (text or "").strip()
    if not value:
        return None
    iso = value.replace("Z", "+00:00")
    iso = re.sub(r"(\.\d{6})\d+", r"\1", iso)
    try:
        return utc(dt.datetime.fromisoformat(iso))
    except ValueError:
        pass
    for fmt in formats:
        try:
            return utc(dt.datetime.strptime(" ".join(value.split()), fmt))
        except ValueError:
            continue
    return None


def epoch(text: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(int((text or "").strip()), dt.timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def port_number(text: object) -> int | None:
    """A port 1..65535 from ``"443"``, ``443``; None for 0, "general", anything else."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 65536 else None


def cves(values: object) -> tuple[str, ...]:
    """Well-formed CVE ids, upper-case, de-duplicated, in order, at most :data:`CVE_MAX`."""
    out: list[str] = []
    for v in values if isinstance(values, (list, tuple)) else [values]:
        for part in str(v or "").replace(",", " ").split():
            if _CVE.match(part) and part.upper() not in out:
                out.append(part.upper())
    return tuple(out[:CVE_MAX])


def cwe(values: object) -> str:
    """The first well-formed CWE as ``CWE-79`` ("" when none)."""
    for v in values if isinstance(values, (list, tuple)) else [values]:
        for part in str(v or "").replace(",", " ").split():
            m = _CWE.match(part.strip())
            if m:
                return f"CWE-{m.group(1)}"
    return ""


def span(times: list[dt.datetime | None]) -> tuple[dt.datetime | None, dt.datetime | None]:
    known = [t for t in times if t is not None]
    return (min(known), max(known)) if known else (None, None)


def host_key(host: str) -> str:
    """A host as compared with the inventory: lower case, no trailing dot, no IPv6 brackets."""
    h = host.strip().lower().rstrip(".")
    return h[1:-1] if h.startswith("[") and h.endswith("]") else h


_EVERY_HOST = ipaddress.ip_network("127.0.0.0/16")       # 127.0.0.1, Debian's 127.0.1.1: every host has them


def alias_address(value: str) -> str:
    """A host's own address worth matching on: an IP literal that not every host has (not 127.0.x.x,
    ::1, link-local or unspecified); "" otherwise."""
    text = host_key(value).split("/", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return ""
    if ip.is_link_local or ip.is_unspecified or ip == ipaddress.ip_address("::1") or ip in _EVERY_HOST:
        return ""
    return str(ip)
