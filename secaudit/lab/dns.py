"""A real authoritative DNS server (Debian's nsd) on a loopback address, for the mail-domain tests and the demo.

``authoritative(zones, workdir)`` writes the zone files and a minimal nsd.conf (no privilege drop, no
chroot, no remote control, no zone database), starts ``nsd -d`` in the foreground on a free UDP+TCP port
and stops it on exit. The port is free on both protocols; startup waits until a query is answered.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from secaudit.lab.servers import stop_process, with_parent

DNS_HOST = "127.8.0.53"


@dataclass(frozen=True)
class DnsServer:
    host: str
    port: int

    @property
    def resolver(self) -> str:
        """The value of ``--resolver``."""
        return f"{self.host}:{self.port}"


def find_nsd() -> str:
    path = shutil.which("nsd") or "/usr/sbin/nsd"
    if not Path(path).exists():
        raise RuntimeError("nsd is not installed: run scripts/ensure-sysdeps.sh")
    return path


def _free_udp_tcp_port(host: str) -> int:
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no port free on both UDP and TCP at {host}")


def zone_text(origin: str, records: str, ttl: int = 60) -> str:
    """A zone file: SOA and NS at the apex, then ``records`` (relative names allowed)."""
    return (f"$ORIGIN {origin}.\n$TTL {ttl}\n"
            f"@ IN SOA ns1.{origin}. hostmaster.{origin}. 1 3600 600 86400 60\n"
            f"@ IN NS ns1.{origin}.\nns1 IN A {DNS_HOST}\n" + records.strip() + "\n")


def _config(workdir: Path, host: str, port: int, zones: Mapping[str, str]) -> str:
    lines = ["server:", f"  ip-address: {host}@{port}", "  do-ip6: no", "  username: \"\"", "  chroot: \"\"",
             f"  zonesdir: \"{workdir}\"", f"  pidfile: \"{workdir}/nsd.pid\"", "  database: \"\"",
             f"  zonelistfile: \"{workdir}/zone.list\"", f"  xfrdfile: \"{workdir}/xfrd.state\"",
             f"  xfrdir: \"{workdir}\"", "  server-count: 1", "  verbosity: 1", "  hide-version: yes",
             "remote-control:", "  control-enable: no"]
    for origin in zones:
        lines += ["zone:", f"  name: \"{origin}\"", f"  zonefile: \"{origin}.zone\""]
    return "\n".join(lines) + "\n"


def _answers(host: str, port: int, origin: str) -> bool:
    # start-up: dns loaded only when needed
    import dns.message
    import dns.query
    import dns.rcode

    q = dns.message.make_query(origin, "SOA")
    try:
        r = dns.query.udp(q, host, port=port, timeout=0.5)
    except (OSError, dns.exception.DNSException):
        return False
    return r.rcode() == dns.rcode.NOERROR and bool(r.answer)


def _stop_group(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop nsd and its forked children (xfrd, servers): the whole process group, waited for, bounded."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop_process(proc)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def authoritative(zones: Mapping[str, str], workdir: Path, host: str = DNS_HOST,
                  port: int | None = None) -> Iterator[DnsServer]:
    """Serve ``zones`` (origin -> zone file text) with nsd on ``host``; stop it on exit."""
    nsd = find_nsd()
    workdir.mkdir(parents=True, exist_ok=True)
    for origin, text in zones.items():
        (workdir / f"{origin}.zone").write_text(text)
    for attempt in range(3):
        chosen = port or _free_udp_tcp_port(host)
        conf = workdir / "nsd.conf"
        conf.write_text(_config(workdir, host, chosen, zones))
        log = (workdir / "nsd.log").open("w")
        proc = subprocess.Popen(with_parent([nsd, "-d", "-c", str(conf)]), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        log.close()
        end = time.monotonic() + 15
        first = next(iter(zones))
        while time.monotonic() < end and proc.poll() is None and not _answers(host, chosen, first):
            time.sleep(0.05)
        if proc.poll() is None and _answers(host, chosen, first):
            break
        _stop_group(proc)
        if attempt == 2 or port:
            raise RuntimeError("nsd did not start: " + (workdir / "nsd.log").read_text(errors="replace")[-2000:])
    try:
        yield DnsServer(host, chosen)
    finally:
        _stop_group(proc)
