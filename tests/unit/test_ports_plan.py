"""Pure planning of nmap scans: needs -> options, deadline -> timing, systems -> ports, argv, scope guard."""

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from secaudit.model import Endpoint, ObservationStatus, Probe, Service, System, Purpose
from secaudit.observations.ports import PortScan, PortState
from secaudit.probes import ports as pp

DATA = Path(__file__).parent.parent / "data"


# --------------------------------------------------------------------------- needs -> options

def test_given_only_scan_needs_then_no_service_detection_and_no_script():
    assert pp.options_for_needs({"ports:scan"}) == pp.ScanOptions(False, ())


def test_given_service_need_then_sV_only():
    assert pp.options_for_needs({"ports:scan", "ports:service"}) == pp.ScanOptions(True, ())


def test_given_nse_needs_then_sV_and_exactly_those_scripts():
    opts = pp.options_for_needs({"ports:scan", "nse:ssh-auth-methods", "nse:ssh2-enum-algos", "tls:protocols"})
    assert opts == pp.ScanOptions(True, ("ssh-auth-methods", "ssh2-enum-algos"))


def test_given_unknown_nse_need_then_refused():
    with pytest.raises(ValueError):
        pp.options_for_needs({"nse:http-shellshock"})


def test_needs_of_registered_checks_are_all_understood():
    from secaudit.checks import REGISTRY

    for spec in REGISTRY.values():
        pp.options_for_needs(spec.needs)  # raises on an unknown ports/nse need


# --------------------------------------------------------------------------- timing

@pytest.mark.parametrize("deadline,retries,host_timeout", [(5, 0, 4), (30, 1, 29), (300, 2, 299), (0.4, 0, 1)])
def test_timing_follows_the_deadline(deadline, retries, host_timeout):
    t = pp.timing_for_deadline(deadline)
    assert (t.max_retries, t.host_timeout_s) == (retries, host_timeout)
    assert t.process_timeout_s > t.host_timeout_s
    assert t.process_timeout_s <= max(deadline, 1) + 2     # a killed nmap ends within the deadline (+1 s)
    assert t.script_timeout_s <= t.host_timeout_s


def test_non_positive_deadline_refused():
    with pytest.raises(ValueError):
        pp.timing_for_deadline(0)


# --------------------------------------------------------------------------- port selection

def _system(**kw):
    return System(id="portal", name="Portal", purpose=Purpose.PUBLIC_SERVICE, **kw)


def test_ports_are_allowed_plus_endpoints_plus_default_watch_list():
    s = _system(endpoints=(Endpoint("portal.example.org", 443, Service.HTTPS),), allowed_ports=(22, 8443))
    ports = pp.select_ports(s, {})
    assert {22, 443, 8443} <= set(ports)
    for risky in (21, 23, 110, 143, 512, 513, 514, 1433, 1521, 2375, 3306, 3389, 5432, 5900, 6379, 9200, 11211, 27017):
        assert risky in ports
    assert list(ports) == sorted(set(ports))


def test_policy_watch_list_replaces_default_and_accepts_ranges():
    s = _system(endpoints=(Endpoint("h.example.org", 443, Service.HTTPS),))
    assert pp.select_ports(s, {"watch_ports": [23, "8000-8002"]}) == (23, 443, 8000, 8001, 8002)


def test_opt_in_ranges_top_n_and_full():
    s = _system(endpoints=(Endpoint("h.example.org", 443, Service.HTTPS),))
    top = pp.select_ports(s, {"watch_ports": [], "range": "top-3"}, top_ports=lambda n: [80, 23, 443][:n])
    assert top == (23, 80, 443)
    assert len(pp.select_ports(s, {"watch_ports": [], "range": "1-65535"})) == 65535


def test_top_ports_come_from_nmap_services_frequency():
    top = pp.nmap_top_ports(10)
    assert len(top) == 10 and {80, 443, 22, 23, 21} <= set(top)


def test_hosts_shared_by_systems_get_the_union():
    a = _system(endpoints=(Endpoint("h.example.org", 443, Service.HTTPS),))
    b = System(id="mail", name="Mail", purpose=Purpose.INTERNAL,
               endpoints=(Endpoint("H.example.org", 25, Service.SMTP), Endpoint("m.example.org", 993, Service.IMAP)))
    per_host = pp.ports_per_host([a, b], {"watch_ports": []})
    # a system's port set applies to each of its hosts; h is shared, so it gets both systems' sets
    assert per_host == {"h.example.org": (25, 443, 993), "m.example.org": (25, 993)}


@given(st.sets(st.integers(1, 65535), min_size=1, max_size=200))
def test_compressed_port_list_expands_to_the_same_ports(ports):
    spec = pp.compress_ports(ports)
    assert pp._expand_ports(spec) == ports
    assert all(part and part[0].isdigit() for part in spec.split(","))


# --------------------------------------------------------------------------- argv and scope guard

def test_argv_is_a_list_with_explicit_options_and_targets_after_double_dash():
    argv = pp.build_argv("/usr/bin/nmap", ["127.0.0.1", "127.0.0.2"], [443, 22, 23, 24],
                         pp.ScanOptions(True, ("ssh2-enum-algos",)), pp.timing_for_deadline(30))
    assert argv[:6] == ["/usr/bin/nmap", "-oX", "-", "-sT", "-Pn", "-n"]
    assert argv[argv.index("-p") + 1] == "22-24,443"
    assert argv[argv.index("--max-retries") + 1] == "1" and argv[argv.index("--host-timeout") + 1] == "29s"
    assert "-sV" in argv and argv[argv.index("--script") + 1] == "ssh2-enum-algos"
    assert argv[-3:] == ["--", "127.0.0.1", "127.0.0.2"]


def test_argv_without_needs_has_no_sV_and_no_script():
    argv = pp.build_argv("nmap", ["::1"], [80], pp.ScanOptions(), pp.timing_for_deadline(5), ipv6=True)
    assert "-sV" not in argv and "--script" not in argv and "-6" in argv


@pytest.mark.parametrize("host", ["-oN /tmp/x", "--script=http-title", "127.0.0.1;id", "$(touch /tmp/p)", "10.0.0.0/8"])
def test_given_injection_when_scope_checked_then_refused_with_a_reason(host):
    with pytest.raises(pp.ScopeError) as e:
        pp.check_scope({host: [22]}, scope=[host, "127.0.0.1"])
    assert e.value.key == "ports.scope.invalid_host"


def test_given_host_outside_inventory_then_refused():
    with pytest.raises(pp.ScopeError) as e:
        pp.check_scope({"127.0.0.9": [22]}, scope=["127.0.0.1"])
    assert e.value.key == "ports.scope.not_in_inventory"
    assert "127.0.0.9" in str(e.value)


@pytest.mark.parametrize("port", [0, 70000, "22;id", "-p1-65535"])
def test_given_bad_port_then_refused(port):
    with pytest.raises(pp.ScopeError):
        pp.check_scope({"127.0.0.1": [port]}, scope=["127.0.0.1"])


def test_scope_matching_is_on_normalised_hosts():
    assert pp.check_scope({"Portal.Example.ORG.": [443, 22]}, ["portal.example.org"]) == \
        {"portal.example.org": (22, 443)}


# --------------------------------------------------------------------------- parsing recorded nmap XML

class _Canned:
    def __init__(self, xml: str):
        self.xml = xml
        self.argv: list[list[str]] = []

    def __call__(self, argv, timeout):
        self.argv.append(list(argv))
        return pp.RunResult(0, self.xml, "")


TOOL = pp.NmapTool("nmap", (7, 93))


def _probe(host, ports, needs=("ports:scan",)):
    return pp.probes_for({host: ports}, needs)[0]


def test_recorded_ssh_scan_is_normalised_with_parsed_scripts():
    runner = _Canned((DATA / "nmap_ssh_weak.xml").read_text())
    probe = _probe("127.0.0.1", [42222], ("ports:scan", "nse:ssh2-enum-algos", "nse:ssh-auth-methods"))
    [obs] = pp._run_batch(TOOL, [probe], pp.ScanOptions.from_params(probe.params), pp.timing_for_deadline(30),
                          runner, False)
    assert obs.status is ObservationStatus.OK
    scan: PortScan = obs.facts
    p = scan.port(42222)
    assert p.state is PortState.OPEN and p.service.name == "ssh" and p.service.product == "OpenSSH"
    assert p.service.detected and p.service.version.startswith("9.2p1")
    assert "diffie-hellman-group1-sha1" in p.ssh_algorithms.kex
    assert p.ssh_algorithms.hostkey == ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa", "ssh-ed25519")
    assert "3des-cbc" in p.ssh_algorithms.ciphers and "hmac-md5" in p.ssh_algorithms.macs
    assert p.ssh_algorithms.compression == ("none", "zlib@openssh.com")
    assert p.ssh_auth_methods.methods == ("publickey", "password", "keyboard-interactive")
    assert scan.nmap_version == "7.93" and scan.command == tuple(runner.argv[0])
    # round trip through JSON
    again = PortScan.from_dict(json.loads(json.dumps(scan.to_dict())))
    assert again == scan


def test_collapsed_closed_ports_are_reported_closed_per_host_and_only_requested_ports_kept():
    runner = _Canned((DATA / "nmap_two_hosts_closed.xml").read_text())
    probes = [_probe("localhost", [1, 2, 3]), _probe("127.0.0.2", [39, 40])]
    obs = pp._run_batch(TOOL, probes, pp.ScanOptions(), pp.timing_for_deadline(10), runner, False)
    assert [o.status for o in obs] == [ObservationStatus.OK, ObservationStatus.OK]
    assert [p.port for p in obs[0].facts.every_port()] == [1, 2, 3]
    assert obs[0].facts.address == "127.0.0.1"
    assert all(p.state is PortState.CLOSED and p.reason == "conn-refused" for o in obs for p in o.facts.every_port())
    assert obs[0].facts.ports == () and obs[0].facts.collapsed[0].ports == "1-3"   # kept compressed
    assert runner.argv[0][runner.argv[0].index("-p") + 1] == "1-3,39-40"  # one invocation, union of ports


def test_timed_out_host_and_missing_host_and_garbage_are_errors_never_results():
    xml = (DATA / "nmap_two_hosts_closed.xml").read_text().replace(
        '<host starttime', '<host timedout="true" starttime', 1)
    obs = pp._run_batch(TOOL, [_probe("localhost", [1]), _probe("127.0.0.2", [1]), _probe("127.0.0.3", [1])],
                        pp.ScanOptions(), pp.timing_for_deadline(10), _Canned(xml), False)
    assert [o.status.value for o in obs] == ["error", "ok", "error"]
    assert "host timeout" in obs[0].error and "no result" in obs[2].error
    [bad] = pp._run_batch(TOOL, [_probe("127.0.0.2", [1])], pp.ScanOptions(), pp.timing_for_deadline(10),
                          _Canned("<not-xml"), False)
    assert bad.status is ObservationStatus.ERROR and bad.facts is None


def test_port_absent_from_nmap_output_is_an_error():
    obs = pp._run_batch(TOOL, [_probe("127.0.0.2", [41])], pp.ScanOptions(), pp.timing_for_deadline(10),
                        _Canned((DATA / "nmap_two_hosts_closed.xml").read_text()), False)
    assert obs[0].status is ObservationStatus.ERROR and "41" in obs[0].error


def test_probes_for_is_stable_and_json_friendly():
    probes = pp.probes_for({"127.0.0.2": [443, 22], "127.0.0.1": [80]}, {"ports:service"})
    assert [p.id for p in probes] == ["ports:127.0.0.1", "ports:127.0.0.2"]
    assert json.loads(json.dumps(dict(probes[1].params))) == {"service_detection": True, "scripts": [],
                                                              "ports": [22, 443]}
    assert isinstance(probes[0], Probe)


# --------------------------------------------------------------------------- OpenSSH-client fallback (pure parts)

def test_openssh_fallback_argv_never_runs_a_command_and_puts_host_after_double_dash():
    from secaudit.probes import ssh_auth

    argv = ssh_auth.build_argv("/usr/bin/ssh", "127.0.0.2", 2222, 5)
    assert "-N" in argv and argv[-2:] == ["--", "127.0.0.2"] and "PreferredAuthentications=none" in argv
    assert argv[argv.index("-p") + 1] == "2222" and "-F" in argv
    for bad_host in ("-oProxyCommand=id", "127.0.0.1;id"):
        with pytest.raises(ValueError):
            ssh_auth.build_argv("/usr/bin/ssh", bad_host, 22, 5)


def test_openssh_fallback_parses_the_denied_line():
    from secaudit.probes import ssh_auth

    m = ssh_auth.parse_denied("root@127.0.0.2: Permission denied (publickey,password,keyboard-interactive).\n")
    assert m.methods == ("publickey", "password", "keyboard-interactive") and m.source == "openssh-client"
    assert ssh_auth.parse_denied("Connection refused") is None


@given(st.lists(st.text(min_size=1, max_size=30), min_size=1, max_size=4),
       st.lists(st.one_of(st.integers(-5, 70000), st.text(max_size=8)), min_size=1, max_size=4))
def test_whatever_the_input_argv_is_refused_or_safe(hosts, ports):
    """Property: a target either raises ScopeError, or every item after '--' is one validated host."""
    try:
        checked = pp.check_scope({h: ports for h in hosts}, scope=hosts)
    except pp.ScopeError:
        return
    argv = pp.build_argv("nmap", list(checked), {p for ps in checked.values() for p in ps}, pp.ScanOptions(),
                         pp.timing_for_deadline(5))
    tail = argv[argv.index("--") + 1:]
    assert tail == list(checked)
    for item in tail:
        assert not item.startswith("-") and not any(c.isspace() for c in item)
        assert not set(item) & set(";|&$`()<>'\"\\/*,?!{}[]=")
    assert set(argv[argv.index("-p") + 1]) <= set("0123456789,-")


def test_ports_a_check_judges_are_always_scanned():
    s = _system(endpoints=(Endpoint("h.example.org", 443, Service.HTTPS),))
    assert pp.select_ports(s, {"watch_ports": [], "ports": [69, 2323], "services": ["telnet"]}) == (69, 443, 2323)


def test_level_policies_params_select_valid_ports():
    """Every ports control param in the shipped level policies is understood by select_ports."""
    import glob

    import yaml

    s = _system(endpoints=(Endpoint("h.example.org", 443, Service.HTTPS),))
    for path in glob.glob(str(Path(__file__).parents[2] / "policies" / "levels" / "*.yaml")):
        for control in (yaml.safe_load(open(path, encoding="utf-8")) or {}).get("controls", []):
            if control.get("check", "").startswith(("ports.", "ssh.")):
                assert 443 in pp.select_ports(s, control.get("params") or {})
