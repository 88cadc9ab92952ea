"""One bounded HTTP(S) GET for the web, security.txt and MTA-STS probes (standard library).

Redirects are never followed; the whole exchange (connect, TLS, request, headers, body up to a
size limit) is bounded by one deadline: a timer shuts the socket down, which wakes any blocked
read. The certificate is verified against the system store plus the organisation's CA file, for
the name the client means (``server_name``), while the TCP connection may go to an address
resolved elsewhere (MTA-STS through the scan's resolver). Server-supplied data stays data.

A certificate the run does not trust is a finding of the certificate checks, not a reason to see
nothing else: :func:`get_noting_trust` then asks again without verifying and says why the
certificate was not trusted, so the header checks judge what the server sends and say over what.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from secaudit.targets import format_url_host, validate_host, validate_port

USER_AGENT = "secaudit"
MAX_HEADERS = 200


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]     # in order, names as sent, repeated headers kept
    body: bytes
    truncated: bool

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


class FetchError(Exception):
    """No usable answer: connection, TLS verification, protocol or deadline. ``kind`` names which."""

    def __init__(self, kind: str, detail: str):
        self.kind = kind
        self.detail = detail
        super().__init__(f"{kind}: {detail}")


def tls_context(ca_file: str | Path | None, verify: bool = True) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    if ca_file:
        ctx.load_verify_locations(cafile=str(ca_file))
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class _Conn(http.client.HTTPSConnection):
    def __init__(self, address: str, port: int, server_name: str, context: ssl.SSLContext | None, timeout: float):
        super().__init__(server_name, port, timeout=timeout, context=context or ssl.create_default_context())
        self._address = address
        self._tls = context is not None

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host) if self._tls else sock


def _shutdown(conn: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    if conn.sock is not None:
        try:
            conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def url_for(scheme: str, server_name: str, port: int, path: str) -> str:
    default = 443 if scheme == "https" else 80
    return f"{scheme}://{format_url_host(server_name)}{'' if port == default else f':{port}'}{path}"


def get(address: str, port: int, path: str, *, server_name: str | None = None, tls: bool = True,
        ca_file: str | Path | None = None, timeout_s: float = 10.0, max_body: int = 65536,
        verify: bool = True) -> Response:
    """GET ``path`` from ``address:port`` (Host and SNI ``server_name``); raises :class:`FetchError`.
    ``verify=False`` accepts any certificate (see :func:`get_noting_trust`)."""
    address = validate_host(address)
    port = validate_port(port)
    name = validate_host(server_name) if server_name else address
    url = url_for("https" if tls else "http", name, port, path)
    conn = _Conn(address, port, name, tls_context(ca_file, verify) if tls else None, timeout_s)
    expired = threading.Event()
    timer = threading.Timer(timeout_s, _shutdown, args=(conn, expired))
    timer.daemon = True
    timer.start()
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", url.split("/")[2])
        conn.putheader("User-Agent", USER_AGENT)
        conn.putheader("Connection", "close")
        conn.endheaders()
        resp = conn.getresponse()
        headers = tuple((k, v) for k, v in resp.getheaders()[:MAX_HEADERS])
        body = resp.read(max_body + 1)
        status, reason = resp.status, resp.reason or ""
    except ssl.SSLCertVerificationError as e:
        raise FetchError("certificate", e.verify_message or str(e)) from None
    except ssl.SSLError as e:
        raise FetchError("tls", str(e)) from None
    except (OSError, http.client.HTTPException) as e:
        if expired.is_set():
            raise FetchError("timeout", f"no complete answer within {timeout_s:g} s") from None
        raise FetchError("connection", f"{type(e).__name__}: {e}" if str(e) else type(e).__name__) from None
    finally:
        timer.cancel()
        conn.close()
    if expired.is_set():
        raise FetchError("timeout", f"no complete answer within {timeout_s:g} s")
    return Response(url, status, reason, headers, body[:max_body], len(body) > max_body)


def get_noting_trust(address: str, port: int, path: str, *, server_name: str | None = None,
                     ca_file: str | Path | None = None, timeout_s: float = 10.0,
                     max_body: int = 65536) -> tuple[Response, str | None]:
    """:func:`get` over HTTPS; when the certificate is not trusted (unknown issuer, self-signed, expired,
    wrong name), GET again without verifying it. Returns the response and why the certificate was not
    trusted (None when it was). Any other failure raises :class:`FetchError` as :func:`get` does."""
    try:
        return get(address, port, path, server_name=server_name, ca_file=ca_file, timeout_s=timeout_s,
                   max_body=max_body), None
    except FetchError as e:
        if e.kind != "certificate":
            raise
        untrusted = e.detail[:300]
    return get(address, port, path, server_name=server_name, ca_file=ca_file, timeout_s=timeout_s,
               max_body=max_body, verify=False), untrusted
