"""`secaudit tls HOST:PORT`: one TLS endpoint against a profile — a preset of `scan --target`."""

from __future__ import annotations

import click

from secaudit.cli.common import lang_option
from secaudit.cli.preset import preset_options, run_preset
from secaudit.i18n import current_lang
from secaudit.model import Service, Starttls


@click.command("tls")
@click.argument("target", metavar="HOST:PORT")
@click.option("--starttls", type=click.Choice([s.value for s in Starttls]), default=None,
              help="Negotiate TLS inside this protocol first (STARTTLS).")
@click.option("--sni", default=None, help="Server name to send (SNI) and to check the certificate against.")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=str), default=None,
              help="Extra trust store: PEM file with your organisation's CA certificates.")
@click.option("--profile", "profiles", multiple=True, metavar="ID|FILE",
              help="Profile id (policies/profiles/) or a policy YAML file (repeatable; default mozilla-intermediate).")
@click.option("--service", type=click.Choice([s.value for s in Service if s not in (Service.SSH, Service.HTTP)]),
              default=None, help="What the endpoint serves (default: https, or the STARTTLS protocol).")
@click.option("--timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Deadline in seconds for the scan of the endpoint.")
@preset_options
@lang_option
def command(target: str, starttls: str | None, sni: str | None, ca_file: str | None, profiles: tuple[str, ...],
            service: str | None, timeout: float, fmt: str, fail_on: str, errors_ok: bool) -> int:
    """Scan one TLS endpoint and judge it against a profile (Mozilla intermediate by default).

    The same as `secaudit scan --target HOST:PORT --profile P`, printed here. Exit status: 0 no
    finding at or above --fail-on, 1 a finding at or above --fail-on, 2 bad input, 3 the scan failed
    so some controls have no verdict.

    \b
    Examples:
      secaudit tls 127.0.0.14:2525 --starttls smtp --sni mail.songlam.example
      secaudit tls 127.0.0.12:8443 --profile mozilla-modern --format json
      secaudit tls 127.0.0.16:8443 --sni portal.songlam.example --ca-file org-ca.pem
    """
    from secaudit.run import ScanRequest

    svc = service or starttls or Service.HTTPS.value
    req = ScanRequest(targets=(target,), service=svc, starttls=starttls, sni=sni, tls=True,
                      profiles=profiles or ("mozilla-intermediate",), ca_file=ca_file, timeout=timeout,
                      fail_on=fail_on, lang=current_lang())
    return run_preset(req, fmt, errors_ok)
