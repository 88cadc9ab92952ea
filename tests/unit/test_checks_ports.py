"""Port, SSH and HTTP-redirect checks on canned observations: pass, fail, error and not-applicable."""

import datetime as dt
import json

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.model import Endpoint, Observation, ObservationStatus, Purpose, Service, System, Verdict
from secaudit.observations.http import HttpRedirect
from secaudit.observations.ports import (
    Coverage, PortFact, PortScan, PortState, ServiceInfo, SshAlgorithms, SshAuthMethods,
    parse_ssh2_enum_algos, parse_ssh_auth_methods,
)

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
SYSTEM = System(id="portal", name="Portal", purpose=Purpose.PUBLIC_SERVICE,
                endpoints=(Endpoint("h.example.org", 443, Service.HTTPS), Endpoint("h.example.org", 80, Service.HTTP)),
                allowed_ports=(22,))

HARD = SshAlgorithms(kex=("curve25519-sha256", "kex-strict-s-v00@openssh.com"), hostkey=("ssh-ed25519",),
                     ciphers=("chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com"),
                     macs=("hmac-sha2-256-etm@openssh.com",), compression=("none",))
WEAK = SshAlgorithms(kex=("curve25519-sha256", "diffie-hellman-group1-sha1"), hostkey=("ssh-rsa", "ssh-ed25519"),
                     ciphers=("aes128-ctr", "aes256-cbc", "3des-cbc"), macs=("hmac-sha1", "umac-64@openssh.com"),
                     compression=("none",))


def svc(name, product="", method="probed", tunnel=""):
    return ServiceInfo(name=name, product=product, method=method, confidence=10 if method == "probed" else 3,
                       tunnel=tunnel)


def scan(*ports, sv=True, coverage=Coverage(), requested=None):
    return PortScan(host="h.example.org", address="192.0.2.1", ports=tuple(ports),
                    requested_ports=tuple(sorted(requested or (p.port for p in ports))), service_detection=sv,
                    scripts=("ssh-auth-methods", "ssh2-enum-algos"), nmap_version="7.93",
                    command=("nmap", "-sT"), elapsed_s=0.1, coverage=coverage)


def ctx(facts=None, kind="ports", endpoint=None, error=None, system=SYSTEM):
    obs = {}
    if facts is not None or error:
        obs[kind] = Observation("p", kind, "h.example.org", ObservationStatus.ERROR if error else ObservationStatus.OK,
                                facts, error)
    return CheckContext(system=system, target="h.example.org" if endpoint is None else endpoint.address,
                        endpoint=endpoint, observations=obs, now=NOW)


def run(name, c, params=None):
    return REGISTRY[name].func(params or {}, c)


OPEN_443 = PortFact(443, "tcp", PortState.OPEN, "syn-ack", svc("http", "nginx", tunnel="ssl"))
OPEN_80 = PortFact(80, "tcp", PortState.OPEN, "syn-ack", svc("http", "nginx"))
CLOSED_23 = PortFact(23, "tcp", PortState.CLOSED, "conn-refused", svc("telnet", method="table"))
SSH_HARD = PortFact(22, "tcp", PortState.OPEN, "syn-ack", svc("ssh", "OpenSSH"), HARD, SshAuthMethods(("publickey",)))
SSH_WEAK = PortFact(2222, "tcp", PortState.OPEN, "syn-ack", svc("ssh", "OpenSSH"), WEAK,
                    SshAuthMethods(("publickey", "password", "keyboard-interactive")))
TELNET_2323 = PortFact(2323, "tcp", PortState.OPEN, "syn-ack", svc("telnet", "Linux telnetd"))


# --------------------------------------------------------------------------- ports.only_allowed

def test_only_allowed_passes_when_every_open_port_is_declared():
    out = run("ports.only_allowed", ctx(scan(OPEN_443, OPEN_80, CLOSED_23, SSH_HARD)))
    assert out.verdict is Verdict.PASS


def test_only_allowed_fails_on_undeclared_port_with_detected_service_as_evidence():
    out = run("ports.only_allowed", ctx(scan(OPEN_443, TELNET_2323, SSH_WEAK)))
    assert out.verdict is Verdict.FAIL
    values = [e.value for e in out.evidence if e.label == "ports.evidence.undeclared_port"]
    assert values == ["2222/tcp ssh (OpenSSH)", "2323/tcp telnet (Linux telnetd)"]
    assert out.message.args["ports"] == "2222, 2323"


def test_only_allowed_accepts_params_also_allowed():
    assert run("ports.only_allowed", ctx(scan(TELNET_2323)), {"also_allowed": [2323]}).verdict is Verdict.PASS


@pytest.mark.parametrize("name", ["ports.only_allowed", "ports.forbidden_services", "ssh.algorithms",
                                  "ssh.password_auth"])
def test_missing_or_failed_observation_is_an_error_never_a_pass(name):
    assert run(name, ctx()).verdict is Verdict.ERROR
    failed = run(name, ctx(error="nmap gave up on h.example.org after the host timeout of 5 s"))
    assert failed.verdict is Verdict.ERROR and "host timeout" in failed.message.render("en")


# --------------------------------------------------------------------------- ports.forbidden_services

def test_forbidden_services_passes_with_only_closed_legacy_ports():
    assert run("ports.forbidden_services", ctx(scan(OPEN_443, CLOSED_23, SSH_HARD))).verdict is Verdict.PASS


def test_telnet_on_a_non_standard_port_is_still_telnet():
    out = run("ports.forbidden_services", ctx(scan(OPEN_443, TELNET_2323)))
    assert out.verdict is Verdict.FAIL
    assert [(e.label, e.value) for e in out.evidence] == [("ports.evidence.forbidden_service",
                                                           "2323/tcp telnet (Linux telnetd)"),
                                                          ("ports.evidence.coverage", "2 = - + declared/watched")]


def test_forbidden_port_fails_even_when_the_service_is_not_recognised():
    p = PortFact(23, "tcp", PortState.OPEN, "syn-ack", svc("tcpwrapped", method="probed"))
    out = run("ports.forbidden_services", ctx(scan(p)))
    assert out.verdict is Verdict.FAIL and out.evidence[0].label == "ports.evidence.forbidden_port"


def test_table_guess_is_not_detection_and_tls_tunnel_is_not_cleartext():
    guess = PortFact(8023, "tcp", PortState.OPEN, "syn-ack", svc("telnet", method="table"))
    ftps = PortFact(990, "tcp", PortState.OPEN, "syn-ack", svc("ftp", "vsftpd", tunnel="ssl"))
    assert run("ports.forbidden_services", ctx(scan(guess, ftps))).verdict is Verdict.PASS


def test_forbidden_params_replace_defaults_and_no_sV_is_warned():
    redis = PortFact(6379, "tcp", PortState.OPEN, "syn-ack", svc("redis", "Redis key-value store"))
    out = run("ports.forbidden_services", ctx(scan(redis, TELNET_2323, sv=False)), {"services": ["redis"], "ports": []})
    assert out.verdict is Verdict.FAIL and [e.value for e in out.evidence] == ["6379/tcp redis (Redis key-value store)",
                                                                     "2 = - + declared/watched"]
    assert out.warnings and out.warnings[0].key == "ports.warning.no_service_detection"


# --------------------------------------------------------------------------- ssh

def test_ssh_algorithms_pass_on_hardened_and_fail_on_weak_with_offending_names():
    assert run("ssh.algorithms", ctx(scan(SSH_HARD))).verdict is Verdict.PASS
    out = run("ssh.algorithms", ctx(scan(SSH_HARD, SSH_WEAK)))
    assert out.verdict is Verdict.FAIL
    ev = {e.label: e.value for e in out.evidence}
    assert ev == {"ssh.evidence.weak_kex": "2222/tcp: diffie-hellman-group1-sha1",
                  "ssh.evidence.weak_ciphers": "2222/tcp: aes256-cbc, 3des-cbc",
                  "ssh.evidence.weak_macs": "2222/tcp: hmac-sha1, umac-64@openssh.com",
                  "ssh.evidence.weak_hostkey": "2222/tcp: ssh-rsa"}


def test_ssh_weak_lists_are_parameters():
    assert run("ssh.algorithms", ctx(scan(SSH_WEAK)), {"weak_kex": [], "weak_ciphers": [], "weak_macs": [],
                                                       "weak_hostkeys": []}).verdict is Verdict.PASS
    out = run("ssh.algorithms", ctx(scan(SSH_HARD)), {"weak_ciphers": ["aes256-gcm@openssh.com"]})
    assert out.verdict is Verdict.FAIL


def test_ssh_checks_not_applicable_without_ssh_port_and_error_when_script_gave_nothing():
    for name in ("ssh.algorithms", "ssh.password_auth"):
        assert run(name, ctx(scan(OPEN_443, CLOSED_23))).verdict is Verdict.NOT_APPLICABLE
    silent = PortFact(22, "tcp", PortState.OPEN, "syn-ack", svc("ssh", "OpenSSH"), scripts={"ssh2-enum-algos": "ERROR"})
    for name in ("ssh.algorithms", "ssh.password_auth"):
        assert run(name, ctx(scan(silent))).verdict is Verdict.ERROR


def test_ssh_password_auth():
    assert run("ssh.password_auth", ctx(scan(SSH_HARD))).verdict is Verdict.PASS
    out = run("ssh.password_auth", ctx(scan(SSH_WEAK)))
    assert out.verdict is Verdict.FAIL
    assert out.evidence[0].value == "2222/tcp: publickey, password, keyboard-interactive"
    kbd = PortFact(22, "tcp", PortState.OPEN, "syn-ack", svc("ssh"), HARD, SshAuthMethods(("keyboard-interactive",)))
    assert run("ssh.password_auth", ctx(scan(kbd))).verdict is Verdict.FAIL
    assert run("ssh.password_auth", ctx(scan(kbd)), {"forbidden_methods": ["password"]}).verdict is Verdict.PASS


def test_ssh_check_on_a_declared_ssh_endpoint_judges_that_port_only():
    ep = Endpoint("h.example.org", 22, Service.SSH)
    assert run("ssh.algorithms", ctx(scan(SSH_HARD, SSH_WEAK), endpoint=ep)).verdict is Verdict.PASS
    ep2 = Endpoint("h.example.org", 2222, Service.SSH)
    assert run("ssh.algorithms", ctx(scan(SSH_HARD, SSH_WEAK), endpoint=ep2)).verdict is Verdict.FAIL


def test_nse_text_parsers():
    algos = parse_ssh2_enum_algos("\n  kex_algorithms: (2)\n      curve25519-sha256\n      ext-info-s\n"
                                  "  server_host_key_algorithms: (1)\n      ssh-ed25519\n"
                                  "  encryption_algorithms: (1)\n      aes128-ctr\n"
                                  "  mac_algorithms: (1)\n      hmac-sha2-256\n"
                                  "  compression_algorithms: (1)\n      none")
    assert algos == SshAlgorithms(("curve25519-sha256", "ext-info-s"), ("ssh-ed25519",), ("aes128-ctr",),
                                  ("hmac-sha2-256",), ("none",))
    assert parse_ssh_auth_methods("\n  Supported authentication methods: \n    publickey\n    password").password
    with pytest.raises(ValueError):
        parse_ssh2_enum_algos("ERROR: Script execution failed")
    with pytest.raises(ValueError):
        parse_ssh_auth_methods("  Authentication failed")


# --------------------------------------------------------------------------- http.redirects_to_https

HTTP_EP = Endpoint("h.example.org", 80, Service.HTTP)


def redirect(status=301, location="https://h.example.org/", scheme="https", host="h.example.org"):
    return HttpRedirect(url="http://h.example.org/", status=status, reason="Moved", location=location,
                        location_scheme=scheme, location_host=host, same_host=host == "h.example.org")


@pytest.mark.parametrize("facts,params,verdict,key", [
    (redirect(), {}, Verdict.PASS, "http.redirect.pass"),
    (redirect(302), {}, Verdict.PASS, "http.redirect.pass"),
    (redirect(302), {"permanent": True}, Verdict.FAIL, "http.redirect.not_permanent"),
    (redirect(200, None, "", ""), {}, Verdict.FAIL, "http.redirect.none"),
    (redirect(301, "http://h.example.org/x", "http"), {}, Verdict.FAIL, "http.redirect.not_https"),
    (redirect(301, "https://evil.example.net/", "https", "evil.example.net"), {}, Verdict.FAIL,
     "http.redirect.other_host"),
    (redirect(301, "https://www.example.org/", "https", "www.example.org"), {"same_host": False}, Verdict.PASS,
     "http.redirect.pass"),
])
def test_http_redirect_verdicts(facts, params, verdict, key):
    out = run("http.redirects_to_https", ctx(facts, kind="http", endpoint=HTTP_EP), params)
    assert (out.verdict, out.message.key) == (verdict, key)
    assert {e.label for e in out.evidence} == {"http.redirect.evidence.url", "http.redirect.evidence.status",
                                               "http.redirect.evidence.location"}


def test_http_redirect_not_applicable_to_https_and_error_when_unmeasured():
    https = Endpoint("h.example.org", 443, Service.HTTPS, tls=True)
    assert run("http.redirects_to_https", ctx(redirect(), "http", https)).verdict is Verdict.NOT_APPLICABLE
    assert run("http.redirects_to_https", ctx(None, "http", HTTP_EP)).verdict is Verdict.ERROR
    assert run("http.redirects_to_https", ctx(None, "http", HTTP_EP, error="refused")).verdict is Verdict.ERROR


def test_observations_round_trip_through_json():
    for facts in (scan(OPEN_443, CLOSED_23, SSH_WEAK, TELNET_2323),):
        assert PortScan.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    r = redirect()
    assert HttpRedirect.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_every_message_and_evidence_label_used_exists_in_both_languages():
    from secaudit.i18n import catalog

    keys = set(catalog())
    outs = [run("ssh.algorithms", ctx(scan(SSH_WEAK))), run("ports.only_allowed", ctx(scan(TELNET_2323))),
            run("ports.forbidden_services", ctx(scan(TELNET_2323), )), run("ssh.password_auth", ctx(scan(SSH_WEAK)))]
    for o in outs:
        assert o.message.key in keys
        assert {e.label for e in o.evidence} <= keys


def test_service_description_marks_guesses_and_tls():
    assert svc("telnet", method="table").describe() == "telnet?"
    assert ServiceInfo("http", "nginx", "1.22.1", "Debian", "probed", 10, "ssl").describe() == \
        "ssl/http (nginx 1.22.1; Debian)"


def test_a_host_where_no_port_answered_is_an_error_not_a_pass():
    dead = scan(PortFact(22, "tcp", PortState.FILTERED, "no-response"), PortFact(23, "tcp", PortState.FILTERED, "no-response"))
    for name in ("ports.only_allowed", "ports.forbidden_services"):
        out = run(name, ctx(dead))
        assert out.verdict is Verdict.ERROR and out.message.key == "ports.check.unreachable"
    half = scan(PortFact(22, "tcp", PortState.FILTERED, "no-response"), CLOSED_23)
    assert run("ports.only_allowed", ctx(half)).verdict is Verdict.PASS


def test_forbidden_products_match_detected_product_substrings():
    es = PortFact(9201, "tcp", PortState.OPEN, "syn-ack", svc("http", "Elasticsearch REST API"))
    assert run("ports.forbidden_services", ctx(scan(es))).verdict is Verdict.PASS
    out = run("ports.forbidden_services", ctx(scan(es)), {"products": ["elasticsearch"]})
    assert out.verdict is Verdict.FAIL and out.evidence[0].value == "9201/tcp http (Elasticsearch REST API)"


# --------------------------------------------------------------------------- coverage stated in every verdict

TOP = Coverage("top-1000", "policy", "top-1000")


@pytest.mark.parametrize("coverage, kind, args", [
    (TOP, "top", {"n": 1000}), (Coverage("1-65535", "policy", "1-65535"), "all", {}),
    (Coverage("1-1024", "cli", "top-1000"), "range", {"range": "1-1024"}), (Coverage(), "declared", {})])
def test_a_pass_states_what_it_covered(coverage, kind, args):
    requested = range(1, 1006)
    for name in ("ports.only_allowed", "ports.forbidden_services"):
        out = run(name, ctx(scan(OPEN_443, OPEN_80, coverage=coverage, requested=requested)))
        assert out.verdict is Verdict.PASS
        assert out.message.key == f"{name}.pass.{kind}" and out.message.args["scanned"] == 1005
        assert all(out.message.args[k] == v for k, v in args.items())
        count = "65535" if kind == "all" else "1005"
        assert count in out.message.render("en") and count in out.message.render("vi")
        ev = dict((e.label, e.value) for e in out.evidence)
        assert ev["ports.evidence.coverage"].startswith("1005 = " + (coverage.spec or "-"))


def test_a_failure_also_carries_its_coverage():
    out = run("ports.only_allowed", ctx(scan(OPEN_443, OPEN_80, TELNET_2323, coverage=TOP, requested=range(1, 1006))))
    assert out.verdict is Verdict.FAIL
    assert dict((e.label, e.value) for e in out.evidence)["ports.evidence.coverage"] == \
        "1005 = top-1000 + declared/watched [policy]"


def test_coverage_narrowed_below_the_level_default_is_warned_not_hidden():
    narrow = Coverage("top-100", "inventory", "1-65535")
    out = run("ports.only_allowed", ctx(scan(OPEN_443, OPEN_80, coverage=narrow, requested=range(1, 106))))
    assert out.verdict is Verdict.PASS and [w.key for w in out.warnings] == ["ports.warning.coverage_narrowed"]
    assert "1-65535" in out.warnings[0].render("en")
    wider = Coverage("1-65535", "cli", "top-1000")
    assert run("ports.only_allowed", ctx(scan(OPEN_443, OPEN_80, coverage=wider))).warnings == ()
