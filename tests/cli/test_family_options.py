"""A family owns its options (issue 26 item 2): a family defined only here adds command-line options to
`secaudit scan`, and its runner gets their values, with no package module edited.

Given an "optecho" family registered at run time whose runner measures nothing on the network (it reports
the options it was given as its facts) and one check on it, when a user runs `secaudit scan --target ...
--echo-word ...`, then `scan --help` offers the options with their help in the user's language, the runner
gets every option (the user's values, the defaults for the rest), run.json keeps only the values the user
set, `--resume` replays them, a value the family's validator refuses is exit 2 naming the option, and a
zone worker gets the family's options with the batch or refuses the batch saying which option it lacks.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import pytest

from secaudit.checks import CheckContext, CheckSpec
from secaudit.checks import registered as checks_registered
from secaudit.codec import fields_from_dict, fields_to_dict
from secaudit.errors import Diagnostic, InputError
from secaudit.model import (
    Control, Endpoint, LocalText, Message, Observation, ObservationStatus, Outcome, Probe, Purpose, Service, System,
    Verdict,
)
from secaudit.probes import registry
from secaudit.probes.interface import BaseFamily, FamilyOption, ProbeRunner, RunnerContext, Subject, Target

TARGET = "127.26.100.1:443"            # only data: the family's runner never connects anywhere


@dataclass(frozen=True)
class EchoFacts:
    options: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return fields_to_dict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EchoFacts":
        return fields_from_dict(cls, data)


SEEN: list[dict[str, Any]] = []        # the options every runner of the family was built with


class EchoRunner:
    kind = "optecho"
    batch_size = 1
    parallel = 1

    def __init__(self, options: Mapping[str, Any]):
        self.options = dict(options)
        SEEN.append(self.options)

    def run(self, probes: Sequence[Probe], *, timeout_s: float) -> Iterator[Observation]:
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for p in probes:
            facts = EchoFacts({k: (list(v) if isinstance(v, tuple) else v) for k, v in self.options.items()})
            yield Observation(p.id, self.kind, p.target, ObservationStatus.OK, facts, None, started)


def plain_word(value: str) -> str:
    if not value.isalnum():
        raise InputError([Diagnostic("--echo-word", 0, 0, "scan.bad_family_option",
                                     {"kind": "optecho", "reason": f"{value!r} is not one plain word"})])
    return value.lower()


class EchoFamily(BaseFamily):
    kind = "optecho"
    provides = frozenset({"optecho"})
    facts_type = EchoFacts
    options = (
        FamilyOption("echo_word", "str", None, LocalText(en="Word the echo family repeats.",
                                                         vi="Từ mà họ phép đo echo lặp lại."),
                     validate=plain_word, metavar="WORD"),
        FamilyOption("echo_count", "int", 2, LocalText(en="How many times.", vi="Bao nhiêu lần."),
                     minimum=1, maximum=9),
        FamilyOption("echo_tags", "multi", (), LocalText(en="A tag (repeatable).", vi="Một nhãn (lặp lại được).")),
        FamilyOption("echo_loud", "bool", False, LocalText(en="Shout.", vi="Hét to.")),
        FamilyOption("echo_mode", "choice", "plain", LocalText(en="Mode.", vi="Chế độ."), choices=("plain", "fancy")),
    )

    def params(self, needs: frozenset[str], targets: Sequence[Target], systems: Sequence[System],
               controls: Sequence[Control]) -> Mapping[str, Any]:
        return {"host": targets[0].host}

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return EchoRunner(ctx.options)


def echo_said_a_word(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    obs = ctx.observations["optecho"]
    word = obs.facts.options.get("echo_word") if obs.status is ObservationStatus.OK else None
    return Outcome(Verdict.PASS if word else Verdict.FAIL,
                   Message("evaluate.not_measured", {"kind": "optecho", "target": str(word)}))


CHECK = CheckSpec("optecho.word", echo_said_a_word, frozenset({"optecho:say"}))
PROFILE = """\
kind: policy
id: optecho-test
title: {en: Echo test, vi: Kiểm tra echo}
controls:
  - id: ECHO-01
    title: {en: The echo says a word, vi: Echo nói một từ}
    check: optecho.word
    severity: low
    references: [test]
    remediation: {en: Give it a word, vi: Cho nó một từ}
"""


@pytest.fixture
def family(tmp_path, monkeypatch):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "optecho-test.yaml").write_text(PROFILE, encoding="utf-8")
    monkeypatch.setenv("SECAUDIT_POLICY_PATH", str(profiles))
    monkeypatch.setenv("SECAUDIT_LANG", "en")
    monkeypatch.setenv("CI", "1")
    SEEN.clear()
    with registry.registered(EchoFamily()), checks_registered(CHECK):
        yield tmp_path
    assert "optecho" not in registry.kinds()


def secaudit(*args: str) -> int:
    from secaudit.cli import main

    with pytest.raises(SystemExit) as e:
        main(list(args))
    return int(e.value.code)


def scan(tmp: Path, *extra: str) -> int:
    return secaudit("scan", "--target", TARGET, "--service", "other", "--profile", "optecho-test", "--quiet",
                    "--runs-dir", str(tmp / "runs"), "--out", str(tmp / "out"), "--format", "json", "--no-store",
                    *extra)


def run_meta(tmp: Path) -> dict[str, Any]:
    [run] = list((tmp / "runs").iterdir())
    return json.loads((run / "run.json").read_text())


DEFAULTS = {"echo_word": None, "echo_count": 2, "echo_tags": (), "echo_loud": False, "echo_mode": "plain"}


def test_the_options_are_offered_with_help_in_the_users_language(family, capsys):
    assert secaudit("scan", "--help") == 0
    out = capsys.readouterr().out
    assert "--echo-word WORD" in out and "Word the echo family repeats." in out and "--echo-loud" in out
    assert "[default: 2; 1<=x<=9]" in " ".join(out.split())
    assert secaudit("--lang", "vi", "scan", "--help") == 0
    assert "Từ mà họ phép đo echo lặp lại." in capsys.readouterr().out
    assert secaudit("scan", "--help") == 0
    assert "--echo-word" in capsys.readouterr().out
    assert secaudit("tls", "--help") == 0                       # a preset offers only its own families' options
    assert "--echo-word" not in capsys.readouterr().out


def test_the_runner_gets_the_values_set_and_the_defaults_and_run_json_keeps_what_was_set(family):
    assert scan(family, "--echo-word", "Hello", "--echo-tags", "a", "--echo-tags", "b", "--echo-mode", "fancy") == 0
    # the runner gets the value as the option's validator normalised it
    assert SEEN == [{**DEFAULTS, "echo_word": "hello", "echo_tags": ("a", "b"), "echo_mode": "fancy"}]
    doc = json.loads((family / "out" / "report.json").read_text())
    [obs] = doc["observations"]
    assert obs["facts"]["options"]["echo_word"] == "hello"
    assert [(f["control_id"], f["verdict"]) for f in doc["findings"]] == [("ECHO-01", "pass")]
    request = run_meta(family)["request"]
    assert request["family_options"] == {"optecho": {"echo_word": "Hello", "echo_tags": ["a", "b"],
                                                     "echo_mode": "fancy"}}
    assert "resolver" not in request and "mta_sts_port" not in request and "ports_timeout" not in request


def test_without_options_the_runner_gets_the_defaults(family):
    assert scan(family) == 1                                    # no word: the check fails
    assert SEEN == [DEFAULTS]
    assert run_meta(family)["request"]["family_options"] == {}


def test_environment_variables_set_a_family_option(family, monkeypatch):
    monkeypatch.setenv("SECAUDIT_SCAN_ECHO_COUNT", "7")
    monkeypatch.setenv("SECAUDIT_ECHO_LOUD", "1")
    assert scan(family, "--echo-word", "x") == 0
    assert SEEN == [{**DEFAULTS, "echo_word": "x", "echo_count": 7, "echo_loud": True}]


def test_bad_values_are_exit_2_naming_the_option(family, capsys):
    assert scan(family, "--echo-word", "two words") == 2
    err = capsys.readouterr().err
    assert "--echo-word" in err and "'two words' is not one plain word" in err and "Traceback" not in err
    assert scan(family, "--echo-count", "0") == 2                # outside 1..9, said by the CLI
    assert "--echo-count" in capsys.readouterr().err
    assert SEEN == [] and not (family / "runs").exists()         # refused before a run directory exists


def test_resume_replays_the_stored_options(family):
    from secaudit.run import ScanRequest, start_run

    req = ScanRequest(targets=(TARGET,), service="other", profiles=(str(family / "profiles" / "optecho-test.yaml"),),
                      family_options={"optecho": {"echo_word": "again", "echo_count": 3}})
    _, run_id = start_run(req, family / "runs")                # a run interrupted before any probe ran
    assert secaudit("scan", "--resume", run_id, "--runs-dir", str(family / "runs"), "--quiet", "--no-store",
                    "--out", str(family / "out"), "--format", "json", "--echo-word", "ignored") == 0
    assert SEEN == [{**DEFAULTS, "echo_word": "again", "echo_count": 3}]


def test_an_option_name_belongs_to_one_family(capsys):
    class Clash(EchoFamily):
        kind = "optclash"
        provides = frozenset({"optclash"})
        options = (FamilyOption("resolver", "str", None, LocalText(en="x", vi="x")),)

    with pytest.raises(ValueError, match="'resolver'.*already options of \\['mail'\\]"):
        registry.register(Clash())
    assert "optclash" not in registry.kinds()

    class Shadow(EchoFamily):              # an option of scan's own: scan refuses to start, naming it
        kind = "optshadow"
        provides = frozenset({"optshadow"})
        options = (FamilyOption("timeout", "float", 1.0, LocalText(en="x", vi="x")),)

    with registry.registered(Shadow()), pytest.raises(SystemExit) as e:
        from secaudit.cli import main

        main(["scan", "--help"])
    assert e.value.code == 2
    assert "option --timeout of the optshadow family is already an option of `secaudit scan`" in capsys.readouterr().err
    with pytest.raises(ValueError):
        FamilyOption("Bad-Name", "str", None, LocalText(en="x", vi="x"))
    with pytest.raises(ValueError):
        FamilyOption("n", "list", None, LocalText(en="x", vi="x"))


def test_a_run_json_of_an_older_version_keeps_its_options():
    from secaudit.run import ScanRequest

    old = {"inventory_file": "inv.yaml", "profiles": ["p"], "resolver": "127.26.100.53:5353", "mta_sts_port": 8443,
           "ports_timeout": 60.0, "timeout": 20.0}
    req = ScanRequest.from_meta(old)
    assert req.family_options == {"mail": {"resolver": "127.26.100.53:5353", "mta_sts_port": 8443},
                                  "ports": {"ports_timeout": 60.0}}
    assert req.options_of("mail") == {"resolver": "127.26.100.53:5353", "mta_sts_port": 8443}
    assert req.limits().kind_timeouts == {"ports": 60.0, "discover": 600.0}     # discover: its sweep_timeout
    assert ScanRequest.from_meta(json.loads(json.dumps(req.to_meta()))) == req
    defaults = ScanRequest.from_meta({"inventory_file": "inv.yaml", "resolver": None, "mta_sts_port": 443,
                                      "ports_timeout": 120.0})
    assert defaults.family_options == {} and defaults.limits().kind_timeouts == {"ports": 120.0, "discover": 600.0}


def test_a_zone_worker_gets_the_batch_familys_options_or_refuses(family):
    from secaudit.execute.wire import RunSettings, batch_message
    from secaudit.execute.worker import WorkerSettings, run_batch
    from secaudit.targets import parse_scope

    worker = WorkerSettings("a", parse_scope(["127.26.100.0/24"]))
    probe = Probe("optecho|1", "optecho", TARGET, {"host": "127.26.100.1"})
    good = RunSettings(options={"echo_word": "Zone", "echo_tags": ("t",)})
    result = run_batch(batch_message("r", "a", "optecho", [probe], 5, good), worker, "w1")
    [obs] = result["observations"]
    assert obs["status"] == "ok" and SEEN == [{**DEFAULTS, "echo_word": "zone", "echo_tags": ("t",)}]
    for options, said in (({"echo_volume": 11}, "no option echo_volume"),      # an option this worker lacks
                          ({"echo_word": "two words"}, "not one plain word"),   # a value its validator refuses
                          ({"echo_count": "many"}, "expected an integer")):
        result = run_batch(batch_message("r", "a", "optecho", [probe], 5, RunSettings(options=options)), worker, "w1")
        [obs] = result["observations"]
        assert obs["status"] == "error" and obs["reason"]["key"] == "worker.refused_option", obs
        assert said in obs["reason"]["args"]["reason"]
    assert len(SEEN) == 1                                        # nothing ran with options it could not honour


def test_a_batch_carries_a_repeatable_option_as_a_bounded_list():
    from secaudit.execute.wire import MAX_OPTION_ITEMS, PayloadError, RunSettings, batch_message, parse_batch

    probe = Probe("optecho|1", "optecho", TARGET, {"host": "127.26.100.1"})
    sent = batch_message("r", "a", "optecho", [probe], 5, RunSettings(options={"echo_tags": ("a", "b")}))
    assert parse_batch(json.loads(json.dumps(sent))).settings.options == {"echo_tags": ["a", "b"]}
    for bad in (("a",) * (MAX_OPTION_ITEMS + 1), ("a", 1), ("x" * 300,)):
        with pytest.raises(PayloadError):
            parse_batch(batch_message("r", "a", "optecho", [probe], 5, RunSettings(options={"echo_tags": bad})))


PLUGIN_MODULE = '''\
from pathlib import Path

from secaudit.plugins import Plugin
from tests.cli.test_family_options import CHECK, EchoFamily

PLUGIN = Plugin(name="optecho", families=(EchoFamily(),), checks=(CHECK,),
                policy_dirs=(str(Path(__file__).parent / "optecho_policies"),))
'''


def test_an_installed_plugin_familys_options_are_on_the_secaudit_command(tmp_path):
    """Installed plug-ins load before the command line is read: their families' options are there."""
    import os
    import subprocess
    import sys

    site = tmp_path / "site"
    (site / "optecho_policies").mkdir(parents=True)
    (site / "optecho_policies" / "optecho-test.yaml").write_text(PROFILE, encoding="utf-8")
    (site / "optecho_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    info = site / "optecho_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: optecho_plugin\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[secaudit.plugins]\noptecho = optecho_plugin:PLUGIN\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(root)]), "CI": "1", "SECAUDIT_LANG": "vi"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=root, env=env, capture_output=True,
                              text=True, timeout=120)

    shown = run("scan", "--help")
    assert shown.returncode == 0 and "--echo-word WORD" in shown.stdout, shown.stderr
    assert "Từ mà họ phép đo echo lặp lại." in shown.stdout                     # the help in the user's language
    r = run("scan", "--target", TARGET, "--service", "other", "--profile", "optecho-test", "--quiet", "--no-store",
            "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "out"), "--format", "json",
            "--echo-word", "installed", "--echo-count", "5")
    assert r.returncode == 0, r.stdout + r.stderr
    [obs] = json.loads((tmp_path / "out" / "report.json").read_text())["observations"]
    assert obs["facts"]["options"] == {"echo_word": "installed", "echo_count": 5, "echo_tags": [],
                                       "echo_loud": False, "echo_mode": "plain"}


# ------------------------------------------------------------------ a family's planning hook (its own subjects)
# Given a family defined only here whose planning hook (``subjects``) turns its --echo-site options into subjects
# of its own ("site:<host>", judged against a policy of the library), when `scan INVENTORY --only optsite` runs,
# then the run judges those subjects, not the inventory's systems: the option reached planning, the policy's
# digest is recorded, the run is not classified, bad options are exit 2 before a run exists, and `report RUN_ID`
# and `report report.json` (from the observed targets) judge them again. No package module knows the family.

SITE_POLICY = """\
kind: policy
id: optsite-test
title: {en: Site test, vi: Kiểm tra điểm}
controls:
  - id: SITE-01
    title: {en: The site answers, vi: Điểm trả lời}
    check: optsite.seen
    severity: low
    references: [test]
    remediation: {en: Make it answer, vi: Cho nó trả lời}
"""
SITE_INVENTORY = """\
kind: inventory
version: 1
organisation: {name: "Lab agency"}
systems:
  - id: portal
    name: Portal
    purpose: internal
    information: [private]
    endpoints:
      - {host: 127.33.0.1, port: 443, service: https}
      - {host: 127.33.0.2, port: 443, service: https}
"""
PLANNED: list[tuple[tuple[str, ...], Any]] = []        # (echo_site option, observed) of every planning call


class SiteRunner(EchoRunner):
    kind = "optsite"


class SiteFamily(EchoFamily):
    """Judges one subject per --echo-site host (a host of the inventory), instead of the inventory's systems."""

    kind = "optsite"
    provides = frozenset({"optsite"})
    options = (FamilyOption("echo_site", "multi", (), LocalText(en="A site to judge (repeatable).",
                                                                vi="Một điểm cần đánh giá (lặp lại được).")),)

    def runner(self, ctx: RunnerContext) -> ProbeRunner:
        return SiteRunner(ctx.options)

    def subjects(self, inventory: Any, options: Mapping[str, Any], *, source: str = "-",
                 observed: Sequence[str] | None = None, lookups: bool = True) -> Sequence[Subject]:
        PLANNED.append((tuple(options["echo_site"]), observed))
        hosts = [t.rsplit(":", 1)[0] for t in observed] if observed is not None else list(options["echo_site"])
        if not hosts:
            raise InputError([Diagnostic(source, 0, 0, "scan.bad_family_option",
                                         {"kind": self.kind, "reason": "name a site with --echo-site"})])
        return [Subject(System(id=f"site:{h}", name=f"Site {h}", purpose=Purpose.OTHER,
                               endpoints=(Endpoint(h, 443, Service.OTHER),)), "optsite-test") for h in hosts]


def site_seen(params: Mapping[str, Any], ctx: CheckContext) -> Outcome:
    obs = ctx.observations["optsite"]
    return Outcome(Verdict.PASS if obs.status is ObservationStatus.OK else Verdict.ERROR,
                   Message("evaluate.not_measured", {"kind": "optsite", "target": ctx.target}))


SITE_CHECK = CheckSpec("optsite.seen", site_seen, frozenset({"optsite:seen"}))


def test_a_plugin_familys_planning_hook_judges_its_own_subjects_from_its_options(family):
    import hashlib

    (family / "profiles" / "optsite-test.yaml").write_text(SITE_POLICY, encoding="utf-8")
    inventory = family / "inventory.yaml"
    inventory.write_text(SITE_INVENTORY, encoding="utf-8")
    PLANNED.clear()

    def site_scan(*extra: str) -> int:
        return secaudit("scan", str(inventory), "--only", "optsite", "--quiet", "--runs-dir", str(family / "runs"),
                        "--out", str(family / "out"), "--format", "json", "--no-store", *extra)

    def judged(path: Path) -> tuple[Any, set[tuple[str, str, str, str]]]:
        doc = json.loads(path.read_text())
        return doc, {(f["system_id"], f["control_id"], f["target"], f["verdict"]) for f in doc["findings"]}

    expected = {("site:127.33.0.1", "SITE-01", "127.33.0.1:443", "pass"),
                ("site:127.33.0.2", "SITE-01", "127.33.0.2:443", "pass")}
    with registry.registered(SiteFamily()), checks_registered(SITE_CHECK):
        assert site_scan() == 2                                    # the hook refuses: no site named
        assert not (family / "runs").exists() and SEEN == []
        assert site_scan("--echo-site", "127.33.0.1", "--echo-site", "127.33.0.2") == 0
        doc, findings = judged(family / "out" / "report.json")
        assert findings == expected                               # the subjects, not the system "portal"
        assert [s["system_id"] for s in doc["systems"]] == ["site:127.33.0.1", "site:127.33.0.2"]
        digest = "sha256:" + hashlib.sha256((family / "profiles" / "optsite-test.yaml").read_bytes()).hexdigest()
        assert doc["run"]["policies"] == {"optsite-test": digest} and doc["run"]["regime"] == "-"
        assert SEEN == [{"echo_site": ("127.33.0.1", "127.33.0.2")}]
        assert PLANNED[-1] == (("127.33.0.1", "127.33.0.2"), None)  # planned from the option the user set
        # report RUN_ID replays the stored options; report report.json judges the targets the run observed
        [run] = list((family / "runs").iterdir())
        assert secaudit("report", run.name, "--runs-dir", str(family / "runs"), "--out", str(family / "again"),
                        "--format", "json") == 0
        assert judged(family / "again" / "report.json")[1] == expected
        assert PLANNED[-1] == (("127.33.0.1", "127.33.0.2"), None)
        assert secaudit("report", str(family / "out" / "report.json"), "--out", str(family / "refile"),
                        "--format", "json") == 0
        assert judged(family / "refile" / "report.json")[1] == expected
        assert PLANNED[-1][0] == () and sorted(PLANNED[-1][1]) == ["127.33.0.1:443", "127.33.0.2:443"]
        assert len(SEEN) == 1                                      # re-judged, never measured again
        # without --only optsite the inventory's system is judged as ever: the hook is not asked
        PLANNED.clear()
        assert secaudit("scan", str(inventory), "--quiet", "--runs-dir", str(family / "runs2"), "--out",
                        str(family / "plain"), "--format", "json", "--no-store", "--only", "optecho") == 3
        plain = json.loads((family / "plain" / "report.json").read_text())
        assert [s["system_id"] for s in plain["systems"]] == ["portal"] and plain["run"]["regime"] != "-"
        assert PLANNED == []
