"""Host family, pure parts: the `hosts:` inventory entries (errors at file:line:col), the facts' JSON form, the
parsers, and the checks that the lab cannot flip on a real sshd (LUKS, unsupported OS, stale package lists)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from secaudit.checks import REGISTRY
from secaudit.checks.base import CheckContext
from secaudit.errors import InputError
from secaudit.evaluate import evaluate
from secaudit.load import load_inventory
from secaudit.validation import validate_files
from secaudit.model import Observation, ObservationStatus, System, Purpose, Verdict
from secaudit.plan import SystemAssessment
from secaudit.policy import default_library
from secaudit.observations.host import (
    OK, CommandRun, FileRead, HostFacts, lastlog, neutralise, proc_net_listeners,
)
from secaudit.probes.host import COMMANDS, files_from_tar, sudoers_lines
from secaudit.serialize import observation_from_dict, observation_to_dict

NOW = dt.datetime(2026, 12, 7, tzinfo=dt.timezone.utc)

INVENTORY = """\
kind: inventory
version: 1
organisation:
  name: Lab
zones:
  - {{id: dc, networks: ['127.23.9.0/24']}}
systems:
  - id: web
    name: Web
    purpose: internal
    information: [public]
    hosts:
      - address: {address}
        ssh: {{user: auditor, key: {key}, known_hosts: {known}{extra}}}
  - id: app
    name: App
    purpose: internal
    information: [public]
    zone: dc
    hosts:
      - address: {zoned}
        ssh: {{user: auditor, known_hosts: /worker/own/known_hosts, jump: 'bastion@127.23.9.1:2200', sudo: true}}
"""


def write(tmp_path: Path, **kw: str) -> Path:
    (tmp_path / "id_audit").write_text("not a real key")
    (tmp_path / "known_hosts").write_text("")
    values = {"address": "127.23.0.1", "key": "id_audit", "known": "known_hosts", "extra": "", "zoned": "127.23.9.5"}
    values.update(kw)
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY.format(**values))
    return path


def keys(path: Path) -> list[tuple[int, int, str]]:
    return [(d.line, d.column, d.key) for d in validate_files([str(path)]).diagnostics]


def test_hosts_load_with_paths_from_the_inventory_directory_and_the_zone_worker_paths_as_written(tmp_path):
    inv = load_inventory(str(write(tmp_path)))
    web, app = inv.systems
    (h,) = web.ssh_hosts
    assert (h.address, h.port, h.user, h.sudo, h.jump) == ("127.23.0.1", 22, "auditor", False, None)
    assert h.key == str(tmp_path / "id_audit") and h.known_hosts == str(tmp_path / "known_hosts")
    (z,) = app.ssh_hosts
    assert z.known_hosts == "/worker/own/known_hosts" and z.key is None and z.sudo is True
    assert (z.jump.user, z.jump.host, z.jump.port) == ("bastion", "127.23.9.1", 2200)


def test_missing_key_and_known_hosts_files_are_reported_at_their_line_and_column(tmp_path):
    path = write(tmp_path, key="nope/id_x", known="gone")
    found = keys(path)
    assert (14, 35, "host.key_missing") in found and (14, 59, "host.known_hosts_missing") in found
    assert not any(k.endswith("_missing") and line > 14 for line, _c, k in found)   # the zone worker's paths are its own


@pytest.mark.parametrize("kw, expected", [
    ({"address": "'-oProxyCommand=x'"}, "target.host_option"),
    ({"zoned": "127.23.10.5"}, "host.outside_zone"),
    ({"extra": ", password: hunter2"}, "schema.unknown_key"),
    ({"extra": ", jump: 'a b'"}, "host.jump_invalid"),
])
def test_bad_host_entries_are_errors(tmp_path, kw, expected):
    found = [k for _l, _c, k in keys(write(tmp_path, **kw))]
    assert expected in found, found
    with pytest.raises(InputError):
        load_inventory(str(write(tmp_path, **kw)))


def test_no_command_is_built_from_input_and_sudo_lines_name_exact_commands():
    for c in COMMANDS:
        assert "{" not in c.line and "%s" not in c.line.replace("'%n|%F|%Y'", "")
    (line,) = sudoers_lines("auditor")
    assert line.startswith("auditor ALL=(root) NOPASSWD: /usr/bin/tar -chf - ")
    assert "/usr/sbin/sshd -T" in line and "sh -c" not in line and "ALL, " not in line


def test_neutralise_makes_escapes_visible_and_survives_invalid_utf8():
    text = neutralise(b"\x1b[31mred\x07\xff\xfe\xe2\x80\xae ok\n")
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert text.startswith("\\x1b[31mred\\x07") and text.endswith(" ok\n")


def test_tar_warnings_tell_missing_from_denied():
    stderr = ("/usr/bin/tar: /etc/shadow: Cannot open: Permission denied\n"
              "tar: /etc/chrony.conf: Warning: Cannot stat: No such file or directory\n")
    files = {f.path: f.status for f in files_from_tar(b"", stderr, False)}
    assert files == {"/etc/shadow": "denied", "/etc/chrony.conf": "missing"}


def test_parsers():
    table = ("== tcp\n  sl  local_address rem_address   st\n"
             "   0: 00000000:0017 00000000:0000 0A 0 0\n   1: 0100007F:1F90 00000000:0000 0A 0 0\n"
             "== tcp6\n   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 0\n")
    assert sorted((x.address, x.port) for x in proc_net_listeners(table)) == [("0.0.0.0", 23), ("127.0.0.1", 8080),
                                                                                ("::", 22)]
    last = lastlog("Username Port From Latest\nalice pts/0 192.0.2.1 Mon Dec  7 08:50:49 +0000 2026\n"
                   "bob **Never logged in**\n")
    assert last["bob"] is None and last["alice"].date() == dt.date(2026, 12, 7)


def facts(**files: str) -> HostFacts:
    base = {"/etc/os-release": 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian 12"\n'}
    base.update(files)
    return HostFacts("127.23.0.1", "auditor", "2026-12-07T00:00:00+00:00", True, True,
                     tuple(FileRead(p, OK, t) for p, t in base.items()),
                     (CommandRun("lsblk", OK, 0, 'NAME="vda" TYPE="disk" FSTYPE="" MOUNTPOINT="" PKNAME=""\n'
                                 'NAME="vda1" TYPE="part" FSTYPE="ext4" MOUNTPOINT="/boot" PKNAME="vda"\n'
                                 'NAME="vda2" TYPE="part" FSTYPE="crypto_LUKS" MOUNTPOINT="" PKNAME="vda"\n'
                                 'NAME="root" TYPE="crypt" FSTYPE="ext4" MOUNTPOINT="/" PKNAME="vda2"\n'
                                 'NAME="vdb" TYPE="disk" FSTYPE="xfs" MOUNTPOINT="/srv/data" PKNAME=""\n'),
                      CommandRun("apt", OK, 0, "NOTE: This is only a simulation!\n"),
                      CommandRun("stat", OK, 0, "/var/lib/apt/lists|directory|1700000000\n")))


def judge(check: str, f: HostFacts, **params) -> tuple[Verdict, str]:
    obs = Observation("p", "host", "127.23.0.1:22", ObservationStatus.OK, f)
    ctx = CheckContext(System("s", "S", Purpose.INTERNAL), "127.23.0.1:22", None, {"host": obs}, NOW)
    out = REGISTRY[check].func(params, ctx)
    return out.verdict, out.message.key


def test_luks_names_the_unencrypted_data_volume():
    assert judge("host.luks", facts()) == (Verdict.FAIL, "host.crypt.fail")
    assert judge("host.luks", facts(), skip_mounts=["/boot", "/srv/data"]) == (Verdict.PASS, "host.crypt.pass")


def test_an_unsupported_os_is_not_assessed_never_passed():
    f = facts(**{"/etc/os-release": "ID=alpine\nVERSION_ID=3.20\nPRETTY_NAME=Alpine\n"})
    for check in ("host.sshd", "host.firewall", "host.os_supported", "host.password_policy"):
        assert judge(check, f) == (Verdict.ERROR, "host.na.unsupported_os")


def test_old_package_lists_are_an_error_not_a_pass():
    assert judge("host.patches", facts()) == (Verdict.ERROR, "host.patch.stale")


def test_host_facts_round_trip_through_the_journal_form():
    obs = Observation("host|127.23.0.1:22|x", "host", "127.23.0.1:22", ObservationStatus.OK, facts())
    back = observation_from_dict(json.loads(json.dumps(observation_to_dict(obs))))
    assert back.facts == obs.facts


def test_host_controls_are_in_force_exactly_where_the_catalogue_lists_them_as_host_means():
    """A row of either catalogue (TCVN 14423 under Decree 331, TCVN 11930 under Decree 85) lists `host: C` at
    level L exactly when host control C, in force at L, names the row's key; and every key a host control names
    is listed so by one of them: `assess` reads host findings through those keys, so the two never disagree."""
    import yaml

    from secaudit.policy import default_library
    from secaudit.resources import policies_dir

    catalogues = [yaml.safe_load((policies_dir() / "requirements" / name).read_text())
                  for name in ("tcvn-14423-2026.yaml", "tcvn-11930-2017.yaml")]
    library = default_library()
    for level in range(1, 6):
        policy = library.resolve(library.level_policy_id(level))
        have = {c.id: set(c.requirements) for c in policy.controls if c.id.startswith("HOST-")}
        listed: dict[str, set[str]] = {}
        for catalogue in catalogues:
            wanted: dict[str, set[str]] = {}
            keys = set()
            for row in catalogue["requirements"]:
                if level not in row["levels"]:
                    continue
                keys.add(row["key"])
                means = (row["levels"][level] or {}).get("verify") or row.get("verify") or []
                for m in means:
                    if "host" in m:
                        wanted.setdefault(m["host"], set()).add(row["key"])
            mine = {cid: named & keys for cid, named in have.items() if named & keys}
            assert mine == wanted, (catalogue["id"], level)
            for cid, ks in wanted.items():
                listed.setdefault(cid, set()).update(ks)
        assert have == listed, level


def test_file_texts_are_bounded_per_file_and_in_all():
    import io
    import tarfile

    from secaudit.probes.host import FILE_LIMIT, FILES_BUDGET

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(12):
            body = (b"\x1b[2J" + b"A" * (300 << 10))
            info = tarfile.TarInfo(f"etc/profile.d/f{i:02}.sh")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    files = files_from_tar(buf.getvalue(), "", False)
    assert all(f.truncated for f in files) and all(len(f.text) <= FILE_LIMIT + 16 for f in files)
    assert sum(len(f.text) for f in files) <= FILES_BUDGET + 16 * len(files)
    assert "\x1b" not in files[0].text and files[0].text.startswith("\\x1b[2J")


def test_inactive_accounts_spare_new_accounts_and_the_audit_account():
    passwd = "auditor:x:1990:1::/n:/bin/sh\nnew:x:2001:1::/h:/bin/bash\nold:x:2002:1::/h:/bin/bash\n"
    day = (NOW.date() - dt.date(1970, 1, 1)).days
    shadow = f"auditor:*:1::::::\nnew:$6$x:{day - 3}::::::\nold:$6$x:{day - 400}::::::\n"
    f = HostFacts("127.23.0.1", "auditor", "", True, True,
                  (FileRead("/etc/os-release", OK, "ID=debian\nVERSION_ID=12\n"), FileRead("/etc/passwd", OK, passwd),
                   FileRead("/etc/shadow", OK, shadow)),
                  (CommandRun("lastlog", OK, 0, "Username Port From Latest\nauditor **Never logged in**\n"
                                                "new **Never logged in**\nold **Never logged in**\n"),))
    obs = Observation("p", "host", "127.23.0.1:22", ObservationStatus.OK, f)
    ctx = CheckContext(System("s", "S", Purpose.INTERNAL), "127.23.0.1:22", None, {"host": obs}, NOW)
    out = REGISTRY["host.inactive_accounts"].func({"inactive_days": 45}, ctx)
    assert out.verdict is Verdict.FAIL and out.message.args["accounts"] == "old (never logged in)"


def test_a_system_without_hosts_says_its_host_controls_had_nothing_to_log_in_to():
    # Given a level-3 system with no `hosts:` entry (and no endpoint)
    library = default_library()
    system = System("s", "S", Purpose.INTERNAL)
    a = SystemAssessment(system, 3, None, 3, "Art. X", {lv: library.resolve(f"level-{lv}") for lv in (1, 2, 3)})
    ev = evaluate([a], [], REGISTRY, now=NOW)
    host = [f for f in ev.findings if f.control_id.startswith("HOST-")]
    # Then each host control is not applicable, and the reason names the missing `hosts:`, not a missing endpoint
    assert host and {f.verdict for f in host} == {Verdict.NOT_APPLICABLE}
    assert {f.message.key for f in host} == {"host.no_hosts"}
    # while a network control without an endpoint of its kind keeps the generic reason
    assert any(f.message.key == "evaluate.no_target" for f in ev.findings if f.control_id.startswith("TLS-"))
