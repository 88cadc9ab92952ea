"""`secaudit worker` (run probes for one zone) and `secaudit workers` (who is alive), plus the broker
options `secaudit scan --executor celery` shares with them."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, Callable

import click

from secaudit.cli.common import lang_option
from secaudit.cli.output import echo
from secaudit.errors import Diagnostic, InputError
from secaudit.i18n import t
from secaudit.status import ExitStatus

_VT_HELP = ("Seconds before a batch held by a lost worker is handed out again; must exceed the longest batch "
            "(default 900). Use the same value on workers and scans.")


@dataclass(frozen=True)
class BrokerOptions:
    url: str | None
    password_file: str | None
    ca_file: str | None
    visibility_timeout: float | None

    def config(self, fallback_url: str | None = None, fallback_ca: str | None = None,
               fallback_vt: float | None = None) -> Any:
        from secaudit.execute.broker import DEFAULT_VISIBILITY_TIMEOUT, BrokerConfigError, broker_config

        url = self.url or fallback_url
        if not url:
            raise BrokerConfigError("zones.broker_missing")
        return broker_config(url, password_file=self.password_file, ca_file=self.ca_file or fallback_ca,
                             visibility_timeout=self.visibility_timeout or fallback_vt or DEFAULT_VISIBILITY_TIMEOUT)


def broker_options(required: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--broker, --broker-password-file, --broker-ca, --visibility-timeout, handed over as ``broker_opts``."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any, broker: str | None, broker_password_file: str | None, broker_ca: str | None,
                    visibility_timeout: float | None, **kwargs: Any) -> Any:
            opts = BrokerOptions(broker, broker_password_file, broker_ca, visibility_timeout)
            return f(*args, broker_opts=opts, **kwargs)

        for opt in reversed([
            click.option("--broker", metavar="URL", required=required,
                         help="Redis broker: redis://[USER@]HOST:PORT/DB or rediss://… (TLS). The password comes "
                              "from the URL, --broker-password-file or $SECAUDIT_BROKER_PASSWORD."),
            click.option("--broker-password-file", type=click.Path(dir_okay=False, path_type=str),
                         help="File holding the broker password (keeps it off the command line)."),
            click.option("--broker-ca", type=click.Path(exists=True, dir_okay=False, path_type=str),
                         help="rediss://: CA certificate (PEM) that signed the broker's certificate."),
            click.option("--visibility-timeout", type=click.FloatRange(5, 86400), help=_VT_HELP),
        ]):
            wrapper = opt(wrapper)
        return wrapper

    return decorate


@click.command("worker")
@click.option("--zone", required=True, help="The network zone this worker serves (inventory `zone`; `default` "
                                            "for systems without one).")
@click.option("--scope", "scope", multiple=True, required=True, metavar="NETWORK",
              help="Network (CIDR), address, DNS name or .domain this worker may probe (repeatable; "
                   "names are never resolved). Probes for anything else are refused.")
@click.option("--name", help="Worker name (default secaudit-ZONE-PID@HOST).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Probe batches run at once (one process each).")
@click.option("--ca-file", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="The organisation's CA bundle (PEM), for runs whose bundle is too large to travel with each "
                   "batch (over 128 KiB): it must be the same file. Smaller bundles travel; the run's always wins.")
@click.option("--loglevel", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), default="WARNING",
              show_default=True)
@broker_options(required=True)
@lang_option
def worker_command(zone: str, scope: tuple[str, ...], name: str | None, concurrency: int, ca_file: str | None,
                   loglevel: str, broker_opts: BrokerOptions) -> int:
    """Run the probes of one network zone, taken from the broker; connects only outward to it.

    Stops on SIGTERM or Ctrl-C after the batches in hand (Celery's warm shutdown); a batch it
    could not finish goes back to the zone's queue.

    \b
    Examples:
      secaudit worker --zone dmz --scope .dmz.example --broker rediss://scanner@broker.example:6380/0 \\
          --broker-password-file /etc/secaudit/broker.pass --broker-ca /etc/secaudit/broker-ca.pem
      SECAUDIT_BROKER_PASSWORD=… secaudit worker --zone lan --scope 127.7.1.0/24 --broker redis://127.0.0.1:6379/0
    """
    from secaudit.execute.broker import zone_queue
    from secaudit.execute.worker import WorkerSettings, start_worker
    from secaudit.targets import TargetError, parse_scope

    cfg = broker_opts.config()
    zone_queue(zone)                           # a bad zone name is an error before connecting
    try:
        parsed = parse_scope(scope)
    except TargetError as e:
        raise InputError([Diagnostic("--scope", 0, 0, e.key, {"value": e.value})]) from None
    start_worker(cfg, WorkerSettings(zone, parsed, ca_file), name=name, concurrency=concurrency, loglevel=loglevel)
    return ExitStatus.OK


@click.command("workers")
@click.option("--timeout", type=click.FloatRange(0.2, 60), default=2.0, show_default=True,
              help="Seconds to wait for workers to answer.")
@click.option("--json", "as_json", is_flag=True, help="Print {zone: [worker, ...]} as JSON.")
@broker_options(required=True)
@lang_option
def workers_command(timeout: float, as_json: bool, broker_opts: BrokerOptions) -> int:
    """List the live workers of each zone (those answering a broadcast within --timeout).

    Exit status 0 when at least one worker answered, 3 when none did.

    \b
    Example:
      secaudit workers --broker redis://scanner@127.0.0.1:6379/0 --broker-password-file broker.pass
    """
    from secaudit.execute.broker import BrokerConfigError, live_workers, make_app
    from secaudit.report.escape import strip_controls

    cfg = broker_opts.config()
    try:
        zones = live_workers(make_app(cfg), timeout)
    except BrokerConfigError:
        raise
    except Exception as e:
        raise BrokerConfigError("zones.broker_unreachable", url=cfg.redacted(),
                                reason=f"{type(e).__name__}: {e}"[:300]) from None
    if as_json:
        echo(json.dumps(zones, indent=2, sort_keys=True))
    elif not zones:
        echo(t("zones.workers_none", url=cfg.redacted()))
    else:
        for zone, names in sorted(zones.items()):
            echo(t("zones.workers_line", zone=strip_controls(zone, one_line=True), count=len(names),
                   names=", ".join(strip_controls(n, one_line=True) for n in names)))
    return ExitStatus.OK if zones else ExitStatus.SCAN_ERRORS
