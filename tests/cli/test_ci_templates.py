"""The GitHub Action (action.yml) and the GitLab CI template (ci/gitlab/secaudit.yml): valid against their
published schemas (the ones check-jsonschema ships), shown verbatim in the README, and their scan scripts
really gate a job: run here by bash/sh, with the real secaudit, against real nginx servers on loopback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from secaudit.lab.pki import TestPKI
from secaudit.lab.servers import NginxFarm, Site

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GOOD, WEAK = "127.9.0.11", "127.9.0.12"


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema,files", [
    ("vendor.github-actions", ["action.yml"]),
    ("vendor.github-workflows", ["examples/ci/github-workflow.yml"]),
    ("vendor.gitlab-ci", ["ci/gitlab/secaudit.yml", "examples/ci/gitlab-ci.yml"]),
])
def test_given_the_ci_files_then_they_validate_against_their_published_schemas(schema, files):
    out = check_jsonschema(schema, *(ROOT / f for f in files))
    assert out.returncode == 0, out.stdout + out.stderr


def test_given_a_broken_action_then_the_schema_check_does_fail(tmp_path):
    broken = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    broken["runs"]["using"] = "docker-compose"            # not a kind of action
    (tmp_path / "action.yml").write_text(yaml.safe_dump(broken), encoding="utf-8")
    assert check_jsonschema("vendor.github-actions", tmp_path / "action.yml").returncode != 0


def _readme_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [m.group(1) for m in re.finditer(r"```ya?ml\n(.*?)```", text, flags=re.S)]


@pytest.mark.parametrize("path", ["examples/ci/github-workflow.yml", "examples/ci/gitlab-ci.yml"])
def test_given_the_readme_then_its_ci_snippets_are_the_files_own_content(path):
    assert (ROOT / path).read_text(encoding="utf-8") in _readme_blocks()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    w = tmp_path_factory.mktemp("ci")
    pki = TestPKI()
    ca = pki.write_ca_file(w / "ca.pem")
    good = pki.write_leaf(pki.leaf(names=(GOOD,)), w, "good")
    weak = pki.write_leaf(pki.leaf(names=(WEAK,)), w, "weak")
    sites = [Site("good", *good, host=GOOD, port=8443, hsts="max-age=31536000", hardened=True),
             Site("weak", *weak, host=WEAK, port=8443, protocols="TLSv1 TLSv1.1 TLSv1.2",
                  ciphers="ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:@SECLEVEL=0")]
    (w / "nginx").mkdir()
    with NginxFarm(sites, w / "nginx"):
        yield {"dir": w, "ca": str(ca)}


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SECAUDIT_") or k == "SECAUDIT_DATA_DIR"}
    env.update({"PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "CI": "true", "SECAUDIT_LANG": "en"})
    env.update(extra)
    return env


def _action_scan_script() -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "scan")
    assert "${{" not in step["run"]                       # inputs reach the script through env only
    return step["run"]


def _run_action(servers, target: str, tmp: Path) -> tuple[str, Path]:
    out, github_output = tmp / "reports", tmp / "github_output"
    env = _env({"SCAN_INVENTORY": "", "SCAN_TARGET": f"{target}:8443", "SCAN_LEVEL": "3", "SCAN_PROFILE": "",
                "SCAN_WAIVERS": "", "SCAN_CA_FILE": servers["ca"], "SCAN_FAIL_ON": "high", "SCAN_OUT": str(out),
                "GITHUB_OUTPUT": str(github_output), "GITHUB_STEP_SUMMARY": str(tmp / "summary.md")})
    r = subprocess.run(["bash", "-e", "-c", _action_scan_script()], cwd=tmp, env=env, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr          # the step itself records the status; a later step fails
    return github_output.read_text(encoding="utf-8"), out


def test_given_the_action_when_the_target_is_compliant_then_it_records_exit_0_and_writes_the_reports(servers, tmp_path):
    output, out = _run_action(servers, GOOD, tmp_path)
    assert "exit-code=0" in output.splitlines()
    assert (out / "report.sarif").is_file() and (out / "report.xml").is_file()
    assert "**Overall status: Network controls pass**" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_given_the_action_when_the_target_fails_high_controls_then_it_records_exit_1(servers, tmp_path):
    output, out = _run_action(servers, WEAK, tmp_path)
    assert "exit-code=1" in output.splitlines()
    assert '"ruleId"' in (out / "report.sarif").read_text(encoding="utf-8")


def _gitlab_script() -> str:
    template = yaml.safe_load((ROOT / "ci/gitlab/secaudit.yml").read_text(encoding="utf-8"))
    return "\n".join(template[".secaudit"]["script"])


@pytest.mark.parametrize("target,expected", [(GOOD, 0), (WEAK, 1)])
def test_given_the_gitlab_template_then_its_script_fails_the_job_exactly_on_findings(servers, tmp_path, target,
                                                                                      expected):
    out = tmp_path / "reports"
    env = _env({"SECAUDIT_CI_INVENTORY": "", "SECAUDIT_CI_TARGET": f"{target}:8443", "SECAUDIT_CI_LEVEL": "3",
                "SECAUDIT_CI_PROFILE": "", "SECAUDIT_CI_WAIVERS": "", "SECAUDIT_CI_CA_FILE": servers["ca"],
                "SECAUDIT_CI_FAIL_ON": "high", "SECAUDIT_CI_OUT": str(out)})
    r = subprocess.run(["sh", "-e", "-c", _gitlab_script()], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == expected, r.stdout + r.stderr
    assert (out / "report.xml").is_file()                  # artifacts:reports:junit has its file either way


GIT_HOST = "127.25.12.1"


def _template_variables() -> dict[str, str]:
    return yaml.safe_load((ROOT / "ci/gitlab/secaudit.yml").read_text(encoding="utf-8"))["variables"]


def _install_script() -> str:
    """The before_script line that installs secaudit (the one that is not apt-get)."""
    lines = yaml.safe_load((ROOT / "ci/gitlab/secaudit.yml").read_text(encoding="utf-8"))[".secaudit"]["before_script"]
    [install] = [line for line in lines if "pip install" in line]
    return install


def test_given_the_gitlab_template_then_its_default_pins_the_release_it_belongs_to():
    from secaudit import __version__

    variables = _template_variables()
    assert variables["SECAUDIT_CI_REF"] == f"v{__version__}"
    assert variables["SECAUDIT_CI_PIP_SPEC"] == ""              # no package index: secaudit is not published there


def test_given_the_gitlab_template_by_default_then_it_installs_secaudit_from_its_own_repository(tmp_path):
    """The default path, really run: the secaudit repository served over HTTP on loopback as a GitLab instance
    would (git's dumb HTTP protocol), the release tag the template pins, pip installing from it into a fresh
    virtualenv (no index: dependencies come from the test environment), then the installed secaudit runs."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
    import functools
    import threading

    variables = _template_variables()
    served = tmp_path / "srv"
    repo = served / f"{variables['SECAUDIT_CI_PROJECT']}.git"
    repo.parent.mkdir(parents=True)
    git = ["git", "-c", "protocol.file.allow=always"]
    assert subprocess.run([*git, "clone", "--bare", "-q", str(ROOT), str(repo)], capture_output=True,
                          timeout=120).returncode == 0
    subprocess.run([*git, "-C", str(repo), "tag", "-f", variables["SECAUDIT_CI_REF"], "HEAD"], check=True,
                   capture_output=True, timeout=60)
    subprocess.run([*git, "-C", str(repo), "update-server-info"], check=True, capture_output=True, timeout=60)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    import site

    (Path(purelib) / "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None                                   # type: ignore[attr-defined]
    server = ThreadingHTTPServer((GIT_HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        env = _env({**variables, "CI_SERVER_PROTOCOL": "http", "CI_SERVER_HOST": GIT_HOST,
                    "CI_SERVER_PORT": str(server.server_address[1]), "CI_JOB_TOKEN": "job-token",
                    "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
                    "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1", "PIP_NO_BUILD_ISOLATION": "0",
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        env.pop("PYTHONPATH", None)
        r = subprocess.run(["sh", "-e", "-c", _install_script()], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "job-token" not in r.stdout + r.stderr                          # pip does not print the token
    ran = subprocess.run([str(venv / "bin" / "secaudit"), "policy", "list"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and "mozilla-intermediate" in ran.stdout, ran.stderr
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import secaudit; print(secaudit.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60).stdout
    assert where.startswith(str(venv)), where


def _artifact_name(out: str, job: str = "scan", index: str = "0", given: str = "") -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "artifact")
    upload = next(s for s in action["runs"]["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact"))
    assert upload["with"]["name"] == "${{ steps.artifact.outputs.name }}"
    assert "${{" not in step["run"]
    with __import__("tempfile").TemporaryDirectory() as tmp:
        output = Path(tmp) / "github_output"
        env = _env({"ARTIFACT_NAME": given, "JOB_INDEX": index, "SCAN_OUT": out, "GITHUB_JOB": job,
                    "GITHUB_OUTPUT": str(output)})
        r = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        return output.read_text(encoding="utf-8").strip().removeprefix("name=")


def test_given_the_action_used_twice_in_a_workflow_then_its_artifacts_do_not_collide():
    """Two uses in one job (two `out` folders), and one use in two matrix jobs: four different names, each a
    valid artifact name; an explicit `artifact-name` is kept."""
    names = {_artifact_name("reports/dmz"), _artifact_name("reports/lan"),
             _artifact_name("secaudit-report", index="0"), _artifact_name("secaudit-report", index="1")}
    assert len(names) == 4
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", n) for n in names), names
    assert _artifact_name("x", given="nightly-scan") == "nightly-scan"
