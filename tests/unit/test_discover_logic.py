"""Discovery's pure parts: the scope guard, nmap XML read only inside the scope, the judgement against the inventory."""

from __future__ import annotations

import pytest

from secaudit.checks.discover import judge_network
from secaudit.probes.discover_scope import declared_ports, zone_system
from secaudit.model import Endpoint, Purpose, System, Verdict, Zone
from secaudit.observations.discover import DiscoveryFacts, LiveHost
from secaudit.probes.discover import discovery_argv, guard_networks, live_hosts, ports_argv
from secaudit.probes.ports import ScopeError
from secaudit.targets import parse_scope


def test_guard_keeps_declared_and_refuses_outside():
    assert guard_networks(["127.0.0.16/30"]) == ["127.0.0.16/30"]
    assert guard_networks(["127.0.0.16/30"], ["127.0.0.16/31"]) == ["127.0.0.16/31"]
    for outside in ("127.0.0.20/31", "127.0.0.0/24", "::1/128"):
        with pytest.raises(ScopeError) as e:
            guard_networks(["127.0.0.16/30"], [outside])
        assert e.value.key == "discover.scope.outside"
    for bad in ("127.0.0.17/30", "-127.0.0.0/8", "127.0.0.1", "10.0.0.0-255"):
        with pytest.raises(ScopeError):
            guard_networks(["127.0.0.16/30"], [bad])
    with pytest.raises(ScopeError):
        guard_networks([])


def test_guard_size_limit_and_flag():
    with pytest.raises(ScopeError) as e:
        guard_networks(["127.0.0.0/8"])
    assert e.value.key == "discover.scope.too_large"
    assert guard_networks(["127.0.0.0/8"], allow_large=True) == ["127.0.0.0/8"]
    assert guard_networks(["127.0.0.0/16"]) == ["127.0.0.0/16"]                    # exactly the default limit
    with pytest.raises(ScopeError):
        guard_networks(["127.0.0.0/16"], max_prefix=24)
    with pytest.raises(ScopeError):
        guard_networks(["::/96"])                                                  # more than 65,536 addresses


def test_argv_puts_targets_after_double_dash():
    argv = discovery_argv("/usr/bin/nmap", "127.0.0.16/30", 10)
    assert argv[-2:] == ["--", "127.0.0.16/30"] and "--unprivileged" in argv and "-sn" in argv
    argv = ports_argv("/usr/bin/nmap", ["127.0.0.16"], [22, 80, 81], 10, False)
    assert argv[-2:] == ["--", "127.0.0.16"] and "22,80-81" in argv and "-sT" in argv


XML = """<?xml version="1.0"?><nmaprun version="7.93">
<host><status state="up" reason="conn-refused"/><address addr="127.0.0.16" addrtype="ipv4"/></host>
<host><status state="up" reason="syn-ack"/><address addr="127.0.0.99" addrtype="ipv4"/></host>
<host><status state="down" reason="no-response"/><address addr="127.0.0.17" addrtype="ipv4"/></host>
</nmaprun>"""


def test_live_hosts_only_inside_scope():
    version, up = live_hosts(XML, parse_scope(["127.0.0.16/30"]))
    assert version == "7.93" and up == [("127.0.0.16", "conn-refused")]


def test_judgement_tells_the_cases_apart():
    inv_systems = [System("db", "DB", Purpose.INTERNAL, endpoints=(Endpoint("127.0.0.16", 22),)),
                   System("off", "Off", Purpose.INTERNAL, endpoints=(Endpoint("127.0.0.18", 443),)),
                   System("far", "Far", Purpose.INTERNAL, endpoints=(Endpoint("127.0.0.40", 443),))]
    declared, unresolved = declared_ports(inv_systems, resolve=False)
    zone = zone_system(Zone("lan", ("127.0.0.16/30",)), ["127.0.0.16/30"], declared)
    assert {e.host for e in zone.endpoints} == {"127.0.0.16", "127.0.0.18"} and not unresolved
    facts = DiscoveryFacts("127.0.0.16/30", 4, (22, 80, 3306), (
        LiveHost("127.0.0.16", "syn-ack", (22, 3306)), LiveHost("127.0.0.17", "conn-refused", (80,))))
    from secaudit.checks.discover import declared_ports as zone_declared

    out = {t: o.verdict for t, o in judge_network(facts, zone_declared(zone))}
    assert out == {"127.0.0.16:3306": Verdict.FAIL, "127.0.0.17": Verdict.FAIL,
                   "127.0.0.18": Verdict.NOT_APPLICABLE}
    quiet = DiscoveryFacts("127.0.0.16/30", 4, (22,), (LiveHost("127.0.0.16", "syn-ack", (22,)),))
    assert {t: o.verdict for t, o in judge_network(quiet, zone_declared(zone))}["127.0.0.16"] is Verdict.PASS


def test_names_are_listed_when_they_do_not_resolve():
    _, unresolved = declared_ports([System("n", "N", Purpose.INTERNAL,
                                           endpoints=(Endpoint("portal.agency.example", 443),))], resolve=False)
    assert unresolved == ["portal.agency.example"]


class _Failing:
    """A runner standing in for nmap that fails the way nmap does (pure: no process is started)."""

    def __init__(self, outcome):
        self.outcome = outcome

    def __call__(self, argv, timeout):
        import subprocess

        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return subprocess.CompletedProcess(argv, self.outcome, "", "nmap: bad thing\n")


@pytest.mark.parametrize("outcome, key", [
    (1, "discover.probe.discovery_failed"),
    (__import__("subprocess").TimeoutExpired(["nmap"], 12.0), "discover.probe.timeout"),
    (PermissionError(13, "Permission denied"), "ports.probe.nmap_not_started"),
])
def test_a_failed_sweep_is_an_error_observation_with_a_reason_in_both_languages(outcome, key):
    from secaudit.i18n import t
    from secaudit.model import Probe
    from secaudit.plan import probe_id
    from secaudit.probes.discover import Sweep, run_probes

    params = Sweep("127.0.0.0/30", (22,)).to_params()
    probes = [Probe(probe_id("discover", "127.0.0.0/30", params), "discover", "127.0.0.0/30", params)]
    [obs] = run_probes(probes, ["127.0.0.0/30"], deadline_s=30, runner=_Failing(outcome))
    assert obs.status.value == "error" and obs.facts is None
    assert obs.reason is not None and obs.reason.key == key
    assert obs.reason_text("vi") != obs.reason_text("en") == obs.error
    assert t(key, "vi") != t(key, "en")           # the catalog has both languages of the key


# ----------------------------------------------------------------------------- discovery in the one pipeline

def _inventory():
    from secaudit.model import Inventory, Organisation

    systems = (System("db", "DB", Purpose.INTERNAL, zone="lan", endpoints=(Endpoint("127.26.1.2", 22),)),)
    zones = (Zone("lan", ("127.26.1.0/29", "127.26.2.0/30"), "LAN"), Zone("empty", ()))
    return Inventory(Organisation("Lab"), systems, zones=zones)


def _options(**kw):
    from secaudit.probes.registry import option_values

    return option_values("discover", kw)


def zone_assessments(inventory, options, file, resolve=True):
    """The zones as the pipeline assesses them: the discover family's subjects, each against its policy."""
    from secaudit.policy import default_library
    from secaudit.probes.discover import DiscoverFamily
    from secaudit.run import subject_assessment

    library = default_library()
    return [subject_assessment(s, library)
            for s in DiscoverFamily().subjects(inventory, options, source=file, lookups=resolve)]


def test_zones_become_assessed_systems_whose_networks_are_planned_one_probe_each():
    from secaudit import checks
    from secaudit.plan import build_plan

    [a] = zone_assessments(_inventory(), _options(network=("127.26.1.0/30",)), "inv.yaml", resolve=False)
    assert a.family_subject and a.system.id == "zone:lan" and a.system.networks == ("127.26.1.0/30",)
    assert a.system.endpoints == (Endpoint("127.26.1.2", 22),) and a.required_policy.controls[0].id == "DISC-01"
    [probe] = build_plan([a], checks.REGISTRY).probes
    assert (probe.kind, probe.target, len(probe.params["ports"])) == ("discover", "127.26.1.0/30", 100)
    [wide] = zone_assessments(_inventory(), _options(top_ports=1000), "inv.yaml", resolve=False)
    assert [len(p.params["ports"]) for p in build_plan([wide], checks.REGISTRY).probes] == [1000, 1000]
    with pytest.raises(ScopeError):
        zone_assessments(_inventory(), _options(network=("127.26.3.0/30",)), "inv.yaml", resolve=False)
    with pytest.raises(ScopeError):
        zone_assessments(_inventory(), _options(max_prefix=30), "inv.yaml", resolve=False)     # the /29
    from secaudit.errors import InputError

    with pytest.raises(InputError):
        zone_assessments(_inventory(), _options(zone=("empty",)), "inv.yaml", resolve=False)


def test_evaluation_gives_one_finding_per_host_and_port_citing_the_requirement():
    from secaudit import checks
    from secaudit.evaluate import evaluate
    from secaudit.model import Observation, ObservationStatus
    from secaudit.run import regime_citer

    [a] = zone_assessments(_inventory(), _options(network=("127.26.1.0/30",)), "inv.yaml", resolve=False)
    facts = DiscoveryFacts("127.26.1.0/30", 4, (22, 3306), (LiveHost("127.26.1.2", "syn-ack", (22, 3306)),
                                                            LiveHost("127.26.1.3", "conn-refused", ())))
    ok = Observation("p", "discover", "127.26.1.0/30", ObservationStatus.OK, facts, None, "", 0.1)
    ev = evaluate([a], [ok], checks.REGISTRY, citer=regime_citer(None))
    assert {(f.target, f.verdict) for f in ev.findings} == {("127.26.1.2:3306", Verdict.FAIL),
                                                             ("127.26.1.3", Verdict.FAIL)}
    assert all("TCVN 14423:2026 [hw-assets.rogue-detect]" in f.references for f in ev.findings)
    assert ev.systems[0].achieved_level == 0 and ev.systems[0].policy_id == "discovery"
    failed = Observation("p", "discover", "127.26.1.0/30", ObservationStatus.ERROR, None, "nmap died", "", 0.1)
    [f] = evaluate([a], [failed], checks.REGISTRY).findings
    assert (f.target, f.verdict, f.message.key) == ("127.26.1.0/30", Verdict.ERROR, "discover.error.probe")
    [f] = evaluate([a], [], checks.REGISTRY).findings                                 # never swept: not a pass
    assert (f.target, f.verdict) == ("127.26.1.0/30", Verdict.ERROR)


def test_a_worker_scope_covers_only_networks_inside_it():
    scope = parse_scope(["127.26.1.0/24", "portal.lab.example"])
    assert scope.covers("127.26.1.0/30") and scope.covers("127.26.1.0/24") and scope.covers("127.26.1.9")
    for outside in ("127.26.0.0/16", "127.26.2.0/30", "127.26.1.1/30", "-127.26.1.0/30", "::1/128", "0.0.0.0/0"):
        assert not scope.covers(outside), outside


def test_a_sweep_where_nothing_answered_is_a_stated_pass_not_nothing_verified():
    """No live host: the network gets one PASS saying what the sweep could see (before: no finding at all, so
    the run exited 3 "nothing verified" although the sweep ran). A declared host that was silent stays N/A."""
    from secaudit.checks.discover import declared_ports as zone_declared
    from secaudit.i18n import t

    zone = zone_system(Zone("lan", ("127.0.0.16/30",)), ["127.0.0.16/30"],
                       {"127.0.0.18": frozenset({443})})
    empty = DiscoveryFacts("127.0.0.16/30", 4, (22, 80), ())
    out = judge_network(empty, zone_declared(zone))
    assert {tg: o.verdict for tg, o in out} == {"127.0.0.18": Verdict.NOT_APPLICABLE, "127.0.0.16/30": Verdict.PASS}
    message = dict(out)["127.0.0.16/30"].message
    for lang in ("en", "vi"):
        text = t(message.key, lang, **message.args)
        assert "127.0.0.16/30" in text and "4" in text and "{" not in text
    live = DiscoveryFacts("127.0.0.16/30", 4, (22,), (LiveHost("127.0.0.17", "syn-ack", (22,)),))
    assert "127.0.0.16/30" not in dict(judge_network(live, zone_declared(zone)))
