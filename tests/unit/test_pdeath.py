"""The parent-death signal of probing tools (secaudit.probes.pdeath), on real processes (no network).

The kernel sends it when the *thread* that forked ends, so a child started from a thread that ends
early dies early; the project's runners wait for their child in the thread that started it, which
therefore outlives it. nmap itself, killed with its scan, is tested in
tests/integration/test_pdeath.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from secaudit.execute.children import children
from secaudit.probes import pdeath
from secaudit.probes.ports import subprocess_runner
from tests.support.procs import ended

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_supported_on_linux():
    assert pdeath.supported()
    assert callable(pdeath.die_with_parent())


def test_a_child_dies_when_the_thread_that_started_it_ends():
    # the kernel's subtlety the runners must respect: the parent is the forking thread
    started: list[subprocess.Popen] = []
    t = threading.Thread(target=lambda: started.append(
        subprocess.Popen(["sleep", "60"], preexec_fn=pdeath.die_with_parent())))
    t.start()
    t.join(timeout=10)
    (child,) = started
    try:
        assert wait_for(lambda: child.poll() is not None), "the child outlived the thread that started it"
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def test_the_runner_keeps_its_thread_until_the_child_is_done():
    # as the ports probe runs nmap: from a pool thread, which waits for the child in subprocess.run
    script = "sleep 0.3; echo finished"
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="secaudit-nmap") as pool:
        results = [f.result(timeout=30) for f in [pool.submit(subprocess_runner, ["sh", "-c", script], 30)
                                                  for _ in range(2)]]
    assert [(r.returncode, r.stdout.strip()) for r in results] == [(0, "finished"), (0, "finished")]


def _python(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, stdout=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_a_child_dies_when_its_parent_process_is_sigkilled():
    parent = _python("""
        import subprocess, sys, time
        from secaudit.probes.ports import subprocess_runner
        import threading
        threading.Thread(target=subprocess_runner, args=(["sleep", "60"], 120)).start()
        print("ready", flush=True)
        time.sleep(120)
    """)
    child = None
    try:
        assert parent.stdout.readline().strip() == "ready"
        assert wait_for(lambda: children(parent.pid))
        (child,) = children(parent.pid)
        parent.kill()
        parent.wait(timeout=10)
        assert wait_for(lambda: ended(child)), "sleep outlived its SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        if child is not None and not ended(child):
            os.kill(child, signal.SIGKILL)


def test_a_child_whose_parent_went_before_the_setting_ends_itself():
    # the pid noted before the fork is not the child's parent any more: the setting came too late
    proc = _python("""
        import os
        from secaudit.probes.pdeath import die_with_parent
        preexec = die_with_parent()          # notes this process as the parent
        middle = os.fork()
        if middle == 0:                      # a process in between stands for "the parent changed"
            child = os.fork()
            if child == 0:
                preexec()
                os._exit(0)
            _, status = os.waitpid(child, 0)
            os._exit(100 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
        _, status = os.waitpid(middle, 0)
        print(os.WEXITSTATUS(status), flush=True)
    """)
    out, _ = proc.communicate(timeout=30)
    assert out.strip() == str(100 + signal.SIGKILL)


def test_elsewhere_nothing_is_set_and_tools_run_as_before(monkeypatch):
    monkeypatch.setattr(pdeath, "_PRCTL", None)
    assert not pdeath.supported()
    assert pdeath.die_with_parent() is None
    assert subprocess_runner(["sh", "-c", "echo ran"], 30).stdout.strip() == "ran"

