"""Demo and test servers for host checks: a real OpenSSH ``sshd`` serving planted system files.

Each :class:`LabHost` is one set of namespaces (mount, PID, network) made with ``unshare``, in which
overlay mounts put planted files over ``/etc``, ``/run``, ``/var/log`` and ``/var/lib`` (nothing of the
real machine is changed), fake daemons run under the names the checks look for, and extra listeners
stand for undeclared services. The test process listens on loopback addresses itself and, for every
connection, starts ``sshd -i`` inside those namespaces (inetd style), so each host has its own files,
processes and sockets while the client connects to plain loopback addresses.

Profiles: ``hardened`` and ``weak`` (every check flips between them), ``hostile`` (terminal escapes and
markup in os-release, 50 MB from a command), ``hang`` (login accepted, then every command stalls) and
``jump`` (a hardened bastion whose sshd shares the machine's network, so it can forward to the others) and
``disks`` (a hardened host with data volumes: real loop devices that :func:`loop_volumes` makes, one a plain
ext4 file system mounted inside the host's mount namespace, one a LUKS2 container made by ``cryptsetup``).
``rhel`` and ``rhel-pending`` are hardened Rocky Linux 9 hosts with a real ``dnf``: an rpm database (built by
``rpm``) and a local repository (``rpmbuild``, ``createrepo_c``, ``modifyrepo_c``) holding a security advisory
for ``libfoo-1.0-2``, which the first has installed and the second has not; ``dnf makecache`` fills the host's
cache when it starts, so the probe's ``dnf -C`` reads real package-manager state.
Needs root (namespaces, overlayfs, ``sshd -i``, loop devices).
"""

from __future__ import annotations

import contextlib
import os
import platform
import selectors
import shutil
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from secaudit.lab.servers import stop_process, with_parent

SSHD = "/usr/sbin/sshd"
USER = "auditor"
UID = 1990
PROFILES = ("hardened", "weak", "hostile", "hang", "jump", "disks", "rhel", "rhel-pending")
RHEL = ("rhel", "rhel-pending")
CRYPTSETUP = "/usr/sbin/cryptsetup"


def have_tools() -> list[str]:
    """Missing programs this lab needs (empty when it can run)."""
    return [t for t in (SSHD, "/usr/bin/unshare", "/usr/bin/nsenter", "/usr/bin/ssh-keygen", "/usr/bin/sudo")
            if not os.path.exists(t)]


def make_client_key(directory: Path) -> Path:
    """An ed25519 key pair for the audit account (``id_audit`` and ``id_audit.pub``)."""
    key = directory / "id_audit"
    if not key.exists():
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "secaudit-audit", "-f", str(key)],
                       check=True, stdout=subprocess.DEVNULL)
    return key


def make_host_key(directory: Path) -> Path:
    key = directory / "ssh_host_ed25519_key"
    if not key.exists():
        directory.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                       stdout=subprocess.DEVNULL)
    return key


def known_hosts_line(address: str, port: int, host_key: Path) -> str:
    kind, blob = Path(str(host_key) + ".pub").read_text().split()[:2]
    name = address if port == 22 else f"[{address}]:{port}"
    return f"{name} {kind} {blob}\n"


# ----------------------------------------------------------------------------- planted files


def _sshd_config(weak: bool) -> str:
    return "\n".join([
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "AuthorizedKeysFile /etc/ssh/authorized_keys/%u",
        "UsePAM no", "PrintMotd no", "PrintLastLog no", "StrictModes yes", "MaxSessions 20", "MaxStartups 200:30:400",
        "LogLevel ERROR",
        "PermitRootLogin yes" if weak else "PermitRootLogin no",
        "PasswordAuthentication yes" if weak else "PasswordAuthentication no",
        "KbdInteractiveAuthentication yes" if weak else "KbdInteractiveAuthentication no",
        "" if weak else "ChannelTimeout session=10m",
        "ClientAliveInterval 0" if weak else "ClientAliveInterval 300",
    ]) + "\n"


def _lastlog_record(when: int, line: str = "pts/0", host: str = "192.0.2.10") -> bytes:
    return struct.pack("=i32s256s", when, line.encode(), host.encode())


def _arch() -> str:
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def _sudoers(lines: Sequence[str]) -> str:
    return "Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n" + "".join(f"{ln}\n" for ln in lines)


@dataclass
class Plant:
    files: dict[str, str | bytes] = field(default_factory=dict)
    modes: dict[str, int] = field(default_factory=dict)
    daemons: list[str] = field(default_factory=list)
    listen_ports: list[int] = field(default_factory=list)
    shell: str = "/bin/sh"
    nft: str = ""                                 # nftables ruleset loaded in the host's network namespace


def plant(profile: str, sudoers_lines: Sequence[str], now: float | None = None) -> Plant:
    """The files, daemons and listeners of a profile (paths are absolute paths on the lab host)."""
    now = now or time.time()
    weak = profile == "weak"          # "jump" is a hardened host that shares the machine's network (a bastion)
    p = Plant()
    real_passwd = ("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                   "bin:x:2:2:bin:/bin:/usr/sbin/nologin\nsshd:x:103:65534::/run/sshd:/usr/sbin/nologin\n"
                   "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n")
    real_shadow = "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\nbin:*:20000:0:99999:7:::\n" \
                  "sshd:!:20000::::::\nnobody:*:20000:0:99999:7:::\n"
    users = [f"{USER}:x:{UID}:65534:audit account:/nonexistent:{{shell}}", "alice:x:2001:65534::/home/alice:/bin/bash"]
    shadow = [f"{USER}:*:20000:0:99999:7:::", "alice:$6$abc$def:20000:0:99999:7:::"]
    if weak:
        users += ["guest:x:998:65534::/home/guest:/bin/bash", "bob:x:2002:65534::/home/bob:/bin/bash"]
        shadow += ["guest:$6$x$y:20000:0:99999:7:::", "bob:$6$x$z:20000:0:99999:7:::"]
    shell = {"hostile": "/etc/secaudit-lab/hostile-shell", "hang": "/etc/secaudit-lab/hang-shell"}.get(profile, "/bin/sh")
    p.shell = shell
    p.files["/etc/passwd"] = real_passwd + "".join(u.replace("{shell}", shell) + "\n" for u in users)
    p.files["/etc/shadow"] = real_shadow + "".join(s + "\n" for s in shadow)
    p.modes["/etc/shadow"] = 0o640
    rhel = profile in RHEL
    pretty = ("\x1b]0;owned\x07\x1b[2J<script>alert(1)</script>Debian GNU/Linux 12" if profile == "hostile"
              else "Debian GNU/Linux 10 (buster)" if weak else "Debian GNU/Linux 12 (bookworm)")
    version = "10" if weak else "12"
    p.files["/etc/os-release"] = f'PRETTY_NAME="{pretty}"\nNAME="Debian GNU/Linux"\nVERSION_ID="{version}"\nID=debian\n'
    if rhel:
        p.files["/etc/os-release"] = ('NAME="Rocky Linux"\nVERSION_ID="9.4"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
                                      'PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"\n')
        p.files["/etc/rpm/macros"] = "%_dbpath /var/lib/rpm\n"           # where RHEL keeps its rpm database
        p.files["/etc/dnf/dnf.conf"] = "[main]\ngpgcheck=0\ninstallonly_limit=3\nkeepcache=0\n"
        p.files["/etc/yum.repos.d/lab-security.repo"] = (
            "[lab-security]\nname=Lab security updates\nbaseurl=file:///var/lib/lab-rpm-repo\ngpgcheck=0\nenabled=1\n")
    p.files["/etc/login.defs"] = f"UMASK 022\nPASS_MAX_DAYS {'99999' if weak else '60'}\nPASS_MIN_DAYS 1\n"
    if weak:
        p.files["/etc/pam.d/common-password"] = "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n"
        p.files["/etc/pam.d/common-auth"] = ("auth required pam_faillock.so preauth deny=0\n"
                                             "auth [success=1 default=ignore] pam_unix.so nullok\n")
    else:
        p.files["/etc/pam.d/common-password"] = ("password requisite pam_pwquality.so retry=3 minlen=14 minclass=3\n"
                                                 "password [success=1 default=ignore] pam_unix.so obscure use_authtok yescrypt\n")
        p.files["/etc/pam.d/common-auth"] = ("auth required pam_faillock.so preauth\n"
                                             "auth [success=1 default=ignore] pam_unix.so\n"
                                             "auth [default=die] pam_faillock.so authfail\n")
        p.files["/etc/security/faillock.conf"] = "deny = 5\nunlock_time = 900\n"
        p.files["/etc/profile.d/tmout.sh"] = "readonly TMOUT=600\nexport TMOUT\n"
        p.files["/etc/systemd/journald.conf"] = "[Journal]\nStorage=persistent\n"
        p.files["/etc/rsyslog.d/50-forward.conf"] = '*.* action(type="omfwd" target="192.0.2.50" port="514" protocol="tcp")\n'
        p.files["/etc/logrotate.d/rsyslog"] = "/var/log/syslog\n{\n\tweekly\n\trotate 60\n\tcompress\n}\n"
        p.files["/etc/audit/rules.d/audit.rules"] = "-w /etc/passwd -p wa -k identity\n-a always,exit -F arch=b64 -S execve -k exec\n"
        p.modes["/etc/audit/rules.d/audit.rules"] = 0o640
        p.files["/run/systemd/timesync/synchronized"] = ""
        p.daemons += ["systemd-timesyn", "rsyslogd", "auditd", "clamd"]
    if weak:
        p.files["/etc/logrotate.d/rsyslog"] = "/var/log/syslog\n{\n\tdaily\n\trotate 7\n}\n"
        p.daemons += ["rsyslogd"]
        p.listen_ports.append(23)
    if rhel:
        for name in ("system-auth", "password-auth"):
            p.files[f"/etc/pam.d/{name}"] = p.files["/etc/pam.d/common-auth"] + p.files["/etc/pam.d/common-password"]
    installed = "1.0-1" if weak else "1.0-1+deb12u1"
    p.files["/etc/apt/sources.list"] = "deb [trusted=yes] file:/srv/lab-security bookworm-security main\n"
    p.files["/apt-lists/_srv_lab-security_dists_bookworm-security_Release"] = (
        "Origin: Debian\nLabel: Debian-Security\nSuite: stable-security\nVersion: 12\nCodename: bookworm-security\n"
        "Architectures: amd64 arm64\nComponents: main\n")
    for arch in ("amd64", "arm64"):
        p.files[f"/apt-lists/_srv_lab-security_dists_bookworm-security_main_binary-{arch}_Packages"] = (
            f"Package: libfoo1\nVersion: 1.0-1+deb12u1\nArchitecture: {arch}\nMaintainer: Lab <lab@example.invalid>\n"
            "Installed-Size: 10\nFilename: pool/libfoo1.deb\nSize: 100\nDescription: lab package\n\n")
    p.files["/dpkg/status"] = (f"Package: libfoo1\nStatus: install ok installed\nPriority: optional\nSection: libs\n"
                               f"Installed-Size: 10\nMaintainer: Lab <lab@example.invalid>\nArchitecture: {_arch()}\n"
                               f"Version: {installed}\nDescription: lab package\n\n")
    p.nft = "" if weak else "add table inet lab; add chain inet lab input { type filter hook input priority 0; policy drop; }"
    p.files["/etc/ssh/sshd_config"] = _sshd_config(weak)
    p.files["/etc/sudoers"] = _sudoers(sudoers_lines)
    p.modes["/etc/sudoers"] = 0o440
    recent = int(now) - 3 * 86400
    old = int(now) - 200 * 86400
    record = bytearray()
    for uid in range(0, 2003):
        if uid == 2001:
            record += _lastlog_record(recent)
        elif uid == 2002:
            record += _lastlog_record(old)
        else:
            record += b"\0" * 292
    p.files["/var/log/lastlog"] = bytes(record)
    p.files["/etc/secaudit-lab/hostile-shell"] = (
        "#!/bin/sh\n"
        "case \"$2\" in\n"
        "  *'sshd -T'*) printf '\\033[31mRED\\033]0;title\\007<b>bold</b>\\377\\376 =HYPERLINK(\"x\")\\n';"
        " head -c 52428800 /dev/zero | tr '\\0' 'A'; exit 0;;\n"
        "esac\n"
        "exec /bin/sh \"$@\"\n")
    p.modes["/etc/secaudit-lab/hostile-shell"] = 0o755
    p.files["/etc/secaudit-lab/hang-shell"] = (
        "#!/bin/sh\n"
        "if [ \"$2\" = 'id -u' ]; then exec /bin/sh \"$@\"; fi\n"
        "printf 'partial output\\n'; exec sleep 3600\n")
    p.modes["/etc/secaudit-lab/hang-shell"] = 0o755
    return p


def _write_tree(root: Path, p: Plant, host_key: Path, client_pub: str) -> None:
    files = dict(p.files)
    files["/etc/ssh/authorized_keys/" + USER] = client_pub
    files["/etc/ssh/authorized_keys/root"] = client_pub
    files["/etc/ssh/ssh_host_ed25519_key"] = host_key.read_bytes()
    modes = {**p.modes, "/etc/ssh/ssh_host_ed25519_key": 0o600}
    for path, content in files.items():
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        os.chmod(target, modes.get(path, 0o644))
    if (root / "etc/audit").exists():
        for d in (root / "etc/audit", root / "etc/audit/rules.d"):
            os.chmod(d, 0o750)
    (root / "apt-lists/partial").mkdir(parents=True, exist_ok=True)
    (root / "dpkg/updates").mkdir(parents=True, exist_ok=True)
    (root / "run/sshd").mkdir(parents=True, exist_ok=True)
    os.chmod(root / "run/sshd", 0o755)
    for sub in ("etc", "run", "var/log", "var/lib", "var/cache", "var/tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    bindir = root / "daemons"
    bindir.mkdir(exist_ok=True)
    for name in p.daemons:
        shutil.copy("/bin/sleep", bindir / name)


_HOLDER = r"""
set -e
for d in etc run var/log var/lib var/cache var/tmp; do
  mkdir -p "$ROOT/upper/$d" "$ROOT/work/$d"
  mount -t overlay overlay -o "lowerdir=$ROOT/tree/$d:/$d,upperdir=$ROOT/upper/$d,workdir=$ROOT/work/$d" "/$d"
done
mount --bind "$ROOT/tree/apt-lists" /var/lib/apt/lists
chmod 1777 /var/tmp
mount --bind "$ROOT/tree/dpkg" /var/lib/dpkg
ip link set lo up 2>/dev/null || true
if [ -n "$NFT" ]; then nft "$NFT"; fi
# "ready" only once every daemon runs under its name and every listener listens: a check that reads the
# host's processes or sockets right after the start must find them (started in the background, they may not be)
for name in $DAEMONS; do
  "$ROOT/tree/daemons/$name" 100000 &
  pid=$! i=0
  until [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$name" ]; do
    i=$((i + 1)); if [ $i -gt 6000 ]; then echo "daemon $name did not start" >&2; exit 1; fi; sleep 0.01
  done
done
for port in $LISTEN; do
  python3 -c "import socket,time;s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('0.0.0.0',$port));s.listen();time.sleep(100000)" &
  hex=$(printf '%04X' "$port") i=0
  until grep -q ":$hex 00000000:0000 0A" /proc/net/tcp; do
    i=$((i + 1)); if [ $i -gt 6000 ]; then echo "nothing listens on port $port" >&2; exit 1; fi; sleep 0.01
  done
done
if [ -n "$DNF" ]; then dnf -q makecache >/dev/null; fi
for m in $MOUNTS; do mkdir -p "${m#*=}"; mount "${m%%=*}" "${m#*=}"; done
echo ready > "$ROOT/ready"
exec sleep 100000
"""


class LabHost:
    """One planted host; ``serve`` hands it connections. Use as a context manager."""

    def __init__(self, workdir: Path, profile: str, host_key: Path, client_pub: str, sudoers: Sequence[str] = (),
                 mounts: Sequence[tuple[str, str]] = ()):
        assert profile in PROFILES
        self.mounts = tuple(mounts)               # (block device, mount point) mounted inside the namespace only
        self.root = workdir
        self.profile = profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.inner_pid = 0
        self.root.mkdir(parents=True, exist_ok=True)
        self.plant = plant(profile, sudoers)
        _write_tree(self.root / "tree", self.plant, host_key, client_pub)
        if profile in RHEL:
            rpm_state(self.root / "tree/var/lib", rpm_repo(workdir.parent / "rpm"),
                      "libfoo-1.0-1" if profile == "rhel-pending" else "libfoo-1.0-2")

    def __enter__(self) -> "LabHost":
        env = {**os.environ, "ROOT": str(self.root), "DAEMONS": " ".join(self.plant.daemons),
               "LISTEN": " ".join(str(p) for p in self.plant.listen_ports), "NFT": self.plant.nft,
               "DNF": "1" if self.profile in RHEL else "",
               "MOUNTS": " ".join(f"{dev}={point}" for dev, point in self.mounts)}
        (self.root / "ready").unlink(missing_ok=True)
        self.proc = subprocess.Popen(with_parent(["unshare", "--mount", "--pid", "--net", "--fork", "--mount-proc",
                                                  "--propagation", "private", "sh", "-c", _HOLDER]),
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 90          # mounts, daemons, listeners (and dnf) on a loaded machine
        while not (self.root / "ready").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                self.__exit__(None, None, None)
                raise RuntimeError(f"lab host {self.profile} did not start: {err[-500:]}")
            time.sleep(0.02)
        self.inner_pid = _child_pid(self.proc.pid)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            # the namespace's first process is its init: only SIGKILL ends it, and with it every process inside
            for pid in (self.inner_pid, self.proc.pid):
                if pid:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, 9)
            stop_process(self.proc)
            self.proc = None

    def spawn(self, conn: socket.socket) -> subprocess.Popen[bytes]:
        """``sshd -i`` inside this host's namespaces, speaking on ``conn``."""
        spaces = ["-m", "-p"] if self.profile == "jump" else ["-m", "-n", "-p"]
        return subprocess.Popen(["nsenter", "-t", str(self.inner_pid), *spaces, "--", SSHD, "-i", "-e",
                                 "-f", "/etc/ssh/sshd_config"], stdin=conn.fileno(), stdout=conn.fileno(),
                                stderr=subprocess.DEVNULL, start_new_session=True)


def _child_pid(pid: int) -> int:
    """The first process inside the namespaces (unshare --fork's child)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            if children:
                return int(children[0])
        time.sleep(0.01)
    raise RuntimeError("no process inside the lab namespaces")


class Gateway:
    """Listens on loopback addresses and gives each connection to the LabHost of its address (inetd style)."""

    def __init__(self, routes: dict[tuple[str, int], LabHost]):
        self.routes = routes
        self.sel = selectors.DefaultSelector()
        self.socks: list[socket.socket] = []
        self.children: list[subprocess.Popen[bytes]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> "Gateway":
        for (address, port), host in self.routes.items():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((address, port))
            s.listen(128)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, host)
            self.socks.append(s)
        self.thread.start()
        return self

    def _loop(self) -> None:
        while not self.stop.is_set():
            for key, _ in self.sel.select(timeout=0.1):
                try:
                    conn, _addr = key.fileobj.accept()  # type: ignore[union-attr]
                except OSError:
                    continue
                conn.setblocking(True)
                try:
                    self.children.append(key.data.spawn(conn))
                finally:
                    conn.close()
            self.children = [c for c in self.children if c.poll() is None]

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()
        for c in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(c.pid, 9)
            c.wait(5)


@contextlib.contextmanager
def lab_hosts(workdir: Path, profiles: dict[tuple[str, int], str], sudoers: Sequence[str] = (),
              mounts: Mapping[str, Sequence[tuple[str, str]]] | None = None) -> Iterator[dict[str, object]]:
    """Start one planted host per profile used and a gateway routing each (address, port) to its profile.
    ``mounts`` gives a profile's block devices to mount inside its namespace (device, mount point).
    Yields ``{"key": client key path, "known_hosts": path, "host_key": path}``."""
    workdir.mkdir(parents=True, exist_ok=True)
    key = make_client_key(workdir)
    host_key = make_host_key(workdir / "hostkey")
    known = workdir / "known_hosts"
    known.write_text("".join(known_hosts_line(a, p, host_key) for (a, p) in profiles))
    pub = Path(str(key) + ".pub").read_text()
    with contextlib.ExitStack() as stack:
        hosts = {name: stack.enter_context(LabHost(workdir / name, name, host_key, pub, sudoers,
                                                   (mounts or {}).get(name, ())))
                 for name in dict.fromkeys(profiles.values())}
        stack.enter_context(Gateway({addr: hosts[name] for addr, name in profiles.items()}))
        yield {"key": key, "known_hosts": known, "host_key": host_key, "hosts": hosts}


# ----------------------------------------------------------------------------- data volumes (profile "disks")


def _run(argv: Sequence[str], timeout: float = 60) -> str:
    done = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


@contextlib.contextmanager
def loop_volumes(workdir: Path, size_mb: int = 32) -> Iterator[dict[str, str]]:
    """Two real block devices for the ``disks`` profile: ``plain`` (a loop device with an ext4 file system,
    unencrypted) and ``luks`` (a loop device formatted by ``cryptsetup luksFormat`` with a key file).
    Loop devices are a machine-wide resource: each is detached on the way out whatever happened
    (``losetup -d`` of a device still mounted in a dying namespace only marks it to go when released)."""
    workdir.mkdir(parents=True, exist_ok=True)
    key = workdir / "luks.key"
    key.write_bytes(os.urandom(64))
    os.chmod(key, 0o600)
    attached: list[str] = []
    try:
        devices: dict[str, str] = {"key": str(key)}
        for name in ("plain", "luks"):
            image = workdir / f"{name}.img"
            with open(image, "wb") as f:
                f.truncate(size_mb << 20)
            dev = _run(["losetup", "--find", "--show", str(image)], 30)
            attached.append(dev)
            devices[name] = dev
        _run(["mkfs.ext4", "-q", "-F", devices["plain"]])
        # a fast key derivation: the lab's LUKS header is real, its key is a random file that dies with the test
        _run([CRYPTSETUP, "luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations",
              "1000", "--key-file", str(key), devices["luks"]])
        yield devices
    finally:
        for dev in attached:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(["losetup", "-d", dev], capture_output=True, timeout=30)


# ----------------------------------------------------------------------------- rpm and dnf (profiles "rhel*")

_SPEC = """Name: %{pkg}
Version: %{ver}
Release: %{rel}
Summary: secaudit lab package
License: MIT
BuildArch: noarch
%{?provide:Provides: %{provide}}
%description
A package of the secaudit host lab (no files).
%files
"""

_UPDATEINFO = """<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="lab@example.invalid" status="final" type="security" version="2.0">
    <id>LAB-SA-2026:0001</id>
    <title>libfoo security update</title>
    <severity>Important</severity>
    <issued date="2026-11-30 00:00:00"/>
    <description>secaudit lab advisory</description>
    <pkglist><collection short="lab"><name>lab</name>
      <package name="libfoo" version="1.0" release="2" epoch="0" arch="noarch">
        <filename>libfoo-1.0-2.noarch.rpm</filename></package>
    </collection></pkglist>
  </update>
</updates>
"""


def rpm_repo(workdir: Path) -> Path:
    """Build (once per directory) the lab's rpms with ``rpmbuild`` and a repository with ``createrepo_c`` whose
    updateinfo (added by ``modifyrepo_c``) has one security advisory: libfoo 1.0-2. Returns the directory
    holding ``rpms/`` (every package built) and ``repo/`` (the repository)."""
    repo = workdir / "repo"
    if (repo / "repodata/repomd.xml").exists():
        return workdir
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / "lab.spec"
    spec.write_text(_SPEC)
    builds = [("libfoo", "1.0", "1", ""), ("libfoo", "1.0", "2", ""),
              ("rocky-release", "9.4", "1", "system-release(releasever) = 9")]
    for pkg, ver, rel, provide in builds:
        _run(["rpmbuild", "-bb", "--define", f"_topdir {workdir / 'build'}", "--define", f"pkg {pkg}",
              "--define", f"ver {ver}", "--define", f"rel {rel}"]
             + (["--define", f"provide {provide}"] if provide else []) + [str(spec)], 120)
    rpms = workdir / "rpms"
    rpms.mkdir(exist_ok=True)
    for built in (workdir / "build/RPMS/noarch").glob("*.rpm"):
        shutil.copy(built, rpms / built.name)
    repo.mkdir(exist_ok=True)
    shutil.copy(rpms / "libfoo-1.0-2.noarch.rpm", repo)
    _run(["createrepo_c", "-q", str(repo)])
    (workdir / "updateinfo.xml").write_text(_UPDATEINFO)
    _run(["modifyrepo_c", "--mdtype=updateinfo", str(workdir / "updateinfo.xml"), str(repo / "repodata")])
    return workdir


def rpm_state(var_lib: Path, built: Path, libfoo: str) -> None:
    """The host's ``/var/lib``: an rpm database with the release package and ``libfoo`` installed (recorded by
    ``rpm --justdb``: the packages have no files), and the repository under ``lab-rpm-repo``."""
    db = var_lib / "rpm"
    db.mkdir(parents=True, exist_ok=True)
    _run(["rpm", "--dbpath", str(db.resolve()), "-i", "--justdb", "--nodeps", "--noscripts",
          str(built / "rpms/rocky-release-9.4-1.noarch.rpm"), str(built / f"rpms/{libfoo}.noarch.rpm")], 120)
    shutil.copytree(built / "repo", var_lib / "lab-rpm-repo", dirs_exist_ok=True)
