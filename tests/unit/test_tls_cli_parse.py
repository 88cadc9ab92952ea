"""HOST:PORT of `secaudit tls` (and `scan --target`): one validator, secaudit.targets, so only validated
values reach the scanner. The quick form once had its own, which accepted 0x7f.1 and 127.1 and refused
internationalised names; now both commands build the same ad-hoc inventory."""

import pytest

from secaudit.errors import InputError
from secaudit.run import ScanRequest, adhoc_inventory


def endpoint_of(value: str, **kw):
    [system] = adhoc_inventory(ScanRequest(targets=(value,), profiles=("mozilla-intermediate",), tls=True,
                                           **kw)).systems
    [ep] = system.endpoints
    return ep


@pytest.mark.parametrize("value, expected", [
    ("example.gov.vn:443", ("example.gov.vn", 443)),
    ("127.0.0.1:8443", ("127.0.0.1", 8443)),
    ("[::1]:443", ("::1", 443)),
    ("localhost:25", ("localhost", 25)),
    ("bộ.vn:443", ("xn--b-8xm.vn", 443)),          # IDNA: what the resolver and the certificate see
])
def test_valid_targets(value, expected):
    ep = endpoint_of(value)
    assert (ep.host, ep.port) == expected and ep.tls


@pytest.mark.parametrize("value", ["-oX:443", "--script=x:1", "host", "host:0", "host:70000", "[::1]", "::1:443",
                                   "a..b:443", "-a.b:443", "a b:443", "x" * 64 + ".vn:443", "host:443:1",
                                   "10.0.0.0/8:443", "0x7f.1:443", "127.1:443"])
def test_invalid_targets_are_input_errors(value):
    with pytest.raises(InputError) as e:
        endpoint_of(value)
    assert e.value.diagnostics[0].key.startswith("target.")


@pytest.mark.parametrize("sni", ["-oX", "a b", "x;id", ""])
def test_invalid_sni_is_an_input_error(sni):
    with pytest.raises(InputError) as e:
        endpoint_of("127.0.0.1:443", sni=sni)
    assert [d.key for d in e.value.diagnostics] == ["preset.bad_sni"]
