"""Normalised facts of a plain-HTTP request made to see whether a server redirects to HTTPS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict

SCHEMA = "secaudit/observation/http/v1"


@dataclass(frozen=True)
class HttpRedirect:
    """The answer to ``GET /`` over plain HTTP, redirects not followed."""

    url: str                                       # the URL requested, e.g. http://example.org:80/
    status: int                                    # HTTP status code
    reason: str = ""                               # reason phrase, verbatim (data from the server)
    location: str | None = None                    # the Location header, verbatim, when present
    location_scheme: str = ""                      # scheme of the resolved Location ("https", "http", "")
    location_host: str = ""                        # host of the resolved Location (lower case)
    same_host: bool = False                        # the Location's host is the host requested

    @property
    def is_redirect(self) -> bool:
        return self.status in (301, 302, 303, 307, 308) and bool(self.location)

    @property
    def redirects_to_https(self) -> bool:
        return self.is_redirect and self.location_scheme == "https"

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "HttpRedirect":
        return fields_from_dict(cls, d, SCHEMA)
