"""Real nmap against real loopback listeners: batching, normalised facts, every check passing and failing.

Two "hosts" on loopback, one nmap invocation each (in parallel):

* 127.0.0.1 — system ``legacy``: HTTPS (declared), plain HTTP without redirect (declared), a telnet-like
  server on a non-standard port (declared, yet forbidden), an undeclared HTTP port, and a weak OpenSSH.
* 127.0.0.2 — system ``portal``: HTTPS, plain HTTP redirecting to HTTPS, and a hardened OpenSSH.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import os
import types
from pathlib import Path

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.errors import ToolMissingError
from secaudit.lab.servers import closed_port, free_port
from secaudit.model import Endpoint, ObservationStatus, Probe, Purpose, Service, System, Verdict
from secaudit.observations.ports import PortState
from secaudit.probes import http as http_probe
from secaudit.probes import ports as pp
from tests.integration import ports_servers as srv

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not srv.nmap_available(), reason="nmap not installed (make sysdeps)")]

A, B = "127.0.0.1", "127.0.0.2"
PORT_CHECKS = ("ports.only_allowed", "ports.forbidden_services", "ssh.algorithms", "ssh.password_auth")


class Recorder:
    """Runs real nmap (subprocess_runner) and records each argv actually executed."""

    def __init__(self) -> None:
        self.argv: list[list[str]] = []

    def __call__(self, argv, timeout):
        self.argv.append(list(argv))
        return pp.subprocess_runner(argv, timeout)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ports-lab")
    with contextlib.ExitStack() as stack:
        enter = stack.enter_context
        (tmp / "a").mkdir()
        (tmp / "b").mkdir()
        https_a = enter(srv.tls_http_server(tmp / "a", A))
        https_b = enter(srv.tls_http_server(tmp / "b", B))
        plain_a = enter(srv.http_server(A))
        undeclared_a = enter(srv.http_server(A))
        telnet_a = enter(srv.telnet_like_server(A))
        redirect_b = enter(srv.http_server(B, 301, f"https://{B}:{https_b}/"))
        ssh_weak = enter(srv.sshd(tmp / "ssh-weak", A, hardened=False))
        ssh_hard = enter(srv.sshd(tmp / "ssh-hard", B, hardened=True))
        closed = enter(closed_port(A))  # held bound, never listening: refused, and no other test's server takes it

        legacy = System(id="legacy", name="Legacy", purpose=Purpose.INTERNAL,
                        endpoints=(Endpoint(A, https_a, Service.HTTPS, tls=True), Endpoint(A, plain_a, Service.HTTP)),
                        allowed_ports=(telnet_a, ssh_weak))
        portal = System(id="portal", name="Portal", purpose=Purpose.PUBLIC_SERVICE,
                        endpoints=(Endpoint(B, https_b, Service.HTTPS, tls=True), Endpoint(B, redirect_b, Service.HTTP),
                                   Endpoint(B, ssh_hard, Service.SSH)))
        targets = pp.ports_per_host([legacy, portal], {})
        targets[A] = tuple(sorted(set(targets[A]) | {undeclared_a, closed}))
        needs = frozenset().union(*(REGISTRY[n].needs for n in PORT_CHECKS))
        scope = [e.host for s in (legacy, portal) for e in s.endpoints]
        recorder = Recorder()
        started = dt.datetime.now()
        observations = pp.run_probes(pp.probes_for(targets, needs), scope, deadline_s=60, runner=recorder)
        scan_seconds = (dt.datetime.now() - started).total_seconds()
        http_obs = http_probe.run_probes([http_probe.probe_for(e) for s in (legacy, portal) for e in s.endpoints
                                          if e.service is Service.HTTP], scope, timeout_s=5)
        yield types.SimpleNamespace(
            legacy=legacy, portal=portal, recorder=recorder, scan_seconds=scan_seconds,
            obs={o.target: o for o in observations}, http={o.target: o for o in http_obs}, targets=targets,
            ports=dict(https_a=https_a, https_b=https_b, plain_a=plain_a, undeclared_a=undeclared_a,
                       telnet_a=telnet_a, redirect_b=redirect_b, ssh_weak=ssh_weak, ssh_hard=ssh_hard, closed=closed))


def _judge(lab, name, system, host, endpoint=None, params=None):
    kind = "http" if name.startswith("http.") else "ports"
    obs = lab.http[endpoint.address] if kind == "http" else lab.obs[host]
    ctx = CheckContext(system=system, target=endpoint.address if endpoint else host, endpoint=endpoint,
                       observations={kind: obs}, now=dt.datetime.now(dt.timezone.utc))
    return REGISTRY[name].func(params or {}, ctx)


# --------------------------------------------------------------------------- the scan itself

def test_one_nmap_invocation_per_host_with_all_its_ports_and_explicit_options(lab):
    # one nmap per host (run in parallel): a host that stalls can only cost itself (issue 12)
    assert len(lab.recorder.argv) == 2, "each host gets its own nmap, with all its ports"
    by_host = {argv[-1]: argv for argv in lab.recorder.argv}
    assert set(by_host) == {A, B}
    for host, argv in by_host.items():
        assert argv[1:6] == ["-oX", "-", "-sT", "-Pn", "-n"]
        assert argv[-2:] == ["--", host]
        assert pp._expand_ports(argv[argv.index("-p") + 1]) == set(lab.targets[host])
        assert "-sV" in argv and argv[argv.index("--script") + 1] == "ssh-auth-methods,ssh2-enum-algos"
        assert argv[argv.index("--host-timeout") + 1] == "59s" and argv[argv.index("--max-retries") + 1] == "2"
        # the observation records the argv really run
        assert list(lab.obs[host].facts.command) == argv
    assert lab.scan_seconds < 60


def test_ports_are_normalised_open_and_closed_with_detected_services(lab):
    a = lab.obs[A]
    assert a.status is ObservationStatus.OK, a.error
    facts = a.facts
    assert facts.nmap_version and facts.service_detection
    assert [p.port for p in facts.every_port()] == list(lab.targets[A])   # only this host's ports, each with a state
    telnet = facts.port(lab.ports["telnet_a"])
    assert telnet.state is PortState.OPEN and telnet.service.name == "telnet" and telnet.service.detected
    ssh = facts.port(lab.ports["ssh_weak"])
    assert ssh.service.name == "ssh" and ssh.service.product == "OpenSSH" and ssh.service.version
    https = facts.port(lab.ports["https_a"])
    assert https.is_open and https.service.tunnel == "ssl"
    assert facts.port(lab.ports["undeclared_a"]).service.name == "http"
    for closed in (lab.ports["closed"], 23, 21):
        assert facts.port(closed).state is PortState.CLOSED
    assert all(p.state is PortState.CLOSED for p in lab.obs[B].facts.every_port()
               if p.port in pp.DEFAULT_WATCH_PORTS)


def test_nse_output_is_parsed_into_fields(lab):
    weak = lab.obs[A].facts.port(lab.ports["ssh_weak"])
    assert "diffie-hellman-group1-sha1" in weak.ssh_algorithms.kex
    assert {"3des-cbc", "aes128-cbc"} <= set(weak.ssh_algorithms.ciphers)
    assert "ssh-rsa" in weak.ssh_algorithms.hostkey
    assert set(weak.ssh_auth_methods.methods) >= {"publickey", "password", "keyboard-interactive"}
    hard = lab.obs[B].facts.port(lab.ports["ssh_hard"])
    assert hard.ssh_algorithms.ciphers == ("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com",
                                           "aes128-gcm@openssh.com")
    assert hard.ssh_algorithms.hostkey == ("ssh-ed25519",)
    # nmap's libssh2 cannot negotiate with the hardened server: the OpenSSH-client fallback measured it
    assert hard.ssh_auth_methods.methods == ("publickey",)
    assert hard.ssh_auth_methods.source == "openssh-client"
    assert "Script execution failed" in hard.scripts["ssh-auth-methods"]
    assert weak.ssh_auth_methods.source == "nse:ssh-auth-methods"


# --------------------------------------------------------------------------- every check fails on A, passes on B

@pytest.mark.parametrize("name", PORT_CHECKS)
def test_each_port_check_fails_on_the_legacy_host_and_passes_on_the_portal(lab, name):
    bad = _judge(lab, name, lab.legacy, A)
    good = _judge(lab, name, lab.portal, B)
    assert bad.verdict is Verdict.FAIL, bad
    assert good.verdict is Verdict.PASS, good
    assert bad.evidence and all(e.value for e in bad.evidence)


def test_failure_evidence_is_actionable(lab):
    p = lab.ports
    only = _judge(lab, "ports.only_allowed", lab.legacy, A)
    undeclared = [e.value for e in only.evidence if e.label == "ports.evidence.undeclared_port"]
    assert len(undeclared) == 1 and undeclared[0].startswith(f"{p['undeclared_a']}/tcp http")
    forbidden = _judge(lab, "ports.forbidden_services", lab.legacy, A)
    assert [e.label for e in forbidden.evidence] == ["ports.evidence.forbidden_service", "ports.evidence.coverage"]
    assert forbidden.evidence[0].value.startswith(f"{p['telnet_a']}/tcp telnet")
    algos = {e.label: e.value for e in _judge(lab, "ssh.algorithms", lab.legacy, A).evidence}
    assert "diffie-hellman-group1-sha1" in algos["ssh.evidence.weak_kex"]
    assert "3des-cbc" in algos["ssh.evidence.weak_ciphers"] and "hmac-md5" in algos["ssh.evidence.weak_macs"]
    assert algos["ssh.evidence.weak_hostkey"] == f"{p['ssh_weak']}/tcp: ssh-rsa"


def test_ssh_checks_are_not_applicable_on_a_host_without_ssh(lab):
    facts = lab.obs[A].facts
    without = type(facts)(**{**facts.__dict__, "ports": tuple(x for x in facts.ports if x.service_name != "ssh")})
    obs = lab.obs[A].__class__(**{**lab.obs[A].__dict__, "facts": without})
    ctx = CheckContext(system=lab.legacy, target=A, endpoint=None, observations={"ports": obs},
                       now=dt.datetime.now(dt.timezone.utc))
    assert REGISTRY["ssh.algorithms"].func({}, ctx).verdict is Verdict.NOT_APPLICABLE


def test_http_redirect_check_passes_on_redirect_and_fails_without(lab):
    plain = lab.legacy.endpoints[1]
    redirect = lab.portal.endpoints[1]
    bad = _judge(lab, "http.redirects_to_https", lab.legacy, A, plain)
    good = _judge(lab, "http.redirects_to_https", lab.portal, B, redirect)
    assert bad.verdict is Verdict.FAIL and bad.message.key == "http.redirect.none"
    assert good.verdict is Verdict.PASS
    facts = lab.http[redirect.address].facts
    assert facts.status == 301 and facts.location == f"https://{B}:{lab.ports['https_b']}/" and facts.same_host


# --------------------------------------------------------------------------- scope guard and tool checks

INJECTIONS = ["-oN /tmp/secaudit-inj-x", "-oN", "--script=http-title", "127.0.0.1;id", "$(touch /tmp/secaudit-inj-y)",
              "127.0.0.1 -oN /tmp/secaudit-inj-z", "127.0.0.0/24", "-iL/etc/passwd"]


@pytest.mark.parametrize("host", INJECTIONS)
def test_injection_is_refused_before_nmap_starts(host):
    recorder = Recorder()
    probe = Probe(id="x", kind="ports", target=host, params={"ports": [22], "service_detection": False, "scripts": []})
    with pytest.raises(pp.ScopeError):
        pp.run_probes([probe, *pp.probes_for({A: [22]}, {"ports:scan"})], scope=[host, A], runner=recorder)
    with pytest.raises(pp.ScopeError):
        pp.scan({host: [22]}, {"ports:scan"}, scope=[host], runner=recorder)
    assert recorder.argv == []
    assert glob.glob("/tmp/secaudit-inj-*") == []


def test_option_like_port_and_out_of_scope_host_are_refused():
    recorder = Recorder()
    with pytest.raises(pp.ScopeError):
        pp.scan({A: ["22,23 -oN /tmp/secaudit-inj-p"]}, {"ports:scan"}, scope=[A], runner=recorder)
    with pytest.raises(pp.ScopeError) as e:
        pp.scan({"127.0.0.9": [22]}, {"ports:scan"}, scope=[A], runner=recorder)
    assert "not a host declared in the inventory" in str(e.value)
    assert recorder.argv == [] and glob.glob("/tmp/secaudit-inj-*") == []


def test_valid_scan_argv_contains_only_validated_items():
    recorder = Recorder()
    with closed_port(A) as port:
        [obs] = pp.scan({"LOCALHOST": [port]}, {"ports:scan"}, scope=["localhost"], runner=recorder, deadline_s=5)
    assert obs.status is ObservationStatus.OK, obs.error
    argv = recorder.argv[0]
    assert argv[-2:] == ["--", "localhost"]
    assert all(a and not a[0].isspace() for a in argv)
    assert obs.facts.every_port()[0].state is PortState.CLOSED


def test_missing_nmap_is_a_tool_missing_error(tmp_path):
    with pytest.raises(ToolMissingError) as e:
        pp.scan({A: [22]}, {"ports:scan"}, scope=[A], nmap_path=str(tmp_path / "no-such-nmap"))
    assert e.value.key == "cli.tool_missing.nmap"


def test_too_old_nmap_is_refused_with_versions(tmp_path):
    fake = tmp_path / "nmap"
    fake.write_text("#!/bin/sh\necho 'Nmap version 6.40 ( http://nmap.org )'\n")
    fake.chmod(0o755)
    with pytest.raises(ToolMissingError) as e:
        pp.scan({A: [22]}, {"ports:scan"}, scope=[A], nmap_path=str(fake))
    assert e.value.key == "cli.tool_too_old.nmap" and e.value.args_ == {"found": "6.40", "needed": "7.80"}


def test_ipv6_loopback_is_scanned_in_its_own_batch_with_dash_6():
    if not os.path.exists("/proc/net/if_inet6"):
        pytest.skip("no IPv6")
    recorder = Recorder()
    port = free_port("::1")
    obs = pp.scan({"::1": [port], A: [port]}, {"ports:scan"}, scope=["::1", A], runner=recorder, deadline_s=5)
    assert [o.status for o in obs] == [ObservationStatus.OK, ObservationStatus.OK]
    assert len(recorder.argv) == 2 and sum("-6" in a for a in recorder.argv) == 1
    assert {o.facts.address for o in obs} == {"::1", A}


def test_data_paths_exist():
    assert Path("/usr/share/nmap/nmap-services").exists()
