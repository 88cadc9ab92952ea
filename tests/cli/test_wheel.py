"""Install as users do: build the sdist and, from it, the wheel; install the wheel into a fresh virtualenv;
the installed `secaudit` (run outside the source tree) finds its policies, templates, schemas and examples
and scans a real server. (`secaudit demo` from the same install: tests/cli/test_wheel_demo.py.)

The build and the virtualenv are made once per session (tests/support/wheel.py): the fresh virtualenv gets
secaudit from the wheel only (`--no-deps --no-index`); its dependencies (sslyze, cryptography...) are the test
environment's, reached through a .pth line, so the test needs no download."""

from __future__ import annotations

import email
import json
import re
import textwrap
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site
from tests.support.wheel import installed_env as _env, installed_wheel, run as _run, run_installed as _secaudit

pytestmark = pytest.mark.integration

HOST = "127.9.2.11"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, str]:
    """The wheel built from the sdist, and everything the build printed."""
    made = installed_wheel(tmp_path_factory)
    return made.wheel, made.build_log


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh virtualenv holding secaudit installed from the wheel built from the sdist."""
    return installed_wheel(tmp_path_factory).bin


def test_given_the_build_then_setuptools_warns_about_nothing(built):
    """Data folders are packages (find_namespace:), and the licence is an SPDX expression, not a classifier."""
    warnings = [line for line in built[1].splitlines() if line.startswith("WARNING")]
    assert warnings == [], "\n".join(warnings)
    assert "is absent from the `packages` configuration" not in built[1]


def _requirements(dist: metadata.Distribution) -> list[str]:
    """The names a distribution needs when no extra is asked for."""
    names = []
    for text in dist.requires or ():
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.append(canonicalize_name(req.name))
    return names


def test_given_the_wheel_then_nothing_it_brings_is_a_test_tool(built):
    """`pip install secaudit` must not install pytest & co.: walk the wheel's requirements, and theirs (as
    installed in the test environment), without extras."""
    with zipfile.ZipFile(built[0]) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        wheel_meta = email.message_from_bytes(z.read(meta))
    todo = [canonicalize_name(Requirement(r).name) for r in wheel_meta.get_all("Requires-Dist") or ()
            if Requirement(r).marker is None]
    assert "sslyze" in todo and "sectxt" not in todo
    seen: set[str] = set()
    while todo and len(seen) < 500:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += _requirements(metadata.distribution(name))
        except metadata.PackageNotFoundError:
            continue
    assert len(seen) > 10
    assert not seen & {"pytest", "requests-mock", "hypothesis", "pytest-xdist", "trustme", "playwright"}, seen


def test_given_the_wheel_then_the_installed_package_is_the_wheels_and_carries_its_data(installed, tmp_path):
    where = _run([str(installed / "python"), "-c", "import secaudit, secaudit.resources as r; "
                  "print(secaudit.__file__); print(r.home())"], tmp_path, env=_env(installed))
    module, home = where.stdout.split()
    venv = str(installed.parent)
    assert module.startswith(venv) and home == f"{venv}/share/secaudit", where.stdout + where.stderr
    for sub in ("policies/levels/level-3.yaml", "policies/regimes/decree-331-2026.yaml", "templates/report.html.j2",
                "examples/inventory.yaml", "policies/mappings/lynis.yaml", "policies/remediation.yaml"):
        assert (Path(home) / sub).is_file(), sub
    schemas = _run([str(installed / "python"), "-c", "from importlib import resources; "
                    "print(sorted(p.name for p in resources.files('secaudit').joinpath('schemas').iterdir()))"],
                   tmp_path, env=_env(installed))
    assert "results-v1.schema.json" in schemas.stdout


def test_given_the_installed_command_outside_the_source_tree_then_validate_classify_and_policy_work(installed, tmp_path):
    examples = installed.parent / "share" / "secaudit" / "examples"
    assert _secaudit(installed, "validate", str(examples / "inventory.yaml"), cwd=tmp_path).returncode == 0
    out = _secaudit(installed, "classify", str(examples / "inventory.yaml"), "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["systems"]) >= 13
    listed = _secaudit(installed, "policy", "list", cwd=tmp_path)
    assert listed.returncode == 0 and "mozilla-intermediate" in listed.stdout


def test_given_the_installed_command_when_scanning_a_real_server_then_every_format_is_written(installed, tmp_path):
    pki = TestPKI()
    ca = pki.write_ca_file(tmp_path / "ca.pem")
    site_ = Site("good", *pki.write_leaf(pki.leaf(names=(HOST,)), tmp_path, "good"), host=HOST, port=8443,
                 hsts="max-age=31536000", hardened=True)
    (tmp_path / "nginx").mkdir()
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(textwrap.dedent(f"""\
        kind: inventory
        organisation: {{name: "Wheel test agency"}}
        systems:
          - {{id: portal, name: Portal, purpose: internal, information: [private], declared_level: 3,
             endpoints: ["https://{HOST}:8443"]}}
        """), encoding="utf-8")
    formats = [a for f in ("html", "md", "text", "json", "sarif", "junit", "csv") for a in ("--format", f)]
    with NginxFarm([site_], tmp_path / "nginx"):
        r = _secaudit(installed, "scan", str(inventory), "--ca-file", str(ca), "--out", "out", "--timeout", "20",
                      "--ports-timeout", "60", *formats, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("report.html", "report.md", "report.txt", "report.json", "report.sarif", "report.xml", "report.csv"):
        assert (tmp_path / "out" / name).stat().st_size > 0, name
    assert json.loads((tmp_path / "out" / "report.json").read_text())["schema"] == "secaudit/results/v2"


def _help_texts(bin_dir: Path, cwd: Path) -> dict[tuple[str, ...], str]:
    """Every command path of the CLI and its `--help` text, from the listings (group, then its subcommands)."""
    found: dict[tuple[str, ...], str] = {}
    todo: list[tuple[str, ...]] = [()]
    while todo and len(found) < 200:
        path = todo.pop()
        out = _secaudit(bin_dir, *path, "--help", cwd=cwd).stdout
        found[path] = out
        if "Commands:" in out:
            for line in out.split("Commands:", 1)[1].splitlines():
                name = line.split()[0] if line.startswith("  ") and line.split() else None
                if name:
                    todo.append((*path, name))
    return found


def test_given_the_installed_command_then_every_help_example_naming_examples_works_after_secaudit_examples(
        installed, tmp_path):
    copied = _secaudit(installed, "examples", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    named: set[str] = set()
    for text in _help_texts(installed, tmp_path).values():
        named |= set(re.findall(r"\bexamples/[\w./-]*\w", text))
    assert "examples/inventory.yaml" in named
    for name in sorted(named):
        assert (tmp_path / name).is_file(), f"{name} is named by a --help example but not shipped"
    assert _secaudit(installed, "validate", "examples/inventory.yaml", cwd=tmp_path).returncode == 0
    where = _secaudit(installed, "examples", "--where", cwd=tmp_path).stdout.strip()
    assert where == str(installed.parent / "share" / "secaudit" / "examples")


def test_given_no_lab_extra_then_secaudit_demo_says_how_to_install_it_before_starting_anything(installed, tmp_path):
    """The `lab` extra (aiosmtpd) made unimportable: exit 2 and the pip command, no step run, no traceback."""
    code = ("import sys; sys.modules['aiosmtpd'] = None\n"
            "from secaudit.cli import main; main(['demo', '--dir', sys.argv[1]])")
    r = _run([str(installed / "python"), "-c", code, str(tmp_path / "demo")], tmp_path, env=_env(installed))
    assert r.returncode == 2, r.stdout + r.stderr
    assert "pip install 'secaudit[lab]'" in r.stderr and "internal error" not in r.stderr
    assert r.stdout == "" and not (tmp_path / "demo").exists()
