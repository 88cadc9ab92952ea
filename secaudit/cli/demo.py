"""``secaudit demo``: start demo targets on loopback, run the main job on the shipped examples, stop them."""

from __future__ import annotations

from pathlib import Path

import click

from secaudit.cli.common import lang_option
from secaudit.cli.output import print_error
from secaudit.i18n import t
from secaudit.status import ExitStatus


@click.command("demo")
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Working directory: the reports go to DIR/demo-out/.")
@lang_option
def command(workdir: Path) -> int:
    """Run the whole job on the shipped example inventory against demo targets on 127.0.0.11-23.

    Needs nmap, nginx, sshd and nsd (Debian: nmap nginx-light openssh-server nsd) and the `lab` extra
    (pip install 'secaudit[lab]'). The targets are stopped when the demo ends.

    \b
    Example:
      secaudit demo --dir /tmp/secaudit-demo
    """
    from secaudit.lab.demo import DemoFailed, main, missing_extra

    missing = missing_extra()
    if missing:                  # before any step runs: not halfway through, as an internal error
        print_error(t("demo.needs_lab", module=missing))
        return ExitStatus.INPUT_ERROR
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        main(workdir)
    except DemoFailed as e:
        print_error(str(e))
        return ExitStatus.FINDINGS
    return ExitStatus.OK
