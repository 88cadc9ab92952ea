"""Command line. Parses options, calls the stages, maps errors to exit statuses; no logic of its own.

Subcommands live one per module in this package and are registered explicitly below.
Heavy imports (sslyze, nmap, jinja2) happen inside the commands so ``secaudit --help``
stays instant.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Sequence

import click

from secaudit.cli import (assess, classify, completion, demo, discover, documents, dossier, examples, history,
                          imports, policy, ports, requirements, scan, tls, validate, worker)
from secaudit.cli.common import lang_option
from secaudit.cli.output import print_error, print_diagnostics
from secaudit.cli.settings import config_option, install_envvars, value_source, version_option
from secaudit.errors import InputError, NothingToCheckError, SecauditError, ToolMissingError
from secaudit.i18n import t
from secaudit.plugins import load_installed
from secaudit.status import ExitStatus


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@version_option
@config_option
@lang_option
def cli() -> None:
    """secaudit: classify information systems into the five Vietnamese security levels
    (Decree 85/2016, Decree 331/2026) and check that their endpoints meet that level.

    The examples name the shipped example files under examples/: a source checkout has them; from an
    installed package, `secaudit examples` copies them to ./examples/ first.

    \b
    Example:
      secaudit examples
      secaudit validate examples/inventory.yaml
    """


def _register() -> None:
    for module in (validate, policy, requirements, classify, dossier, assess, tls, ports, discover, demo, examples,
                   completion, imports):
        cli.add_command(module.command)
    cli.add_command(scan.scan_command)
    cli.add_command(scan.report_command)
    cli.add_command(documents.annual_report_command)
    cli.add_command(documents.status_command)
    cli.add_command(documents.cover_letter_command)
    cli.add_command(worker.worker_command)
    cli.add_command(worker.workers_command)
    for command in history.COMMANDS:
        cli.add_command(command)


_register()
install_envvars(cli)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the CLI and turn every outcome into an exit status."""
    # sslyze loads Mozilla's bundled trust store, whose old roots trip a cryptography deprecation warning:
    # noise for users, not a finding about their servers.
    warnings.filterwarnings("ignore", message="Parsed a serial number which wasn't positive")
    try:
        load_installed()                # installed plug-ins first: their families are choices of --only
        rv = cli.main(args=list(argv) if argv is not None else None, prog_name="secaudit",
                      standalone_mode=False)
    except click.exceptions.Abort:
        print_error(t("cli.interrupted"))
        sys.exit(ExitStatus.INTERRUPTED)
    except KeyboardInterrupt:
        print_error(t("cli.interrupted"))
        sys.exit(ExitStatus.INTERRUPTED)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except click.BadParameter as e:
        source = value_source(e)
        if source is None:                     # the command line: Click's message and the usage line
            e.show()
        else:                                  # the configuration file or an environment variable: say which
            option = e.param.get_error_hint(e.ctx) if e.param is not None else "?"
            print_error(t(f"config.bad_value_{source[0]}", where=source[1], option=option, reason=e.message))
        sys.exit(ExitStatus.INPUT_ERROR)
    except click.ClickException as e:
        e.show()
        sys.exit(ExitStatus.INPUT_ERROR)
    except InputError as e:
        print_diagnostics(e.diagnostics)
        sys.exit(ExitStatus.INPUT_ERROR)
    except ToolMissingError as e:
        print_error(t(e.key, **e.args_))
        sys.exit(ExitStatus.INPUT_ERROR)
    except NothingToCheckError as e:
        print_error(t(e.key, **e.args_))
        sys.exit(ExitStatus.SCAN_ERRORS)
    except SecauditError as e:          # a scope refusal and the like: its catalog message, in the user's language
        key = getattr(e, "key", None)
        print_error(t(key, **dict(getattr(e, "args_", None) or {})) if isinstance(key, str) else str(e))
        sys.exit(ExitStatus.INPUT_ERROR)
    except Exception as e:  # a bug: say so plainly; SECAUDIT_DEBUG=1 shows the traceback
        if os.environ.get("SECAUDIT_DEBUG"):
            raise
        print_error(t("cli.internal_error", error=f"{type(e).__name__}: {e}"))
        sys.exit(ExitStatus.INPUT_ERROR)
    sys.exit(int(rv) if isinstance(rv, int) else ExitStatus.OK)
