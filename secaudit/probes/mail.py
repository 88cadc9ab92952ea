"""Mail-domain probe: SPF, DMARC, MTA-STS (TXT and policy file), TLS-RPT, MX and TLSA, through dnspython.

DNS goes to the system's resolver or to ``--resolver HOST[:PORT]``; the MTA-STS policy host is
resolved through the same resolver, its address checked by ``targets.py``, and fetched over
HTTPS on port 443 with the certificate verified for ``mta-sts.<domain>`` (RFC 8461 §3.3). Every
question has a share of one deadline; a question without a usable answer is recorded as an error,
never as "no record".
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from secaudit.model import Control, Endpoint, LocalText, Message, Observation, ObservationStatus, Probe, System
from secaudit.observations.mail import (
    ERROR, MISSING, OK, DnsAnswer, HttpsFetch, MailFacts, parse_mx, parse_spf, spf_records,
)
from secaudit.probes.interface import DOMAIN, BaseFamily, FamilyOption, RunnerContext, Target
from secaudit.targets import TargetError, normalize_host, parse_hostport
import ipaddress
from secaudit.probes import _https

KIND = "mail"
MTA_STS_PORT = 443
MAX_SPF_NAMES = 20          # include/redirect targets followed: enough to see a count above 10
MAX_MX = 10
QUERY_S = 3.0


def parse_resolver(text: str | None) -> tuple[str, int] | None:
    """``HOST[:PORT]`` (an IP literal) -> (address, port); None means the system's resolver."""
    if not text:
        return None
    host, port = parse_hostport(text, default_port=53)

    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise TargetError("mail.resolver_not_ip", text) from None
    return host, port


def checked_resolver(text: str | None) -> str | None:
    """``--resolver``: the text itself when it is an IP literal with an optional port (else TargetError)."""
    parse_resolver(text)
    return text


OPTIONS = (
    FamilyOption("resolver", "str", None, LocalText(
        en="DNS server for the mail-domain checks (an IP address; default: the system's resolver).",
        vi="Máy chủ DNS cho các kiểm tra miền thư điện tử (một địa chỉ IP; mặc định: bộ phân giải của hệ thống)."),
        validate=checked_resolver, metavar="HOST[:PORT]"),
    FamilyOption("mta_sts_port", "int", MTA_STS_PORT, LocalText(
        en="Port of the MTA-STS policy host. RFC 8461 fixes 443: change it only for a test lab.",
        vi="Cổng của máy chủ chính sách MTA-STS. RFC 8461 quy định cổng 443: chỉ đổi cho phòng thử nghiệm."),
        minimum=1, maximum=65535),
)


@dataclass
class _Budget:
    end: float

    def left(self) -> float:
        return self.end - time.monotonic()


class Dns:
    def __init__(self, resolver: tuple[str, int] | None, budget: _Budget):
        # start-up: dns loaded only when needed
        import dns.flags
        import dns.resolver

        if resolver is None:
            self.r = dns.resolver.Resolver()
        else:
            self.r = dns.resolver.Resolver(configure=False)
            self.r.nameservers = [resolver[0]]
            self.r.port = resolver[1]
        self.r.flags = dns.flags.RD | dns.flags.AD     # ask a validating resolver to say what it validated
        self.budget = budget

    def ask(self, name: str, rtype: str) -> DnsAnswer:
        # start-up: dns loaded only when needed
        import dns.exception
        import dns.flags
        import dns.resolver

        left = self.budget.left()
        if left <= 0.05:
            return DnsAnswer(name, rtype, ERROR, error="probe deadline reached before this question")
        try:
            ans = self.r.resolve(name, rtype, search=False, lifetime=min(QUERY_S, left), raise_on_no_answer=True)
        except dns.resolver.NXDOMAIN:
            return DnsAnswer(name, rtype, MISSING, nxdomain=True)
        except dns.resolver.NoAnswer:
            return DnsAnswer(name, rtype, MISSING)
        except dns.exception.Timeout:
            return DnsAnswer(name, rtype, ERROR, error=self._why_timeout(name, rtype))
        except dns.resolver.NoNameservers as e:
            return DnsAnswer(name, rtype, ERROR, error=f"no server answered: {e}"[:300])
        except dns.exception.DNSException as e:
            return DnsAnswer(name, rtype, ERROR, error=f"{type(e).__name__}: {e}"[:300])
        authenticated = bool(ans.response.flags & dns.flags.AD)
        if rtype == "TXT":
            records = tuple(b"".join(r.strings).decode("utf-8", "replace") for r in ans)
        else:
            records = tuple(r.to_text() for r in ans)
        return DnsAnswer(name, rtype, OK, records, authenticated)


    def _why_timeout(self, name: str, rtype: str) -> str:
        """A resolver retries a malformed answer until it times out: ask once more to tell the two apart."""
        # start-up: dns loaded only when needed
        import dns.exception
        import dns.message
        import dns.query

        left = self.budget.left()
        if self.r.nameservers and left > 0.2:
            try:
                dns.query.udp(dns.message.make_query(name, rtype), self.r.nameservers[0], port=self.r.port,
                              timeout=min(1.0, left))
            except dns.exception.FormError as e:
                return f"malformed DNS answer: {e}"[:300]
            except (OSError, dns.exception.DNSException):
                pass
        return "DNS timeout"


def _spf_tree(d: Dns, txt: DnsAnswer) -> tuple[DnsAnswer, ...]:
    """TXT answers of every include:/redirect= target, breadth-first, at most MAX_SPF_NAMES names."""
    found = spf_records(txt)
    if len(found) != 1:
        return ()
    queue = _spf_targets(found[0])
    out: list[DnsAnswer] = []
    seen: set[str] = set()
    while queue and len(out) < MAX_SPF_NAMES:
        name = queue.pop(0)
        if name in seen or "%" in name:        # macros are expanded per message: cannot be followed here
            continue
        seen.add(name)
        try:
            normalize_host(name)
        except TargetError:
            out.append(DnsAnswer(name, "TXT", ERROR, error="not a valid domain name"))
            continue
        answer = d.ask(name, "TXT")
        out.append(answer)
        sub = spf_records(answer)
        if len(sub) == 1:
            queue += _spf_targets(sub[0])
    return tuple(out)


def _spf_targets(record: str) -> list[str]:
    rec = parse_spf(record)
    return list(rec.includes) + ([rec.redirect] if rec.redirect and rec.all_qualifier is None else [])


def fetch_sts_policy(d: Dns, domain: str, ca_file: str | Path | None, port: int = MTA_STS_PORT) -> HttpsFetch:
    """The MTA-STS policy file over HTTPS, the host resolved through the scan's resolver."""
    host = f"mta-sts.{domain}"
    url = f"https://{host}{'' if port == 443 else f':{port}'}/.well-known/mta-sts.txt"
    answer = d.ask(host, "A")
    if answer.status != OK:
        answer = d.ask(host, "AAAA") if answer.status == MISSING else answer
    if answer.status != OK:
        return HttpsFetch(url, error=f"{host} does not resolve" if answer.status == MISSING else answer.error)
    try:
        address = normalize_host(answer.records[0])
    except TargetError:
        return HttpsFetch(url, error=f"{host} resolves to an invalid address")
    try:
        resp = _https.get(address, port, "/.well-known/mta-sts.txt", server_name=host, ca_file=ca_file,
                          timeout_s=max(0.5, min(10.0, d.budget.left())))
    except _https.FetchError as e:
        return HttpsFetch(url, error=f"{e.kind}: {e.detail}"[:400])
    return HttpsFetch(url, resp.status, (resp.header("Content-Type") or "")[:200],
                      resp.body.decode("utf-8", "replace"), resp.truncated)


def probe_domain(domain: str, resolver: tuple[str, int] | None, ca_file: str | Path | None,
                 timeout_s: float, mta_sts_port: int = MTA_STS_PORT) -> MailFacts:
    d = Dns(resolver, _Budget(time.monotonic() + timeout_s))
    txt = d.ask(domain, "TXT")
    includes = _spf_tree(d, txt)
    dmarc = d.ask(f"_dmarc.{domain}", "TXT")
    sts = d.ask(f"_mta-sts.{domain}", "TXT")
    policy = fetch_sts_policy(d, domain, ca_file, mta_sts_port) if sts.status == OK else None
    tlsrpt = d.ask(f"_smtp._tls.{domain}", "TXT")
    mx = d.ask(domain, "MX")
    hosts, _null = parse_mx(mx) if mx.status == OK else ([], False)
    tlsa = tuple(d.ask(f"_25._tcp.{h}", "TLSA") for h in hosts[:MAX_MX])
    addresses = tuple(d.ask(h, "A") for h in hosts[:MAX_MX])
    return MailFacts(domain, f"{resolver[0]}:{resolver[1]}" if resolver else "system", txt, includes, dmarc,
                     sts, policy, tlsrpt, mx, tlsa, addresses)


def run_probes(probes: Sequence[Probe], *, resolver: str | None, ca_file: str | Path | None,
               timeout_s: float, mta_sts_port: int = MTA_STS_PORT) -> Iterator[Observation]:
    """One observation per ``mail`` probe; a domain that cannot be asked at all is an ERROR observation."""
    where = parse_resolver(resolver)
    for p in probes:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        t0 = time.monotonic()
        try:
            domain = normalize_host(p.params["domain"])
        except TargetError as e:
            yield Observation.failed(p, Message("mail.probe.invalid_domain", {"domain": repr(e.value)}), started)
            continue
        facts = probe_domain(domain, where, ca_file, timeout_s, mta_sts_port)
        yield Observation(p.id, KIND, p.target, ObservationStatus.OK, facts, None, started,
                          round(time.monotonic() - t0, 3))


# ----------------------------------------------------------------------------- the plug-in


class MailRunner:
    kind = KIND
    batch_size = 1
    parallel = 1

    def __init__(self, resolver: str | None, ca_file: str | None, mta_sts_port: int = MTA_STS_PORT):
        self.resolver = resolver
        self.ca_file = ca_file
        self.mta_sts_port = mta_sts_port

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        yield from run_probes(probes, resolver=self.resolver, ca_file=self.ca_file, timeout_s=min(timeout_s, 60.0),
                              mta_sts_port=self.mta_sts_port)


class MailFamily(BaseFamily):
    """Mail domains through DNS (dnspython) and the MTA-STS policy over HTTPS: one probe per declared domain."""

    kind = KIND
    provides = frozenset({KIND})
    facts_type = MailFacts
    options = OPTIONS

    def targets(self, system: System, scope: str) -> Sequence[Target]:
        return [Target.of_domain(d) for d in system.domains] if scope == DOMAIN else []

    def applies(self, endpoint: Endpoint) -> bool:
        return False

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        return {"domain": targets[0].name}

    def runner(self, ctx: RunnerContext) -> MailRunner:
        return MailRunner(ctx.options.get("resolver"), ctx.ca_file, int(ctx.options.get("mta_sts_port") or MTA_STS_PORT))
