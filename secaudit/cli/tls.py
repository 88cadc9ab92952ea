"""`secaudit tls HOST:PORT`: scan one TLS endpoint and judge it against a profile."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import click

from secaudit.cli.common import lang_option
from secaudit.model import Service, Starttls
from secaudit.status import ExitStatus

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def _host_problem(host: str) -> str | None:
    """An error key when ``host`` is not a DNS name or IP literal, else None."""
    try:
        from secaudit.load import validate_host  # the lead's shared validator, when present
    except ImportError:
        validate_host = None
    if validate_host is not None:
        return validate_host(host)
    if not host or host.startswith("-"):
        return "tls.cli.bad_host"
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    name = host[:-1] if host.endswith(".") else host
    if len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        return "tls.cli.bad_host"
    return None


def parse_target(value: str) -> tuple[str, int]:
    """``host:port`` or ``[ipv6]:port`` -> (host, port); raises InputError."""
    from secaudit.errors import Diagnostic, InputError

    def bad(key: str) -> InputError:
        return InputError([Diagnostic("secaudit tls", 0, 0, key, {"value": value})])

    if value.startswith("-"):
        raise bad("tls.cli.bad_host")
    m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})", value) or re.fullmatch(r"([^:\[\]\s]+):(\d{1,5})", value)
    if not m:
        raise bad("tls.cli.bad_target")
    host, port = m.group(1), int(m.group(2))
    if not 1 <= port <= 65535:
        raise bad("tls.cli.bad_port")
    problem = _host_problem(host)
    if problem:
        raise bad(problem)
    return host, port


@click.command("tls")
@click.argument("target", metavar="HOST:PORT")
@click.option("--starttls", type=click.Choice([s.value for s in Starttls]), default=None,
              help="Negotiate TLS inside this protocol first (STARTTLS).")
@click.option("--sni", default=None, help="Server name to send (SNI) and to check the certificate against.")
@click.option("--ca-file", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="Extra trust store: PEM file with your organisation's CA certificates.")
@click.option("--profile", default="mozilla-intermediate", show_default=True,
              help="Profile name from policies/profiles/ or a policy YAML file.")
@click.option("--service", type=click.Choice([s.value for s in Service if s not in (Service.SSH, Service.HTTP)]),
              default=None, help="What the endpoint serves (default: https, or the STARTTLS protocol).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Deadline in seconds for the scan of the endpoint.")
@lang_option
def command(target: str, starttls: str | None, sni: str | None, ca_file: str | None, profile: str,
            service: str | None, fmt: str, timeout: float) -> int:
    """Scan one TLS endpoint and judge it against a profile (Mozilla intermediate by default).

    Exit status: 0 compliant, 1 a control failed, 2 bad input, 3 the scan failed so some controls have no verdict.

    \b
    Examples:
      secaudit tls 127.0.0.14:2525 --starttls smtp --sni mail.songlam.example
      secaudit tls 127.0.0.12:8443 --profile mozilla-modern --format json
      secaudit tls 127.0.0.16:8443 --sni portal.songlam.example --ca-file org-ca.pem
    """
    import datetime as dt
    from pathlib import Path

    from secaudit.errors import Diagnostic, InputError
    from secaudit.model import Endpoint
    from secaudit.probes.tls import TlsTarget, params_for_needs, scan
    from secaudit.quickeval import evaluate, load_profile, needs_of

    host, port = parse_target(target)
    if sni is not None and _host_problem(sni):
        raise InputError([Diagnostic("secaudit tls", 0, 0, "tls.cli.bad_sni", {"value": sni})])
    if ca_file is not None:
        from secaudit.cafile import check_ca_file

        check_ca_file(ca_file)
    policy = load_profile(profile)
    svc = Service(service) if service else (Service(starttls) if starttls else Service.HTTPS)
    endpoint = Endpoint(host, port, svc, Starttls(starttls) if starttls else None, sni, tls=True)
    params = params_for_needs(needs_of(policy))
    [obs] = list(scan([TlsTarget(host, port, sni=sni, starttls=starttls, probe_id=f"tls:{endpoint.address}")],
                      params, timeout_s=timeout, ca_file=Path(ca_file) if ca_file else None,
                      network_timeout_s=max(1, min(5, int(timeout)))))
    results = evaluate(policy, endpoint, {"tls": obs}, dt.datetime.now(dt.timezone.utc))
    _print(fmt, endpoint.address, policy, obs, results)
    verdicts = {r.outcome.verdict.value for r in results}
    if "fail" in verdicts:
        return ExitStatus.FINDINGS
    if "error" in verdicts:
        return ExitStatus.SCAN_ERRORS
    return ExitStatus.OK


def _print(fmt: str, address: str, policy: Any, obs: Any, results: list[Any]) -> None:
    import json

    from secaudit.cli.output import echo
    from secaudit.i18n import current_lang, t

    lang = current_lang()
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome.verdict.value] = counts.get(r.outcome.verdict.value, 0) + 1
    if fmt == "json":
        doc = {
            "schema": "secaudit/tls-quick/v1",
            "target": address,
            "profile": {"id": policy.id, "title": policy.title.get(lang)},
            "observation": {"status": obs.status.value, "error": obs.error, "started_at": obs.started_at,
                            "duration_s": obs.duration_s, "facts": obs.facts.to_dict() if obs.facts else None},
            "results": [{
                "control": r.control.id, "title": r.control.title.get(lang), "check": r.control.check,
                "severity": r.control.severity.value, "verdict": r.outcome.verdict.value,
                "message": r.outcome.message.render(lang), "message_key": r.outcome.message.key,
                "message_args": {k: v for k, v in r.outcome.message.args.items()},
                "evidence": [{"label": t(e.label, lang), "key": e.label, "value": e.value} for e in r.outcome.evidence],
                "warnings": [w.render(lang) for w in r.outcome.warnings],
                "remediation": r.control.remediation.get(lang) if r.outcome.verdict.value == "fail" else None,
                "references": list(r.control.references),
            } for r in results],
            "summary": counts,
        }
        echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
        return
    echo(t("tls.cli.header", lang, target=address, profile=policy.title.get(lang)))
    if obs.error:
        # the scan failed: say why once, then list the controls left without a verdict
        echo(t("tls.cli.scan_error", lang, reason=obs.error))
        for r in results:
            echo(f"[{t('tls.cli.verdict.' + r.outcome.verdict.value, lang)}] {r.control.id} "
                 f"({r.control.severity.value}) {r.control.title.get(lang)}")
        summary = ", ".join(f"{t('tls.cli.verdict.' + k, lang)}: {n}" for k, n in sorted(counts.items()))
        echo(t("tls.cli.summary", lang, summary=summary))
        return
    for r in results:
        v = r.outcome.verdict.value
        echo(f"[{t('tls.cli.verdict.' + v, lang)}] {r.control.id} ({r.control.severity.value}) "
             f"{r.control.title.get(lang)}: {r.outcome.message.render(lang)}")
        if v in ("fail", "error"):
            for e in r.outcome.evidence:
                echo(f"      {t(e.label, lang)}: {e.value}")
            if v == "fail" and r.control.remediation.get(lang):
                echo(f"      {t('tls.cli.remediation', lang)}: {r.control.remediation.get(lang)}")
        for w in r.outcome.warnings:
            echo(f"      ! {w.render(lang)}")
    summary = ", ".join(f"{t('tls.cli.verdict.' + k, lang)}: {n}" for k, n in sorted(counts.items()))
    echo(t("tls.cli.summary", lang, summary=summary))
