"""`secaudit ports HOST... [--allow PORTS]`: a quick exposure check of a few hosts — a preset of the
pipeline with the ``ports-exposure`` profile and the hosts as the declared scope."""

from __future__ import annotations

import click

from secaudit.cli.common import lang_option
from secaudit.cli.preset import preset_options, run_preset
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import current_lang

# The checks whose params choose the ports to scan: `--scan` and `--range` are laid over them.
PORT_SELECTING_CHECKS = ("ports.only_allowed", "ports.forbidden_services")


def port_list(value: str, option: str) -> tuple[int, ...]:
    """``22,443,8000-8010`` -> ports; an InputError naming ``option`` otherwise."""
    from secaudit.targets import parse_port, reason

    out: list[int] = []
    try:
        for item in (v.strip() for v in value.split(",") if v.strip()):
            lo, sep, hi = item.partition("-")
            first = parse_port(lo)
            last = parse_port(hi) if sep else first
            if last < first:
                raise ValueError(f"port range {item!r} is reversed")
            out.extend(range(first, last + 1))
    except ValueError as e:
        raise InputError([Diagnostic(option, 0, 0, "preset.bad_ports", {"value": value, "reason": reason(e)})])
    return tuple(out)


def scan_params(extra: tuple[int, ...], port_range: str | None) -> dict[str, dict[str, object]]:
    """``--scan`` (ports watched besides the default risky list) and ``--range`` as the port checks' params."""
    from secaudit.probes.ports import DEFAULT_WATCH_PORTS

    params: dict[str, object] = {}
    if extra:
        params["watch_ports"] = sorted(set(DEFAULT_WATCH_PORTS) | set(extra))
    if port_range:
        params["range"] = port_range
    return {name: params for name in PORT_SELECTING_CHECKS} if params else {}


def _check_range(value: str) -> str:
    from secaudit.targets import TargetError, parse_coverage

    try:
        return parse_coverage(value)
    except TargetError:
        raise InputError([Diagnostic("--range", 0, 0, "preset.bad_range", {"value": value})]) from None


@click.command("ports")
@click.argument("hosts", nargs=-1, required=True)
@click.option("--allow", default="", metavar="PORTS", help="Ports the hosts may expose, e.g. 22,443 or 8000-8010.")
@click.option("--scan", "extra", default="", metavar="PORTS",
              help="More ports to scan besides the allowed ones and the risky-services watch list.")
@click.option("--range", "port_range", default=None, metavar="top-N|A-B|all",
              help="Coverage: nmap's N most common ports, a range such as 1-65535, or all "
                   "(default top-1000, as at levels 1-3). Allowed and watched ports are always scanned.")
@click.option("--profile", "profiles", multiple=True, metavar="ID|FILE",
              help="Profile id or a policy YAML file (repeatable; default ports-exposure).")
@click.option("--timeout", type=click.FloatRange(5, 3600), default=120.0, show_default=True,
              help="Seconds allowed for the scan of a batch of hosts.")
@preset_options
@lang_option
def command(hosts: tuple[str, ...], allow: str, extra: str, port_range: str | None, profiles: tuple[str, ...],
            timeout: float, fmt: str, fail_on: str, errors_ok: bool) -> int:
    """Scan HOSTS with nmap (connect scan, service detection, SSH scripts) and judge the exposure:
    undeclared open ports, cleartext/legacy services, weak SSH algorithms, SSH password login.

    Only the hosts named here are scanned. The same pipeline as `secaudit scan`: exit status 0 no
    finding at or above --fail-on, 1 a finding at or above --fail-on, 2 bad input or nmap missing, 3
    a check could not be judged.

    \b
    Example:
      secaudit ports 127.0.0.1 --allow 22,443
    """
    from secaudit.run import ScanRequest

    if port_range is not None:
        port_range = _check_range(port_range)
    req = ScanRequest(hosts=hosts, allowed_ports=port_list(allow, "--allow"), profiles=profiles or ("ports-exposure",),
                      ports_timeout=timeout, fail_on=fail_on, lang=current_lang(),
                      check_params=scan_params(port_list(extra, "--scan"), port_range))
    return run_preset(req, fmt, errors_ok)
