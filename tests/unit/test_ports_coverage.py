"""Port-scan coverage, pure (issue 12): the level's default from the policy data, per-system and per-run
overrides, what the probe records, and the compact form of a full-range observation."""

import json

import pytest

from secaudit.errors import InputError
from secaudit.model import Control, Endpoint, LocalText, PortCoverage, Purpose, Service, Severity, System
from secaudit.observations.ports import Coverage, PortGroup, PortScan, PortState
from secaudit.probes import ports as pp
from secaudit.run import ScanRequest, assess, load_inputs, make_plan, with_ports_range
from secaudit.targets import TargetError, parse_coverage

EP = Endpoint("h.example.org", 8443, Service.HTTPS, tls=True)


def _system(**kw):
    return System(id="portal", name="Portal", purpose=Purpose.INTERNAL, endpoints=(EP,), **kw)


def _control(params):
    return Control(id="PORT-UNDECL-01", title=LocalText("x", "x"), check="ports.only_allowed", params=params,
                   severity=Severity.MEDIUM)


@pytest.mark.parametrize("text, canonical", [("top-1000", "top-1000"), ("ALL", "1-65535"), ("1-1024", "1-1024"),
                                             (" 8080 ", "8080")])
def test_coverage_specs_are_read_in_one_canonical_form(text, canonical):
    assert parse_coverage(text) == canonical


@pytest.mark.parametrize("bad", ["top-0", "top-70000", "9-1", "1-70000", "-p 1-10", "1,2", "", None, 80])
def test_malformed_coverage_is_refused(bad):
    with pytest.raises(TargetError):
        parse_coverage(bad)


def test_the_widest_range_of_the_asking_controls_is_the_default():
    plan = pp.coverage_for([_system()], [_control({"range": "top-1000"}), _control({"range": "1-65535"})])
    assert plan == pp.CoveragePlan("1-65535", "policy", "1-65535")
    assert pp.coverage_for([_system()], [_control({})]) == pp.CoveragePlan("", "", "")


def test_an_override_replaces_the_default_and_the_command_line_is_named():
    narrow = _system(port_coverage=PortCoverage("top-100"))
    assert pp.coverage_for([narrow], [_control({"range": "1-65535"})]) == \
        pp.CoveragePlan("top-100", "inventory", "1-65535")
    cli = _system(port_coverage=PortCoverage("1-65535", "cli"))
    assert pp.coverage_for([cli], [_control({"range": "top-1000"})]).source == "cli"


def test_probe_params_carry_the_coverage_and_a_compressed_port_list():
    params = pp.probe_params({"ports:scan", "ports:service"}, "h.example.org", [_system()],
                             [_control({"range": "1-65535"})])
    assert params["ports"] == "1-65535" and params["coverage"]["spec"] == "1-65535"
    assert pp.probe_ports(params) == tuple(range(1, 65536))
    assert len(json.dumps(params)) < 300
    top = pp.probe_params({"ports:scan"}, "h.example.org", [_system()], [_control({"range": "top-1000"})])
    ports = pp.probe_ports(top)
    assert set(pp.nmap_top_ports(1000)) <= set(ports) and 8443 in ports and 23 in ports
    assert {2323, 8081} <= set(ports)


@pytest.mark.parametrize("level, spec", [(1, "top-1000"), (2, "top-1000"), (3, "top-1000"), (4, "1-65535"),
                                         (5, "1-65535")])
def test_level_policies_set_the_default_coverage(level, spec):
    req = ScanRequest(targets=("h.example.org:8443",), level=level, only=("ports",))
    inventory, _, library = load_inputs(req)
    plan = make_plan(req, assess(req, inventory, library), inventory)
    [probe] = [p for p in plan.probes if p.kind == "ports"]
    assert probe.params["coverage"] == {"spec": spec, "source": "policy", "default": spec}


def test_ports_range_on_the_command_line_applies_to_every_system():
    req = ScanRequest(targets=("h.example.org:8443",), level=4, only=("ports",), ports_range="top-100")
    inventory, _, library = load_inputs(req)
    assert {s.port_coverage for s in inventory.systems} == {PortCoverage("top-100", "cli")}
    plan = make_plan(req, assess(req, inventory, library), inventory)
    [probe] = plan.probes
    assert probe.params["coverage"] == {"spec": "top-100", "source": "cli", "default": "1-65535"}
    with pytest.raises(InputError) as e:
        with_ports_range(inventory, "top-0")
    assert (e.value.diagnostics[0].file, e.value.diagnostics[0].key) == ("--ports-range", "target.coverage")


def test_a_full_range_observation_stays_small_and_answers_for_every_port():
    scan = PortScan(host="h", address="127.0.0.1", ports=(), requested_ports=tuple(range(1, 65536)),
                    service_detection=True, scripts=(), nmap_version="7.93", command=("nmap",),
                    collapsed=(PortGroup(PortState.CLOSED, "conn-refused", "1-65535", 65535),),
                    coverage=Coverage("1-65535", "policy", "1-65535"))
    text = json.dumps(scan.to_dict())
    assert len(text) < 1000
    again = PortScan.from_dict(json.loads(text))
    assert again == scan and again.port(4444).state is PortState.CLOSED and again.scanned_count == 65535
    assert again.state_counts() == {"closed": 65535}


def test_a_v1_observation_still_reads():
    v1 = {"schema": "secaudit/observation/ports/v1", "host": "h", "address": "a", "ports": [],
          "requested_ports": [22, 23], "service_detection": False, "scripts": [], "nmap_version": "7.93",
          "command": ["nmap"], "elapsed_s": 0.1}
    scan = PortScan.from_dict(v1)
    assert scan.requested_ports == (22, 23) and scan.coverage == Coverage()

