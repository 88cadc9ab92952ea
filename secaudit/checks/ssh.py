"""SSH checks from nmap's NSE scripts: weak algorithms offered, password authentication offered."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any, Mapping

from secaudit.checks._common import evidence, observation_or_error
from secaudit.checks.base import CheckContext, CheckSpec
from secaudit.model import Evidence, Message, Outcome, Service, Verdict
from secaudit.observations.ports import PortFact, PortScan

# Weak by default (shell-style patterns, case-sensitive): SHA-1 or small-group key exchange, CBC/RC4/3DES
# ciphers, MD5/SHA-1/64-bit-tag MACs, DSA and SHA-1 RSA host-key signatures.
DEFAULT_WEAK: Mapping[str, tuple[str, ...]] = {
    "kex": ("diffie-hellman-group1-sha1", "diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1",
            "rsa1024-sha1", "gss-gex-sha1-*", "gss-group1-sha1-*", "gss-group14-sha1-*"),
    "ciphers": ("3des-cbc", "aes*-cbc", "arcfour*", "blowfish-cbc", "cast128-cbc", "des-cbc*",
                "rijndael-cbc@lysator.liu.se", "none"),
    "macs": ("hmac-md5*", "hmac-sha1*", "umac-64*", "hmac-ripemd160*", "none"),
    "hostkey": ("ssh-dss*", "ssh-rsa", "ssh-rsa-cert-v01@openssh.com"),
}
_PARAM_FOR = {"kex": "weak_kex", "ciphers": "weak_ciphers", "macs": "weak_macs", "hostkey": "weak_hostkeys"}
DEFAULT_FORBIDDEN_METHODS = ("password", "keyboard-interactive")


def _methods(p: PortFact) -> str:
    m = p.ssh_auth_methods
    text = f"{p.port}/tcp: {', '.join(m.methods) if m and m.methods else '-'}"
    return text + (f" ({m.source})" if m and m.source != "nse:ssh-auth-methods" else "")


def ssh_ports(scan: PortScan, ctx: CheckContext) -> list[PortFact]:
    """Open ports speaking SSH: detected by -sV anywhere, or the declared SSH endpoint being judged."""
    if ctx.endpoint is not None:
        p = scan.port(ctx.endpoint.port)
        return [p] if p is not None and p.is_open and (ctx.endpoint.service is Service.SSH
                                                       or p.service_name == "ssh") else []
    return [p for p in scan.open_ports if p.service_name == "ssh"]


def _not_applicable(ctx: CheckContext, scan: PortScan) -> Outcome:
    return Outcome(Verdict.NOT_APPLICABLE, Message("ssh.no_ssh_port", {"host": scan.host}))


def algorithms(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """FAIL when an SSH server offers a weak key exchange, cipher, MAC or host-key algorithm."""
    scan, error = observation_or_error(ctx, "ports", PortScan)
    if error:
        return error
    ports = ssh_ports(scan, ctx)
    if not ports:
        return _not_applicable(ctx, scan)
    weak = {k: tuple(params.get(_PARAM_FOR[k], v)) for k, v in DEFAULT_WEAK.items()}
    found: list[Evidence] = []
    unmeasured: list[PortFact] = []
    for p in ports:
        if p.ssh_algorithms is None:
            unmeasured.append(p)
            continue
        for kind in ("kex", "ciphers", "macs", "hostkey"):
            offered = getattr(p.ssh_algorithms, kind)
            bad = [a for a in offered if any(fnmatchcase(a, pat) for pat in weak[kind])]
            if bad:
                found.append(evidence(f"ssh.evidence.weak_{kind}", f"{p.port}/tcp: {', '.join(bad)}"))
    if found:
        return Outcome(Verdict.FAIL, Message("ssh.algorithms.fail", {"host": scan.host, "count": len(found)}),
                       tuple(found) + tuple(evidence("ssh.evidence.not_measured", f"{p.port}/tcp") for p in unmeasured))
    if unmeasured:
        return Outcome(Verdict.ERROR, Message("ssh.not_measured", {"host": scan.host, "script": "ssh2-enum-algos",
                                                                   "ports": ", ".join(str(p.port) for p in unmeasured)}),
                       tuple(evidence("ssh.evidence.script_output", f"{p.port}/tcp: {p.scripts.get('ssh2-enum-algos', '-')}")
                             for p in unmeasured))
    return Outcome(Verdict.PASS, Message("ssh.algorithms.pass", {"host": scan.host,
                                                                 "ports": ", ".join(str(p.port) for p in ports)}),
                   tuple(evidence("ssh.evidence.server", f"{p.port}/tcp {p.service.describe() if p.service else 'ssh'}")
                         for p in ports))


def password_auth(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    """FAIL when an SSH server offers password or keyboard-interactive authentication (params.forbidden_methods)."""
    scan, error = observation_or_error(ctx, "ports", PortScan)
    if error:
        return error
    ports = ssh_ports(scan, ctx)
    if not ports:
        return _not_applicable(ctx, scan)
    forbidden = tuple(params.get("forbidden_methods", DEFAULT_FORBIDDEN_METHODS))
    found: list[Evidence] = []
    unmeasured: list[PortFact] = []
    for p in ports:
        if p.ssh_auth_methods is None:
            unmeasured.append(p)
            continue
        bad = [m for m in p.ssh_auth_methods.methods if m in forbidden]
        if bad:
            found.append(evidence("ssh.evidence.auth_methods", _methods(p)))
    if found:
        return Outcome(Verdict.FAIL, Message("ssh.password_auth.fail", {"host": scan.host}), tuple(found))
    if unmeasured:
        return Outcome(Verdict.ERROR, Message("ssh.not_measured", {"host": scan.host, "script": "ssh-auth-methods",
                                                                   "ports": ", ".join(str(p.port) for p in unmeasured)}),
                       tuple(evidence("ssh.evidence.script_output", f"{p.port}/tcp: {p.scripts.get('ssh-auth-methods', '-')}")
                             for p in unmeasured))
    return Outcome(Verdict.PASS, Message("ssh.password_auth.pass", {"host": scan.host}),
                   tuple(evidence("ssh.evidence.auth_methods", _methods(p)) for p in ports if p.ssh_auth_methods))


_STRINGS = {"type": "array", "items": {"type": "string"}}

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(name="ssh.algorithms", func=algorithms,
              needs=frozenset({"ports:scan", "ports:service", "nse:ssh2-enum-algos"}),
              params_schema={"type": "object", "additionalProperties": False,
                             "properties": {v: _STRINGS for v in _PARAM_FOR.values()}},
              services=(Service.SSH,), scope="host"),
    CheckSpec(name="ssh.password_auth", func=password_auth,
              needs=frozenset({"ports:scan", "ports:service", "nse:ssh-auth-methods"}),
              params_schema={"type": "object", "additionalProperties": False,
                             "properties": {"forbidden_methods": _STRINGS}},
              services=(Service.SSH,), scope="host"),
)
