"""A child process's stdout and stderr, read as they come, so a test can wait for a line on stderr (the interrupt
notice) while nothing the child writes ever fills a pipe and blocks it.

Two daemon threads read the pipes line by line until their end; :meth:`Streams.wait_for` waits (bounded) until
a text has appeared on stderr, :meth:`Streams.finish` waits for the process and both pipes' ends.
"""

from __future__ import annotations

import subprocess
import threading
import time
from typing import IO


class Streams:
    def __init__(self, proc: subprocess.Popen) -> None:
        if proc.stdout is None or proc.stderr is None:
            raise ValueError("the process needs stdout=PIPE and stderr=PIPE (text mode)")
        self.proc = proc
        self._text = {"stdout": [], "stderr": []}
        self._ended = {"stdout": False, "stderr": False}
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._pump, args=(name, stream), daemon=True,
                                          name=f"streams-{name}-{proc.pid}")
                         for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr))]
        for t in self._threads:
            t.start()

    def _pump(self, name: str, stream: IO[str]) -> None:
        try:
            for line in iter(stream.readline, ""):       # ends at the pipe's end (the process exited or closed it)
                with self._changed:
                    self._text[name].append(line)
                    self._changed.notify_all()
        finally:
            with self._changed:
                self._ended[name] = True
                self._changed.notify_all()

    def text(self, name: str = "stderr") -> str:
        with self._changed:
            return "".join(self._text[name])

    def wait_for(self, needle: str, timeout: float) -> None:
        """Return once ``needle`` has appeared on stderr; AssertionError (with stderr's end) if the process ends
        its stderr first or ``timeout`` seconds pass."""
        end = time.monotonic() + timeout
        with self._changed:
            while needle not in "".join(self._text["stderr"]):
                left = end - time.monotonic()
                if self._ended["stderr"] or left <= 0:
                    raise AssertionError(f"{needle!r} never appeared on stderr (exit {self.proc.poll()}): "
                                         f"{''.join(self._text['stderr'])[-2000:]}")
                self._changed.wait(min(left, 1.0))

    def finish(self, timeout: float) -> tuple[str, str]:
        """(stdout, stderr) once the process has exited and both pipes ended; TimeoutExpired past ``timeout``."""
        end = time.monotonic() + timeout
        self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))
            if t.is_alive():
                raise subprocess.TimeoutExpired(self.proc.args, timeout)
        return self.text("stdout"), self.text("stderr")
