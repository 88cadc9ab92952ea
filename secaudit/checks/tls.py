"""TLS protocol, cipher-suite, key-exchange and vulnerability checks: pure functions of TlsFacts."""

from __future__ import annotations

from typing import Any, Mapping

from secaudit.checks._tls_common import STRING_LIST, error, get_facts, measure_problem, outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Outcome, Verdict
from secaudit.observations.tls import (
    DEFAULT_VULNERABILITIES,
    PROTOCOLS,
    VULNERABILITIES,
    VULNERABILITY_NEED,
    AcceptedSuite,
    CertDeployment,
    Measure,
    TlsFacts,
    iana_name,
    normalise_protocol,
)

_PROTOCOL_LIST = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}


def _protocols(values: Any) -> tuple[str, ...] | Outcome:
    out = []
    for v in values:
        p = normalise_protocol(str(v))
        if p is None:
            return error("tls.error.bad_param", name="protocols", value=v)
        out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------- protocols


def protocols_forbidden(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    forbidden = _protocols(param(params, "protocols", ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1"]))
    if isinstance(forbidden, Outcome):
        return forbidden
    p = facts.protocols
    if not p.results:
        return measure_problem(p.status if p.status != Measure.MEASURED else Measure.ERROR, "protocols",
                               p.error or "no protocol result") or error("tls.error.not_measured", what="protocols")
    accepted = p.accepted()
    bad = [v for v in PROTOCOLS if v in forbidden and v in accepted]
    evidence = [("tls.ev.accepted_protocols", accepted), ("tls.ev.forbidden_protocols", forbidden)]
    if bad:
        return outcome(Verdict.FAIL, "tls.protocols.forbidden.fail", evidence, protocols=", ".join(bad))
    unknown = [v for v in p.unknown() if v in forbidden]
    if unknown:
        return error("tls.error.measure", what=", ".join(unknown), reason=p.error or "unknown")
    return outcome(Verdict.PASS, "tls.protocols.forbidden.pass", evidence, protocols=", ".join(accepted))


def protocols_required(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    required = _protocols(param(params, "protocols", ["TLSv1.2", "TLSv1.3"]))
    if isinstance(required, Outcome):
        return required
    mode = param(params, "mode", "any")
    p = facts.protocols
    if not p.results:
        return measure_problem(p.status if p.status != Measure.MEASURED else Measure.ERROR, "protocols",
                               p.error or "no protocol result") or error("tls.error.not_measured", what="protocols")
    accepted = p.accepted()
    have = [v for v in required if v in accepted]
    missing = [v for v in required if v not in accepted]
    evidence = [("tls.ev.accepted_protocols", accepted), ("tls.ev.required_protocols", required)]
    ok = bool(have) if mode == "any" else not missing
    if ok:
        return outcome(Verdict.PASS, "tls.protocols.required.pass", evidence, protocols=", ".join(have))
    unknown = [v for v in p.unknown() if v in missing]
    if unknown:
        return error("tls.error.measure", what=", ".join(unknown), reason=p.error or "unknown")
    key = "tls.protocols.required.fail_any" if mode == "any" else "tls.protocols.required.fail_all"
    return outcome(Verdict.FAIL, key, evidence, protocols=", ".join(missing))


# --------------------------------------------------------------------------- cipher suites

CATEGORIES = ("NULL", "EXPORT", "anonymous", "RC4", "DES", "3DES", "MD5", "static_rsa", "static_dh", "CBC",
              "SHA1_MAC", "weak_bits")


def suite_categories(s: AcceptedSuite) -> set[str]:
    """The weakness categories of one accepted suite."""
    cats = set()
    if s.null:
        cats.add("NULL")
    if s.export:
        cats.add("EXPORT")
    if s.anonymous:
        cats.add("anonymous")
    if s.cipher == "RC4":
        cats.add("RC4")
    if s.cipher == "DES":
        cats.add("DES")
    if s.cipher == "3DES":
        cats.add("3DES")
    if s.mac == "MD5":
        cats.add("MD5")
    if s.mac == "SHA":
        cats.add("SHA1_MAC")
    if s.kx == "RSA":
        cats.add("static_rsa")
    if s.kx in ("DH", "ECDH"):
        cats.add("static_dh")
    if s.mode == "CBC":
        cats.add("CBC")
    if 0 < s.bits < 128:
        cats.add("weak_bits")
    return cats


def _suites(facts: TlsFacts) -> tuple[AcceptedSuite, ...] | Outcome:
    p = facts.protocols
    if p.status == Measure.NOT_REQUESTED or not p.ciphers_enumerated:
        if p.status == Measure.ERROR and not p.results:
            return error("tls.error.measure", what="cipher suites", reason=p.error or "unknown")
        return error("tls.error.not_measured", what="cipher suites")
    return p.suites()


def _incomplete(facts: TlsFacts) -> Outcome | None:
    """An ERROR instead of a pass when the suite lists may be incomplete (never pass on what was not seen)."""
    unknown = facts.protocols.unknown() + facts.protocols.partially_enumerated()
    if unknown:
        reasons = [r.error for r in facts.protocols.results if r.protocol in unknown and r.error]
        return error("tls.error.measure", what="cipher suites of " + ", ".join(unknown),
                     reason=facts.protocols.error or "; ".join(reasons) or "unknown")
    return None


def _facts_and_suites(ctx: CheckContext) -> tuple[TlsFacts, tuple[AcceptedSuite, ...]] | Outcome:
    """The endpoint's TLS facts and accepted suites, or the ERROR saying why they are not there."""
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    suites = _suites(facts)
    if isinstance(suites, Outcome):
        return suites
    return facts, suites


def _pass_if_complete(facts: TlsFacts, key: str, evidence: list[tuple[str, Any]], **args: Any) -> Outcome:
    """PASS, unless a suite list may be incomplete: then ERROR (never pass on what was not seen).
    With suites listed by elimination, the PASS also says how many other suites each version was
    offered at once, and refused."""
    refused = [f"{r.protocol} {r.refused_offer}" for r in facts.protocols.results if r.refused_offer]
    if refused:
        evidence = evidence + [("tls.ev.refused_offers", refused)]
    return _incomplete(facts) or outcome(Verdict.PASS, key, evidence, **args)


def _listing(suites: list[AcceptedSuite]) -> list[str]:
    return [f"{s.protocol} {s.name}" for s in suites]


def ciphers_forbidden(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _facts_and_suites(ctx)
    if isinstance(got, Outcome):
        return got
    facts, suites = got
    categories = set(param(params, "categories", ["NULL", "EXPORT", "anonymous", "RC4", "DES", "3DES", "MD5"]))
    bad_cats = categories - set(CATEGORIES)
    if bad_cats:
        return error("tls.error.bad_param", name="categories", value=", ".join(sorted(bad_cats)))
    cbc_under = _protocols(param(params, "cbc_protocols", list(PROTOCOLS)))
    if isinstance(cbc_under, Outcome):
        return cbc_under
    named = {iana_name(n) for n in param(params, "suites", [])}
    offenders: list[AcceptedSuite] = []
    reasons: dict[str, set[str]] = {}
    for s in suites:
        cats = suite_categories(s) & categories
        if "CBC" in cats and s.protocol not in cbc_under:
            cats.discard("CBC")
        if s.name in named:
            cats.add("listed")
        if cats:
            offenders.append(s)
            reasons[f"{s.protocol} {s.name}"] = cats
    evidence: list[tuple[str, Any]] = [("tls.ev.forbidden_categories", sorted(categories))]
    if offenders:
        evidence.append(("tls.ev.offending_suites",
                         [f"{k} [{', '.join(sorted(v))}]" for k, v in reasons.items()]))
        found = sorted(set().union(*reasons.values()))
        return outcome(Verdict.FAIL, "tls.ciphers.forbidden.fail", evidence, count=len(offenders),
                       categories=", ".join(found))
    evidence.append(("tls.ev.accepted_suites", _listing(list(suites))))
    return _pass_if_complete(facts, "tls.ciphers.forbidden.pass", evidence, count=len(suites))


def ciphers_allowed(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _facts_and_suites(ctx)
    if isinstance(got, Outcome):
        return got
    facts, suites = got
    tls13 = {iana_name(n) for n in param(params, "tls13", [])}
    older = {iana_name(n) for n in param(params, "tls12_and_below", [])}
    bad = [s for s in suites if s.name not in (tls13 if s.protocol == "TLSv1.3" else older)]
    evidence: list[tuple[str, Any]] = []
    if bad:
        evidence.append(("tls.ev.offending_suites", _listing(bad)))
        return outcome(Verdict.FAIL, "tls.ciphers.allowed.fail", evidence, count=len(bad))
    evidence.append(("tls.ev.accepted_suites", _listing(list(suites))))
    return _pass_if_complete(facts, "tls.ciphers.allowed.pass", evidence, count=len(suites))


def forward_secrecy(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _facts_and_suites(ctx)
    if isinstance(got, Outcome):
        return got
    facts, suites = got
    mode = param(params, "mode", "all")
    without = [s for s in suites if not s.forward_secrecy]
    with_fs = [s for s in suites if s.forward_secrecy]
    if mode == "any":
        if with_fs:
            return outcome(Verdict.PASS, "tls.forward_secrecy.pass_any", [("tls.ev.fs_suites", _listing(with_fs))])
        inc = _incomplete(facts)
        return inc or outcome(Verdict.FAIL, "tls.forward_secrecy.fail_any",
                              [("tls.ev.accepted_suites", _listing(list(suites)))])
    if without:
        return outcome(Verdict.FAIL, "tls.forward_secrecy.fail", [("tls.ev.offending_suites", _listing(without))],
                       count=len(without))
    return _pass_if_complete(facts, "tls.forward_secrecy.pass", [("tls.ev.accepted_suites", _listing(list(suites)))])


def aead_only(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _facts_and_suites(ctx)
    if isinstance(got, Outcome):
        return got
    facts, suites = got
    under = _protocols(param(params, "protocols", list(PROTOCOLS)))
    if isinstance(under, Outcome):
        return under
    bad = [s for s in suites if s.protocol in under and not s.aead]
    if bad:
        return outcome(Verdict.FAIL, "tls.aead_only.fail", [("tls.ev.offending_suites", _listing(bad))], count=len(bad))
    return _pass_if_complete(facts, "tls.aead_only.pass", [("tls.ev.accepted_suites", _listing(list(suites)))])


# Effective size of ECDH groups (OpenSSL reports X25519 as 253 bits).
_GROUP_BITS = {"X25519": 256, "X448": 448, "prime256v1": 256, "secp256r1": 256, "secp384r1": 384,
               "secp521r1": 521, "secp224r1": 224, "secp192r1": 192, "prime192v1": 192}


def key_exchange_size(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _facts_and_suites(ctx)
    if isinstance(got, Outcome):
        return got
    facts, suites = got
    min_dh = int(param(params, "dh_min_bits", 2048))
    min_ecdh = int(param(params, "ecdh_min_bits", 256))
    bad = []
    for s in suites:
        if not s.ephemeral_key or s.ephemeral_key_size is None:
            continue
        if s.ephemeral_key.startswith("ECDH"):
            curve = s.ephemeral_key.split(" ", 1)[-1]
            bits = _GROUP_BITS.get(curve, s.ephemeral_key_size)
            if bits < min_ecdh:
                bad.append(f"{s.protocol} {s.name}: {s.ephemeral_key} ({bits} bits)")
        elif s.ephemeral_key_size < min_dh:
            bad.append(f"{s.protocol} {s.name}: DH {s.ephemeral_key_size} bits")
    evidence = [("tls.ev.kx_minimum", f"DH {min_dh}, ECDH {min_ecdh}")]
    if bad:
        return outcome(Verdict.FAIL, "tls.kx_size.fail", evidence + [("tls.ev.offending_suites", bad)], count=len(bad))
    return _pass_if_complete(facts, "tls.kx_size.pass", evidence)


_GROUP_ALIASES = {"prime256v1": "secp256r1", "prime192v1": "secp192r1"}


def groups_allowed(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    g = facts.groups
    problem = measure_problem(g.status, "supported groups", g.error)
    if problem:
        return problem
    allowed = {_GROUP_ALIASES.get(x, x) for x in param(params, "groups", ["X25519", "secp256r1", "secp384r1"])}
    supported = [_GROUP_ALIASES.get(x, x) for x in g.supported]
    bad = [x for x in supported if x not in allowed]
    evidence = [("tls.ev.supported_groups", supported), ("tls.ev.allowed_groups", sorted(allowed))]
    if bad:
        return outcome(Verdict.FAIL, "tls.groups.fail", evidence, groups=", ".join(bad))
    return outcome(Verdict.PASS, "tls.groups.pass", evidence)


# --------------------------------------------------------------------------- vulnerabilities


def vulnerabilities(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    wanted = list(param(params, "vulnerabilities", DEFAULT_VULNERABILITIES))
    unknown = [w for w in wanted if w not in VULNERABILITIES]
    if unknown:
        return error("tls.error.bad_param", name="vulnerabilities", value=", ".join(unknown))
    found, errors, clean = [], [], []
    for name, flag in facts.vulnerabilities.items():
        if name not in wanted:
            continue
        if flag.status != Measure.MEASURED:
            errors.append(f"{name}: {flag.error or flag.status.value}")
        elif flag.value:
            found.append(name + (f" ({flag.detail})" if flag.detail else ""))
        else:
            clean.append(name)
    evidence: list[tuple[str, Any]] = [("tls.ev.not_vulnerable", clean)]
    if found:
        evidence.insert(0, ("tls.ev.vulnerable", found))
        if errors:
            evidence.append(("tls.ev.not_tested", errors))
        return outcome(Verdict.FAIL, "tls.vulnerabilities.fail", evidence, names=", ".join(found))
    if errors:
        return error("tls.error.measure", what="vulnerability tests", reason="; ".join(errors))
    return outcome(Verdict.PASS, "tls.vulnerabilities.pass", evidence, count=len(clean))


def vulnerability_needs(params: Mapping[str, Any]) -> frozenset[str]:
    """Only the tests the control lists (each sslyze test costs handshakes, ROBOT dozens)."""
    wanted = param(params, "vulnerabilities", DEFAULT_VULNERABILITIES)
    if any(w not in VULNERABILITIES for w in wanted):
        return frozenset({"tls:vulnerabilities"})      # the check reports the bad name; measure everything
    return frozenset(VULNERABILITY_NEED + w for w in wanted)


# --------------------------------------------------------------------------- OCSP stapling


def ocsp_stapling(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """Stapling where it is possible: NOT_APPLICABLE when the certificate names no OCSP responder.

    Since CA/B Forum ballot SC-063 (2023) OCSP is optional for publicly-trusted CAs and several (Let's
    Encrypt, 2025) no longer run responders: without an AIA OCSP URL there is nothing to staple, and
    revocation goes through CRLs. A Must-Staple certificate without a staple always fails.
    """
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    c = facts.certificate
    problem = measure_problem(c.status, "certificate and OCSP stapling", c.error)
    if problem:
        return problem
    require_trusted = bool(param(params, "require_trusted", False))
    results = [_ocsp_one(d, require_trusted) for d in c.deployments]
    failed = [r for r in results if r.verdict is Verdict.FAIL]
    if failed:
        return failed[0]
    passed = [r for r in results if r.verdict is Verdict.PASS]
    return passed[0] if passed else results[0]


def _ocsp_one(d: CertDeployment, require_trusted: bool) -> Outcome:
    leaf = d.leaf
    urls = leaf.ocsp_urls
    ev = [("cert.ev.subject", leaf.subject), ("tls.ev.ocsp_responders", "?" if urls is None else list(urls)),
          ("tls.ev.must_staple", "yes" if d.must_staple else "no")]
    if d.ocsp_stapled:
        if d.ocsp_status != "SUCCESSFUL":
            return outcome(Verdict.FAIL, "tls.ocsp.fail_status", ev, status=d.ocsp_status)
        if require_trusted and not d.ocsp_trusted:
            return outcome(Verdict.FAIL, "tls.ocsp.fail_untrusted", ev)
        return outcome(Verdict.PASS, "tls.ocsp.pass", ev)
    if d.must_staple:
        return outcome(Verdict.FAIL, "tls.ocsp.fail_must_staple", ev)
    if urls == ():
        crls = leaf.crl_urls
        return outcome(Verdict.NOT_APPLICABLE, "tls.ocsp.na_no_responder",
                       ev + [("tls.ev.crl_points", "?" if crls is None else list(crls))], subject=leaf.subject)
    return outcome(Verdict.FAIL, "tls.ocsp.fail_missing", ev)


_VULN_SCHEMA = {"type": "array", "items": {"enum": list(VULNERABILITIES)}}

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("tls.protocols.forbidden", protocols_forbidden, frozenset({"tls:protocols"}),
              {"type": "object", "additionalProperties": False, "properties": {"protocols": _PROTOCOL_LIST}}),
    CheckSpec("tls.protocols.required", protocols_required, frozenset({"tls:protocols"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"protocols": _PROTOCOL_LIST, "mode": {"enum": ["any", "all"]}}}),
    CheckSpec("tls.ciphers.forbidden", ciphers_forbidden, frozenset({"tls:protocols", "tls:ciphers"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"categories": {"type": "array", "items": {"enum": list(CATEGORIES)}},
                              "cbc_protocols": _PROTOCOL_LIST, "suites": STRING_LIST}}),
    CheckSpec("tls.ciphers.allowed", ciphers_allowed, frozenset({"tls:protocols", "tls:ciphers"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"tls13": STRING_LIST, "tls12_and_below": STRING_LIST}}),
    CheckSpec("tls.forward_secrecy", forward_secrecy, frozenset({"tls:protocols", "tls:ciphers"}),
              {"type": "object", "additionalProperties": False, "properties": {"mode": {"enum": ["all", "any"]}}}),
    CheckSpec("tls.aead_only", aead_only, frozenset({"tls:protocols", "tls:ciphers"}),
              {"type": "object", "additionalProperties": False, "properties": {"protocols": _PROTOCOL_LIST}}),
    CheckSpec("tls.key_exchange.size", key_exchange_size, frozenset({"tls:protocols", "tls:ciphers"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"dh_min_bits": {"type": "integer", "minimum": 0},
                              "ecdh_min_bits": {"type": "integer", "minimum": 0}}}),
    CheckSpec("tls.groups.allowed", groups_allowed, frozenset({"tls:groups"}),
              {"type": "object", "additionalProperties": False, "properties": {"groups": STRING_LIST}}),
    CheckSpec("tls.vulnerabilities", vulnerabilities, frozenset({"tls:vulnerabilities"}),
              {"type": "object", "additionalProperties": False, "properties": {"vulnerabilities": _VULN_SCHEMA}},
              needs_for_params=vulnerability_needs),
    CheckSpec("tls.ocsp_stapling", ocsp_stapling, frozenset({"tls:certificate", "tls:ocsp"}),
              {"type": "object", "additionalProperties": False,
               "properties": {"require_trusted": {"type": "boolean"}}}),
)
