"""A TCP proxy on loopback that counts the connections it accepts: how many a scan opens, seen by the server.

Tests and benchmarks put it in front of a lab server (nginx) and point the scanner at it. Every
accepted connection is counted before a byte is read, whatever the client does with it (a TLS
handshake, a refused one, a plain TCP connect). Bytes are passed through unchanged both ways.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading
from typing import Iterator

_CHUNK = 65536


class _Handler(socketserver.BaseRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        self.server.count()
        try:
            upstream = socket.create_connection(self.server.upstream, timeout=10)
        except OSError:
            return
        client = self.request
        self.server.track(client, upstream)
        back = threading.Thread(target=_pipe, args=(upstream, client), daemon=True)
        back.start()
        _pipe(client, upstream)
        back.join(timeout=30)
        for s in (upstream, client):
            with contextlib.suppress(OSError):
                s.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    """Copy until either side closes (every loop ends: a closed socket makes recv/sendall return or fail)."""
    src.settimeout(60)
    try:
        while True:
            data = src.recv(_CHUNK)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, listen: tuple[str, int], upstream: tuple[str, int]):
        super().__init__(listen, _Handler)
        self.upstream = upstream
        self._lock = threading.Lock()
        self._count = 0
        self._open: list[socket.socket] = []

    def count(self) -> None:
        with self._lock:
            self._count += 1

    def track(self, *socks: socket.socket) -> None:
        with self._lock:
            self._open.extend(socks)

    @property
    def connections(self) -> int:
        with self._lock:
            return self._count

    def reset(self) -> int:
        """The count so far, and start again from zero."""
        with self._lock:
            n, self._count = self._count, 0
            return n

    def close_all(self) -> None:
        with self._lock:
            socks, self._open = self._open, []
        for s in socks:
            with contextlib.suppress(OSError):
                s.close()


@contextlib.contextmanager
def counting_proxy(upstream: tuple[str, int], host: str, port: int = 0) -> Iterator[_Server]:
    """A proxy listening on ``host:port`` (0: a free port; read ``.server_address``) forwarding to ``upstream``.
    Both must be loopback addresses. ``.connections`` is the number of connections accepted so far."""
    for h in (host, upstream[0]):
        if not h.startswith("127."):
            raise ValueError(f"the counting proxy only works on loopback, not {h}")
    server = _Server((host, port), upstream)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        server.close_all()
        thread.join(timeout=10)
