"""`secaudit ports` end to end: real nmap, real listeners, exit statuses and both output formats."""

from __future__ import annotations

import json

import pytest

from secaudit.cli import main
from tests.integration import ports_servers as srv

pytestmark = pytest.mark.integration
H = "127.3.0.2"       # an address no other test module listens on: its scans see only its own servers


def run(capsys, *argv):
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_undeclared_telnet_is_reported_with_exit_1_in_json(capsys):
    with srv.telnet_like_server(H) as telnet:
        code, out, _ = run(capsys, "ports", H, "--scan", str(telnet), "--format", "json", "--timeout", "30")
    assert code == 1
    doc = json.loads(out)                                   # the results document, secaudit/results/v1
    checks = {c["id"]: c["check"] for c in doc["controls"]}
    verdicts = {checks[f["control_id"]]: f["verdict"] for f in doc["findings"] if f["target"] == H}
    assert verdicts == {"ports.only_allowed": "fail", "ports.forbidden_services": "fail",
                        "ssh.algorithms": "not_applicable", "ssh.password_auth": "not_applicable"}
    [obs] = doc["observations"]
    assert obs["facts"]["command"][-2:] == ["--", H]


def test_allowed_ports_only_and_closed_is_exit_0_in_vietnamese(capsys):
    with srv.http_server(H) as port:
        code, out, _ = run(capsys, "ports", H, "--allow", str(port), "--lang", "vi", "--timeout", "30")
    assert code == 0
    assert "[ĐẠT] EXPO-PORT-01" in out and "KHÔNG ÁP DỤNG" in out


@pytest.mark.parametrize("host", ["-oN", "--script=x", "127.0.0.1;id", "$(id)"])
def test_injection_is_exit_2_with_a_reason_and_no_traceback(capsys, host):
    code, out, err = run(capsys, "ports", "--", host)
    assert code == 2 and "Traceback" not in err and "secaudit:" in err


def test_missing_nmap_is_exit_2_with_the_install_command(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SECAUDIT_NMAP", str(tmp_path / "nmap"))
    code, _, err = run(capsys, "ports", H)
    assert code == 2 and "sudo apt-get install nmap" in err and "Traceback" not in err
