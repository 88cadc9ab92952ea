"""secaudit as users install it, made once per test session: the sdist built from a copy of the checkout, the
wheel built from the sdist, the wheel installed into a fresh virtualenv.

Two modules use it (tests/cli/test_wheel.py and tests/cli/test_wheel_demo.py, apart so that pytest-xdist's
``--dist loadfile`` runs the slow demo beside the other checks of the install). Under xdist each worker is a process
of its own: the first to ask builds and installs, under a file lock in the session's shared temporary folder, and
the others wait for it and reuse what it made.

The fresh virtualenv gets secaudit from the wheel only (``--no-deps --no-index``); its dependencies (sslyze,
cryptography...) are the test environment's, reached through a .pth line, so nothing is downloaded."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import site
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "demo-out", "build", "dist", "*.egg-info", "__pycache__",
                              ".pytest_cache", ".secaudit-runs", ".hypothesis")
LOCK_WAIT_S = 900.0            # another worker's build and install: each of their steps is bounded (below)


@dataclass(frozen=True)
class Installed:
    wheel: Path                # the wheel built from the sdist
    build_log: str             # everything `python -m build` printed
    bin: Path                  # the fresh virtualenv's bin/ folder, holding the installed `secaudit`


def run(cmd: list[str], cwd: Path, timeout: float = 300, env: dict[str, str] | None = None):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def installed_env(bin_dir: Path) -> dict[str, str]:
    """The environment of a user of the installed command: its bin/ first on PATH, no checkout on the path, no
    SECAUDIT_* setting but the test session's data directory, English, not a terminal (CI)."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("SECAUDIT_") or k == "SECAUDIT_DATA_DIR") and k != "PYTHONPATH"}
    env.update({"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "SECAUDIT_LANG": "en", "CI": "1"})
    return env


def run_installed(bin_dir: Path, *args: str, cwd: Path, timeout: float = 300):
    """The installed `secaudit` with ``args``."""
    return run([str(bin_dir / "secaudit"), *args], cwd, timeout, installed_env(bin_dir))


def without_checkout() -> dict[str, str]:
    """This environment without PYTHONPATH: a test run puts the checkout first on the path, and a
    secaudit.egg-info left in it makes pip say the wheel "is already installed" and install nothing."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _build_and_install(work: Path) -> Installed:
    src = work / "src"
    shutil.copytree(ROOT, src, ignore=SKIP)
    built = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(work / "dist"), str(src)], work, 600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheels, sdists = list((work / "dist").glob("*.whl")), list((work / "dist").glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    env = without_checkout()
    venv = work / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], work, env=env)
    assert made.returncode == 0, made.stderr
    py = venv / "bin" / "python"
    purelib = run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], work, env=env).stdout.strip()
    (Path(purelib) / "secaudit-test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    inst = run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheels[0])], work, env=env)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    where = run([str(py), "-c", "import secaudit; print(secaudit.__file__)"], work, env=env)
    assert (venv / "bin" / "secaudit").is_file() and where.stdout.startswith(str(venv)), (
        "pip did not install the wheel into the fresh virtualenv (a build/ or secaudit.egg-info on the path makes "
        "pip call it already installed); secaudit imports from " + where.stdout + where.stderr
        + "\npip said:\n" + inst.stdout + inst.stderr)
    return Installed(wheels[0], built.stdout + built.stderr, venv / "bin")


def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The session's wheel and virtualenv: made by the first caller, reused by the others (xdist workers too)."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "secaudit-wheel"
    shared.mkdir(exist_ok=True)
    done = shared / "installed.json"
    with open(shared / "lock", "w") as lock:
        end = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                assert time.monotonic() < end, f"another test worker held {shared / 'lock'} for {LOCK_WAIT_S} s"
                time.sleep(0.2)
        try:
            if done.is_file():
                made = json.loads(done.read_text(encoding="utf-8"))
                return Installed(Path(made["wheel"]), made["build_log"], Path(made["bin"]))
            # a failed attempt of another worker leaves no record: build afresh beside it
            made = _build_and_install(Path(tempfile.mkdtemp(prefix="build-", dir=shared)))
            done.write_text(json.dumps({"wheel": str(made.wheel), "build_log": made.build_log, "bin": str(made.bin)}),
                            encoding="utf-8")
            return made
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
