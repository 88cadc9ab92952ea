"""Facts of the web families: the response headers of ``GET /`` over HTTPS, and the security.txt fetches.

Raw answers only (headers as sent, the file's bytes as text); the checks parse them, so a better
parser never needs a re-scan. Pure helpers for the header checks live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict

HEADERS_SCHEMA = "secaudit/observation/web/v1"
SECTXT_SCHEMA = "secaudit/observation/sectxt/v1"


@dataclass(frozen=True)
class WebHeaders:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]          # in order, repeated headers (Set-Cookie) kept
    certificate_error: str | None = None          # why the run's trust refused the certificate (asked anyway)

    def values(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, HEADERS_SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "WebHeaders":
        return fields_from_dict(cls, d, HEADERS_SCHEMA)


@dataclass(frozen=True)
class Fetched:
    """One GET: its status and body, or why there was no usable answer."""

    url: str
    status: int | None = None
    content_type: str = ""
    body: str = ""
    truncated: bool = False
    error: str | None = None
    certificate_error: str | None = None          # why the run's trust refused the certificate (asked anyway)


@dataclass(frozen=True)
class SecurityTxtFacts:
    https: Fetched                                # https://host/.well-known/security.txt
    plain: Fetched | None = None                  # the same path over a plain-HTTP endpoint of the system

    @property
    def certificate_error(self) -> str | None:
        return self.https.certificate_error

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, SECTXT_SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "SecurityTxtFacts":
        return fields_from_dict(cls, d, SECTXT_SCHEMA)


# ----------------------------------------------------------------------------- header parsing (pure)


def csp_directives(values: list[str]) -> dict[str, list[str]]:
    """Directives of every Content-Security-Policy header (a browser enforces them all): name -> sources."""
    out: dict[str, list[str]] = {}
    for value in values:
        for part in value.split(";"):
            words = part.strip().split()
            if words:
                out.setdefault(words[0].lower(), []).extend(w.lower() for w in words[1:])
    return out


@dataclass(frozen=True)
class Cookie:
    name: str
    secure: bool
    httponly: bool
    samesite: str | None                          # "strict", "lax", "none" or None


def parse_set_cookie(value: str) -> Cookie:
    parts = [p.strip() for p in value.split(";")]
    name = parts[0].split("=", 1)[0].strip() if parts and parts[0] else ""
    attrs = {p.split("=", 1)[0].strip().lower(): (p.split("=", 1)[1].strip().lower() if "=" in p else "")
             for p in parts[1:] if p}
    return Cookie(name, "secure" in attrs, "httponly" in attrs, attrs.get("samesite") or None)
