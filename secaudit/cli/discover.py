"""`secaudit discover INVENTORY [--zone Z] [--network CIDR]`: undeclared hosts and ports in the declared networks."""

from __future__ import annotations

from pathlib import Path

import click

from secaudit.cli.common import RegistryChoice, lang_option, report_formats
from secaudit.status import ExitStatus

SEVERITIES = ["critical", "high", "medium", "low", "info"]


@click.command("discover")
@click.argument("inventory", type=click.Path(dir_okay=False, path_type=str))
@click.option("--zone", "zones", multiple=True, metavar="ZONE", help="Sweep only this zone's networks (repeatable).")
@click.option("--network", "networks", multiple=True, metavar="CIDR",
              help="Sweep only this network; it must lie inside a declared network of the zones (repeatable).")
@click.option("--max-prefix", type=click.IntRange(0, 32), default=16, show_default=True,
              help="Networks with more addresses than an IPv4 /N need --allow-large-networks.")
@click.option("--allow-large-networks", "allow_large", is_flag=True,
              help="Sweep declared networks larger than --max-prefix.")
@click.option("--top-ports", type=click.IntRange(1, 65535), default=100, show_default=True,
              help="Ports asked of every live host: nmap's N most common TCP ports.")
@click.option("--timeout", type=click.FloatRange(5, 86400), default=600.0, show_default=True,
              help="Deadline of one network's sweep, in seconds.")
@click.option("--format", "formats", multiple=True, type=RegistryChoice(report_formats),
              help="Report format (repeatable; default: html, json, text).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=str), default="secaudit-discovery",
              show_default=True, help="Directory for the reports.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="low", show_default=True,
              help="Exit 1 when a finding of this severity or higher fails.")
@lang_option
def command(inventory: str, zones: tuple[str, ...], networks: tuple[str, ...], max_prefix: int, allow_large: bool,
            top_ports: int, timeout: float, formats: tuple[str, ...], out_dir: str, fail_on: str) -> int:
    """Find live hosts and open ports that no system of INVENTORY declares, inside the networks its
    zones declare (and nowhere else). nmap runs unprivileged: host discovery with TCP connect pings,
    then a connect scan of the top ports on the hosts that answered.

    Exit status: 0 nothing undeclared, 1 findings at or above --fail-on, 2 bad input, a network outside
    the declared ones or too large without --allow-large-networks, nmap missing; 3 a sweep failed.

    \b
    Examples:
      secaudit discover examples/inventory.yaml --zone dmz
      secaudit discover inventory.yaml --network 127.0.0.16/31 --format sarif
    """
    from secaudit.cli.output import echo, print_error
    from secaudit.cli.scan import _print_summary, write_reports
    from secaudit.discover import DiscoverRequest, run_discovery
    from secaudit.evaluate import errored, failing
    from secaudit.i18n import current_lang, t
    from secaudit.model import Severity
    from secaudit.probes.ports import ScopeError

    lang = current_lang()
    req = DiscoverRequest(inventory, zones, networks, max_prefix, allow_large, top_ports, timeout, fail_on)
    try:
        results = run_discovery(req)
    except ScopeError as e:
        print_error(t(e.key, lang, **e.args_))
        return ExitStatus.INPUT_ERROR
    written = write_reports(results, formats or ("html", "json", "text"), Path(out_dir), lang)
    _print_summary(results, lang)
    for name, path in written.items():
        echo(t("scan.written", lang, format=name, path=str(path)))
    if failing(results.findings, Severity(fail_on)):
        return ExitStatus.FINDINGS
    if errored(results.findings):
        return ExitStatus.SCAN_ERRORS
    return ExitStatus.OK
