"""Does the endpoint speak at all? A quick check before sslyze, bounded by its own short timeout.

sslyze's connectivity test alone spends ~55 s on a port that accepts and never speaks; this
check tells such an endpoint apart in a few seconds, with a readable reason.
"""

from __future__ import annotations

from secaudit.model import Message
from secaudit.probes.tls.params import TlsTarget
import socket
import ssl

# Protocols whose server speaks first after the TCP connection (a banner or greeting).
_SERVER_SPEAKS_FIRST = {"smtp", "imap", "pop3", "ftp"}


def quick_check_overhead_s(network_timeout_s: float = 5, quick_check_timeout_s: float | None = None) -> float:
    """The most the quick check can add before an endpoint's own budget starts (see :mod:`.pipeline`)."""
    return (quick_check_timeout_s or network_timeout_s) + 2


def quick_check(t: TlsTarget, timeout_s: float) -> Message | None:
    """Connect and see whether the endpoint speaks at all within ``timeout_s``; return a problem or None.

    Plain TLS: send a ClientHello (Python's ssl, any version and suite) and wait for any
    answer — a handshake, an alert, even a reset is "speaking". STARTTLS protocols whose
    server greets first: wait for the greeting. Others: only the TCP connection is tested.
    """
    try:
        sock = socket.create_connection((t.host, t.port), timeout=timeout_s)
    except socket.timeout:
        return Message("tls.probe.connect_timeout", {"address": t.address, "seconds": f"{timeout_s:g}"})
    except OSError as e:
        return Message("tls.probe.cannot_connect", {"address": t.address, "reason": str(e.strerror or e)})
    try:
        sock.settimeout(timeout_s)
        if t.starttls:
            if t.starttls in _SERVER_SPEAKS_FIRST:
                try:
                    if not sock.recv(1):
                        return Message("tls.probe.closed_without_greeting",
                                       {"address": t.address, "protocol": t.starttls.upper()})
                except socket.timeout:
                    return Message("tls.probe.no_greeting", {"address": t.address, "protocol": t.starttls.upper(),
                                                            "seconds": f"{timeout_s:g}"})
            return None
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        try:
            ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
            ctx.set_ciphers("ALL:@SECLEVEL=0")
        except (ValueError, ssl.SSLError):
            pass
        try:
            with ctx.wrap_socket(sock, server_hostname=t.sni or t.host, do_handshake_on_connect=False) as tls:
                tls.do_handshake()
        except socket.timeout:
            return Message("tls.probe.no_tls_answer", {"address": t.address, "seconds": f"{timeout_s:g}"})
        except (ssl.SSLError, OSError):
            return None  # it answered (an alert, a reset, an unexpected protocol): let sslyze tell what it is
        return None
    finally:
        sock.close()


def readable(e: BaseException) -> str:
    msg = getattr(e, "error_message", None) or str(e) or type(e).__name__
    return f"{type(e).__name__}: {msg}" if not msg.startswith(type(e).__name__) else msg
