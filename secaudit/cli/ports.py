"""`secaudit ports HOST... [--allow PORTS] [--format text|json]`: a quick exposure check of a few hosts."""

from __future__ import annotations

import click

from secaudit.cli.common import lang_option
from secaudit.status import ExitStatus

DEFAULT_RANGE = "top-1000"          # the quick form covers what levels 1-3 cover
CHECK_NAMES = ("ports.only_allowed", "ports.forbidden_services", "ssh.algorithms", "ssh.password_auth")


def _port_list(value: str) -> list[int]:
    from secaudit.targets import parse_port

    out: list[int] = []
    for item in (v.strip() for v in value.split(",") if v.strip()):
        lo, sep, hi = item.partition("-")
        first = parse_port(lo)
        last = parse_port(hi) if sep else first
        if last < first:
            raise ValueError(f"port range {item!r} is reversed")
        out.extend(range(first, last + 1))
    return out


@click.command("ports")
@click.argument("hosts", nargs=-1, required=True)
@click.option("--allow", default="", metavar="PORTS", help="Ports the hosts may expose, e.g. 22,443 or 8000-8010.")
@click.option("--scan", "extra", default="", metavar="PORTS",
              help="More ports to scan besides the allowed ones and the risky-services watch list.")
@click.option("--range", "port_range", default=None, metavar="top-N|A-B|all",
              help="Coverage: nmap's N most common ports, a range such as 1-65535, or all "
                   "(default top-1000, as at levels 1-3). Allowed and watched ports are always scanned.")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=120.0, show_default=True,
              help="Seconds allowed for the scan.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@lang_option
def command(hosts: tuple[str, ...], allow: str, extra: str, port_range: str | None, timeout: float, fmt: str) -> int:
    """Scan HOSTS with nmap (connect scan, service detection, SSH scripts) and judge the exposure:
    undeclared open ports, cleartext/legacy services, weak SSH algorithms, SSH password login.

    Only the hosts named here are scanned. Exit status: 0 compliant, 1 findings, 2 bad input or nmap
    missing, 3 a check could not be judged.

    \b
    Example:
      secaudit ports 127.0.0.1 --allow 22,443
    """
    import datetime as dt
    import json

    from secaudit.checks import REGISTRY
    from secaudit.checks.base import CheckContext
    from secaudit.cli.output import echo, print_error
    from secaudit.i18n import t
    from secaudit.model import ObservationStatus, Purpose, System, Verdict
    from secaudit.probes import ports as pp
    from secaudit.targets import parse_coverage, reason, validate_host

    try:
        clean_hosts = [validate_host(h) for h in hosts]
        allowed = _port_list(allow)
        extra_ports = _port_list(extra)
        system = System(id="cli", name="command line", purpose=Purpose.OTHER, allowed_ports=tuple(allowed))
        spec = parse_coverage(port_range) if port_range else DEFAULT_RANGE
        coverage = pp.CoveragePlan(spec, "cli" if port_range else "policy", DEFAULT_RANGE)
        ports = sorted(set(pp.select_ports(system, {"range": spec})) | set(extra_ports))
    except ValueError as e:
        print_error(reason(e))
        return ExitStatus.INPUT_ERROR
    needs = frozenset().union(*(REGISTRY[n].needs for n in CHECK_NAMES))
    try:
        observations = pp.scan({h: ports for h in clean_hosts}, needs, scope=clean_hosts, deadline_s=timeout,
                               coverage=coverage)
    except pp.ScopeError as e:
        print_error(t(e.key, **e.args_))
        return ExitStatus.INPUT_ERROR
    now = dt.datetime.now(dt.timezone.utc)
    results = []
    for obs in observations:
        ctx = CheckContext(system=system, target=obs.target, endpoint=None, observations={"ports": obs}, now=now)
        results.append((obs, [(name, REGISTRY[name].func({}, ctx)) for name in CHECK_NAMES]))

    if fmt == "json":
        echo(json.dumps({"schema": "secaudit/ports-cli/v1", "hosts": [{
            "host": obs.target, "status": obs.status.value, "error": obs.error,
            "observation": obs.facts.to_dict() if obs.facts else None,
            "checks": [{"check": name, "verdict": out.verdict.value, "message": out.message.render(),
                        "evidence": [{"label": t(e.label), "value": e.value} for e in out.evidence]}
                       for name, out in outcomes]} for obs, outcomes in results]}, indent=2, ensure_ascii=False))
    else:
        for obs, outcomes in results:
            echo(f"{obs.target}")
            if obs.status is ObservationStatus.OK:
                echo(f"  {t('ports.cli.coverage', count=obs.facts.scanned_count, spec=obs.facts.coverage.spec)}")
                for p in obs.facts.open_ports:
                    echo(f"  {p.port}/{p.protocol}  {t('ports.cli.open')}  {p.service.describe() if p.service else ''}")
                if not obs.facts.open_ports:
                    echo(f"  {t('ports.cli.no_open_port', count=obs.facts.scanned_count)}")
            for name, out in outcomes:
                echo(f"  [{t('ports.cli.verdict.' + out.verdict.value)}] {name}: {out.message.render()}")
                for e in out.evidence if out.verdict in (Verdict.FAIL, Verdict.ERROR) else ():
                    echo(f"      {t(e.label)}: {e.value}")
    verdicts = {out.verdict for _, outcomes in results for _, out in outcomes}
    if Verdict.FAIL in verdicts:
        return ExitStatus.FINDINGS
    if Verdict.ERROR in verdicts:
        return ExitStatus.SCAN_ERRORS
    return ExitStatus.OK
