"""Process entry of ``python -m secaudit`` and of the ``secaudit`` console script.

Ctrl-C must end the process with 130 whenever it comes. Before anything else is imported, SIGINT
is set to end the process at once with 130: during start-up (Python still importing click, sslyze,
jinja2...) there is nothing to save, and a KeyboardInterrupt raised there would print a traceback
and end the process by signal. A scan replaces this handler while it runs (it must save its journal
and reports first, see secaudit.execute.interrupts) and puts it back afterwards, so a Ctrl-C after
the reports are written also ends with 130.

Once the command has returned and Python shuts down, SIGINT and SIGTERM are ignored: the exit
status is decided and everything is saved, and Python's shutdown resets a Python-level handler to
the default action, so a Ctrl-C landing in those last milliseconds would end the process by signal
(exit -2) instead of with the status it had decided (seen in CI: a second Ctrl-C 0.2 s after the
first). SIG_IGN is the one disposition Python's shutdown leaves in place, and it holds for every
thread, where a blocked mask would hold only for the main one.
"""

import atexit
import os
import signal
import sys


def _exit_interrupted(signum, frame):  # type: ignore[no-untyped-def]
    os._exit(130)


def _ignore_signals_from_now_on() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)


def main() -> None:
    signal.signal(signal.SIGINT, _exit_interrupted)
    # Registered first, so it runs last of the exit functions: after every thread has been joined
    # and every other exit function has run, while a Ctrl-C still ends the process with 130.
    atexit.register(_ignore_signals_from_now_on)
    try:
        # start-up: the CLI (click, every command module) loads only once a Ctrl-C there ends with 130
        from secaudit.cli import main as cli_main

        cli_main()
    finally:
        # Flush while the handler above is still ours: at interpreter exit a Ctrl-C caught in a
        # blocked flush would end the process by signal.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


if __name__ == "__main__":
    main()
