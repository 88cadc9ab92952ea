"""Given any string, validate_host accepts only single IP literals and DNS names; validate_port only 1..65535."""

import ipaddress

import pytest
from hypothesis import given, strategies as st

from secaudit.errors import InputError
from secaudit.load import load_inventory
from secaudit.targets import TargetError, parse_hostport, parse_port, reason, validate_host, validate_port

LABEL = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?\Z", fullmatch=True)


@given(st.ip_addresses())
def test_ip_literals_are_accepted_in_canonical_form(ip):
    assert validate_host(str(ip)) == str(ip)
    assert validate_host(ip.exploded) == str(ip)


@given(st.lists(LABEL, min_size=1, max_size=4), st.sampled_from(["org", "vn", "example", "local"]))
def test_dns_names_are_accepted_lower_cased(labels, tld):
    name = ".".join(labels + [tld])
    assert validate_host(name.upper()) == name


@given(st.text(min_size=0, max_size=30))
def test_anything_starting_with_a_dash_is_refused(rest):
    with pytest.raises(ValueError):
        validate_host("-" + rest)


@given(st.text(min_size=1, max_size=40))
def test_accepted_hosts_never_carry_option_shell_or_range_syntax(s):
    try:
        host = validate_host(s)
    except ValueError:
        return
    assert not host.startswith("-")
    assert not any(c in host for c in " \t\n;|&$`()<>'\"\\/*,?![]{}=")


@pytest.mark.parametrize("bad", [
    "-oN /tmp/x", "-oN", "--script=http-title", "127.0.0.1;id", "$(id)", "`id`", "127.0.0.1 127.0.0.2",
    "10.0.0.0/8", "127.0.0.1-5", "*.example.org", "", " ", "a..b", "exa mple.org", "1.2.3", "10.0.0.1-255", "1-5", "999.1.1.1",
    "fe80::1%eth0", "host\n", "-iL", "example.org/", "ex ample.org", "::1::2",
])
def test_given_option_or_shell_syntax_when_validated_then_refused(bad):
    with pytest.raises(ValueError):
        validate_host(bad)


def test_bracketed_ipv6_and_trailing_dot_are_normalised():
    assert validate_host("[::1]") == "::1"
    assert validate_host("Example.ORG.") == "example.org"
    assert validate_host("127.000.0.1" if False else "127.0.0.1") == str(ipaddress.ip_address("127.0.0.1"))


@given(st.integers(min_value=1, max_value=65535))
def test_valid_ports_pass_as_int_and_digit_string(p):
    assert validate_port(p) == p
    assert parse_port(str(p)) == p


@pytest.mark.parametrize("bad", [0, 65536, -1, True, "22 ", "+22", "-22", "22,23", "1-5", 22.0, None, "٢٢"])
def test_invalid_ports_are_refused(bad):
    with pytest.raises(ValueError):
        parse_port(bad)
    with pytest.raises(ValueError):
        validate_port(bad)


@pytest.mark.parametrize("text,key,suggestion", [
    ("::1:8443", "target.ipv6_brackets", "[::1]:8443"),
    ("fd00::25:1:443", "target.ipv6_brackets", "[fd00::25:1]:443"),
    ("https://::1:8443", "target.url", "[::1]:8443"),
    ("https://127.25.0.1:443/", "target.url", "127.25.0.1:443"),
    ("::1", "target.port_missing", None),
    ("127.25.0.1", "target.port_missing", None),
])
def test_given_an_ipv6_address_without_brackets_then_the_error_shows_the_bracketed_form(text, key, suggestion):
    with pytest.raises(TargetError) as e:
        parse_hostport(text)
    assert (e.value.key, e.value.suggestion) == (key, suggestion)
    for lang in ("en", "vi"):
        said = reason(e.value, lang)
        assert text in said and (suggestion is None or suggestion in said) and "{" not in said
    assert parse_hostport("[::1]:8443") == ("::1", 8443)


def test_given_an_inventory_url_with_a_bare_ipv6_address_then_the_bracketed_url_is_suggested(tmp_path):
    inv = tmp_path / "inventory.yaml"
    inv.write_text('kind: inventory\norganisation: {name: X}\nsystems:\n'
                   '  - {id: a, name: A, purpose: internal, information: [private], declared_level: 2,\n'
                   '     endpoints: ["https://::1:8443"]}\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_inventory(str(inv))
    [d] = e.value.diagnostics
    assert (d.key, d.line, d.args["suggestion"]) == ("endpoint.url_ipv6", 5, "https://[::1]:8443")
