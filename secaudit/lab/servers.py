"""Real servers on 127.0.0.1 for the TLS tests: one nginx with many server blocks, an SMTP
server with STARTTLS (aiosmtpd) and a TCP port that accepts and never speaks.

Each is a context manager: leaving it stops the server (bounded waits, no stray process).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import os
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Collection, Iterator, Sequence

LOOPBACK = "127.0.0.1"
MODERN_CIPHERS = ("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
                  "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
MOZILLA_CURVES = "X25519:prime256v1:secp384r1"


def with_parent(argv: list[str]) -> list[str]:
    """``argv`` run so that the kernel ends it when the process that started it dies: a test run killed by
    a timeout or ``kill -9`` leaves no server holding its loopback addresses (util-linux's setpriv)."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else argv


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate a server process; kill it if it does not exit within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextlib.contextmanager
def serving(server: "socketserver.BaseServer") -> Iterator[int]:
    """Run a socketserver in a daemon thread; yield its port; shut it down and join on exit."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def free_ports(count: int, host: str = LOOPBACK) -> list[int]:
    """``count`` distinct free ports of ``host``: all bound at once, then released.

    Calling :func:`free_port` ``count`` times can return the same port twice (the kernel may hand
    out a port again as soon as it is released: about one farm of 20 sites in a hundred), and nginx
    accepts two server blocks on one port, so two sites would silently become one endpoint."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket(family, socket.SOCK_STREAM)) for _ in range(count)]
        for s in socks:
            s.bind((host, 0))
        return [s.getsockname()[1] for s in socks]


def assign_ports(sites: Sequence[Site], keep: Collection[str] = ()) -> None:
    """Give every site not named in ``keep`` (the sites given a port) a free port of its own host,
    distinct within the farm; ``same_port_as`` sites then share their partner's."""
    fresh = [s for s in sites if not s.same_port_as and s.name not in keep]
    by_host: dict[str, list[Site]] = {}
    for s in fresh:
        by_host.setdefault(s.host, []).append(s)
    for host, group in by_host.items():
        for s, port in zip(group, free_ports(len(group), host)):
            s.port = port
    names = {s.name: s for s in sites}
    for s in sites:
        if s.same_port_as:
            s.port = names[s.same_port_as].port


def wait_listening(port: int, deadline_s: float = 10.0, host: str = LOOPBACK) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {host}:{port} after {deadline_s} s")


def listener_owned_by(pid: int, host: str, port: int) -> bool:
    """Whether process ``pid`` holds the socket listening on ``host``:``port``.

    A server started on a port that :func:`free_port` released can find it taken by another process meanwhile
    (another test's server); :func:`wait_listening` connects, and cannot tell whose listener answered. Linux
    ``/proc``; elsewhere True (nothing to tell by)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        rows = Path("/proc/net/tcp6" if family == socket.AF_INET6 else "/proc/net/tcp").read_text().splitlines()
    except OSError:
        return True
    packed = socket.inet_pton(family, host)
    local = "".join(packed[i:i + 4][::-1].hex() for i in range(0, len(packed), 4)).upper() + f":{port:04X}"
    sockets = {f"socket:[{f[9]}]" for f in (row.split() for row in rows[1:]) if f[1] == local and f[3] == "0A"}
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False                             # the process is gone
    for fd in fds:
        with contextlib.suppress(OSError):       # a descriptor closed meanwhile
            if os.readlink(f"/proc/{pid}/fd/{fd}") in sockets:
                return True
    return False


def security_txt_location(expires: "_dt.datetime | None" = None, contact: str = "mailto:security@agency.example") -> str:
    """An nginx location serving a valid security.txt (RFC 9116) that expires in 180 days by default."""
    when = expires or _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(days=180)
    return ('location = /.well-known/security.txt { default_type "text/plain; charset=utf-8"; '
            f'return 200 "Contact: {contact}\\nExpires: {when.strftime("%Y-%m-%dT%H:%M:%SZ")}\\n"; }}')


def hardened_web() -> tuple[str, ...]:
    """nginx directives for a site that passes the web-header and security.txt controls (Observatory-style)."""
    return ('add_header Content-Security-Policy "default-src \'self\'; frame-ancestors \'self\'" always;',
            "add_header X-Content-Type-Options nosniff always;",
            "add_header Referrer-Policy strict-origin-when-cross-origin always;",
            security_txt_location())


@dataclass
class Site:
    """One nginx server block: a TLS endpoint on its own port."""

    name: str
    cert: Path
    key: Path
    protocols: str = "TLSv1.2 TLSv1.3"
    ciphers: str = MODERN_CIPHERS
    curves: str = MOZILLA_CURVES
    hsts: str | None = None                  # Strict-Transport-Security value, or None for no header
    stapling_file: Path | None = None        # DER OCSP response to staple
    dhparam: Path | None = None              # DH parameters for DHE suites
    plain: bool = False                      # plain HTTP, no TLS at all
    server_name: str = "localhost"
    same_port_as: str | None = None          # share another site's port, told apart by SNI (server_name)
    port: int = 0                            # 0: a free ephemeral port is picked at start
    host: str = LOOPBACK                     # any 127.0.0.x address
    redirect_to: str | None = None           # plain sites: answer 301 to this URL prefix instead of 200
    extra: tuple[str, ...] = ()              # more nginx directives for the server block (headers, locations)
    hardened: bool = False                   # send the web security headers and serve a valid security.txt

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class NginxFarm:
    """One nginx process serving every :class:`Site` on its own loopback port."""

    sites: list[Site]
    workdir: Path
    proc: subprocess.Popen | None = None
    by_name: dict[str, Site] = field(default_factory=dict)

    def _config(self) -> str:
        w = self.workdir
        blocks = []
        for s in self.sites:
            if s.plain:
                answer = f"return 301 {s.redirect_to}$request_uri;" if s.redirect_to else 'return 200 "plain\\n";'
                blocks.append(f"  server {{\n    listen {s.host}:{s.port};\n" + "".join(f"    {x}\n" for x in s.extra)
                              + f"    location / {{ {answer} }}\n  }}")
                continue
            lines = [
                f"listen {s.host}:{s.port} ssl;",
                f"server_name {s.server_name};",
                f"ssl_certificate {s.cert};",
                f"ssl_certificate_key {s.key};",
                f"ssl_protocols {s.protocols};",
                f"ssl_ciphers '{s.ciphers}';",
                "ssl_prefer_server_ciphers off;",
                f"ssl_ecdh_curve {s.curves};",
                "ssl_session_tickets off;",
            ]
            if s.hsts:
                lines.append(f'add_header Strict-Transport-Security "{s.hsts}" always;')
            if s.dhparam:
                lines.append(f"ssl_dhparam {s.dhparam};")
            if s.stapling_file:
                lines += ["ssl_stapling on;", f"ssl_stapling_file {s.stapling_file};", "ssl_stapling_verify off;"]
            lines += list(s.extra) + (list(hardened_web()) if s.hardened else [])
            lines.append('location / { return 200 "ok\\n"; }')
            blocks.append("  server {\n    " + "\n    ".join(lines) + "\n  }")
        return (
            "worker_processes 1;\n"
            f"error_log {w}/error.log warn;\n"
            f"pid {w}/nginx.pid;\n"
            "events { worker_connections 1024; }\n"
            "http {\n"
            "  access_log off;\n"
            f"  client_body_temp_path {w}/tmp_body; proxy_temp_path {w}/tmp_proxy;\n"
            f"  fastcgi_temp_path {w}/tmp_fcgi; uwsgi_temp_path {w}/tmp_uwsgi; scgi_temp_path {w}/tmp_scgi;\n"
            + "\n".join(blocks) + "\n}\n"
        )

    def start(self) -> "NginxFarm":
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        fixed = {s.name for s in self.sites if s.port}   # sites given a port keep it
        for attempt in range(3):  # a picked free port can be taken meanwhile: retry with new ports
            assign_ports(self.sites, keep=fixed)
            conf = self.workdir / "nginx.conf"
            conf.write_text(self._config())
            # OpenSSL security level 0 for the whole process: lets nginx load the RSA-1024 and SHA-1
            # certificates and serve TLS 1.0/1.1 where a block asks for them; blocks that want modern
            # settings set explicit protocols, ciphers and curves.
            openssl_conf = self.workdir / "openssl.cnf"
            openssl_conf.write_text(
                "openssl_conf = init\n[init]\nssl_conf = ssl_sect\n[ssl_sect]\nsystem_default = sys\n"
                "[sys]\nCipherString = DEFAULT:@SECLEVEL=0\nMinProtocol = TLSv1\n")
            env = dict(os.environ, OPENSSL_CONF=str(openssl_conf))
            self.proc = subprocess.Popen(
                with_parent([nginx, "-p", str(self.workdir), "-c", str(conf), "-g", "daemon off;"]),
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=True)
            try:
                for s in self.sites:
                    wait_listening(s.port, host=s.host)
                    if not listener_owned_by(self.proc.pid, s.host, s.port):
                        raise RuntimeError(f"{s.address} is another process's")
            except RuntimeError:
                err = self._stop_and_collect()
                if attempt == 2:
                    raise RuntimeError(f"nginx did not start: {err}") from None
                continue
            self.by_name = {s.name: s for s in self.sites}
            return self
        raise AssertionError("unreachable")

    def _stop_and_collect(self) -> str:
        if self.proc is None:
            return ""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None
        log = self.workdir / "error.log"
        return err + (log.read_text(errors="replace")[-2000:] if log.exists() else "")

    def stop(self) -> None:
        self._stop_and_collect()

    def __getitem__(self, name: str) -> Site:
        return self.by_name[name]

    def __enter__(self) -> "NginxFarm":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port whose kernel completes TCP handshakes but nobody ever reads or writes."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((LOOPBACK, 0))
    s.listen(64)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


@contextlib.contextmanager
def closed_port(host: str = LOOPBACK) -> Iterator[int]:
    """A port of ``host`` that refuses connections for as long as the block runs.

    The port stays bound by a socket that never listens: the kernel answers every connection with a reset,
    and no other process can bind it meanwhile (a port that :func:`free_port` released could be taken by
    any server that other tests start on the same address at the same time)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        yield s.getsockname()[1]


@contextlib.contextmanager
def smtp_starttls(cert: Path, key: Path, host: str = LOOPBACK, port: int = 0,
                  server_hostname: str = "localhost") -> Iterator[int]:
    """An SMTP server (aiosmtpd) offering STARTTLS with the given certificate."""
    # start-up: aiosmtpd loaded only when needed
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    # sslyze's scan makes hundreds of handshakes that the server refuses on purpose; aiosmtpd logs each one
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    for attempt in range(3):     # a picked free port can be taken meanwhile (another test's server): pick again
        chosen = port or free_port(host)
        controller = Controller(Sink(), hostname=host, port=chosen, tls_context=ctx, require_starttls=False,
                                server_hostname=server_hostname, ready_timeout=10)
        try:
            controller.start()
        except OSError:
            if port or attempt == 2:
                raise
            continue
        try:
            yield chosen
        finally:
            controller.stop()
        return


def start_listening(start: Callable[[int], subprocess.Popen], *, host: str = LOOPBACK, port: int = 0,
                    deadline_s: float = 10.0, stop_timeout: float = 10.0, tries: int = 3) -> tuple[int, subprocess.Popen]:
    """Start a server process on ``port`` (0: a picked free port of ``host``) and return the port and the process
    once the process itself holds the listener. A picked port can be taken meanwhile by another test's server,
    which :func:`wait_listening` cannot tell apart (it only connects): then the process is stopped and another
    port picked, ``tries`` times in all; a given ``port`` is tried once. RuntimeError when it does not start."""
    for attempt in range(tries):
        chosen = port or free_port(host)
        proc = start(chosen)
        try:
            wait_listening(chosen, deadline_s, host=host)
            if not listener_owned_by(proc.pid, host, chosen):
                raise RuntimeError(f"{host}:{chosen} is another process's")
        except RuntimeError:
            stop_process(proc, stop_timeout)
            if port or attempt == tries - 1:
                raise
            continue
        return chosen, proc
    raise AssertionError("unreachable: the last try returns or raises")


@contextlib.contextmanager
def openssl_s_server(cert: Path, key: Path, *extra: str) -> Iterator[int]:
    """`openssl s_server -www` on a loopback port (one connection at a time; scan it gently)."""
    port, proc = start_listening(lambda port: subprocess.Popen(
        ["openssl", "s_server", "-accept", f"{LOOPBACK}:{port}", "-cert", str(cert), "-key", str(key), "-www",
         *extra], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True))
    try:
        yield port
    finally:
        stop_process(proc)


# protocol -> (greeting sent first or None, what the client's STARTTLS request contains, the go-ahead)
_STARTTLS_DIALOGUE: dict[str, tuple[bytes | None, bytes, bytes]] = {
    "imap": (b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n", b"STARTTLS", b". OK Begin TLS negotiation\r\n"),
    "pop3": (b"+OK POP3 ready\r\n", b"STLS", b"+OK Begin TLS negotiation\r\n"),
    "ftp": (b"220 FTP ready\r\n", b"AUTH TLS", b"234 AUTH TLS successful\r\n"),
    "postgres": (None, b"\x04\xd2\x16\x2f", b"S"),
}


@contextlib.contextmanager
def starttls_server(protocol: str, cert: Path, key: Path) -> Iterator[int]:
    """A minimal server speaking just enough IMAP, POP3, FTP or PostgreSQL to upgrade to TLS
    (greeting, STARTTLS request, go-ahead, TLS 1.2+ handshake); enough for a TLS scan."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    greeting, request, go_ahead = _STARTTLS_DIALOGUE[protocol]

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock = self.request
            sock.settimeout(10)
            try:
                if greeting:
                    sock.sendall(greeting)
                if request not in sock.recv(2048):
                    return
                sock.sendall(go_ahead)
                with ctx.wrap_socket(sock, server_side=True) as tls:
                    while tls.recv(4096):
                        pass
            except (OSError, ssl.SSLError):
                pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with serving(Server((LOOPBACK, 0), Handler)) as port:
        yield port
