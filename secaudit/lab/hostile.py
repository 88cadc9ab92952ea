"""Misbehaving loopback servers for the scan engine's robustness tests (issue 8).

Each server is a context manager: it listens on an ephemeral loopback port, serves every
connection in a daemon thread, and at exit stops accepting, closes every connection and
joins its threads. Every loop is bounded in count and time and watches the stop event.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

Handler = Callable[[socket.socket, threading.Event], None]

MAX_SECONDS = 120.0          # no handler lives longer than this, whatever happens


@dataclass
class Server:
    host: str
    port: int
    stop: threading.Event = field(default_factory=threading.Event)
    conns: list[socket.socket] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)
    accepted: int = 0

    @property
    def address(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@contextlib.contextmanager
def serve(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> Iterator[Server]:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    lsock = socket.socket(family, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((host, port))
    lsock.listen(64)
    lsock.settimeout(0.1)
    server = Server(host, lsock.getsockname()[1])

    def handle(conn: socket.socket) -> None:
        try:
            handler(conn, server.stop)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def accept_loop() -> None:
        deadline = time.monotonic() + MAX_SECONDS
        while not server.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = lsock.accept()
            except (socket.timeout, OSError):
                continue
            server.accepted += 1
            server.conns.append(conn)
            t = threading.Thread(target=handle, args=(conn,), daemon=True)
            server.threads.append(t)
            t.start()

    acceptor = threading.Thread(target=accept_loop, daemon=True)
    acceptor.start()
    try:
        yield server
    finally:
        server.stop.set()
        acceptor.join(timeout=5)
        lsock.close()
        for c in server.conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                c.close()
        for t in server.threads:
            t.join(timeout=5)


def _wait(stop: threading.Event, seconds: float = MAX_SECONDS) -> None:
    stop.wait(seconds)


def _read_some(conn: socket.socket, stop: threading.Event, timeout: float = 5.0) -> bytes:
    conn.settimeout(0.2)
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            return conn.recv(65536)
        except socket.timeout:
            continue
    return b""


# ----------------------------------------------------------------------------- raw handlers


def silent(conn: socket.socket, stop: threading.Event) -> None:
    """Accepts and never speaks."""
    _wait(stop)


def close_immediately(conn: socket.socket, stop: threading.Event) -> None:
    conn.close()


def random_bytes(conn: socket.socket, stop: threading.Event) -> None:
    """Answers the ClientHello with random bytes."""
    _read_some(conn, stop)
    conn.sendall(os.urandom(4096))
    _wait(stop, 2)


def reset_mid_handshake(conn: socket.socket, stop: threading.Event) -> None:
    """Reads the ClientHello, then resets the connection (RST, not FIN)."""
    _read_some(conn, stop)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def drip(conn: socket.socket, stop: threading.Event) -> None:
    """Sends a plausible TLS record header, then one byte per second, forever (until stopped)."""
    _read_some(conn, stop)
    data = b"\x16\x03\x03\x40\x00" + b"\x02" * 100000
    for i in range(len(data)):
        if stop.is_set():
            return
        conn.sendall(data[i:i + 1])
        if stop.wait(1.0):
            return


def endless_banner(conn: socket.socket, stop: threading.Event) -> None:
    """Greets first, and never stops greeting: an SMTP-like "220-" continuation line every 50 ms."""
    deadline = time.monotonic() + MAX_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        conn.sendall(b"220-secaudit endless banner, still greeting\r\n")
        if stop.wait(0.05):
            return


def alert_flood(conn: socket.socket, stop: threading.Event) -> None:
    """Answers with a flood of TLS warning alerts (bounded: 200,000 records or until stopped)."""
    _read_some(conn, stop)
    record = b"\x15\x03\x03\x00\x02\x01\x5a" * 1000       # warning, user_canceled
    for _ in range(200):
        if stop.is_set():
            return
        conn.sendall(record)


# ----------------------------------------------------------------------------- TLS servers


def tls_context(cert_file: Path, key_file: Path, max_version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert_file), str(key_file))
    if max_version is not None:
        ctx.maximum_version = max_version
    return ctx


def tls_handler(ctx: ssl.SSLContext) -> Handler:
    """A well-behaved TLS server (serves a bad certificate when given one)."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(10)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with contextlib.suppress(OSError, ssl.SSLError):
            tls.settimeout(2)
            data = tls.recv(4096)
            if data.startswith(b"GET") or data.startswith(b"HEAD"):
                tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            tls.close()

    return handle


def _records(buf: bytes) -> tuple[list[bytes], bytes]:
    """Split complete TLS records off the front of ``buf``."""
    out = []
    while len(buf) >= 5:
        length = struct.unpack("!H", buf[3:5])[0]
        if len(buf) < 5 + length:
            break
        out.append(buf[: 5 + length])
        buf = buf[5 + length:]
    return out, buf


def proxy_handler(ctx: ssl.SSLContext, transform: Callable[[int, bytes], bytes | None]) -> Handler:
    """A TLS server behind a man-in-the-middle that rewrites the server's records.

    ``transform(index, record)`` returns the bytes to forward for the server's n-th record,
    or None to stall from there on (forward nothing more, keep the connection open).
    """

    def handle(client: socket.socket, stop: threading.Event) -> None:
        a, b = socket.socketpair()
        backend = threading.Thread(target=tls_handler(ctx), args=(b, stop), daemon=True)
        backend.start()
        client.settimeout(0.1)
        a.settimeout(0.1)
        pending = b""
        index = 0
        stalled = False
        deadline = time.monotonic() + 30
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                with contextlib.suppress(socket.timeout):
                    data = client.recv(65536)
                    if not data:
                        break
                    a.sendall(data)
                with contextlib.suppress(socket.timeout):
                    data = a.recv(65536)
                    if not data:
                        if stalled:
                            _wait(stop, max(0.0, deadline - time.monotonic()))
                        break
                    if stalled:
                        continue
                    records, pending = _records(pending + data)
                    for rec in records:
                        out = transform(index, rec)
                        index += 1
                        if out is None:
                            stalled = True
                            break
                        client.sendall(out)
        finally:
            a.close()
            backend.join(timeout=5)

    return handle


def stall_after_server_hello(index: int, record: bytes) -> bytes | None:
    """Forward the first server record (it carries the ServerHello), then stall."""
    if index == 0:
        if record[0] == 0x16 and len(record) > 9 and record[5] == 0x02:     # handshake, ServerHello first
            hello = record[5: 5 + 4 + struct.unpack("!I", b"\x00" + record[6:9])[0]]
            return record[:3] + struct.pack("!H", len(hello)) + hello
        return record
    return None


def corrupt_certificate_der(index: int, record: bytes) -> bytes | None:
    """Corrupt the DER of the first certificate in the (TLS 1.2, cleartext) Certificate message."""
    if record[0] != 0x16:
        return record
    body = bytearray(record)
    pos = 5
    while pos + 4 <= len(body):
        msg_type = body[pos]
        msg_len = struct.unpack("!I", b"\x00" + bytes(body[pos + 1: pos + 4]))[0]
        if msg_type == 0x0B and pos + 4 + 6 + 4 <= len(body):
            der = pos + 4 + 3 + 3                      # list length, first cert length
            body[der] = 0x04                           # SEQUENCE tag -> OCTET STRING: invalid certificate
            body[der + 4: der + 20] = b"\xff" * 16
            break
        pos += 4 + msg_len
    return bytes(body)


def hostile_certificate_chain(cert_pem: bytes, filler_pem: bytes, megabytes: float = 2.0) -> bytes:
    """A chain file of the leaf followed by enough copies of another certificate to pass ``megabytes``."""
    copies = int(megabytes * 1024 * 1024 / max(1, len(filler_pem))) + 1
    return cert_pem + filler_pem * copies
