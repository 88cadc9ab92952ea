"""TLS facts: suite classification (incl. suites Debian's OpenSSL cannot serve) and JSON round trip."""

import json

import pytest

from secaudit.observations.tls import (
    CertificateFacts, HstsFacts, Measure, TlsFacts, classify_suite, iana_name, normalise_protocol,
)
from tests.support import canned


@pytest.mark.parametrize("name, expected", [
    ("RC4-SHA", dict(kx="RSA", cipher="RC4", mode="STREAM", mac="SHA", forward_secrecy=False, aead=False)),
    ("EXP-RC4-MD5", dict(export=True, bits=40, cipher="RC4", mac="MD5")),
    ("DES-CBC-SHA", dict(cipher="DES", bits=56, mode="CBC")),
    ("DES-CBC3-SHA", dict(cipher="3DES", bits=112, kx="RSA")),
    ("EXP-EDH-RSA-DES-CBC-SHA", dict(kx="DHE", export=True, cipher="DES", forward_secrecy=True)),
    ("ADH-AES128-SHA", dict(anonymous=True, auth="anon")),
    ("AECDH-NULL-SHA", dict(anonymous=True, null=True)),
    ("NULL-MD5", dict(null=True, mac="MD5")),
    ("SSL_CK_RC4_128_EXPORT40_WITH_MD5", dict(export=True, cipher="RC4", mac="MD5")),
    ("SSL_CK_DES_192_EDE3_CBC_WITH_MD5", dict(cipher="3DES", mac="MD5")),
    ("ECDHE-RSA-AES128-GCM-SHA256", dict(kx="ECDHE", auth="RSA", aead=True, forward_secrecy=True, mac="AEAD")),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", dict(auth="ECDSA", cipher="CHACHA20", aead=True)),
    ("DH-RSA-AES256-SHA", dict(kx="DH", forward_secrecy=False)),
    ("TLS_CHACHA20_POLY1305_SHA256", dict(aead=True, forward_secrecy=True, kx="any")),
    ("TLS_AES_128_CCM_8_SHA256", dict(mode="CCM_8", aead=True)),
    ("TLS_RSA_EXPORT1024_WITH_RC2_CBC_56_MD5", dict(export=True, cipher="RC2", bits=56)),
])
def test_given_openssl_or_iana_name_when_classified_then_components_are_right(name, expected):
    c = classify_suite(name)
    assert c is not None
    for k, v in expected.items():
        assert getattr(c, k) == v, (name, k)


def test_openssl_names_map_to_iana_names():
    assert iana_name("ECDHE-RSA-AES128-GCM-SHA256") == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    assert iana_name("DES-CBC3-SHA") == "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
    assert classify_suite("NOT-A-SUITE") is None


def test_every_suite_sslyze_knows_is_classified():
    from sslyze import TlsVersionEnum
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository

    names = {c.name for v in TlsVersionEnum for c in CipherSuitesRepository.get_all_cipher_suites(v)}
    assert [n for n in names if classify_suite(n) is None] == []


def test_protocol_names_are_normalised():
    assert normalise_protocol("TLSv1") == "TLSv1.0"
    assert normalise_protocol("tls1.2") == "TLSv1.2"
    assert normalise_protocol("TLS 1.3") == "TLSv1.3"
    assert normalise_protocol("SSLv3") == "SSLv3"
    assert normalise_protocol("QUIC") is None


def test_facts_round_trip_through_json():
    f = canned.facts(prot=canned.protocols({**canned.MODERN, **canned.ANCIENT}),
                     certificate=CertificateFacts(Measure.MEASURED, None, "localhost", (canned.deployment(),)),
                     hsts=HstsFacts(Measure.MEASURED, None, True, 63072000, True, False),
                     vulnerabilities=canned.vulns(heartbleed=True))
    again = TlsFacts.from_dict(json.loads(json.dumps(f.to_dict())))
    assert again == f
    assert again.protocols.accepted() == ("SSLv2", "SSLv3", "TLSv1.0", "TLSv1.2", "TLSv1.3")


def test_unknown_keys_are_rejected_when_reading_facts():
    d = canned.facts().to_dict()
    d["surprise"] = 1
    with pytest.raises(ValueError):
        TlsFacts.from_dict(d)


def test_not_requested_is_distinct_from_absent():
    f = canned.facts()
    assert f.hsts.status == Measure.NOT_REQUESTED and f.hsts.present is False
    assert f.protocols.status == Measure.NOT_REQUESTED
