"""Host checks against real sshd servers (secaudit.lab.sshlab): planted hardened and weak hosts in their own
mount/PID/network namespaces, reached on loopback addresses 127.23.x.x (port 2222), scanned through the CLI.

Given a hardened and a weak host (both allowing the documented sudo line) and a hardened one behind a jump host,
when `secaudit scan --only host`
runs, then every host control passes on the first and fails on the second (LUKS apart, below); a host
without sudo gives "not assessed: needs root" on the
rows that need root, never a pass; an unknown or changed host key is an ERROR naming the known_hosts file; a
server that accepts the login and then hangs is an ERROR within the deadline; a command printing escapes and
50 MB is bounded and neutralised in every format. Then the same verdicts come back through a zone worker.

LUKS: a host with real loop devices (an ext4 data volume mounted in its namespace, and a LUKS2 container made by
`cryptsetup luksFormat` with a key file) fails HOST-CRYPT-01 naming the plain volume, from the real `lsblk`. The
passing side cannot run on this machine: its kernel has no device-mapper (CONFIG_MD unset), so `cryptsetup open`
cannot map a LUKS volume; the pass is a unit test on lsblk output of a host with a crypt device.

RHEL: two Rocky Linux 9 hosts run the real `dnf` against their own rpm database and a local repository whose
updateinfo has a security advisory: the one with the fixed package passes HOST-PATCH-01, the other fails it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secaudit.lab.sshlab import CRYPTSETUP, USER, have_tools, lab_hosts, loop_volumes, make_host_key
from secaudit.probes.host import sudoers_lines
from tests.support.zones import redis_server, secaudit_env, workers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PORT = 2222
HOSTS = {"good": ("127.23.1.1", "hardened", True), "bad": ("127.23.1.2", "weak", True),
         "nosudo": ("127.23.1.3", "hardened", False), "changed": ("127.23.1.4", "hardened", True),
         "unknown": ("127.23.1.5", "hardened", True), "hostile": ("127.23.1.6", "hostile", True),
         "hang": ("127.23.1.7", "hang", True), "viajump": ("127.23.1.8", "hardened", True),
         "disks": ("127.23.1.10", "disks", True), "rhelok": ("127.23.1.11", "rhel", True),
         "rhelpend": ("127.23.1.12", "rhel-pending", True)}
DATA = "/var/lib/data"
JUMP = "127.23.1.9"
ZONE_HOSTS = {"zgood": ("127.23.2.1", "hardened", True), "zbad": ("127.23.2.2", "weak", True)}
TIMEOUT_S = 6
FLIPPING = ["HOST-OS-01", "HOST-PWD-01", "HOST-LOCK-01", "HOST-IDLE-01", "HOST-ACCT-01", "HOST-ACCT-02",
            "HOST-SSHD-01", "HOST-TIME-01", "HOST-PATCH-01", "HOST-FW-01", "HOST-SVC-01", "HOST-AV-01",
            "HOST-LOG-01", "HOST-LOG-02", "HOST-AUDIT-01"]


def write_inventory(path: Path, hosts: dict[str, tuple[str, str, bool]], key: Path, known: Path,
                    zone: str | None = None) -> Path:
    lines = ["kind: inventory", "version: 1", "organisation:", "  name: Lab"]
    if zone:
        lines += ["zones:", f"  - {{id: {zone}, networks: ['127.23.2.0/24']}}"]
    lines.append("systems:")
    for sid, (address, _profile, sudo) in hosts.items():
        lines += [f"  - id: {sid}", f"    name: {sid.upper()}", "    purpose: internal", "    information: [public]",
                  "    declared_level: 4"] + ([f"    zone: {zone}"] if zone else []) + [
                  "    hosts:", f"      - address: {address}",
                  f"        ssh: {{port: {PORT}, user: {USER}, key: '{key}', known_hosts: '{known}', "
                  f"sudo: {'true' if sudo else 'false'}" + (f", jump: '{USER}@{JUMP}:{PORT}'" if sid == "viajump" else "")
                  + "}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def scan(inventory: Path, workdir: Path, *extra: str, env: dict[str, str] | None = None):
    out = workdir / "out"
    argv = [sys.executable, "-m", "secaudit", "scan", str(inventory), "--only", "host", "--quiet", "--runs-dir",
            str(workdir / "runs"), "--out", str(out), "--lang", "en", "--timeout", str(TIMEOUT_S),
            "--format", "json", "--format", "text", "--format", "html", "--format", "md", "--format", "csv",
            "--format", "sarif", "--format", "junit", *extra]
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env=env or dict(os.environ, PYTHONPATH=str(ROOT)))
    return done, out, time.monotonic() - t0


def verdicts(out: Path) -> dict[tuple[str, str], dict]:
    report = json.loads((out / "report.json").read_text())
    return {(f["system_id"], f["control_id"]): f for f in report["findings"] if f["control_id"].startswith("HOST-")}


@pytest.fixture(scope="module")
def host_lab(tmp_path_factory: pytest.TempPathFactory):
    missing = have_tools() + [t for t in (CRYPTSETUP, "/usr/sbin/losetup") if not os.path.exists(t)]
    assert not missing, f"run scripts/ensure-sysdeps.sh: missing {missing}"
    work = tmp_path_factory.mktemp("hostlab")
    routes = {(a, PORT): profile for a, profile, _ in [*HOSTS.values(), *ZONE_HOSTS.values()]}
    routes[(JUMP, PORT)] = "jump"
    with loop_volumes(work / "volumes") as volumes, \
            lab_hosts(work / "lab", routes, sudoers_lines(USER), {"disks": [(volumes["plain"], DATA)]}) as lab:
        known: Path = lab["known_hosts"]
        other = make_host_key(work / "otherkey")
        other_pub = " ".join(Path(str(other) + ".pub").read_text().split()[:2])
        lines = []
        for line in known.read_text().splitlines():
            if line.startswith(f"[{HOSTS['unknown'][0]}]"):
                continue                                      # no entry: an unknown host key
            if line.startswith(f"[{HOSTS['changed'][0]}]"):
                line = f"[{HOSTS['changed'][0]}]:{PORT} {other_pub}"   # another key: a changed host key
            lines.append(line)
        known.write_text("\n".join(lines) + "\n")
        inventory = write_inventory(work / "inventory.yaml", HOSTS, lab["key"], known)
        done, out, wall = scan(inventory, work / "local")
        yield {"work": work, "lab": lab, "done": done, "out": out, "wall": wall, "found": verdicts(out),
               "volumes": volumes}


def test_every_host_check_passes_on_the_hardened_host_and_fails_on_the_weak_one(host_lab):
    found = host_lab["found"]
    assert host_lab["done"].returncode == 1, host_lab["done"].stderr[-2000:]
    for control in FLIPPING:
        good, bad = found[("good", control)], found[("bad", control)]
        assert found[("viajump", control)]["verdict"] == "pass", (control, found[("viajump", control)])
        assert (good["verdict"], bad["verdict"]) == ("pass", "fail"), (control, good["message"], bad["message"])
    # raw values are the evidence: what was read, and from where
    bad_pwd = {e["value"] for e in found[("bad", "HOST-PWD-01")]["evidence"]}
    assert "PASS_MAX_DAYS 99999" in bad_pwd
    bad_lock = {e["value"] for e in found[("bad", "HOST-LOCK-01")]["evidence"]}
    assert "deny=0" in bad_lock
    assert "tcp 0.0.0.0:23" in json.dumps(found[("bad", "HOST-SVC-01")]["evidence"])
    assert "libfoo1" in json.dumps(found[("bad", "HOST-PATCH-01")]["evidence"])


def test_an_unencrypted_data_volume_fails_luks_from_the_real_lsblk(host_lab):
    volumes = host_lab["volumes"]
    plain, luks = (Path(volumes[k]).name for k in ("plain", "luks"))
    assert subprocess.run([CRYPTSETUP, "isLuks", volumes["luks"]], timeout=30).returncode == 0
    row = host_lab["found"][("disks", "HOST-CRYPT-01")]
    assert row["verdict"] == "fail", row
    unencrypted = next(e["value"] for e in row["evidence"] if e["label"] == "host.ev.unencrypted")
    assert f"{DATA} ({plain})" in unencrypted, unencrypted
    assert f"({luks})" not in unencrypted                      # the container is not mounted: not a data volume
    report = json.loads((host_lab["out"] / "report.json").read_text())
    obs = next(o for o in report["observations"] if o["target"] == f"{HOSTS['disks'][0]}:{PORT}")
    lsblk = next(c for c in obs["facts"]["commands"] if c["name"] == "lsblk")
    assert lsblk["status"] == "ok" and f'NAME="{plain}" TYPE="loop"' in lsblk["stdout"]
    assert f'MOUNTPOINT="{DATA}"' in lsblk["stdout"] and f'NAME="{luks}"' in lsblk["stdout"]
    # the mount lives in the lab host's namespace only
    assert DATA not in Path("/proc/self/mountinfo").read_text()


def test_the_rhel_family_is_read_through_the_real_dnf(host_lab):
    found = host_lab["found"]
    ok, pending = found[("rhelok", "HOST-PATCH-01")], found[("rhelpend", "HOST-PATCH-01")]
    assert (ok["verdict"], pending["verdict"]) == ("pass", "fail"), (ok["message"], pending["message"])
    assert "libfoo-1.0-2.noarch" in json.dumps(pending["message"])
    assert all(e["value"] == "dnf" for e in pending["evidence"] if e["label"] == "host.ev.source")
    report = json.loads((host_lab["out"] / "report.json").read_text())
    runs = {o["target"]: {c["name"]: c for c in o["facts"]["commands"]} for o in report["observations"]
            if o["kind"] == "host" and o["status"] == "ok"}
    dnf_pending = runs[f"{HOSTS['rhelpend'][0]}:{PORT}"]["dnf"]
    assert dnf_pending["status"] == "ok" and "LAB-SA-2026:0001" in dnf_pending["stdout"], dnf_pending
    assert "Important/Sec." in dnf_pending["stdout"]
    assert runs[f"{HOSTS['rhelok'][0]}:{PORT}"]["dnf"]["status"] == "ok"
    for sid in ("rhelok", "rhelpend"):                          # end of support and PAM from the RHEL files
        assert found[(sid, "HOST-OS-01")]["verdict"] == "pass" and "Rocky" in json.dumps(found[(sid, "HOST-OS-01")])
        assert found[(sid, "HOST-PWD-01")]["verdict"] == "pass", found[(sid, "HOST-PWD-01")]["message"]
        assert "/etc/pam.d/system-auth" in json.dumps(found[(sid, "HOST-PWD-01")]["evidence"])


def test_rows_needing_root_are_not_assessed_without_sudo(host_lab):
    found = host_lab["found"]
    for control in ("HOST-ACCT-01", "HOST-ACCT-02", "HOST-FW-01", "HOST-AUDIT-01"):
        f = found[("nosudo", control)]
        assert f["verdict"] == "error" and f["message"]["key"] == "host.na.needs_root", (control, f)
    # what the account can read is still judged (sshd from its configuration file instead of `sshd -T`)
    assert found[("nosudo", "HOST-SSHD-01")]["verdict"] == "pass"
    assert found[("nosudo", "HOST-SSHD-01")]["message"]["args"]["source"] == "/etc/ssh/sshd_config"
    for name in ("report.html", "report.csv", "report.md"):
        assert "not assessed: needs root" in (host_lab["out"] / name).read_text(), name


def test_an_unknown_or_changed_host_key_is_an_error_never_trusted(host_lab):
    report = json.loads((host_lab["out"] / "report.json").read_text())
    reasons = {o["target"]: o for o in report["observations"] if o["kind"] == "host"}
    changed = reasons[f"{HOSTS['changed'][0]}:{PORT}"]
    unknown = reasons[f"{HOSTS['unknown'][0]}:{PORT}"]
    assert changed["status"] == "error" and changed["reason"]["key"] == "host.probe.key_changed"
    assert unknown["status"] == "error" and unknown["reason"]["key"] == "host.probe.key_unknown"
    assert str(host_lab["lab"]["known_hosts"]) in changed["error"]
    for sid in ("changed", "unknown"):
        assert {f["verdict"] for (s, _c), f in host_lab["found"].items() if s == sid} == {"error"}


def test_a_host_that_hangs_mid_command_is_an_error_within_the_deadline(host_lab):
    report = json.loads((host_lab["out"] / "report.json").read_text())
    hang = next(o for o in report["observations"] if o["target"] == f"{HOSTS['hang'][0]}:{PORT}")
    assert hang["duration_s"] <= TIMEOUT_S + 2
    statuses = {c["status"] for c in hang["facts"]["commands"]}
    assert statuses == {"timeout"}, statuses
    assert {f["verdict"] for (s, _c), f in host_lab["found"].items() if s == "hang"} == {"error"}
    assert host_lab["wall"] < 60


def test_hostile_output_is_bounded_and_neutralised_in_every_format(host_lab):
    out = host_lab["out"]
    report = json.loads((out / "report.json").read_text())
    hostile = next(o for o in report["observations"] if o["target"] == f"{HOSTS['hostile'][0]}:{PORT}")
    sshd = next(c for c in hostile["facts"]["commands"] if c["name"] == "sshd")
    assert sshd["truncated"] is True and len(sshd["stdout"]) <= (256 << 10) + 4096
    assert "\x1b" not in sshd["stdout"] and "\\x1b" in sshd["stdout"]
    os_row = host_lab["found"][("hostile", "HOST-OS-01")]
    assert os_row["verdict"] == "pass" and "\\x1b" in json.dumps(os_row["message"])
    total = 0
    for path in out.iterdir():
        data = path.read_bytes()
        total += len(data)
        text = data.decode("utf-8")
        assert "\x1b" not in text and "\x07" not in text, path.name
        if path.suffix == ".html":
            assert "<script>alert" not in text
    assert total < 20 * (1 << 20)


def test_the_same_verdicts_through_a_zone_worker(host_lab):
    work, lab = host_lab["work"], host_lab["lab"]
    local_inv = write_inventory(work / "zone-local.yaml", ZONE_HOSTS, lab["key"], lab["known_hosts"], zone="z1")
    local, local_out, _ = scan(local_inv, work / "zone-local")
    with redis_server(work / "redis") as redis, \
            workers(redis, [("zone-z1@tests", "z1", ["127.23.2.0/24"])], work):
        dist, dist_out, _ = scan(local_inv, work / "zone-dist", "--executor", "celery", *redis.broker_args(),
                                 env=secaudit_env(redis))
    assert local.returncode == dist.returncode == 1, (local.stderr[-1000:], dist.stderr[-1000:])

    def key(out: Path) -> dict:
        return {k: (f["verdict"], json.dumps(f["message"], sort_keys=True)) for k, f in verdicts(out).items()}

    assert key(local_out) == key(dist_out)
    report = json.loads((dist_out / "report.json").read_text())
    assert {o["worker"] for o in report["observations"] if o["kind"] == "host"} == {"zone-z1@tests"}
    assert key(dist_out)[("zbad", "HOST-SSHD-01")][0] == "fail"
    assert key(dist_out)[("zgood", "HOST-SSHD-01")][0] == "pass"
