"""Process entry of ``python -m secaudit`` and of the ``secaudit`` console script.

Ctrl-C must end the process with 130 whenever it comes. Before anything else is imported, SIGINT
is set to end the process at once with 130: during start-up (Python still importing click, sslyze,
jinja2...) there is nothing to save, and a KeyboardInterrupt raised there would print a traceback
and end the process by signal. A scan replaces this handler while it runs (it must save its journal
and reports first, see secaudit.execute.interrupts) and puts it back afterwards, so a Ctrl-C after
the reports are written also ends with 130.
"""

import os
import signal
import sys


def _exit_interrupted(signum, frame):  # type: ignore[no-untyped-def]
    os._exit(130)


def main() -> None:
    signal.signal(signal.SIGINT, _exit_interrupted)
    try:
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
