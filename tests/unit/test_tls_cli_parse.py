"""HOST:PORT parsing of `secaudit tls`: only validated values reach the scanner."""

import pytest

from secaudit.cli.tls import parse_target
from secaudit.errors import InputError


@pytest.mark.parametrize("value, expected", [
    ("example.gov.vn:443", ("example.gov.vn", 443)),
    ("127.0.0.1:8443", ("127.0.0.1", 8443)),
    ("[::1]:443", ("::1", 443)),
    ("localhost:25", ("localhost", 25)),
])
def test_valid_targets(value, expected):
    assert parse_target(value) == expected


@pytest.mark.parametrize("value", ["-oX:443", "--script=x:1", "host", "host:0", "host:70000", "[::1]", "::1:443",
                                   "a..b:443", "-a.b:443", "a b:443", "x" * 64 + ".vn:443", "host:443:1",
                                   "10.0.0.0/8:443"])
def test_invalid_targets_are_input_errors(value):
    with pytest.raises(InputError):
        parse_target(value)
