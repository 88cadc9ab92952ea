"""A security.txt (RFC 9116) parser and validator of our own: pure, no clock, no network.

It reports the same problem codes as ``sectxt`` (the validator internet.nl uses) so evidence stays
comparable with what that tool prints, and tests/unit/test_rfc9116.py runs both on the same files.
What it does not do, on purpose: judge ``Expires`` against a clock (the check does, with the
evaluation's clock) or verify an OpenPGP signature cryptographically (nobody's key is known here);
the signature's ASCII armour is checked (RFC 4880 §6: base64, CRC-24, a signature packet).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

URI_FIELDS = frozenset({"acknowledgments", "canonical", "contact", "encryption", "hiring", "policy", "csaf"})
LANGUAGES = "preferred-languages"
KNOWN_FIELDS = URI_FIELDS | {LANGUAGES, "expires"}

_SIGNED_BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----"
_SIG_BEGIN = "-----BEGIN PGP SIGNATURE-----"
_SIG_END = "-----END PGP SIGNATURE-----"

# RFC 9116 §2.5.5: Expires is an RFC 3339 date-time (Internet Date/Time Format)
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[-+]\d{2}:\d{2})$", re.I | re.A)

# RFC 5646 §2.1 language tag syntax (well-formedness, as Preferred-Languages asks)
_LANGTAG = (r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4}|[a-z]{5,8})"      # language (+ extlang)
            r"(?:-[a-z]{4})?"                                              # script
            r"(?:-(?:[a-z]{2}|\d{3}))?"                                    # region
            r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"                         # variants
            r"(?:-[\da-wyz](?:-[a-z\d]{2,8})+)*"                           # extensions
            r"(?:-x(?:-[a-z\d]{1,8})+)?")                                  # private use
_GRANDFATHERED = ("en-gb-oed|i-ami|i-bnn|i-default|i-enochian|i-hak|i-klingon|i-lux|i-mingo|i-navajo|i-pwn|i-tao|"
                  "i-tay|i-tsu|sgn-be-fr|sgn-be-nl|sgn-ch-de|art-lojban|cel-gaulish|no-bok|no-nyn|zh-guoyu|"
                  "zh-hakka|zh-min|zh-min-nan|zh-xiang")
_LANGUAGE_TAG = re.compile(rf"(?:{_LANGTAG}|x(?:-[a-z\d]{{1,8}})+|{_GRANDFATHERED})$", re.I | re.A)


@dataclass(frozen=True)
class Problem:
    code: str               # sectxt's code for the same problem, e.g. "no_contact"
    line: int | None = None


@dataclass(frozen=True)
class Field:
    name: str               # lower case
    value: str
    line: int


@dataclass(frozen=True)
class SecurityTxt:
    fields: tuple[Field, ...]
    errors: tuple[Problem, ...]           # the file does not conform to RFC 9116
    recommendations: tuple[Problem, ...]  # it conforms, but the RFC advises otherwise
    signed: bool

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(f.value for f in self.fields if f.name == name.lower())

    @property
    def expires(self) -> str | None:
        found = self.values("expires")
        return found[0] if found else None


def language_tag_is_valid(tag: str) -> bool:
    return bool(_LANGUAGE_TAG.match(tag))


def expires_is_valid(value: str) -> bool:
    if not _DATE_TIME.match(value):
        return False
    try:
        dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _crc24(data: bytes) -> int:
    """RFC 4880 §6.1."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _armour_problem(block: list[str]) -> str | None:
    """The lines between BEGIN and END PGP SIGNATURE: headers, a blank line, base64, an optional checksum."""
    try:
        blank = block.index("")
    except ValueError:
        return "pgp_data_error"
    if any(": " not in h for h in block[:blank]):
        return "pgp_data_error"
    body = [b for b in block[blank + 1:] if b]
    checksum = body.pop() if body and body[-1].startswith("=") and len(body[-1]) == 5 else None
    try:
        data = base64.b64decode("".join(body), validate=True)
        crc = base64.b64decode(checksum[1:], validate=True) if checksum else None
    except (binascii.Error, ValueError):
        return "pgp_error"
    if not data:
        return "pgp_error"
    if crc is not None and int.from_bytes(crc, "big") != _crc24(data):
        return "pgp_error"
    tag = data[0] & 0x3F if data[0] & 0x40 else (data[0] & 0x3F) >> 2
    if not data[0] & 0x80 or tag != 2:       # RFC 4880 §4.2: a packet, and tag 2 is a signature
        return "pgp_error"
    return None


class _Reader:
    """One pass over the lines; collects fields and problems."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.fields: list[Field] = []
        self.errors: list[Problem] = []
        self.recommendations: list[Problem] = []
        self.signed = False
        self.in_header = False
        self.signature: list[str] | None = None
        self.signature_done = False

    def error(self, code: str, line: int | None) -> None:
        self.errors.append(Problem(code, line))

    def line(self, n: int, text: str) -> str:
        """Reads one line; returns its kind: field, comment, empty, envelope or error."""
        if self.signature is not None and not self.signature_done:
            if text == _SIG_END:
                self.signature_done = True
                problem = _armour_problem(self.signature)
                if problem:
                    self.error(problem, n)
            else:
                self.signature.append(text)
            return "envelope"
        if self.signature_done:
            if text:
                self.error("data_after_sig", n)
                return "error"
            return "empty"
        if text == _SIGNED_BEGIN:
            if n != 1:                           # and then it is no clear-signed message at all
                self.error("signed_format_issue", n)
                self.error("pgp_data_error", n)
            self.signed = self.in_header = True
            return "envelope"
        if self.in_header:                       # RFC 4880 §7: "Hash:" headers, then one blank line
            if not text:
                self.in_header = False
            return "envelope"
        if self.signed and text.startswith("- "):
            text = text[2:]                      # dash-escaped text (RFC 4880 §7.1)
        if self.signed and text == _SIG_BEGIN:
            self.signature = []
            return "envelope"
        if text.startswith("#"):
            return "comment"
        if ":" in text:
            return self.field(n, text)
        if text:
            self.error("invalid_line", n)
            return "error"
        return "empty"

    def field(self, n: int, text: str) -> str:
        key, value = text.split(":", 1)
        key = key.lower()
        if key.rstrip() != key:
            self.error("prec_ws", n)
            key = key.rstrip()
        if value:
            if value[0] != " ":
                self.error("no_space", n)
            value = value.lstrip()
        if not key:
            self.error("empty_key", n)
            return "error"
        if not value:
            self.error("empty_value", n)
            return "error"
        if key in URI_FIELDS:
            scheme = urlsplit(value).scheme
            if not scheme:
                self.error("no_uri", n)
            elif scheme == "http":
                self.error("no_https", n)
        elif key == "expires" and not expires_is_valid(value):
            self.error("invalid_expiry", n)
        elif key == LANGUAGES and not all(language_tag_is_valid(t.strip()) for t in value.split(",")):
            self.error("invalid_lang", n)
        self.fields.append(Field(key, value, n))
        return "field"


def _whole_file(r: _Reader, kinds: list[str]) -> None:
    """The rules about the file as a whole (RFC 9116 §2.5, §3)."""
    values = {name: [f.value for f in r.fields if f.name == name] for name in {f.name for f in r.fields}}
    if "expires" not in values:
        r.error("no_expire", None)
    elif len(values["expires"]) > 1:
        r.error("multi_expire", None)
    if r.url and "canonical" in values and r.url not in values["canonical"]:
        r.error("no_canonical_match", None)
    if kinds[-1] != "empty":
        r.error("no_line_separators", len(kinds))
    if r.signed and len(kinds) > 1 and kinds[-1] == "empty" and kinds[-2] == "empty":
        r.error("too_many_line_separators", len(kinds))
    if r.signed and r.signature is None:
        r.error("pgp_data_error", None)
    elif r.signature is not None and not r.signature_done:
        r.error("pgp_data_error", None)
    if "csaf" in values:
        if not all(v.endswith("provider-metadata.json") for v in values["csaf"]):
            r.error("no_csaf_file", None)
        if len(values["csaf"]) > 1:
            r.recommendations.append(Problem("multiple_csaf_fields"))
    if "contact" not in values:
        r.error("no_contact", None)
    elif any(v.startswith("mailto:") for v in values["contact"]) and "encryption" not in values:
        r.recommendations.append(Problem("no_encryption"))
    if len(values.get(LANGUAGES, ())) > 1:
        r.error("multi_lang", None)
    if not r.signed:
        r.recommendations.append(Problem("not_signed"))
    elif "canonical" not in values:
        r.recommendations.append(Problem("no_canonical"))


def parse(content: bytes | str, url: str | None = None) -> SecurityTxt:
    """Parses and validates a security.txt; ``url`` is where it was fetched (checked against Canonical)."""
    r = _Reader(url)
    if isinstance(content, bytes):
        if content.startswith(b"\xef\xbb\xbf"):
            r.error("bom_in_file", None)
            content = content[3:]
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            r.error("utf8", None)
            text = content.decode("utf-8", "replace")
    else:
        text = content
        if text.startswith("\ufeff"):
            r.error("bom_in_file", None)
            text = text[1:]
    kinds = [r.line(n, raw.rstrip()) for n, raw in enumerate(text.split("\n"), start=1)]
    _whole_file(r, kinds)
    return SecurityTxt(tuple(r.fields), tuple(r.errors), tuple(r.recommendations), r.signed)
