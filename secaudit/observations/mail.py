"""Facts of a mail domain as DNS and HTTPS answered them, and the pure parsers that read them.

The probe stores what the servers said (TXT strings, MX and TLSA answers, the MTA-STS policy
file); the checks parse it here. Keeping raw answers means a better parser never needs a
re-scan. Parsers never raise on hostile input: they return problems as data.

References: SPF RFC 7208, DMARC RFC 7489, MTA-STS RFC 8461, TLS-RPT RFC 8460, DANE for SMTP RFC 7672
(TLSA RFC 6698), null MX RFC 7505.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from secaudit.codec import fields_from_dict, fields_to_dict

SCHEMA = "secaudit/observation/mail/v1"

OK = "ok"                  # the name has records of the type
MISSING = "missing"        # authoritative "no such name" or "no records of that type"
ERROR = "error"            # no usable answer (timeout, SERVFAIL, refused...): never read as "missing"


@dataclass(frozen=True)
class DnsAnswer:
    """One DNS question's outcome: ``status`` is ok, missing or error; records as text."""

    name: str
    rtype: str
    status: str
    records: tuple[str, ...] = ()
    authenticated: bool = False            # the AD bit of a validating resolver
    error: str | None = None
    nxdomain: bool = False                 # missing because the name itself does not exist (not just this type)


@dataclass(frozen=True)
class HttpsFetch:
    """An HTTPS GET as answered (redirects never followed). ``error`` when there was no usable answer."""

    url: str
    status: int | None = None
    content_type: str = ""
    body: str = ""                          # decoded as UTF-8 with replacement, at most the fetch limit
    truncated: bool = False
    error: str | None = None


@dataclass(frozen=True)
class MailFacts:
    domain: str
    resolver: str                           # "system" or host:port
    txt: DnsAnswer                          # TXT at the domain (SPF)
    spf_includes: tuple[DnsAnswer, ...] = ()  # TXT of include:/redirect= targets, followed breadth-first
    dmarc: DnsAnswer | None = None          # TXT at _dmarc.<domain>
    mta_sts: DnsAnswer | None = None        # TXT at _mta-sts.<domain>
    mta_sts_policy: HttpsFetch | None = None  # https://mta-sts.<domain>/.well-known/mta-sts.txt
    tlsrpt: DnsAnswer | None = None         # TXT at _smtp._tls.<domain>
    mx: DnsAnswer | None = None
    tlsa: tuple[DnsAnswer, ...] = ()        # TLSA at _25._tcp.<mx host>, one per MX host
    mx_addresses: tuple[DnsAnswer, ...] = ()  # A of each MX host (to match hosts the inventory declares by address)

    @property
    def domain_absent(self) -> bool:
        """The resolver says the domain itself does not exist (NXDOMAIN at the domain, not at a sub-name)."""
        return self.txt.nxdomain or (self.mx is not None and self.mx.nxdomain)

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self, SCHEMA)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "MailFacts":
        return fields_from_dict(cls, d, SCHEMA)


# ----------------------------------------------------------------------------- SPF (RFC 7208)

_LOOKUP_MECHANISMS = {"include", "a", "mx", "ptr", "exists"}
_MECHANISMS = _LOOKUP_MECHANISMS | {"all", "ip4", "ip6"}
_NAME_RE = re.compile(r"^[a-z][a-z0-9_.-]*$")


@dataclass(frozen=True)
class SpfRecord:
    all_qualifier: str | None = None        # "-", "~", "?", "+" or None when there is no "all"
    redirect: str | None = None
    includes: tuple[str, ...] = ()
    lookups: int = 0                        # DNS-querying terms in this record only
    problems: tuple[str, ...] = field(default_factory=tuple)


def spf_records(txt: DnsAnswer) -> list[str]:
    """The TXT strings that are SPF records (``v=spf1`` then a space or the end)."""
    return [r for r in txt.records if r.lower() == "v=spf1" or r.lower().startswith("v=spf1 ")]


def _spf_ip(kind: str, value: str) -> bool:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return net.version == (4 if kind == "ip4" else 6)


def parse_spf(text: str) -> SpfRecord:
    """Parse one SPF record; problems are syntax errors that make it a permerror."""
    terms = text.split()[1:]
    problems: list[str] = []
    qualifier_all = redirect = None
    includes: list[str] = []
    lookups = 0
    for term in terms:
        low = term.lower()
        if "=" in low and not low.startswith(("+", "-", "~", "?")) and ":" not in low.split("=", 1)[0]:
            name, value = low.split("=", 1)
            if name == "redirect":
                redirect = value
                lookups += 1
            elif not _NAME_RE.match(name):
                problems.append(f"invalid modifier {term!r}")
            continue
        qualifier = "+"
        if low[:1] in "+-~?":
            qualifier, low = low[0], low[1:]
        m = re.match(r"^([a-z0-9]+)([:/].*)?$", low)
        mech, rest = (m.group(1), m.group(2) or "") if m else (low, "")
        sep, arg = rest[:1], rest[1:]
        if mech not in _MECHANISMS:
            problems.append(f"unknown mechanism {term!r}")
            continue
        if mech in _LOOKUP_MECHANISMS:
            lookups += 1
        if mech == "all":
            if sep:
                problems.append(f"'all' takes no argument: {term!r}")
            qualifier_all = qualifier
        elif mech in ("ip4", "ip6"):
            if sep != ":" or not _spf_ip(mech, arg):
                problems.append(f"invalid address in {term!r}")
        elif mech in ("include", "exists"):
            if sep != ":" or not arg:
                problems.append(f"{mech} needs a domain: {term!r}")
            elif mech == "include":
                includes.append(arg)
    return SpfRecord(qualifier_all, redirect, tuple(includes), lookups, tuple(problems))


def _targets(rec: SpfRecord) -> list[str]:
    out = list(rec.includes)
    if rec.redirect and rec.all_qualifier is None:   # redirect is ignored when "all" is present
        out.append(rec.redirect)
    return out


@dataclass(frozen=True)
class SpfEvaluation:
    record: str | None                      # the domain's SPF record, when there is exactly one
    parsed: SpfRecord | None
    effective_all: str | None               # the "all" qualifier that applies (after redirect=)
    lookups: int                            # DNS-querying terms, includes and redirects followed
    problems: tuple[str, ...]               # permerrors: syntax, several records, unresolvable includes
    incomplete: tuple[str, ...] = ()        # names whose SPF could not be fetched (DNS errors)


def evaluate_spf(facts: MailFacts) -> SpfEvaluation:
    """The domain's SPF as a receiver would count it: lookups across includes and redirects (pure)."""
    records = spf_records(facts.txt)
    if len(records) != 1:
        why = () if not records else (f"{len(records)} SPF records published (RFC 7208 §4.5: permerror)",)
        return SpfEvaluation(None, None, None, 0, why)
    top = parse_spf(records[0])
    answers = {a.name: a for a in facts.spf_includes}
    problems = list(top.problems)
    incomplete: list[str] = []
    lookups = top.lookups
    queue, seen, effective = _targets(top), set(), top.all_qualifier
    redirect = top.redirect if top.all_qualifier is None else None
    while queue:
        name = queue.pop(0)
        if name in seen or "%" in name:
            continue
        seen.add(name)
        answer = answers.get(name)
        if answer is None or answer.status == ERROR:
            incomplete.append(name)
            continue
        found = spf_records(answer)
        if len(found) != 1:
            problems.append(f"{name}: {'no' if not found else len(found)} SPF record(s) (permerror)")
            continue
        sub = parse_spf(found[0])
        lookups += sub.lookups
        problems += [f"{name}: {p}" for p in sub.problems]
        if name == redirect:
            effective, redirect = sub.all_qualifier, (sub.redirect if sub.all_qualifier is None else None)
        queue += _targets(sub)
    return SpfEvaluation(records[0], top, effective, lookups, tuple(problems), tuple(incomplete))


# ----------------------------------------------------------------------------- tag lists (DMARC, MTA-STS, TLS-RPT)


def parse_tags(text: str) -> tuple[dict[str, str], list[str]]:
    """``k=v; k=v`` (RFC 7489 §6.4, RFC 8461 §3.1, RFC 8460 §3): tags lower-cased, values stripped."""
    tags: dict[str, str] = {}
    problems: list[str] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            problems.append(f"not a tag=value pair: {part!r}")
            continue
        k, v = part.split("=", 1)
        k = k.strip().lower()
        if k in tags:
            problems.append(f"tag {k!r} repeated")
        tags.setdefault(k, v.strip())
    return tags, problems


def records_with_version(answer: DnsAnswer | None, version: str) -> list[str]:
    """TXT strings whose first tag is ``v=<version>`` (case-sensitive value, as the RFCs ask)."""
    if answer is None:
        return []
    out = []
    for r in answer.records:
        first = r.split(";", 1)[0].strip()
        if first.replace(" ", "") == f"v={version}":
            out.append(r)
    return out


@dataclass(frozen=True)
class Dmarc:
    policy: str | None                      # p=
    subdomain_policy: str | None            # sp=
    pct: int | None
    rua: tuple[str, ...]
    problems: tuple[str, ...]


_DMARC_POLICIES = ("none", "quarantine", "reject")


def parse_dmarc(text: str) -> Dmarc:
    tags, problems = parse_tags(text)
    if list(tags)[:1] != ["v"]:
        problems.append("the v=DMARC1 tag must come first")
    p = tags.get("p", "").lower() or None
    if p is None:
        problems.append("no p= tag")
    elif p not in _DMARC_POLICIES:
        problems.append(f"unknown policy p={p}")
        p = None
    sp = tags.get("sp", "").lower() or None
    if sp is not None and sp not in _DMARC_POLICIES:
        problems.append(f"unknown policy sp={sp}")
        sp = None
    pct = None
    if "pct" in tags:
        pct = int(tags["pct"]) if tags["pct"].isdigit() and int(tags["pct"]) <= 100 else None
        if pct is None:
            problems.append(f"pct={tags['pct']} is not 0..100")
    rua = tuple(u.strip() for u in tags.get("rua", "").split(",") if u.strip())
    for uri in rua:
        if not uri.lower().startswith(("mailto:", "https:")):
            problems.append(f"rua URI {uri!r} is neither mailto: nor https:")
    return Dmarc(p, sp, pct, rua, tuple(problems))


# ----------------------------------------------------------------------------- MTA-STS (RFC 8461)

_STS_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")
_STS_KEYS = {"version", "mode", "mx", "max_age"}
STS_MAX_AGE = 31557600


def parse_sts_txt(text: str) -> tuple[str | None, list[str]]:
    tags, problems = parse_tags(text)
    sid = tags.get("id")
    if sid is None or not _STS_ID.match(sid):
        problems.append(f"id={sid!r} is not 1-32 letters and digits")
        sid = None
    return sid, problems


@dataclass(frozen=True)
class StsPolicy:
    version: str | None
    mode: str | None
    mx: tuple[str, ...]
    max_age: int | None
    problems: tuple[str, ...]


def parse_sts_policy(body: str) -> StsPolicy:
    """The policy file: ``key: value`` lines (RFC 8461 §3.2); unknown keys are ignored as the RFC says."""
    values: dict[str, list[str]] = {}
    problems: list[str] = []
    for raw in body.replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if ":" not in line:
            problems.append(f"not a key: value line: {line[:60]!r}")
            continue
        k, v = line.split(":", 1)
        values.setdefault(k.strip().lower(), []).append(v.strip())
    for k in _STS_KEYS - {"mx"}:
        if len(values.get(k, [])) > 1:
            problems.append(f"{k} given {len(values[k])} times")
    version = (values.get("version") or [None])[0]
    if version != "STSv1":
        problems.append(f"version is {version!r}, not STSv1")
    mode = (values.get("mode") or [None])[0]
    if mode not in ("enforce", "testing", "none"):
        problems.append(f"mode {mode!r} is not enforce, testing or none")
        mode = None
    age_text = (values.get("max_age") or [""])[0]
    max_age = int(age_text) if age_text.isdigit() and int(age_text) <= STS_MAX_AGE else None
    if max_age is None:
        problems.append(f"max_age {age_text!r} is not 0..{STS_MAX_AGE}")
    mx = tuple(m.lower().rstrip(".") for m in values.get("mx", []))
    if mode in ("enforce", "testing") and not mx:
        problems.append("no mx: line")
    return StsPolicy(version, mode, mx, max_age, tuple(problems))


def sts_mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 §4.1: exact, or ``*.`` matching exactly one leftmost label."""
    host = host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


# ----------------------------------------------------------------------------- MX and TLSA


def parse_mx(answer: DnsAnswer) -> tuple[list[str], bool]:
    """MX hosts by preference, and whether this is a null MX (RFC 7505: ``0 .``, the domain takes no mail)."""
    pairs = []
    for r in answer.records:
        parts = r.split()
        if len(parts) == 2 and parts[0].isdigit():
            pairs.append((int(parts[0]), parts[1].lower().rstrip(".")))
    if len(pairs) == 1 and pairs[0][1] == "":
        return [], True
    return [h for _, h in sorted(pairs) if h], False


def tlsa_problems(record: str) -> list[str]:
    """RFC 6698 §2: usage 0-3, selector 0-1, matching type 0-2, hex data of the matching type's length."""
    parts = record.split()
    if len(parts) < 4 or not all(p.isdigit() for p in parts[:3]):
        return [f"malformed TLSA record {record[:60]!r}"]
    usage, selector, mtype = (int(p) for p in parts[:3])
    data = "".join(parts[3:])
    problems = []
    if usage > 3:
        problems.append(f"certificate usage {usage} is not 0-3")
    if selector > 1:
        problems.append(f"selector {selector} is not 0-1")
    if mtype > 2:
        problems.append(f"matching type {mtype} is not 0-2")
    if not re.fullmatch(r"[0-9a-fA-F]+", data) or len(data) % 2:
        problems.append("association data is not hexadecimal")
    elif {1: 64, 2: 128}.get(mtype, len(data)) != len(data):
        problems.append(f"association data of {len(data) // 2} bytes does not fit matching type {mtype}")
    return problems
