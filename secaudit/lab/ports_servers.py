"""Real loopback servers for the port/SSH/HTTP tests: each a context manager that stops what it started.

* :func:`tls_http_server` — HTTPS (Python ssl + a throwaway self-signed certificate);
* :func:`http_server` — plain HTTP answering 200, or a redirect to a given Location;
* :func:`telnet_like_server` — sends telnet IAC option negotiation, as a Linux telnetd does (nmap -sV says telnet);
* :func:`sshd` — Debian's OpenSSH server, unprivileged-style config in a temp dir, weak or hardened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import ipaddress
import os
import shutil
import socketserver
import ssl
import subprocess
from pathlib import Path
from typing import Iterator

from secaudit.lab.servers import serving as _serving  # noqa: E402
from secaudit.lab.servers import start_listening, stop_process, with_parent  # noqa: E402

SSHD = "/usr/sbin/sshd"
TELNET_NEGOTIATION = b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27"  # DO TTYPE, TSPEED, XDISPLOC, NEW-ENVIRON


class _QuietServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def handle_error(self, request, client_address):  # scanners send garbage: that is expected
        pass


def _handler(status: int, location: str | None) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        timeout = 5

        def do_GET(self) -> None:  # noqa: N802
            body = b"<html><body>secaudit test server</body></html>"
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, *args) -> None:
            pass

    return Handler


class _HTTPServer(_QuietServer):
    pass


@contextlib.contextmanager
def http_server(host: str = "127.0.0.1", status: int = 200, location: str | None = None,
                port: int = 0) -> Iterator[int]:
    """Plain HTTP on ``port`` (default: an ephemeral one); yields the port."""
    with _serving(_HTTPServer((host, port), _handler(status, location))) as bound:
        yield bound


def _self_signed(tmp: Path, host: str) -> tuple[Path, Path]:
    # start-up: cryptography loaded only when needed
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@contextlib.contextmanager
def tls_http_server(tmp: Path, host: str = "127.0.0.1") -> Iterator[int]:
    """HTTPS on an ephemeral port (TLS handshake in the connection's own thread); yields the port."""
    cert, key = _self_signed(tmp, host)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    handler = _handler(200, None)

    class TLSServer(_QuietServer):
        def finish_request(self, request, client_address):
            request.settimeout(5)
            tls = context.wrap_socket(request, server_side=True)
            try:
                handler(tls, client_address, self)
            finally:
                with contextlib.suppress(OSError):
                    tls.close()

    with _serving(TLSServer((host, 0), handler)) as port:
        yield port


class _TelnetHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.request.settimeout(3)
        with contextlib.suppress(OSError):
            self.request.sendall(TELNET_NEGOTIATION)
            self.request.recv(256)


@contextlib.contextmanager
def telnet_like_server(host: str = "127.0.0.1", port: int = 0) -> Iterator[int]:
    with _serving(_QuietServer((host, port), _TelnetHandler)) as bound:
        yield bound


WEAK_SSHD = """\
KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1
Ciphers +3des-cbc,aes128-cbc
MACs +hmac-md5,hmac-sha1
HostKeyAlgorithms +ssh-rsa
PasswordAuthentication yes
KbdInteractiveAuthentication yes
"""

HARDENED_SSHD = """\
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com
MACs hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com
HostKeyAlgorithms ssh-ed25519
PasswordAuthentication no
KbdInteractiveAuthentication no
"""


@contextlib.contextmanager
def sshd(tmp: Path, host: str, hardened: bool, port: int = 0) -> Iterator[int]:
    """A real OpenSSH server on ``host``:ephemeral port with throwaway host keys; stopped on exit."""
    if not os.path.exists(SSHD):
        raise RuntimeError(f"{SSHD} missing: install openssh-server (make sysdeps)")
    tmp.mkdir(parents=True, exist_ok=True)
    keys = []
    for kind in (("ed25519",) if hardened else ("rsa", "ed25519")):
        path = tmp / f"host_{kind}"
        for stale in (path, path.with_suffix(".pub")):      # a reused directory: ssh-keygen would ask
            stale.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", str(path)], check=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        keys.append(path)
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # privilege-separation directory sshd requires
    config = tmp / "sshd_config"

    def start(chosen: int) -> subprocess.Popen:
        config.write_text(
            f"ListenAddress {host}:{chosen}\n" + "".join(f"HostKey {k}\n" for k in keys)
            + f"PidFile {tmp / 'sshd.pid'}\nUsePAM no\nStrictModes no\nPermitRootLogin no\n"
            + f"AuthorizedKeysFile {tmp / 'authorized_keys'}\n"
            + (HARDENED_SSHD if hardened else WEAK_SSHD))
        with open(tmp / "sshd.log", "wb") as log:
            return subprocess.Popen(with_parent([SSHD, "-D", "-e", "-f", str(config)]), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=log)

    try:
        chosen, proc = start_listening(start, host=host, port=port, stop_timeout=5)
    except RuntimeError as e:
        raise RuntimeError(f"sshd did not start: {e}: {(tmp / 'sshd.log').read_text(errors='replace')}") from None
    try:
        yield chosen
    finally:
        stop_process(proc, timeout=5)


def nmap_available() -> bool:
    return shutil.which("nmap") is not None
