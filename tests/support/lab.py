"""The TLS test lab: one nginx with a server block per case, an SMTP STARTTLS server, a silent
port and a closed port, all on 127.0.0.1 ephemeral ports, with the test CA as extra trust store."""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from secaudit.lab.pki import TestPKI, days, ocsp_response_der
from secaudit.lab.servers import LOOPBACK, NginxFarm, Site, closed_port, silent_port, smtp_starttls

HSTS_2Y = "max-age=63072000"
# Named in the AIA of the leaves that have a responder; nothing listens there and nothing asks it
# (nginx staples from ssl_stapling_file, sslyze only reads the staple). Loopback, never contacted.
OCSP_URL = "http://127.0.0.1:9/ocsp"


@dataclass
class Lab:
    ca_file: Path
    ports: dict[str, int] = field(default_factory=dict)   # case name -> port
    starttls: dict[str, str] = field(default_factory=dict)  # case name -> starttls protocol

    def address(self, name: str) -> str:
        return f"{LOOPBACK}:{self.ports[name]}"


def _sites(pki: TestPKI, d: Path) -> list[Site]:
    sites = []

    def add(name: str, leaf, *, with_intermediate: bool = True, **kw) -> None:
        crt, key = pki.write_leaf(leaf, d, name, with_intermediate=with_intermediate)
        sites.append(Site(name, crt, key, **kw))

    modern_leaf = pki.leaf(ocsp_url=OCSP_URL)
    staple = d / "modern.ocsp"
    staple.write_bytes(ocsp_response_der(pki, modern_leaf))
    add("modern", modern_leaf, hsts=HSTS_2Y, stapling_file=staple)
    add("ocsp_unstapled", pki.leaf(ocsp_url=OCSP_URL), hsts=HSTS_2Y)     # names a responder, staples nothing
    add("must_staple_unstapled", pki.leaf(ocsp_url=OCSP_URL, must_staple=True), hsts=HSTS_2Y)
    add("modern_nohsts", pki.leaf())
    add("hsts_short", pki.leaf(), hsts="max-age=300")
    add("modern13_ecdsa", pki.leaf(key_kind="ec", key_size=256), protocols="TLSv1.3", hsts=HSTS_2Y)
    add("legacy", pki.leaf(), protocols="TLSv1 TLSv1.1", ciphers="AES128-SHA:AES256-SHA:@SECLEVEL=0")
    add("expired", pki.leaf(not_before=days(-100), not_after=days(-10)))
    add("not_yet_valid", pki.leaf(not_before=days(10), not_after=days(100)))
    add("self_signed", pki.leaf(self_signed=True))
    add("wrong_host", pki.leaf(names=("other.test",)))
    add("rsa1024", pki.leaf(key_size=1024))
    add("sha1", pki.leaf_sha1(d))
    add("no_intermediate", pki.leaf(), with_intermediate=False)
    add("expiring_soon", pki.leaf(not_after=days(5)))
    dh = d / "dh1024.pem"
    subprocess.run(["openssl", "dhparam", "-out", str(dh), "1024"], check=True, capture_output=True, timeout=120)
    add("dhe1024", pki.leaf(), protocols="TLSv1.2", ciphers="DHE-RSA-AES128-GCM-SHA256", dhparam=dh)
    add("long_lived", pki.leaf(not_after=days(400)))
    bad_order = pki.leaf()
    crt, key = pki.write_leaf(bad_order, d, "bad_order", with_intermediate=False)
    crt.write_bytes(bad_order.cert_pem() + pki.root.cert_pem() + pki.intermediate.cert_pem())
    sites.append(Site("bad_order", crt, key))
    add("sni_other", pki.leaf(names=("other.test",)), server_name="other.test", same_port_as="modern_nohsts")
    sites.append(Site("plain_http", sites[0].cert, sites[0].key, plain=True))
    return sites


@contextlib.contextmanager
def tls_lab(workdir: Path) -> Iterator[Lab]:
    pki = TestPKI()
    lab = Lab(ca_file=pki.write_ca_file(workdir / "test-ca.pem"))
    smtp_crt, smtp_key = pki.write_leaf(pki.leaf(), workdir, "smtp")
    with NginxFarm(_sites(pki, workdir), workdir) as farm, \
            smtp_starttls(smtp_crt, smtp_key) as smtp_port, silent_port() as quiet, closed_port() as closed:
        lab.ports = {s.name: s.port for s in farm.sites if not s.same_port_as}
        lab.ports.update(smtp=smtp_port, silent=quiet, closed=closed)
        lab.starttls = {"smtp": "smtp"}
        yield lab
