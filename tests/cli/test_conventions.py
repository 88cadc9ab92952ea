"""CLI conventions: shell completion that really completes in bash, and --version naming the tools in use."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_") or k == "SECAUDIT_DATA_DIR"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _complete_in_bash(words: list[str]) -> list[str]:
    """Source `secaudit completion bash` in a real bash and run its completion function on ``words``."""
    quoted = " ".join(f"'{w}'" for w in words)
    script = (f'source <(secaudit completion bash); COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; '
              '_secaudit_completion secaudit; printf "%s\\n" "${COMPREPLY[@]}"')
    out = subprocess.run(["bash", "-c", script], env=_env(), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.splitlines() if w]


def test_given_the_bash_script_when_completing_a_command_then_bash_offers_it():
    assert _complete_in_bash(["secaudit", "sc"]) == ["scan"]


def test_given_the_bash_script_when_completing_an_option_value_then_bash_offers_its_choices():
    assert _complete_in_bash(["secaudit", "scan", "--fail-on", ""]) == ["critical", "high", "medium", "low", "info"]


@pytest.mark.parametrize("shell,marker", [("zsh", "#compdef secaudit"), ("fish", "complete --no-files --command secaudit")])
def test_given_other_shells_then_their_script_is_printed(shell, marker):
    out = subprocess.run([sys.executable, "-m", "secaudit", "completion", shell], env=_env(), capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0 and marker in out.stdout


def test_given_version_then_secaudit_sslyze_and_nmap_versions_are_named():
    out = subprocess.run([sys.executable, "-m", "secaudit", "--version"], env=_env(), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    from importlib import metadata

    import secaudit

    nmap = subprocess.run([shutil.which("nmap") or "nmap", "--version"], capture_output=True, text=True, timeout=30)
    nmap_version = re.search(r"Nmap version (\d+\.\d+)", nmap.stdout).group(1)
    assert out.stdout.strip() == (f"secaudit {secaudit.__version__} (sslyze {metadata.version('sslyze')}, "
                                  f"cryptography {metadata.version('cryptography')}, nmap {nmap_version})")


def test_the_readme_tour_names_every_extra_where_it_is_needed():
    """Each optional part (setup.cfg extras, but `test`) is named with its pip command in the README's tour."""
    import configparser

    root = Path(__file__).resolve().parents[2]
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg", encoding="utf-8")
    extras = set(cfg["options.extras_require"]) - {"test"}
    assert extras >= {"documents", "lab", "distributed", "postgres"}
    readme = (root / "README.md").read_text(encoding="utf-8")
    tour = readme.split("## Five-minute tour", 1)[1].split("```", 2)[1]
    for extra in extras:
        assert f"pip install 'secaudit[{extra}]'" in tour, extra
