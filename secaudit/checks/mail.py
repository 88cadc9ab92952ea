"""Mail-domain checks (pure): SPF, DMARC, MTA-STS, TLS-RPT, DANE (advisory), MX hosts' STARTTLS coverage.

A DNS question without a usable answer is an ERROR, never read as "no record"; an authoritative
"no such record" is a measured absence and fails the control that asks for the record.
"""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._common import facts_or_error
from secaudit.checks._tls_common import outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Message, Outcome, Starttls, Verdict
from secaudit.observations.mail import (
    ERROR, MISSING, OK, DnsAnswer, MailFacts, evaluate_spf, parse_dmarc, parse_mx, parse_sts_policy,
    parse_sts_txt, parse_tags, records_with_version, sts_mx_matches, tlsa_problems,
)


def _facts(ctx: CheckContext) -> MailFacts | Outcome:
    facts = facts_or_error(ctx, "mail", MailFacts, "mail.error.not_measured", "mail.error.probe",
                           {"domain": ctx.target})
    if isinstance(facts, Outcome):
        return facts
    if facts.domain_absent:       # not "no SPF record": there is no domain to hold one
        return outcome(Verdict.ERROR, "mail.error.no_domain", [("mail.ev.name", facts.domain)],
                       domain=facts.domain, resolver=facts.resolver)
    return facts


def _dns_error(answer: DnsAnswer | None) -> Outcome | None:
    if answer is None:
        return outcome(Verdict.ERROR, "mail.error.not_asked")
    if answer.status == ERROR:
        return outcome(Verdict.ERROR, "mail.error.dns", name=answer.name, rtype=answer.rtype,
                       reason=answer.error or "no answer")
    return None


def _one_record(answer: DnsAnswer | None, version: str, what: str) -> str | Outcome:
    """The single record of ``version`` at ``answer``'s name, or the outcome to return instead."""
    problem = _dns_error(answer)
    if problem:
        return problem
    found = records_with_version(answer, version)
    if not found:
        return outcome(Verdict.FAIL, "mail.fail.missing", [("mail.ev.name", answer.name)], what=what,
                       name=answer.name)
    if len(found) > 1:
        return outcome(Verdict.FAIL, "mail.fail.several", [("mail.ev.record", found)], what=what,
                       name=answer.name, count=len(found))
    return found[0]


def spf(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    problem = _dns_error(facts.txt)
    if problem:
        return problem
    ev = evaluate_spf(facts)
    allowed = list(param(params, "all", ["-", "~"]))
    limit = int(param(params, "max_lookups", 10))
    evidence = [("mail.ev.record", ev.record), ("mail.ev.spf_lookups", ev.lookups)]
    if ev.record is None and not ev.problems:
        return outcome(Verdict.FAIL, "mail.fail.missing", [("mail.ev.name", facts.domain)], what="SPF",
                       name=facts.domain)
    if ev.problems:
        return outcome(Verdict.FAIL, "mail.spf.fail_invalid", evidence + [("mail.ev.problems", ev.problems)],
                       problems="; ".join(ev.problems))
    if ev.lookups > limit:
        return outcome(Verdict.FAIL, "mail.spf.fail_lookups", evidence, count=ev.lookups, limit=limit)
    if ev.incomplete:
        return outcome(Verdict.ERROR, "mail.spf.error_incomplete", evidence, names=", ".join(ev.incomplete))
    if ev.effective_all not in allowed:
        return outcome(Verdict.FAIL, "mail.spf.fail_all", evidence, found=f"{ev.effective_all or ''}all"
                       if ev.effective_all else "none", allowed=", ".join(f"{q}all" for q in allowed))
    return outcome(Verdict.PASS, "mail.spf.pass", evidence, qualifier=f"{ev.effective_all}all", count=ev.lookups)


def dmarc(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    record = _one_record(facts.dmarc, "DMARC1", "DMARC")
    if isinstance(record, Outcome):
        return record
    d = parse_dmarc(record)
    allowed = list(param(params, "policies", ["none", "quarantine", "reject"]))
    evidence = [("mail.ev.record", record), ("mail.ev.dmarc_policy", d.policy), ("mail.ev.dmarc_rua", d.rua)]
    if d.problems:
        return outcome(Verdict.FAIL, "mail.dmarc.fail_invalid", evidence, problems="; ".join(d.problems))
    if d.policy not in allowed:
        return outcome(Verdict.FAIL, "mail.dmarc.fail_policy", evidence, found=d.policy, allowed=", ".join(allowed))
    if d.pct is not None and d.pct < int(param(params, "min_pct", 100)):
        return outcome(Verdict.FAIL, "mail.dmarc.fail_pct", evidence, pct=d.pct)
    if bool(param(params, "require_rua", True)) and not d.rua:
        return outcome(Verdict.FAIL, "mail.dmarc.fail_rua", evidence)
    return outcome(Verdict.PASS, "mail.dmarc.pass", evidence, policy=d.policy)


def _mx_hosts(facts: MailFacts) -> tuple[list[str], bool] | Outcome:
    problem = _dns_error(facts.mx)
    if problem:
        return problem
    if facts.mx.status == MISSING:
        return [], False
    return parse_mx(facts.mx)


def _facts_and_mx_hosts(ctx: CheckContext) -> tuple[MailFacts, list[str]] | Outcome:
    """The domain's facts and its MX hosts; an ERROR when unmeasured, NOT_APPLICABLE when it receives no mail."""
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    mx = _mx_hosts(facts)
    if isinstance(mx, Outcome):
        return mx
    hosts, null = mx
    if not hosts:
        return outcome(Verdict.NOT_APPLICABLE, "mail.na.null_mx" if null else "mail.na.no_mx", domain=facts.domain)
    return facts, hosts


def mta_sts(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    record = _one_record(facts.mta_sts, "STSv1", "MTA-STS")
    if isinstance(record, Outcome):
        return record
    sid, problems = parse_sts_txt(record)
    if problems:
        return outcome(Verdict.FAIL, "mail.sts.fail_txt", [("mail.ev.record", record)], problems="; ".join(problems))
    fetch = facts.mta_sts_policy
    if fetch is None or fetch.error:
        return outcome(Verdict.ERROR, "mail.sts.error_fetch", url=fetch.url if fetch else "-",
                       reason=fetch.error if fetch else "not fetched")
    evidence = [("mail.ev.record", record), ("mail.ev.url", fetch.url), ("mail.ev.http_status", fetch.status)]
    if fetch.status != 200:
        return outcome(Verdict.FAIL, "mail.sts.fail_status", evidence, url=fetch.url, status=fetch.status)
    if not fetch.content_type.lower().startswith("text/plain"):
        return outcome(Verdict.FAIL, "mail.sts.fail_type", evidence, type=fetch.content_type or "-")
    policy = parse_sts_policy(fetch.body)
    evidence += [("mail.ev.sts_mode", policy.mode), ("mail.ev.sts_mx", policy.mx)]
    if policy.problems or fetch.truncated:
        return outcome(Verdict.FAIL, "mail.sts.fail_policy", evidence,
                       problems="; ".join(policy.problems + (("policy larger than 64 KiB",) if fetch.truncated else ())))
    modes = list(param(params, "modes", ["testing", "enforce"]))
    if policy.mode not in modes:
        return outcome(Verdict.FAIL, "mail.sts.fail_mode", evidence, mode=policy.mode, allowed=", ".join(modes))
    mx = _mx_hosts(facts)
    if isinstance(mx, Outcome):
        return mx
    unmatched = [h for h in mx[0] if not any(sts_mx_matches(p, h) for p in policy.mx)]
    if unmatched:
        return outcome(Verdict.FAIL, "mail.sts.fail_mx", evidence, hosts=", ".join(unmatched))
    return outcome(Verdict.PASS, "mail.sts.pass", evidence, mode=policy.mode, id=sid)


def tlsrpt(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = _facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    record = _one_record(facts.tlsrpt, "TLSRPTv1", "TLS-RPT")
    if isinstance(record, Outcome):
        return record
    tags, problems = parse_tags(record)
    rua = [u.strip() for u in tags.get("rua", "").split(",") if u.strip()]
    problems += [f"rua URI {u!r} is neither mailto: nor https:" for u in rua
                 if not u.lower().startswith(("mailto:", "https:"))]
    if not rua:
        problems.append("no rua= tag")
    evidence = [("mail.ev.record", record)]
    if problems:
        return outcome(Verdict.FAIL, "mail.tlsrpt.fail_invalid", evidence, problems="; ".join(problems))
    return outcome(Verdict.PASS, "mail.tlsrpt.pass", evidence, rua=", ".join(rua))


def dane(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    found = _facts_and_mx_hosts(ctx)
    if isinstance(found, Outcome):
        return found
    facts, hosts = found
    by_host = {a.name: a for a in facts.tlsa}
    missing, broken, unauthenticated = [], [], []
    for h in hosts:
        a = by_host.get(f"_25._tcp.{h}")
        problem = _dns_error(a)
        if problem:
            return problem
        if a.status != OK:
            missing.append(h)
            continue
        broken += [f"{h}: {p}" for r in a.records for p in tlsa_problems(r)]
        if not a.authenticated:
            unauthenticated.append(h)
    evidence = [("mail.ev.mx_hosts", hosts)]
    if missing:
        return outcome(Verdict.FAIL, "mail.dane.fail_missing", evidence, hosts=", ".join(missing))
    if broken:
        return outcome(Verdict.FAIL, "mail.dane.fail_invalid", evidence, problems="; ".join(broken))
    warnings = [Message("mail.dane.warn_unauthenticated", {"hosts": ", ".join(unauthenticated)})] \
        if unauthenticated else []
    return outcome(Verdict.PASS, "mail.dane.pass", evidence, warnings, count=len(hosts))


def mx_starttls(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Every MX host is declared as an SMTP endpoint with STARTTLS, so the TLS controls judge its STARTTLS."""
    found = _facts_and_mx_hosts(ctx)
    if isinstance(found, Outcome):
        return found
    facts, hosts = found
    smtp = [e for e in ctx.system.endpoints if e.starttls is Starttls.SMTP]
    addresses = {a.name: set(a.records) for a in facts.mx_addresses if a.status == OK}
    covered: dict[str, list[str]] = {}
    for h in hosts:
        names = {h} | addresses.get(h, set())
        covered[h] = [e.address for e in smtp if e.host.lower().rstrip(".") in names]
    undeclared = [h for h in hosts if not covered[h]]
    evidence = [("mail.ev.mx_hosts", hosts), ("mail.ev.smtp_endpoints", sorted({a for v in covered.values()
                                                                                  for a in v}))]
    if undeclared:
        return outcome(Verdict.ERROR, "mail.mx.error_undeclared", evidence, hosts=", ".join(undeclared))
    off_port = [h for h in hosts if not any(a.endswith(":25") for a in covered[h])]
    warnings = [Message("mail.mx.warn_not_25", {"hosts": ", ".join(off_port)})] if off_port else []
    return outcome(Verdict.PASS, "mail.mx.pass", evidence, warnings, count=len(hosts))


_NEEDS = frozenset({"mail:dns"})
_OBJ = {"type": "object", "additionalProperties": False}

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("mail.spf", spf, _NEEDS, {**_OBJ, "properties": {
        "all": {"type": "array", "items": {"enum": ["-", "~", "?", "+"]}},
        "max_lookups": {"type": "integer", "minimum": 1}}}, scope="domain"),
    CheckSpec("mail.dmarc", dmarc, _NEEDS, {**_OBJ, "properties": {
        "policies": {"type": "array", "items": {"enum": ["none", "quarantine", "reject"]}},
        "require_rua": {"type": "boolean"}, "min_pct": {"type": "integer", "minimum": 0, "maximum": 100}}},
        scope="domain"),
    CheckSpec("mail.mta_sts", mta_sts, _NEEDS, {**_OBJ, "properties": {
        "modes": {"type": "array", "items": {"enum": ["none", "testing", "enforce"]}}}}, scope="domain"),
    CheckSpec("mail.tlsrpt", tlsrpt, _NEEDS, {**_OBJ, "properties": {}}, scope="domain"),
    CheckSpec("mail.dane", dane, _NEEDS, {**_OBJ, "properties": {}}, scope="domain"),
    CheckSpec("mail.mx_starttls", mx_starttls, _NEEDS, {**_OBJ, "properties": {}}, scope="domain"),
)
