"""targets.parse_scope / Scope.contains: the networks a worker may touch."""

import pytest

from secaudit.targets import TargetError, parse_scope


def test_networks_addresses_names_and_domains():
    scope = parse_scope(["127.7.1.0/24", "127.7.9.9", "::1", "mail.corp.example", ".lan.example"])
    assert scope.contains("127.7.1.200")
    assert scope.contains("127.7.9.9")
    assert not scope.contains("127.7.9.8")
    assert not scope.contains("127.7.2.1")
    assert scope.contains("::1") and scope.contains("[::1]")
    assert scope.contains("MAIL.corp.example") and scope.contains("mail.corp.example.")
    assert not scope.contains("corp.example") and not scope.contains("other.corp.example")
    assert scope.contains("a.b.lan.example")
    assert not scope.contains("lan.example.evil.example") and not scope.contains("xlan.example")


def test_names_are_never_resolved_and_bad_hosts_never_match():
    scope = parse_scope(["127.0.0.0/8"])
    assert not scope.contains("localhost")           # a name is not an address: no DNS widening
    for bad in ("-oX", "127.0.0.1/32", "127.0.0.1;id", "", None, "127.0.0.1-5", "fe80::1%eth0"):
        assert not scope.contains(bad)


def test_ipv4_network_does_not_match_ipv6():
    scope = parse_scope(["0.0.0.0/0"])
    assert scope.contains("127.7.1.1")
    assert not scope.contains("::1")


def test_wildcard_domain_form():
    assert parse_scope(["*.dmz.example"]).contains("www.dmz.example")


@pytest.mark.parametrize("entry,key", [
    ("127.7.1.5/24", "target.scope_network"), ("127.0.0.0/33", "target.scope_network"),
    ("-iL", "target.host_option"), ("", "target.scope_empty"), ("a b", "target.host_metachar"),
    ("127.0.0.300", "target.host_bad_ipv4"),
])
def test_bad_entries_are_refused_with_a_reason(entry, key):
    with pytest.raises(TargetError) as e:
        parse_scope([entry])
    assert e.value.key == key


def test_empty_scope_is_refused():
    with pytest.raises(TargetError):
        parse_scope([])


def test_describe_lists_every_entry():
    assert parse_scope(["127.7.1.0/24", ".lan.example", "h.example"]).describe() == \
        "127.7.1.0/24, h.example, .lan.example"
