"""Certificate facts from sslyze's certificate_info result: each deployment's chain, trust, name and OCSP."""

from __future__ import annotations

import ipaddress
from typing import Any, Sequence

from secaudit.observations.tls import CertDeployment, CertificateFacts, CertInfo, Measure, TrustResult


def _cert_info(cert: Any) -> CertInfo:
    # start-up: cryptography loaded only when needed
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    dns: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns = tuple(san.get_values_for_type(x509.DNSName))
        ips = tuple(str(i) for i in san.get_values_for_type(x509.IPAddress))
    except x509.ExtensionNotFound:
        pass
    except Exception:  # noqa: BLE001 - malformed SAN: keep going without it
        pass
    is_ca = False
    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except Exception:  # noqa: BLE001
        pass
    pk = cert.public_key()
    curve = None
    if isinstance(pk, rsa.RSAPublicKey):
        ktype, ksize = "RSA", pk.key_size
    elif isinstance(pk, ec.EllipticCurvePublicKey):
        ktype, ksize, curve = "EC", pk.curve.key_size, pk.curve.name
    elif isinstance(pk, dsa.DSAPublicKey):
        ktype, ksize = "DSA", pk.key_size
    elif isinstance(pk, ed25519.Ed25519PublicKey):
        ktype, ksize = "Ed25519", 256
    elif isinstance(pk, ed448.Ed448PublicKey):
        ktype, ksize = "Ed448", 456
    else:
        ktype, ksize = type(pk).__name__, 0
    try:
        sig_hash = cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None
    except Exception:  # noqa: BLE001 - unsupported algorithm
        sig_hash = None
    sig_name = getattr(cert.signature_algorithm_oid, "_name", None) or cert.signature_algorithm_oid.dotted_string
    return CertInfo(
        subject=cert.subject.rfc4514_string(), issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "x"), sha256=cert.fingerprint(hashes.SHA256()).hex(),
        not_before=cert.not_valid_before_utc.isoformat(), not_after=cert.not_valid_after_utc.isoformat(),
        dns_names=dns, ip_addresses=ips, key_type=ktype, key_size=ksize, key_curve=curve,
        signature_algorithm=sig_name, signature_hash=sig_hash, self_signed=cert.issuer == cert.subject,
        is_ca=is_ca, ocsp_urls=_ocsp_urls(cert), crl_urls=_crl_urls(cert),
    )


def _ocsp_urls(cert: Any) -> tuple[str, ...] | None:
    """The OCSP responder URLs of the Authority Information Access extension; () when none, None if unreadable."""
    # start-up: cryptography loaded only when needed
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    except Exception:  # noqa: BLE001 - malformed extension: unknown, never "no responder"
        return None
    return tuple(str(d.access_location.value) for d in aia
                 if d.access_method == AuthorityInformationAccessOID.OCSP
                 and isinstance(d.access_location, x509.UniformResourceIdentifier))


def _crl_urls(cert: Any) -> tuple[str, ...] | None:
    """The CRL distribution point URLs; () when none, None if unreadable."""
    # start-up: cryptography loaded only when needed
    from cryptography import x509

    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return ()
    except Exception:  # noqa: BLE001
        return None
    return tuple(str(n.value) for p in points for n in (p.full_name or ())
                 if isinstance(n, x509.UniformResourceIdentifier))


def hostname_matches(hostname: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """RFC 6125 matching of a name (or IP literal) against a certificate's SANs; one left-most wildcard label."""
    try:
        ip = ipaddress.ip_address(hostname.strip("[]"))
        return any(ipaddress.ip_address(a) == ip for a in ip_addresses)
    except ValueError:
        pass
    host = hostname.rstrip(".").lower()
    for pattern in dns_names:
        p = pattern.rstrip(".").lower()
        if p == host:
            return True
        if p.startswith("*.") and "*" not in p[2:]:
            head, _, rest = host.partition(".")
            if head and rest == p[2:] and rest.count(".") >= 1:
                return True
    return False


def _subject_for(leaf: CertInfo):
    # start-up: cryptography loaded only when needed
    from cryptography.x509 import DNSName, IPAddress

    if leaf.dns_names:
        name = leaf.dns_names[0]
        return DNSName("x" + name[1:] if name.startswith("*.") else name)
    if leaf.ip_addresses:
        return IPAddress(ipaddress.ip_address(leaf.ip_addresses[0]))
    return None


def _deployment(dep: Any, hostname: str) -> CertDeployment:
    chain = tuple(_cert_info(c) for c in dep.received_certificate_chain)
    pem = dep.received_certificate_chain_as_pem
    leaf = chain[0]
    subject = _subject_for(leaf)
    trust = []
    for pv in dep.path_validation_results:
        ignoring = True if pv.was_validation_successful else None
        if not pv.was_validation_successful and subject is not None:
            try:
                ignoring = pv.trust_store.verify_certificate_chain(pem, subject).was_validation_successful
            except Exception:  # noqa: BLE001
                ignoring = None
        trust.append(TrustResult(store=pv.trust_store.name, store_version=str(pv.trust_store.version),
                                 trusted=pv.was_validation_successful, error=pv.validation_error,
                                 chain_trusted_ignoring_hostname=ignoring))
    verified = dep.verified_certificate_chain
    complete = True if any(t.chain_trusted_ignoring_hostname for t in trust) else None
    if complete is None and chain[-1].self_signed:
        complete = True  # nothing to add: the chain ends in a self-signed certificate (trusted or not)
    ocsp = dep.ocsp_response
    return CertDeployment(
        chain=chain, trust=tuple(trust), hostname=hostname,
        hostname_matches=hostname_matches(hostname, leaf.dns_names, leaf.ip_addresses),
        chain_order_valid=dep.received_chain_has_valid_order, chain_complete=complete,
        contains_anchor=dep.received_chain_contains_anchor_certificate,
        verified_chain=tuple(c.subject.rfc4514_string() for c in verified) if verified else (),
        ocsp_stapled=ocsp is not None,
        ocsp_status=ocsp.response_status.name if ocsp is not None else None,
        ocsp_trusted=dep.ocsp_response_is_trusted,
        must_staple=dep.leaf_certificate_has_must_staple_extension,
    )


def certificate_facts(status: Measure, res: Any, err: str | None) -> CertificateFacts:
    """From the certificate_info attempt (see ``facts.attempt``)."""
    if status != Measure.MEASURED:
        return CertificateFacts(status=status, error=err)
    host = res.hostname_used_for_server_name_indication
    deps = tuple(_deployment(d, host) for d in res.certificate_deployments)
    if not deps:
        return CertificateFacts(status=Measure.ERROR, error="the server sent no certificate", sni=host)
    return CertificateFacts(status=Measure.MEASURED, sni=host, deployments=deps)
