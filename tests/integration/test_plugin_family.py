"""A probe family defined only here plugs into the whole pipeline without editing any package module.

Given a trivial "banner" family (connect, read the first line the server sends) and one check on it,
both registered at run time, and a real TCP server on loopback that greets with a version banner,
when a user runs `secaudit scan --target ... --profile ...` and then `secaudit report RUN_ID`,
then the plan has a banner probe, the finding is judged from the real banner, the journal and the
JSON report round-trip the banner facts as their own type, `--only banner` is accepted, `--only tls`
leaves the control "not checked", and every report format names the control.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import socketserver
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pytest

from secaudit.checks import CheckContext, CheckSpec
from secaudit.checks import registered as checks_registered
from secaudit.model import (
    Control, Evidence, Message, Observation, ObservationStatus, Outcome, Probe, System, Verdict,
)
from secaudit.probes import registry
from secaudit.probes.interface import BaseFamily, ProbeRunner, RunnerContext, Target
from secaudit.codec import fields_from_dict, fields_to_dict
from secaudit.serialize import results_from_dict
from secaudit.lab.servers import serving

pytestmark = pytest.mark.integration

HOST = "127.1.0.7"                     # this test's own loopback address
BANNER = "SSH-2.0-OpenSSH_7.4 Debian-10"


# ----------------------------------------------------------------------------- the family (test-only)


@dataclass(frozen=True)
class BannerFacts:
    line: str                          # the first line the server sent, verbatim (data from the server)
    bytes_read: int

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "BannerFacts":
        return fields_from_dict(cls, data)


def grab(host: str, port: int, timeout_s: float) -> BannerFacts:
    with socket.create_connection((host, port), timeout=timeout_s) as s:
        data = b""
        deadline = time.monotonic() + timeout_s
        while b"\n" not in data and len(data) < 1024 and time.monotonic() < deadline:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
    return BannerFacts(data.split(b"\n", 1)[0].decode("utf-8", "replace").rstrip("\r"), len(data))


class BannerRunner:
    kind = "banner"
    batch_size = 1
    parallel = 1

    def __init__(self, scope: Sequence[str]):
        self.scope = set(scope)
        self.seen: list[str] = []

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        for p in probes:
            assert p.params["host"] in self.scope, "a probe outside the inventory's scope"
            started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            try:
                facts = grab(p.params["host"], p.params["port"], min(timeout_s, 5.0))
            except OSError as e:
                yield Observation(p.id, self.kind, p.target, ObservationStatus.ERROR, None, str(e), started)
                continue
            yield Observation(p.id, self.kind, p.target, ObservationStatus.OK, facts, None, started)


class BannerFamily(BaseFamily):
    kind = "banner"
    provides = frozenset({"banner"})
    facts_type = BannerFacts

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        ep = targets[0].endpoint
        return {"host": ep.host, "port": ep.port, "needs": sorted(needs)}

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return BannerRunner(ctx.scope)


def no_version_in_banner(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    obs = ctx.observations["banner"]
    if obs.status is not ObservationStatus.OK:
        return Outcome(Verdict.ERROR, Message("evaluate.not_measured", {"kind": "banner", "target": ctx.target}))
    facts = obs.facts
    assert isinstance(facts, BannerFacts)
    software = facts.line.split(" ", 1)[0].rsplit("-", 1)[-1]      # "SSH-2.0-OpenSSH_7.4" -> "OpenSSH_7.4"
    shown = any(ch.isdigit() for ch in software)
    evidence = (Evidence("evidence.banner", facts.line),)
    verdict = Verdict.FAIL if shown else Verdict.PASS
    return Outcome(verdict, Message("evaluate.not_measured", {"kind": "banner", "target": facts.line}), evidence)


CHECK = CheckSpec("banner.no_version", no_version_in_banner, frozenset({"banner:grab"}))

PROFILE = """\
kind: policy
id: banner-test
title: {en: Banner test, vi: Kiểm tra banner}
controls:
  - id: BANNER-01
    title: {en: The greeting banner hides the software version, vi: Banner không lộ phiên bản}
    check: banner.no_version
    severity: medium
    references: [test]
    remediation: {en: Hide the version, vi: Ẩn phiên bản}
"""


# ----------------------------------------------------------------------------- fixtures


class _Greeter(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.sendall(BANNER.encode() + b"\r\n")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


@pytest.fixture
def banner_server() -> Iterator[int]:
    with serving(_Server((HOST, 0), _Greeter)) as port:
        yield port


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "banner-test.yaml").write_text(PROFILE, encoding="utf-8")
    monkeypatch.setenv("SECAUDIT_POLICY_PATH", str(profiles))
    monkeypatch.setenv("SECAUDIT_LANG", "en")
    monkeypatch.setenv("CI", "1")
    with registry.registered(BannerFamily()), checks_registered(CHECK):
        yield profiles / "banner-test.yaml"
    assert "banner" not in registry.kinds()


def secaudit(*args: str) -> int:
    from secaudit.cli import main

    with pytest.raises(SystemExit) as e:
        main(list(args))
    return int(e.value.code)


def scan_args(port: int, tmp_path: Path, out: str, *extra: str) -> list[str]:
    return ["scan", "--target", f"{HOST}:{port}", "--service", "other", "--profile", "banner-test", "--quiet",
            "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / out), "--format", "json", "--no-store",
            *extra]


# ----------------------------------------------------------------------------- tests


def test_the_family_is_a_registered_plugin_only_inside_the_block(plugin):
    assert registry.kinds()[-1] == "banner"
    assert registry.kind_of_need("banner:grab") == "banner"
    assert registry.facts_types()["banner"] is BannerFacts
    from secaudit.serialize import results_schema

    assert "banner" in results_schema()["$defs"]["run"]["properties"]["only"]["items"]["enum"]
    with pytest.raises(ValueError):
        registry.register(BannerFamily())          # a kind is never silently replaced


def test_plan_evaluate_journal_and_report_from_the_journal(plugin, banner_server, tmp_path, capsys):
    from secaudit.execute.journal import Journal

    status = secaudit(*scan_args(banner_server, tmp_path, "out"))
    assert status == 1, capsys.readouterr()                   # the medium finding fails at --fail-on low
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    [finding] = [f for f in doc["findings"] if f["control_id"] == "BANNER-01"]
    assert (finding["target"], finding["verdict"]) == (f"{HOST}:{banner_server}", "fail")
    assert finding["evidence"] == [{"label": "evidence.banner", "value": BANNER}]
    [obs] = doc["observations"]
    assert obs["kind"] == "banner" and obs["facts"] == {"line": BANNER, "bytes_read": len(BANNER) + 2}

    # the journal gives the facts back as their own type
    [run_id] = [p.name for p in (tmp_path / "runs").iterdir()]
    [seen] = list(Journal.open_existing(tmp_path / "runs", run_id).observations())
    assert isinstance(seen.facts, BannerFacts) and seen.facts.line == BANNER
    # so does the results document
    results = results_from_dict(doc)
    assert isinstance(results.observations[0].facts, BannerFacts)

    # `report RUN_ID` re-judges the journal without scanning (the server is not needed any more)
    status = secaudit("report", run_id, "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "again"),
                      "--format", "json", "--fail-on", "high")
    assert status == 0                                         # medium < high
    again = json.loads((tmp_path / "again" / "report.json").read_text())
    assert [(f["control_id"], f["verdict"]) for f in again["findings"]] == [("BANNER-01", "fail")]
    # and `report results.json` too
    assert secaudit("report", str(tmp_path / "out" / "report.json"), "--out", str(tmp_path / "third"),
                    "--format", "json") == 1


def test_only_accepts_the_family_and_excludes_it_otherwise(plugin, banner_server, tmp_path):
    assert secaudit(*scan_args(banner_server, tmp_path, "only-banner", "--only", "banner")) == 1
    secaudit(*scan_args(banner_server, tmp_path, "only-tls", "--only", "tls"))
    doc = json.loads((tmp_path / "only-tls" / "report.json").read_text())
    [finding] = doc["findings"]
    assert (finding["verdict"], finding["message"]["key"]) == ("not_applicable", "evaluate.excluded_by_only")
    assert doc["observations"] == []                          # no banner probe was run


def test_every_report_format_shows_the_family_finding(plugin, banner_server, tmp_path):
    formats = ["html", "md", "text", "json", "sarif", "junit", "csv"]
    args = scan_args(banner_server, tmp_path, "all", *[x for f in formats for x in ("--format", f)])
    assert secaudit(*args) == 1
    out = tmp_path / "all"
    for name in ("report.html", "report.md", "report.txt", "report.sarif", "report.xml", "report.csv"):
        text = (out / name).read_text(encoding="utf-8")
        assert "BANNER-01" in text, name
    sarif = json.loads((out / "report.sarif").read_text())
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["BANNER-01"]


def test_plan_and_evaluate_directly(plugin):
    """The pure stages: one banner probe per endpoint, judged from a canned observation."""
    from secaudit.checks import REGISTRY
    from secaudit.evaluate import evaluate
    from secaudit.model import Endpoint, Purpose, Service
    from secaudit.plan import SystemAssessment, build_plan
    from secaudit.policy import PolicyLibrary

    library = PolicyLibrary.load([plugin.parent])
    ep = Endpoint(HOST, 2222, Service.OTHER)
    system = System("s", "S", Purpose.OTHER, endpoints=(ep,))
    a = SystemAssessment(system, None, None, 1, "--profile", {1: library.resolve("banner-test")})
    plan = build_plan([a], REGISTRY)
    [probe] = plan.probes
    assert (probe.kind, probe.target, probe.params["needs"]) == ("banner", ep.address, ["banner:grab"])
    obs = Observation(probe.id, "banner", ep.address, ObservationStatus.OK, BannerFacts("SSH-2.0-Hidden", 16))
    ev = evaluate([a], [obs], REGISTRY)
    assert [(f.control_id, f.verdict) for f in ev.findings] == [("BANNER-01", Verdict.PASS)]


# ----------------------------------------------------------------------------- an installed plug-in

PLUGIN_MODULE = '''\
"""A plug-in as a package ships it: the banner family, its check with messages of its own, its profile."""
from pathlib import Path

from secaudit.checks import CheckSpec
from secaudit.model import Evidence, Message, ObservationStatus, Outcome, Verdict
from secaudit.plugins import Plugin
from tests.integration.test_plugin_family import BannerFamily


def no_version(params, ctx):
    obs = ctx.observations["banner"]
    if obs.status is not ObservationStatus.OK:
        return Outcome(Verdict.ERROR, Message("evaluate.not_measured", {"kind": "banner", "target": ctx.target}))
    software = obs.facts.line.split(" ", 1)[0].rsplit("-", 1)[-1]
    shown = any(ch.isdigit() for ch in software)
    key = "banner_plugin.version_shown" if shown else "banner_plugin.version_hidden"
    return Outcome(Verdict.FAIL if shown else Verdict.PASS, Message(key, {"software": software}),
                   (Evidence("banner_plugin.ev.line", obs.facts.line),))


PLUGIN = Plugin(
    name="banner",
    families=(BannerFamily(),),
    checks=(CheckSpec("banner.no_version", no_version, frozenset({"banner:grab"})),),
    policy_dirs=(str(Path(__file__).parent / "banner_policies"),),
    messages={
        "banner_plugin.version_shown": {"en": "the greeting names its software version: {software}",
                                        "vi": "lời chào để lộ phiên bản phần mềm: {software}"},
        "banner_plugin.version_hidden": {"en": "the greeting hides its software version",
                                         "vi": "lời chào không để lộ phiên bản phần mềm"},
        "banner_plugin.ev.line": {"en": "greeting", "vi": "lời chào"},
    },
)
'''


def _install(site: Path, name: str, entry: str) -> None:
    """A distribution as pip leaves it in site-packages: its dist-info with METADATA and entry_points.txt."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(f"[secaudit.plugins]\n{entry}\n", encoding="utf-8")


def _run(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(site), "CI": "1", "SECAUDIT_LANG": "en", **env}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=Path(__file__).resolve().parents[2],
                          env=environ, capture_output=True, text=True, timeout=180)


def test_an_installed_plugin_plugs_into_the_secaudit_command(banner_server, tmp_path):
    site = tmp_path / "site"
    (site / "banner_policies").mkdir(parents=True)
    (site / "banner_policies" / "banner-test.yaml").write_text(PROFILE, encoding="utf-8")
    (site / "banner_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    _install(site, "banner_plugin", "banner = banner_plugin:PLUGIN")

    version = _run(site, "--version")
    assert version.returncode == 0 and "plug-in banner (banner_plugin 0.1)" in version.stdout, version
    r = _run(site, "--lang", "vi", "scan", "--target", f"{HOST}:{banner_server}", "--service", "other",
             "--profile", "banner-test", "--only", "banner", "--runs-dir", str(tmp_path / "runs"),
             "--out", str(tmp_path / "out"), "--format", "json", "--format", "md", "--no-store")
    assert r.returncode == 1, r.stdout + r.stderr                   # the banner shows OpenSSH_7.4
    doc = json.loads((tmp_path / "out" / "report.json").read_text())
    [finding] = [f for f in doc["findings"] if f["control_id"] == "BANNER-01"]
    assert finding["verdict"] == "fail" and finding["message"]["key"] == "banner_plugin.version_shown"
    text = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "lời chào để lộ phiên bản phần mềm: OpenSSH" in text         # the plug-in's own Vietnamese message
    # re-judging the stored run also loads the plug-in: the facts decode as the family's own type
    again = _run(site, "report", str(tmp_path / "out" / "report.json"), "--out", str(tmp_path / "again"),
                 "--format", "json", "--fail-on", "high")
    assert again.returncode == 0, again.stdout + again.stderr


def test_a_plugin_that_does_not_load_is_exit_2_naming_it_and_can_be_switched_off(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "broken_plugin", "broken = no_such_module_anywhere:PLUGIN")
    r = _run(site, "validate", "examples/inventory.yaml")
    assert r.returncode == 2 and "plug-in broken could not be loaded" in r.stderr, r.stderr
    assert "ModuleNotFoundError" in r.stderr and "Traceback" not in r.stderr
    assert _run(site, "validate", "examples/inventory.yaml", SECAUDIT_NO_PLUGINS="1").returncode == 0


def test_a_plugin_may_not_replace_what_exists(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "clash_plugin.py").write_text(
        "from secaudit.plugins import Plugin\n"
        "from secaudit.probes.families import TlsFamily\n"
        "PLUGIN = Plugin(name='clash', families=(TlsFamily(),))\n", encoding="utf-8")
    _install(site, "clash_plugin", "clash = clash_plugin:PLUGIN")
    r = _run(site, "validate", "examples/inventory.yaml")
    assert r.returncode == 2 and "plug-in clash" in r.stderr and "'tls' is already registered" in r.stderr, r.stderr


def test_a_clashing_plugin_adds_nothing_at_all():
    # its family registers first; its check's name is taken: the family is taken back, nothing stays
    from secaudit.checks import REGISTRY
    from secaudit.plugins import Plugin, PluginError, install

    clash = CheckSpec("tls.protocols.forbidden", no_version_in_banner, frozenset({"banner:grab"}))
    assert "tls.protocols.forbidden" in REGISTRY
    before = dict(REGISTRY)
    with pytest.raises(PluginError) as e:
        install(Plugin(name="half", families=(BannerFamily(),), checks=(CHECK, clash)))
    assert e.value.args_["name"] == "half" and "'tls.protocols.forbidden' is already registered" in e.value.args_["error"]
    assert "banner" not in registry.kinds() and REGISTRY == before
