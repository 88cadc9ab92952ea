"""Certificate checks: trust, hostname, validity dates, key strength, signature, lifespan.

In sslyze 6 an expired, untrusted or mismatched certificate all show as one path-validation
failure; the adapter re-validates ignoring the hostname, and these checks read the reason
from the certificate itself (dates, SANs, issuer) so each finding names its own cause.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Mapping

from secaudit.checks._tls_common import STRING_LIST, error, get_facts, measure_problem, outcome, param
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Message, Outcome, Verdict
from secaudit.observations.tls import CertDeployment, CertInfo, TlsFacts


def _deployments(ctx: CheckContext) -> tuple[TlsFacts, tuple[CertDeployment, ...]] | Outcome:
    facts = get_facts(ctx)
    if isinstance(facts, Outcome):
        return facts
    c = facts.certificate
    problem = measure_problem(c.status, "certificate", c.error)
    if problem:
        return problem
    if not c.deployments:
        return error("tls.error.measure", what="certificate", reason="no certificate received")
    return facts, c.deployments


def _when(iso: str) -> dt.datetime:
    d = dt.datetime.fromisoformat(iso)
    return d if d.tzinfo else d.replace(tzinfo=dt.timezone.utc)


def _cert_ev(c: CertInfo) -> list[tuple[str, Any]]:
    return [("cert.ev.subject", c.subject), ("cert.ev.issuer", c.issuer),
            ("cert.ev.validity", f"{c.not_before} .. {c.not_after}")]


# --------------------------------------------------------------------------- trust


def trusted(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    stores = set(param(params, "stores", []))   # empty: any store, including the organisation's CA file
    for d in deps:
        considered = [t for t in d.trust if not stores or t.store in stores]
        if not considered:
            return error("tls.error.measure", what="certificate trust", reason="none of the requested trust stores "
                         f"({', '.join(sorted(stores))}) was used")
        ok = [t.store for t in considered
              if t.trusted or t.chain_trusted_ignoring_hostname]   # hostname is cert.hostname's job
        if ok:
            continue
        leaf, last = d.leaf, d.chain[-1]
        ev = _cert_ev(leaf) + [("cert.ev.chain", [c.subject for c in d.chain]),
                               ("cert.ev.validation_error",
                                "; ".join(sorted({f"{t.store}: {t.error}" for t in considered if t.error})))]
        now = ctx.now
        expired = [c for c in d.chain if _when(c.not_after) < now or _when(c.not_before) > now]
        if len(d.chain) == 1 and leaf.self_signed:
            return outcome(Verdict.FAIL, "cert.trusted.fail_self_signed", ev, subject=leaf.subject)
        if expired:
            return outcome(Verdict.FAIL, "cert.trusted.fail_dates", ev, subject=expired[0].subject)
        if not last.self_signed:
            return outcome(Verdict.FAIL, "cert.trusted.fail_incomplete", ev, issuer=last.issuer)
        return outcome(Verdict.FAIL, "cert.trusted.fail_untrusted", ev, issuer=last.subject)
    d = deps[0]
    stores_ok = sorted({t.store for dd in deps for t in dd.trust if t.trusted or t.chain_trusted_ignoring_hostname})
    return outcome(Verdict.PASS, "cert.trusted.pass", _cert_ev(d.leaf) + [("cert.ev.trusted_by", stores_ok)],
                   stores=", ".join(stores_ok))


def chain_order(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    for d in deps:
        if d.chain_order_valid is False:
            return outcome(Verdict.FAIL, "cert.chain_order.fail", [("cert.ev.chain", [c.subject for c in d.chain])])
    return outcome(Verdict.PASS, "cert.chain_order.pass", [("cert.ev.chain", [c.subject for c in deps[0].chain])])


# --------------------------------------------------------------------------- hostname


def hostname(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    for d in deps:
        names = list(d.leaf.dns_names) + list(d.leaf.ip_addresses)
        ev = [("cert.ev.hostname", d.hostname), ("cert.ev.names", names), ("cert.ev.subject", d.leaf.subject)]
        if d.hostname_matches is None:
            return error("tls.error.measure", what="hostname match", reason="not determined")
        if not d.hostname_matches:
            return outcome(Verdict.FAIL, "cert.hostname.fail", ev, hostname=d.hostname)
    d = deps[0]
    return outcome(Verdict.PASS, "cert.hostname.pass",
                   [("cert.ev.hostname", d.hostname), ("cert.ev.names", list(d.leaf.dns_names) + list(d.leaf.ip_addresses))],
                   hostname=d.hostname)


# --------------------------------------------------------------------------- dates


def expiry(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    warn_days = int(param(params, "warn_days", 30))
    now = ctx.now
    warnings = []
    for d in deps:
        for c in d.chain:
            if c.self_signed and c is not d.leaf:
                continue  # a root sent along is not checked by clients
            nb, na = _when(c.not_before), _when(c.not_after)
            if na < now:
                return outcome(Verdict.FAIL, "cert.expiry.fail_expired", _cert_ev(c), subject=c.subject,
                               date=c.not_after, days=(now - na).days)
            if nb > now:
                return outcome(Verdict.FAIL, "cert.expiry.fail_not_yet_valid", _cert_ev(c), subject=c.subject,
                               date=c.not_before)
            left = (na - now).days
            if left < warn_days:
                warnings.append(Message("cert.expiry.warn_soon", {"subject": c.subject, "days": left,
                                                                  "date": c.not_after}))
    leaf = deps[0].leaf
    left = (_when(leaf.not_after) - now).days
    return outcome(Verdict.PASS, "cert.expiry.pass", _cert_ev(leaf), warnings=warnings, days=left, date=leaf.not_after)


def lifespan(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    max_days = int(param(params, "max_days", 398))
    for d in deps:
        span = (_when(d.leaf.not_after) - _when(d.leaf.not_before)).days
        if span > max_days:
            return outcome(Verdict.FAIL, "cert.lifespan.fail", _cert_ev(d.leaf), days=span, max=max_days)
    span = (_when(deps[0].leaf.not_after) - _when(deps[0].leaf.not_before)).days
    return outcome(Verdict.PASS, "cert.lifespan.pass", _cert_ev(deps[0].leaf), days=span, max=max_days)


# --------------------------------------------------------------------------- key and signature


def key_strength(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    rsa_min = int(param(params, "rsa_min_bits", 2048))
    ec_min = int(param(params, "ec_min_bits", 256))
    dsa_min = int(param(params, "dsa_min_bits", 2048))
    types = set(param(params, "allowed_types", []))      # RSA, EC, DSA, Ed25519, Ed448; empty: any
    curves = set(param(params, "allowed_curves", []))    # e.g. secp256r1, secp384r1; empty: any
    curves = {"secp256r1" if c == "prime256v1" else c for c in curves}
    seen_types = set()
    for d in deps:
        c = d.leaf
        seen_types.add(c.key_type)
        ev = [("cert.ev.subject", c.subject), ("cert.ev.key", f"{c.key_type} {c.key_size}" +
                                                               (f" {c.key_curve}" if c.key_curve else ""))]
        minimum = {"RSA": rsa_min, "EC": ec_min, "DSA": dsa_min}.get(c.key_type, 0)
        if c.key_size < minimum:
            return outcome(Verdict.FAIL, "cert.key_strength.fail_size", ev, type=c.key_type, bits=c.key_size,
                           min=minimum)
        if c.key_type == "EC" and curves and c.key_curve not in curves:
            return outcome(Verdict.FAIL, "cert.key_strength.fail_curve", ev, curve=c.key_curve,
                           allowed=", ".join(sorted(curves)))
    if types and not (seen_types & types):
        return outcome(Verdict.FAIL, "cert.key_strength.fail_type",
                       [("cert.ev.key", ", ".join(sorted(seen_types)))], types=", ".join(sorted(seen_types)),
                       allowed=", ".join(sorted(types)))
    c = deps[0].leaf
    return outcome(Verdict.PASS, "cert.key_strength.pass",
                   [("cert.ev.subject", c.subject), ("cert.ev.key", f"{c.key_type} {c.key_size}")],
                   type=c.key_type, bits=c.key_size)


def signature(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    got = _deployments(ctx)
    if isinstance(got, Outcome):
        return got
    _, deps = got
    forbidden = {h.lower() for h in param(params, "forbidden_hashes", ["md5", "sha1"])}
    allowed_leaf = set(param(params, "allowed_leaf_algorithms", []))  # e.g. sha256WithRSAEncryption; empty: any
    for d in deps:
        for c in d.chain:
            if c.self_signed and c is not d.leaf:
                continue  # a root's own signature is not relied upon
            ev = [("cert.ev.subject", c.subject), ("cert.ev.signature", c.signature_algorithm)]
            if c.signature_hash and c.signature_hash.lower() in forbidden:
                return outcome(Verdict.FAIL, "cert.signature.fail_hash", ev, subject=c.subject,
                               algorithm=c.signature_algorithm)
    if allowed_leaf:
        algs = {d.leaf.signature_algorithm for d in deps}
        if not algs & allowed_leaf:
            return outcome(Verdict.FAIL, "cert.signature.fail_algorithm",
                           [("cert.ev.signature", sorted(algs))], algorithm=", ".join(sorted(algs)),
                           allowed=", ".join(sorted(allowed_leaf)))
    c = deps[0].leaf
    return outcome(Verdict.PASS, "cert.signature.pass",
                   [("cert.ev.subject", c.subject), ("cert.ev.signature", c.signature_algorithm)],
                   algorithm=c.signature_algorithm)


_NEEDS = frozenset({"tls:certificate"})
CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec("cert.trusted", trusted, _NEEDS,
              {"type": "object", "additionalProperties": False, "properties": {"stores": STRING_LIST}}),
    CheckSpec("cert.chain_order", chain_order, _NEEDS, {"type": "object", "additionalProperties": False}),
    CheckSpec("cert.hostname", hostname, _NEEDS, {"type": "object", "additionalProperties": False}),
    CheckSpec("cert.expiry", expiry, _NEEDS,
              {"type": "object", "additionalProperties": False,
               "properties": {"warn_days": {"type": "integer", "minimum": 0}}}),
    CheckSpec("cert.lifespan", lifespan, _NEEDS,
              {"type": "object", "additionalProperties": False,
               "properties": {"max_days": {"type": "integer", "minimum": 1}}}),
    CheckSpec("cert.key_strength", key_strength, _NEEDS,
              {"type": "object", "additionalProperties": False,
               "properties": {"rsa_min_bits": {"type": "integer"}, "ec_min_bits": {"type": "integer"},
                              "dsa_min_bits": {"type": "integer"}, "allowed_types": STRING_LIST,
                              "allowed_curves": STRING_LIST}}),
    CheckSpec("cert.signature", signature, _NEEDS,
              {"type": "object", "additionalProperties": False,
               "properties": {"forbidden_hashes": STRING_LIST, "allowed_leaf_algorithms": STRING_LIST}}),
)
