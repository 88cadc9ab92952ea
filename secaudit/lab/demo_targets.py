"""Demo targets for `make demo`: real servers on 127.0.0.x matching examples/inventory.yaml.

Some systems are compliant, some are not, each for a reason a security officer meets in
practice. Everything listens on loopback addresses only and stops when the context ends.

    system             endpoint(s)                     what is wrong (nothing: compliant)
    noi-san     (L1)   http  127.0.0.11:8080           -
    qlvb        (L2)   https 127.0.0.12:8443, http 8080 (redirects)   -
    nhan-su     (L2)   https 127.0.0.13:8443           certificate expired
    thu-dien-tu (L2)   smtp  127.0.0.14:2525, imap 1143 (STARTTLS)    -
    cong-ttdt   (L2)   https 127.0.0.15:8443, http 8080               HTTP does not redirect to HTTPS
    cong-dvc    (L3)   https 127.0.0.16:8443, http 8080 (redirects)   TLS 1.0/1.1, static RSA, no HSTS, MySQL exposed
                                                        (``fixed=True``: HSTS added, the rest stays)
    ttdl-tinh   (L3)   https 127.0.0.17:8443, ssh 2222 (hardened)     -
    lgsp        (L3)   https 127.0.0.18:8443           -
    scada-nuoc  (L3)   https 127.0.0.19:8443           self-signed certificate
    dieu-khien-ho-chua (L4) https 127.0.0.20:8443      -
    camera-giao-thong (L3)  https 127.0.0.21:8443      -

Issue 16 adds: the level-3+ sites without a problem above (ttdl-tinh, lgsp, ho-chua, camera) send the web
security headers and a valid security.txt, cong-dvc and scada-nuoc do not; cong-dvc's two mail domains are served by nsd on 127.0.0.22 (`demo_dns`), dvc.songlam.example
good (SPF -all, DMARC quarantine, MTA-STS enforce from nginx on 127.0.0.23:10443, TLS-RPT) and
tinh-cu.example bad (+all, DMARC p=none without reports, no MTA-STS or TLS-RPT); their MX is an SMTP
relay on 127.0.0.16:2525. The MySQL-like listener on 127.0.0.16:3306 is what `secaudit discover` finds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
import threading
from pathlib import Path
from typing import Iterator

from secaudit.lab.dns import authoritative, find_nsd, zone_text
from secaudit.lab.hostile import serve
from secaudit.lab.pki import TestPKI, ocsp_response_der
from secaudit.lab.ports_servers import sshd
from secaudit.lab.servers import NginxFarm, Site, smtp_starttls

DNS_HOST = "127.0.0.22"
MTA_STS_HOST, MTA_STS_PORT = "127.0.0.23", 10443
GOOD_ZONE = f"""
@ IN MX 10 mx.dvc.songlam.example.
mx IN A 127.0.0.16
@ IN TXT "v=spf1 ip4:127.0.0.16 -all"
_dmarc IN TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@dvc.songlam.example"
_mta-sts IN TXT "v=STSv1; id=20261201"
mta-sts IN A {MTA_STS_HOST}
_smtp._tls IN TXT "v=TLSRPTv1; rua=mailto:tls-reports@dvc.songlam.example"
"""
BAD_ZONE = """
@ IN MX 10 mx.tinh-cu.example.
mx IN A 127.0.0.16
@ IN TXT "v=spf1 a mx +all"
_dmarc IN TXT "v=DMARC1; p=none"
"""
MTA_STS_POLICY = "version: STSv1\\nmode: enforce\\nmx: mx.dvc.songlam.example\\nmax_age: 604800\\n"

HSTS_YEAR = "max-age=31536000"
LEGACY_CIPHERS = "ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA:AES256-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
L4_CIPHERS = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:" \
             "ECDHE-RSA-CHACHA20-POLY1305"

# A MySQL 5.7 greeting: enough for `nmap -sV` to name the service at once.
MYSQL_GREETING = (b"\x4a\x00\x00\x00\x0a5.7.44-demo\x00\x08\x00\x00\x00" + b"abcdefgh\x00" + b"\xff\xf7\x21\x02\x00"
                  + b"\xff\x81\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00mysql_native_password\x00")


def _mysql_like(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(MYSQL_GREETING)
    stop.wait(5)


def _imap_starttls(ctx: ssl.SSLContext):
    """A minimal IMAP server that offers STARTTLS (enough for sslyze's opportunistic TLS)."""

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        conn.settimeout(10)
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] demo IMAP ready\r\n")
        buf = b""
        for _ in range(20):                       # bounded: a few commands per connection
            if stop.is_set():
                return
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                line, buf = buf.split(b"\r\n", 1)
                tag, _, command = line.partition(b" ")
                if command.upper().startswith(b"STARTTLS"):
                    conn.sendall(tag + b" OK Begin TLS negotiation now\r\n")
                    with contextlib.suppress(ssl.SSLError, OSError):
                        tls = ctx.wrap_socket(conn, server_side=True)
                        tls.settimeout(5)
                        tls.recv(1024)
                    return
                if command.upper().startswith(b"CAPABILITY"):
                    conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
                elif command.upper().startswith(b"LOGOUT"):
                    conn.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    return
                else:
                    conn.sendall(tag + b" BAD unsupported\r\n")

    return handle


@contextlib.contextmanager
def demo_targets(workdir: Path, fixed: bool = False) -> Iterator[Path]:
    """Start every demo target; yield the demo CA file (pass it to `secaudit scan --ca-file`).

    Started again in the same ``workdir``, the targets keep their certificates (a second scan
    sees the same ones); ``fixed=True`` gives cong-dvc its HSTS header, its one fix."""
    workdir.mkdir(parents=True, exist_ok=True)
    pki = TestPKI()
    ca = workdir / "demo-ca.pem"
    reuse = ca.exists()
    if not reuse:
        pki.write_ca_file(ca)
    now = dt.datetime.now(dt.timezone.utc)

    def cert(stem: str, ip: str, *names: str, **kw):
        if reuse:
            return None, workdir / f"{stem}.crt", workdir / f"{stem}.key"
        leaf = pki.leaf(names=(ip, *names), **kw)
        crt, key = pki.write_leaf(leaf, workdir, stem)
        return leaf, crt, key

    sites: list[Site] = []

    def https(name: str, ip: str, **kw) -> None:
        leaf_kw = {k: kw.pop(k) for k in ("not_before", "not_after", "self_signed") if k in kw}
        _, crt, key = cert(name, ip, **leaf_kw)
        sites.append(Site(name, crt, key, host=ip, port=8443, server_name=ip, **kw))

    def http(name: str, ip: str, redirect: bool) -> None:
        sites.append(Site(name, workdir / "unused.crt", workdir / "unused.key", plain=True, host=ip, port=8080,
                          redirect_to=f"https://{ip}:8443" if redirect else None))

    http("noi-san-http", "127.0.0.11", redirect=False)
    https("qlvb", "127.0.0.12")
    http("qlvb-http", "127.0.0.12", redirect=True)
    https("nhan-su", "127.0.0.13", not_before=now - dt.timedelta(days=120), not_after=now - dt.timedelta(days=3))
    https("cong-ttdt", "127.0.0.15")
    http("cong-ttdt-http", "127.0.0.15", redirect=False)
    https("cong-dvc", "127.0.0.16", protocols="TLSv1 TLSv1.1 TLSv1.2", ciphers=LEGACY_CIPHERS,
          hsts=HSTS_YEAR if fixed else None)
    http("cong-dvc-http", "127.0.0.16", redirect=True)
    https("ttdl-tinh", "127.0.0.17", hsts=HSTS_YEAR, hardened=True)
    https("lgsp", "127.0.0.18", hsts=HSTS_YEAR, hardened=True)
    https("scada-nuoc", "127.0.0.19", hsts=HSTS_YEAR, self_signed=True)
    leaf, crt, key = cert("ho-chua", "127.0.0.20")
    staple = workdir / "ho-chua.ocsp"
    if not reuse:
        staple.write_bytes(ocsp_response_der(pki, leaf))
    sites.append(Site("ho-chua", crt, key, host="127.0.0.20", port=8443, server_name="127.0.0.20", hsts=HSTS_YEAR,
                      ciphers=L4_CIPHERS, stapling_file=staple, hardened=True))
    https("camera", "127.0.0.21", hsts=HSTS_YEAR, hardened=True)

    _, sts_crt, sts_key = cert("mta-sts", MTA_STS_HOST, "mta-sts.dvc.songlam.example")
    sites.append(Site("mta-sts", sts_crt, sts_key, host=MTA_STS_HOST, port=MTA_STS_PORT,
                      server_name="mta-sts.dvc.songlam.example",
                      extra=("location = /.well-known/mta-sts.txt { default_type text/plain; "
                             f'return 200 "{MTA_STS_POLICY}"; }}',)))
    _, relay_crt, relay_key = cert("relay", "127.0.0.16", "mx.dvc.songlam.example", "mx.tinh-cu.example")
    _, mail_crt, mail_key = cert("mail", "127.0.0.14", "mail.songlam.example")
    mail_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    mail_ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    mail_ctx.load_cert_chain(str(mail_crt), str(mail_key))

    (workdir / "nginx").mkdir(exist_ok=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(NginxFarm(sites, workdir / "nginx"))
        stack.enter_context(smtp_starttls(mail_crt, mail_key, host="127.0.0.14", port=2525,
                                          server_hostname="mail.songlam.example"))
        stack.enter_context(serve(_imap_starttls(mail_ctx), host="127.0.0.14", port=1143))
        stack.enter_context(serve(_mysql_like, host="127.0.0.16", port=3306))
        stack.enter_context(smtp_starttls(relay_crt, relay_key, host="127.0.0.16", port=2525,
                                          server_hostname="mx.dvc.songlam.example"))
        stack.enter_context(sshd(workdir / "sshd", "127.0.0.17", hardened=True, port=2222))
        yield ca


@contextlib.contextmanager
def demo_dns(workdir: Path) -> Iterator[str | None]:
    """The demo's mail domains on nsd at 127.0.0.22; yields the ``--resolver`` value (None without nsd)."""
    try:
        find_nsd()
    except RuntimeError:
        yield None
        return
    zones = {"dvc.songlam.example": zone_text("dvc.songlam.example", GOOD_ZONE),
             "tinh-cu.example": zone_text("tinh-cu.example", BAD_ZONE)}
    with authoritative(zones, workdir / "dns", host=DNS_HOST) as server:
        yield server.resolver


if __name__ == "__main__":   # run the targets by hand: python -m secaudit.lab.demo_targets
    import tempfile

    with demo_targets(Path(tempfile.mkdtemp(prefix="secaudit-demo-"))) as ca_file:
        print(f"demo targets up; CA: {ca_file}; Ctrl-C to stop", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait(3600)
