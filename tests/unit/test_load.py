"""Loader: every mistake reported at its line and column, never a traceback."""

from __future__ import annotations

import textwrap
import time

import pytest

from secaudit.errors import InputError
from secaudit.load import check_document, load_inventory, load_inventory_text
from secaudit.validation import validate_files
from secaudit.model import Purpose, Service, Starttls
from secaudit.yamlread import read_yaml_text


def problems(text: str) -> list[tuple[int, int, str]]:
    doc, diags = read_yaml_text("f.yaml", textwrap.dedent(text))
    if doc is None:
        return [(d.line, d.column, d.key) for d in diags]
    _, more = check_document(doc)
    return [(d.line, d.column, d.key) for d in diags + more]


MINIMAL = """\
kind: inventory
systems:
  - id: a
    name: A
    purpose: internal
    information: [public]
"""


def test_example_inventory_loads_with_all_systems():
    inv = load_inventory("examples/inventory.yaml")
    assert len(inv.systems) >= 10
    assert {s.purpose for s in inv.systems} == set(Purpose)
    assert inv.digest.startswith("sha256:")
    mail = inv.system("thu-dien-tu")
    assert [e.starttls for e in mail.endpoints] == [Starttls.SMTP, Starttls.IMAP]
    assert all(e.tls for e in mail.endpoints)


def test_url_endpoint_is_split_into_host_port_service():
    inv = load_inventory_text(MINIMAL + "    endpoints: [https://127.0.0.5:8443, 'smtp://[::1]', http://127.0.0.5]\n")
    eps = inv.systems[0].endpoints
    assert [(e.host, e.port, e.service, e.starttls, e.tls) for e in eps] == [
        ("127.0.0.5", 8443, Service.HTTPS, None, True),
        ("::1", 25, Service.SMTP, Starttls.SMTP, True),
        ("127.0.0.5", 80, Service.HTTP, None, False),
    ]
    assert eps[0].source.line == 7


def test_three_independent_mistakes_are_all_reported_with_line_and_column():
    text = """\
    kind: inventory
    systems:
      - id: a
        name: A
        purpose: internl
        information: [public]
        endpoints:
          - {host: 127.0.0.1, port: 0}
      - id: b
        name: B
        purpose: internal
        colour: blue
    """
    assert problems(text) == [
        (5, 14, "schema.enum_suggest"),
        (8, 33, "schema.range"),
        (12, 5, "schema.unknown_key"),
    ]


def test_unknown_key_suggests_the_closest_one():
    doc, _ = read_yaml_text("f.yaml", MINIMAL + "    informaton: [public]\n")
    _, diags = check_document(doc)
    assert diags[0].key == "schema.unknown_key_suggest"
    assert diags[0].args["suggestion"] == "information"
    assert "did you mean 'information'" in diags[0].render("en")


def test_duplicate_keys_are_reported_not_silently_dropped():
    assert (7, 5, "yaml.duplicate_key") in problems(MINIMAL + "    name: B\n")


def test_duplicate_system_ids():
    text = MINIMAL + "  - {id: a, name: A2, purpose: internal}\n"
    assert (7, 10, "inventory.duplicate_id") in problems(text)


@pytest.mark.parametrize("host,key", [
    ("-oN /tmp/x", "target.host_option"),
    ("--script=vuln", "target.host_option"),
    ("127.0.0.1;id", "target.host_metachar"),
    ("$(reboot)", "target.host_metachar"),
    ("a b", "target.host_metachar"),
    ("/etc/passwd", "target.host_path"),
    ("10.0.0.0/8", "target.host_path"),
    ("127.0.0.300", "target.host_bad_ipv4"),
    ("exa_mple..com", "target.host_invalid"),
])
def test_dangerous_or_invalid_hosts_are_refused(host, key):
    text = MINIMAL + f"    endpoints: [{{host: '{host}', port: 443}}]\n"
    assert [p for p in problems(text) if p[2] == key], problems(text)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "portal.songlam.example", "xn--bcher-kva.example", "[::1]"])
def test_valid_hosts_are_accepted(host):
    assert problems(MINIMAL + f"    endpoints: [{{host: '{host}', port: 443}}]\n") == []


@pytest.mark.parametrize("endpoint", [
    "'https://[fe80::1%25eth0]:443'", "'https://[fe80::1%eth0]:443'", "{host: 'fe80::1%eth0', port: 443}",
    "{host: '[fe80::1%25eth0]', port: 443}", "{host: '[fe80::1%eth0]', port: 443}",
])
def test_ipv6_zone_id_is_refused_in_every_spelling(endpoint):
    # URL form used to store the host as fe80::1%25eth0 (Python's ipaddress accepts a scope id)
    assert [p[2] for p in problems(MINIMAL + f"    endpoints: [{endpoint}]\n")] == ["target.host_zone"]


def test_ipv6_zone_id_is_refused_in_host_port_form():
    from secaudit.targets import TargetError, parse_hostport

    for text in ("[fe80::1%25eth0]:443", "[fe80::1%eth0]:443", "[127.0.0.1]:443"):
        with pytest.raises(TargetError):
            parse_hostport(text)
    assert parse_hostport("[FE80::1]:443") == ("fe80::1", 443)


def test_bad_url_endpoint_reports_once():
    text = MINIMAL + "    endpoints: ['htps://127.0.0.1']\n"
    assert problems(text) == [(7, 17, "endpoint.url_scheme")]


def test_components_unknown_self_and_cycles():
    text = """\
    kind: inventory
    systems:
      - {id: a, name: A, purpose: internal, components: [b]}
      - {id: b, name: B, purpose: internal, components: [a, c, b]}
    """
    keys = [p[2] for p in problems(text)]
    assert keys.count("inventory.component_cycle") == 1
    assert "inventory.component_unknown" in keys
    assert "inventory.component_self" in keys


def test_facts_that_only_make_sense_for_one_purpose():
    text = MINIMAL + "    works_grade: II\n    scope: province\n    secret_grade: secret\n"
    keys = [p[2] for p in problems(text)]
    assert keys.count("inventory.fact_purpose") == 2
    assert "inventory.grade_without_secret" in keys


def test_negative_counts_and_wrong_types():
    text = MINIMAL + "    personal_data: {users: -1, basic: many}\n    declared_level: '3'\n"
    keys = [p[2] for p in problems(text)]
    assert keys.count("schema.minimum") == 1 and keys.count("schema.type") == 2


def test_yaml_syntax_error_has_position():
    assert problems("kind: inventory\nsystems: [\n  - a: b\n") == [(3, 3, "yaml.syntax")]


def _laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]")
    lines.append(f"systems: *a{levels}")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_quickly_at_the_alias_that_blows_up():
    # An alias is the object its anchor built, so nothing is expanded; what the aliases would
    # expand to is counted in the same pass and the document refused at the alias where that
    # passes the budget (113 written values + 100,000): the first *a4, on a5's line.
    start = time.process_time()               # CPU time: a loaded machine does not make it fail
    doc, diags = read_yaml_text("f.yaml", _laughs())
    assert time.process_time() - start < 1
    assert doc is None
    [d] = diags
    assert (d.file, d.line, d.column, d.key, d.args["alias"]) == ("f.yaml", 6, 10, "yaml.alias_bomb", "a4")
    assert "f.yaml:6:10: alias *a4" in d.render("en")
    assert "*a4" in d.render("vi")


def test_a_bomb_as_large_as_the_file_limit_is_refused_in_linear_time():
    # 2 MB of aliases, each level doubling: measured without building anything twice.
    lines = ["a0: &a0 [x, x]"] + [f"a{i}: &a{i} [*a{i-1}, *a{i-1}]" for i in range(1, 60)]
    lines += [f"b{i}: [" + ", ".join(["*a59"] * 50) + "]" for i in range(2000)]
    start = time.process_time()
    doc, diags = read_yaml_text("big.yaml", "\n".join(lines) + "\n")
    assert time.process_time() - start < 5
    assert doc is None and [(d.key, d.line) for d in diags] == [("yaml.alias_bomb", 17)]


def test_honest_aliases_expand_within_budget_and_a_small_bomb_does_not():
    # A shared block merged into many systems is fine; a 10x-per-level bomb of 6 levels is not.
    shared = "kind: inventory\nbase: &b {purpose: internal, information: [public], owner: o}\nsystems:\n"
    shared += "".join(f"  - {{<<: *b, id: s{i}, name: S}}\n" for i in range(3000))
    doc, diags = read_yaml_text("ok.yaml", shared)
    assert doc is not None and not diags and len(doc.value["systems"]) == 3000
    doc, diags = read_yaml_text("bomb.yaml", _laughs(6))
    assert doc is None and [d.key for d in diags] == ["yaml.alias_bomb"]


def test_recursive_alias_is_refused():
    assert [p[2] for p in problems("systems: &a [*a]\n")] == ["yaml.recursive_alias"]


def test_unsafe_tags_are_refused():
    assert [p[2] for p in problems("systems: !!python/object/apply:os.system ['id']\n")] == ["yaml.unsupported_tag"]


def test_deep_nesting_is_refused():
    assert [p[2] for p in problems("systems: " + "[" * 200 + "]" * 200 + "\n")] == ["yaml.too_deep"]


def test_unknown_kind_and_undetectable_document():
    assert [p[2] for p in problems("kind: inventori\nsystems: []\n")] == ["load.bad_kind"]
    assert [p[2] for p in problems("hello: world\n")] == ["load.unknown_kind"]
    assert [p[2] for p in problems("- a\n- b\n")] == ["load.not_mapping"]


def test_files_that_are_not_yaml_text(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "comments.yaml").write_text("# nothing\n")
    (tmp_path / "bin.yaml").write_bytes(b"\x7fELF\x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes(b"kind: inventory\nsystems: []\nname: caf\xe9\n")
    report = validate_files([str(tmp_path / n) for n in ("empty.yaml", "comments.yaml", "bin.yaml", "latin1.yaml")]
                            + [str(tmp_path), str(tmp_path / "missing.yaml")])
    assert [(d.key, d.line, d.column) for d in report.diagnostics] == [
        ("yaml.empty", 0, 0), ("yaml.empty", 0, 0), ("yaml.binary", 0, 0), ("yaml.not_utf8", 3, 10),
        ("file.is_directory", 0, 0), ("file.not_found", 0, 0),
    ]
    assert not report.ok


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    import secaudit.yamlread as yr

    monkeypatch.setattr(yr, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.yaml"
    big.write_text(MINIMAL * 10)
    assert [d.key for d in validate_files([str(big)]).diagnostics] == ["file.too_big"]


def test_load_inventory_raises_input_error_with_every_problem():
    with pytest.raises(InputError) as exc:
        load_inventory("examples/invalid-inventory.yaml")
    assert len(exc.value.diagnostics) >= 8
    assert all(d.line > 0 for d in exc.value.diagnostics)


def test_waivers_and_policy_documents():
    waivers = """\
    kind: waivers
    waivers:
      - control: TLS-PROTO-01
        system: qlvb
        endpoint: 127.0.0.12:8443
        reason: legacy client until migration
        approved_by: Giám đốc Sở
        expires: 2027-02-30
    """
    assert problems(waivers) == [(8, 14, "schema.date")]
    policy = """\
    kind: policy
    id: level-9
    title: {en: x, vi: y}
    controls:
      - {id: tls-1, title: {en: a, vi: b}, check: nothing.here, severity: urgent}
    """
    keys = [p[2] for p in problems(policy)]
    assert "schema.control_id" in keys and "schema.enum" in keys
    assert any(k.startswith("policy.unknown_check") for k in keys)


def test_waiver_system_must_exist_in_inventory_validated_with_it(tmp_path):
    w = tmp_path / "w.yaml"
    w.write_text("kind: waivers\nwaivers:\n  - {control: TLS-PROTO-01, system: qlvbb, reason: r, approved_by: a, "
                 "expires: '2027-01-01'}\n")
    report = validate_files(["examples/inventory.yaml", str(w)])
    assert [(d.key, d.args["suggestion"]) for d in report.diagnostics] == [("waivers.unknown_system", "qlvb")]


def test_waiver_control_must_be_one_a_policy_defines(tmp_path):
    # issue 12 item 7: a waiver for CERT-TRUTS-01 validated as fine and matched nothing
    w = tmp_path / "w.yaml"
    w.write_text("kind: waivers\nwaivers:\n  - control: CERT-TRUTS-01\n    system: qlvb\n    reason: r\n"
                 "    approved_by: a\n    expires: '2027-01-01'\n  - control: MINE-01\n    system: qlvb\n"
                 "    reason: r\n    approved_by: a\n    expires: '2027-01-01'\n")
    mine = tmp_path / "mine.yaml"
    mine.write_text("kind: policy\nid: mine\ntitle: {en: x, vi: x}\ncontrols:\n  - {id: MINE-01, title: {en: a, vi: b},"
                    " check: tls.protocols.forbidden, severity: high}\n")
    [d] = validate_files([str(w)]).diagnostics[:1]
    assert (d.key, d.line, d.column, d.args["suggestion"]) == ("waivers.unknown_control", 3, 14, "CERT-TRUST-01")
    assert [d.args["id"] for d in validate_files([str(w)]).diagnostics] == ["CERT-TRUTS-01", "MINE-01"]
    assert [d.args["id"] for d in validate_files([str(w), str(mine)]).diagnostics] == ["CERT-TRUTS-01"]


def test_policy_extending_an_unknown_policy_is_located_with_a_suggestion(tmp_path):
    f = tmp_path / "mine.yaml"
    f.write_text("kind: policy\nid: mine\ntitle: {en: x, vi: x}\nextends: [level-33]\ncontrols: []\n")
    [d] = validate_files([str(f)]).diagnostics
    assert (d.key, d.line, d.column, d.args["suggestion"]) == ("policy.extends_unknown_here", 4, 11, "level-3")


@pytest.mark.parametrize("text", [
    "a: &x {p: 1, q: [1, 2.5, true, null, ~, '3', 2026-01-01]}\nb: *x\nc: {<<: *x, p: 2}\n",
    "base: &b {k: v, n: 0x1F}\nlist: [{<<: [*b, {z: 1}], k: w}]\n",
    "s: !!str 12\nt: ! 12\nu: 'yes'\nv: yes\nw: -.inf\nx: ''\ny:\nz: \"\\u00e9\"\n",
])
def test_values_are_those_pyyaml_builds(text):
    import yaml

    expected = yaml.safe_load(text)
    expected = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in expected.items()}
    doc, diags = read_yaml_text("f.yaml", text)
    assert not diags
    got = doc.value
    if "a" in got:
        got["a"]["q"][-1] = str(got["a"]["q"][-1])
        expected["a"]["q"][-1] = str(expected["a"]["q"][-1])
    assert got == expected


@pytest.mark.parametrize("text,key,line", [
    ("a: *nope\n", "yaml.undefined_alias", 1),
    ("a: &x 1\nb: &x 2\n", "yaml.duplicate_anchor", 2),
    ("a: 1\n---\nb: 2\n", "yaml.several_documents", 2),
    ("a: {<<: 3}\n", "yaml.bad_merge", 1),
    ("a: {[1]: 2}\n", "yaml.complex_key", 1),
])
def test_alias_anchor_and_document_mistakes_are_located(text, key, line):
    doc, diags = read_yaml_text("f.yaml", text)
    assert doc is None and [(d.key, d.line) for d in diags] == [(key, line)]


def test_each_address_like_value_is_checked_by_the_target_validator_at_its_position():
    text = MINIMAL + """\
    domains: [127.0.0.1]
    port_coverage: "2000-1000"
    endpoints:
      - {host: "-oX", port: 443, service: https}
      - {host: portal.example, port: 443, service: https, sni: 127.0.0.1}
"""
    found = problems(text)
    assert [(line, key) for line, _, key in found] == [
        (7, "inventory.domain_invalid"), (8, "target.coverage"), (10, "target.host_option"),
        (11, "endpoint.sni_invalid")]
