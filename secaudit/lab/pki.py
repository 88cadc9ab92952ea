"""A small test PKI made with `cryptography`: a root CA, an intermediate CA and leaf certificates.

Not trustme: sslyze 6 validates with cryptography's strict (CA/B-style) verifier, which
rejects trustme's certificates. Certificates here follow that profile: CA certificates
with critical basicConstraints, keyUsage and SKI; leaves with AKI, a non-critical SAN,
serverAuth EKU and a validity under 366 days. Variants for the failure cases (expired,
not yet valid, self-signed, RSA-1024, SHA-1 signed, wrong hostname, missing intermediate)
are made by parameters.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509 import ocsp

_NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "secaudit tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key(kind: str = "rsa", size: int = 2048):
    if kind == "ec":
        return ec.generate_private_key({256: ec.SECP256R1(), 384: ec.SECP384R1()}[size])
    return rsa.generate_private_key(public_exponent=65537, key_size=size)


@dataclass
class Issued:
    cert: x509.Certificate
    key: object

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,  # type: ignore[attr-defined]
                                      serialization.NoEncryption())


def _ca(cn: str, issuer: Issued | None, path_len: int | None) -> Issued:
    key = _key("rsa", 2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(_NOW - dt.timedelta(days=30))
        .not_valid_after(_NOW + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)  # type: ignore[attr-defined]
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)  # type: ignore[arg-type]


class TestPKI:
    """Root + intermediate CA; issues leaves. Write the root with :meth:`write_ca_file`."""

    __test__ = False          # a helper, not a test class (pytest would try to collect it)

    def __init__(self) -> None:
        self.root = _ca("secaudit test root CA", None, 1)
        self.intermediate = _ca("secaudit test intermediate CA", self.root, 0)

    def leaf(self, *, names: tuple[str, ...] = ("localhost", "127.0.0.1"), key_kind: str = "rsa",
             key_size: int = 2048, not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
             hash_alg: hashes.HashAlgorithm | None = None, self_signed: bool = False,
             cn: str | None = None, ocsp_url: str | None = None, must_staple: bool = False) -> Issued:
        """A leaf; ``ocsp_url`` adds an Authority Information Access OCSP responder, ``must_staple`` the
        TLS Feature status_request extension (RFC 7633)."""
        key = _key(key_kind, key_size)
        issuer = None if self_signed else self.intermediate
        subject = _name(cn or names[0])
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        nb = not_before or (_NOW - dt.timedelta(days=1))
        na = not_after or (_NOW + dt.timedelta(days=90))
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject if issuer is None else issuer.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(nb)
            .not_valid_after(na)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)  # type: ignore[attr-defined]
        if ocsp_url:
            builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                x509.oid.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url))]), critical=False)
        if must_staple:
            builder = builder.add_extension(x509.TLSFeature([x509.TLSFeatureType.status_request]), critical=False)
        signer = key if issuer is None else issuer.key
        return Issued(builder.sign(signer, hash_alg or hashes.SHA256()), key)  # type: ignore[arg-type]

    def leaf_sha1(self, workdir: Path, names: tuple[str, ...] = ("localhost", "127.0.0.1")) -> Issued:
        """A leaf signed with SHA-1 by the intermediate. `cryptography` refuses to sign with SHA-1,
        so the system `openssl x509 -req` signs a CSR made here."""
        key = _key("rsa", 2048)
        csr = x509.CertificateSigningRequestBuilder().subject_name(_name(names[0])).sign(key, hashes.SHA256())
        (workdir / "sha1.csr").write_bytes(csr.public_bytes(serialization.Encoding.PEM))
        (workdir / "sha1-ca.crt").write_bytes(self.intermediate.cert_pem())
        (workdir / "sha1-ca.key").write_bytes(self.intermediate.key_pem())
        sans = ",".join(("IP:" if _is_ip(n) else "DNS:") + n for n in names)
        (workdir / "sha1.ext").write_text(
            "[v3]\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n"
            f"subjectAltName={sans}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
        subprocess.run(
            ["openssl", "x509", "-req", "-in", str(workdir / "sha1.csr"), "-CA", str(workdir / "sha1-ca.crt"),
             "-CAkey", str(workdir / "sha1-ca.key"), "-set_serial", str(x509.random_serial_number()),
             "-sha1", "-days", "90", "-extfile", str(workdir / "sha1.ext"), "-extensions", "v3",
             "-out", str(workdir / "sha1.crt")], check=True, capture_output=True, timeout=30)
        return Issued(x509.load_pem_x509_certificate((workdir / "sha1.crt").read_bytes()), key)

    def write_ca_file(self, path: Path) -> Path:
        path.write_bytes(self.root.cert_pem())
        return path

    def write_leaf(self, leaf: Issued, directory: Path, stem: str, *, with_intermediate: bool = True) -> tuple[Path, Path]:
        """Write ``stem.crt`` (leaf [+ intermediate]) and ``stem.key``; return their paths."""
        crt, key = directory / f"{stem}.crt", directory / f"{stem}.key"
        chain = leaf.cert_pem()
        is_self_signed = leaf.cert.issuer == leaf.cert.subject
        if with_intermediate and not is_self_signed:
            chain += self.intermediate.cert_pem()
        crt.write_bytes(chain)
        key.write_bytes(leaf.key_pem())
        return crt, key


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


def days(n: int) -> dt.datetime:
    """Now plus ``n`` days (negative for the past)."""
    return _NOW + dt.timedelta(days=n)


def ocsp_response_der(pki: TestPKI, leaf: Issued) -> bytes:
    """A GOOD OCSP response for ``leaf``, signed by its issuer (the intermediate), for nginx to staple."""
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response(cert=leaf.cert, issuer=pki.intermediate.cert, algorithm=hashes.SHA1(),
                      cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now - dt.timedelta(hours=1),
                      next_update=now + dt.timedelta(days=7), revocation_time=None, revocation_reason=None)
        .responder_id(ocsp.OCSPResponderEncoding.HASH, pki.intermediate.cert)
    )
    resp = builder.sign(pki.intermediate.key, hashes.SHA256())  # type: ignore[arg-type]
    return resp.public_bytes(serialization.Encoding.DER)
