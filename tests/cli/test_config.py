"""Option defaults from secaudit.yaml / --config and SECAUDIT_* variables, through the real CLI.

Precedence, highest first: command line, SECAUDIT_<COMMAND>_<OPTION>, SECAUDIT_<OPTION>, the file's
command section, the file's top level, the built-in default."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = str(ROOT / "examples" / "inventory.yaml")


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_") or k == "SECAUDIT_DATA_DIR"}
    clean.update(env or {})
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=cwd, env=clean, capture_output=True,
                          text=True, timeout=60)


def kind_of(output: str) -> str:
    """Which classify format an output is in."""
    if output.lstrip().startswith("{"):
        json.loads(output)
        return "json"
    if output.startswith("system,") or output.startswith("\ufeffsystem,") or output.splitlines()[0].count(",") > 3:
        return "csv"
    if output.lstrip().startswith("#"):
        return "md"
    return "text"


@pytest.fixture()
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "secaudit.yaml").write_text("format: md\n", encoding="utf-8")
    return tmp_path


def test_given_a_file_in_the_working_directory_when_no_option_then_its_value_is_the_default(workdir):
    out = run(["classify", INVENTORY], workdir)
    assert out.returncode == 0, out.stderr
    assert kind_of(out.stdout) == "md"


def test_given_file_env_and_command_line_then_each_wins_over_the_one_below(workdir):
    env_only = run(["classify", INVENTORY], workdir, {"SECAUDIT_FORMAT": "json"})
    assert kind_of(env_only.stdout) == "json"                       # environment beats the file
    specific = run(["classify", INVENTORY], workdir, {"SECAUDIT_FORMAT": "json", "SECAUDIT_CLASSIFY_FORMAT": "csv"})
    assert kind_of(specific.stdout) == "csv"                        # the command's own variable beats the general one
    cli = run(["classify", INVENTORY, "--format", "text"], workdir,
              {"SECAUDIT_FORMAT": "json", "SECAUDIT_CLASSIFY_FORMAT": "csv"})
    assert cli.returncode == 0, cli.stderr
    assert kind_of(cli.stdout) == "text"                            # the command line beats everything


def test_given_a_command_section_then_it_wins_over_the_top_level_and_paths_are_read_from_the_files_folder(tmp_path):
    conf_dir = tmp_path / "etc"
    conf_dir.mkdir()
    (conf_dir / "audit.yaml").write_text("format: md\nclassify:\n  format: json\n  output: levels.json\n",
                                         encoding="utf-8")
    out = run(["--config", str(conf_dir / "audit.yaml"), "classify", INVENTORY], tmp_path)
    assert out.returncode == 0, out.stderr
    written = conf_dir / "levels.json"                              # next to the file, not in the working directory
    assert written.is_file() and not (tmp_path / "levels.json").exists()
    assert json.loads(written.read_text(encoding="utf-8"))


def test_given_the_group_option_lang_in_the_file_then_messages_are_in_that_language(tmp_path):
    (tmp_path / "secaudit.yaml").write_text("lang: vi\n", encoding="utf-8")
    out = run(["validate", str(ROOT / "examples" / "invalid-inventory.yaml")], tmp_path)
    assert out.returncode == 2
    assert "không hợp lệ" in out.stderr


def test_given_unknown_keys_then_exit_2_with_file_line_column_and_a_suggestion(tmp_path):
    path = tmp_path / "secaudit.yaml"
    path.write_text("fail-on: high\nscan:\n  timeout: 9\n  fial-on: low\nfrobnicate: 1\nclassify: 3\n",
                    encoding="utf-8")
    out = run(["validate", INVENTORY], tmp_path)
    assert out.returncode == 2
    assert "secaudit.yaml:4:3: unknown option 'fial-on' in the configuration file; did you mean 'fail-on'?" \
        in out.stderr
    assert "secaudit.yaml:5:1: unknown option 'frobnicate'" in out.stderr
    assert "secaudit.yaml:6:1: 'classify' is a command" in out.stderr
    assert "Traceback" not in out.stderr


def test_given_a_broken_file_then_exit_2_at_its_position(tmp_path):
    (tmp_path / "secaudit.yaml").write_text("fail-on: [high\n", encoding="utf-8")
    out = run(["validate", INVENTORY], tmp_path)
    assert out.returncode == 2
    assert "secaudit.yaml:2:1:" in out.stderr and "Traceback" not in out.stderr


def test_given_a_bad_value_in_the_file_then_its_line_is_named_not_the_command_line(tmp_path):
    (tmp_path / "secaudit.yaml").write_text("lang: en\nclassify:\n  format: pdfx\n", encoding="utf-8")
    out = run(["classify", INVENTORY], tmp_path)
    assert out.returncode == 2
    assert "secaudit.yaml:3:3: invalid value for '--format' in the configuration file: 'pdfx'" in out.stderr
    assert "Usage:" not in out.stderr and "Traceback" not in out.stderr
    (tmp_path / "secaudit.yaml").write_text("lang: xx\n", encoding="utf-8")
    out = run(["validate", INVENTORY], tmp_path)
    assert out.returncode == 2 and "secaudit.yaml:1:1: invalid value for '--lang'" in out.stderr


@pytest.mark.parametrize("variable,args,option", [
    ("SECAUDIT_LANG", ["validate", INVENTORY], "--lang"),
    ("SECAUDIT_CLASSIFY_FORMAT", ["classify", INVENTORY], "--format"),
    ("SECAUDIT_SCAN_TIMEOUT", ["scan", INVENTORY], "--timeout"),
])
def test_given_a_bad_value_in_an_environment_variable_then_the_variable_is_named(tmp_path, variable, args, option):
    out = run(args, tmp_path, {variable: "xx"})
    assert out.returncode == 2
    assert f"environment variable {variable}: invalid value for '{option}'" in out.stderr, out.stderr
    out = run(["--lang", "vi", *args], tmp_path, {variable: "xx"}) if variable != "SECAUDIT_LANG" else out
    assert variable in out.stderr and "Usage:" not in out.stderr


def test_given_a_bad_value_on_the_command_line_then_click_reports_it_with_the_usage(tmp_path):
    out = run(["classify", INVENTORY, "--format", "pdfx"], tmp_path)
    assert out.returncode == 2 and "Invalid value for '--format'" in out.stderr and "Usage:" in out.stderr


def test_given_lang_in_file_and_environment_when_the_group_gets_lang_on_the_command_line_then_it_wins(tmp_path):
    (tmp_path / "secaudit.yaml").write_text("lang: vi\n", encoding="utf-8")
    out = run(["--lang", "en", "validate", str(ROOT / "examples" / "invalid-inventory.yaml")], tmp_path,
              {"SECAUDIT_LANG": "vi", "SECAUDIT_VALIDATE_LANG": "vi"})
    assert out.returncode == 2
    assert "did you mean 'public_service'" in out.stderr and "không hợp lệ" not in out.stderr
