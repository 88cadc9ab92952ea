"""Policy resolution and evaluation: pure logic, tested on canned observations with pure test checks."""

from __future__ import annotations

import datetime as dt
import textwrap
import types
from pathlib import Path

import pytest

from secaudit.checks.base import CheckSpec
from secaudit.errors import InputError
from secaudit.evaluate import evaluate, failing
from secaudit.model import (
    Endpoint, Message, Observation, ObservationStatus, Outcome, Purpose, Service, Severity, System, Verdict, Waiver,
)
from secaudit.plan import SystemAssessment, build_plan
from secaudit.policy import PolicyLibrary
from secaudit.status import ExitStatus, scan_status

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)


def max_version_check(params, ctx):
    """Test check: fails when the observed 'version' is below params['min']."""
    seen = ctx.observations["fake"].facts["version"]
    if seen >= params.get("min", 0):
        return Outcome(Verdict.PASS, Message("t.ok"))
    return Outcome(Verdict.FAIL, Message("t.low", {"seen": seen}))


def boom(params, ctx):
    raise RuntimeError("bug")


REGISTRY = {
    "fake.version": CheckSpec("fake.version", max_version_check, frozenset({"fake:version"}),
                              {"type": "object", "properties": {"min": {"type": "integer"}}}),
    "fake.boom": CheckSpec("fake.boom", boom, frozenset({"fake:version"})),
}


def write_policies(tmp_path: Path, extra: str = "") -> Path:
    d = tmp_path / "levels"
    d.mkdir()
    for level, (extends, body) in {
        1: ("[]", "- {id: VER-01, title: {en: v, vi: v}, check: fake.version, params: {min: 1}, severity: low}"),
        2: ("[level-1]", "- {id: VER-01, title: {en: v, vi: v}, check: fake.version, params: {min: 2}, severity: medium}"),
        3: ("[level-2]", "- {id: VER-03, title: {en: w, vi: w}, check: fake.version, params: {min: 3}, severity: high}"),
    }.items():
        (d / f"level-{level}.yaml").write_text(textwrap.dedent(f"""\
            kind: policy
            id: level-{level}
            level: {level}
            title: {{en: L{level}, vi: C{level}}}
            extends: {extends}
            controls:
              {body}
            """))
    return d


@pytest.fixture
def library(tmp_path, monkeypatch):
    import secaudit.checks as checks

    monkeypatch.setattr(checks, "REGISTRY", REGISTRY)
    return PolicyLibrary.load([write_policies(tmp_path)])


def test_extends_merges_parents_first_and_higher_levels_tighten(library):
    r = library.resolve("level-3")
    assert r.chain == ("level-1", "level-2", "level-3")
    assert [c.id for c in r.controls] == ["VER-01", "VER-03"]
    assert r.control("VER-01").params == {"min": 2}
    assert r.overrides["VER-01"] == "level-2"


def test_unknown_policy_and_cycle(library, tmp_path):
    with pytest.raises(InputError) as e:
        library.resolve("level-4")
    assert e.value.diagnostics[0].key == "policy.unknown"
    cyc = tmp_path / "cyc"
    cyc.mkdir()
    for a, b in (("a", "b"), ("b", "a")):
        (cyc / f"{a}.yaml").write_text(f"kind: policy\nid: {a}\ntitle: {{en: x, vi: y}}\nextends: [{b}]\ncontrols: []\n")
    with pytest.raises(InputError) as e:
        PolicyLibrary.load([cyc]).resolve("a")
    assert e.value.diagnostics[0].key == "policy.extends_cycle"
    assert "a → b → a" in e.value.diagnostics[0].args["cycle"]


def assessment(library, version_target="127.0.0.1:443", required=3):
    ep = Endpoint("127.0.0.1", 443, Service.HTTPS, tls=True)
    system = System("s", "S", Purpose.INTERNAL, endpoints=(ep,))
    return SystemAssessment(system, required, None, required, "Art. X",
                            {lv: library.resolve(f"level-{lv}") for lv in range(1, required + 1)})


def obs(version, status=ObservationStatus.OK):
    return Observation("p", "fake", "127.0.0.1:443", status, {"version": version} if status == "ok" else None,
                       None if status == "ok" else "connection refused")


def test_plan_merges_needs_into_one_probe_per_target(library):
    a = assessment(library)
    plan = build_plan([a], REGISTRY, {"fake": lambda needs, targets, systems, controls: {"needs": sorted(needs)}})
    assert [(p.kind, p.target, p.params) for p in plan.probes] == [("fake", "127.0.0.1:443", {"needs": ["fake:version"]})]


def test_achieved_level_is_highest_level_fully_passing(library):
    ev = evaluate([assessment(library)], [obs(2)], REGISTRY, now=NOW)
    s = ev.systems[0]
    assert (s.required_level, s.achieved_level) == (3, 2)
    assert {(f.control_id, f.verdict) for f in ev.findings} == {("VER-01", Verdict.PASS), ("VER-03", Verdict.FAIL)}
    assert failing(ev.findings, Severity.HIGH) and not failing(ev.findings, Severity.CRITICAL)


def test_missing_observation_is_an_error_never_a_pass(library):
    ev = evaluate([assessment(library)], [], REGISTRY, now=NOW)
    assert {f.verdict for f in ev.findings} == {Verdict.ERROR}
    assert ev.systems[0].achieved_level == 0


def test_crashing_check_is_an_error(library):
    from secaudit.model import Control, LocalText

    a = assessment(library, required=1)
    bad = Control("BOOM-01", LocalText("b", "b"), "fake.boom", Severity.LOW)
    from secaudit.evaluate import evaluate_policy

    f = evaluate_policy(a, [bad], REGISTRY, {("fake", "127.0.0.1:443"): obs(5)}, [], NOW, {})
    assert f[0].verdict is Verdict.ERROR and f[0].message.key == "evaluate.check_crashed"


def test_waiver_turns_fail_into_waived_and_expired_waiver_does_not(library):
    active = Waiver("VER-03", "s", "legacy", "Director", dt.date(2026, 12, 31), "127.0.0.1:443")
    ev = evaluate([assessment(library)], [obs(2)], REGISTRY, [active], now=NOW)
    f = [x for x in ev.findings if x.control_id == "VER-03"][0]
    assert f.verdict is Verdict.WAIVED and f.waiver == active and f.evidence == ()
    assert ev.systems[0].achieved_level == 3
    old = Waiver("VER-03", "s", "legacy", "Director", dt.date(2026, 11, 22))
    ev = evaluate([assessment(library)], [obs(2)], REGISTRY, [old], now=NOW)
    assert [x.verdict for x in ev.findings if x.control_id == "VER-03"] == [Verdict.FAIL]
    assert ev.expired_waivers == (old,)
    assert any(n.key == "evaluate.waiver_expired" for n in ev.systems[0].notes)


def test_system_without_required_level_is_reported_not_evaluated(library):
    system = System("u", "U", Purpose.OTHER)
    ev = evaluate([SystemAssessment(system, None, None, None)], [], REGISTRY, now=NOW)
    assert ev.findings == () and ev.systems[0].notes[0].key == "evaluate.no_required_level"


def test_a_control_tightened_by_a_higher_level_is_reported_as_its_own_version(library):
    low = assessment(library, required=1)         # VER-01 as level 1 defines it (min 1)
    high = SystemAssessment(System("h", "H", Purpose.INTERNAL, endpoints=low.system.endpoints), 2, None, 2, "",
                            {lv: library.resolve(f"level-{lv}") for lv in (1, 2)})   # level 2 tightens it (min 2)
    ev = evaluate([low, high], [obs(2)], REGISTRY, now=NOW)
    ids = {(f.system_id, f.control_id) for f in ev.findings}
    assert ids == {("s", "VER-01@level-1"), ("h", "VER-01@level-2")}
    assert {c.id: c.params["min"] for c in ev.controls} == {"VER-01@level-1": 1, "VER-01@level-2": 2}
    # one definition only: plain ids
    ev = evaluate([low], [obs(2)], REGISTRY, now=NOW)
    assert {f.control_id for f in ev.findings} == {"VER-01"}


def test_a_system_with_nothing_to_check_is_not_verified_never_compliant(library):
    system = System("airgap", "A", Purpose.INTERNAL)
    a = SystemAssessment(system, 3, None, 3, "", {lv: library.resolve(f"level-{lv}") for lv in (1, 2, 3)})
    ev = evaluate([a], [], REGISTRY, now=NOW)
    assert ev.systems[0].achieved_level is None
    assert any(n.key == "evaluate.nothing_checked" for n in ev.systems[0].notes)
    # and its exit status is not 0: a CI job must not pass on a scan that measured nothing
    results = types.SimpleNamespace(findings=ev.findings, systems=ev.systems)
    assert scan_status(results, "low") is ExitStatus.SCAN_ERRORS
    assert scan_status(results, "low", errors_ok=True) is ExitStatus.OK


def test_a_system_reaches_no_higher_level_than_its_weakest_component(library):
    part = assessment(library)                     # achieves 2 with version 2
    parent = SystemAssessment(System("p", "P", Purpose.INTERNAL, components=("s",)), 3, None, 3, "",
                              {lv: library.resolve(f"level-{lv}") for lv in (1, 2, 3)})
    ev = evaluate([parent, part], [obs(2)], REGISTRY, now=NOW)
    by_id = {r.system_id: r for r in ev.systems}
    assert by_id["s"].achieved_level == 2 and by_id["p"].achieved_level == 2
    assert any(n.key == "evaluate.bounded_by_components" for n in by_id["p"].notes)
