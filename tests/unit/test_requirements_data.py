"""The TCVN 14423:2026 requirement catalogue as plain data (policies/requirements/tcvn-14423-2026.yaml).

Read with plain yaml.safe_load so that the data is checked on its own, independently of the loader:
row counts per level, the shape of every row, clause numbering per level, parameters, and that every
verification means names a control that exists and is in force at that level. The catalogue's clauses are
what reports print, so the known wrong citations of issue 22 are pinned here as well.
"""

import re
from collections import Counter

import pytest

from tests.support.catalogue_data import (
    CLAUSE_RE, HOST_CONTROLS, IMPORT_TOOLS, PLACEHOLDER_RE, ROOT, VIETNAMESE_RE, controls_in_force, effective,
    level_rows, means, plain,
)

CATALOGUE = ROOT / "policies" / "requirements" / "tcvn-14423-2026.yaml"
TARGETS = {1: 111, 2: 129, 3: 195, 4: 273, 5: 288}
SECTIONS = {1: "3", 2: "4", 3: "5", 4: "6", 5: "7"}
KEY_RE = re.compile(r"[a-z0-9-]+\.[a-z0-9.-]+")


def catalogue() -> dict:
    return plain(CATALOGUE)


def rows() -> list[tuple[dict, int, dict]]:
    return level_rows(catalogue())


def test_header_and_sources_cover_every_level():
    doc = catalogue()
    assert (doc["kind"], doc["version"], doc["id"]) == ("requirements", 1, CATALOGUE.stem)
    assert doc["standard"] == "TCVN 14423:2026" and doc["regimes"] == ["decree-331-2026"]
    assert {int(k): v["section"] for k, v in doc["levels"].items()} == SECTIONS
    built_from = Counter(level for src in doc["sources"] if "/checklist-cap-" in src["source"]
                         for level in src["levels"])
    assert built_from == Counter({level: 1 for level in TARGETS})  # one checklist per level, each level once
    for src in doc["sources"]:
        match = re.search(r"/checklist-cap-(\d)\.md$", src["source"])
        if match:
            assert src["levels"] == [int(match.group(1))], src["source"]
    for src in doc["sources"]:
        assert src["source"].startswith("ldphuong-vn/vn-cyber-compliance ")
        assert re.fullmatch(r"[0-9a-f]{40}", src["commit"])
        for field in ("compiled_as_of", "read_on"):
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(src[field]))
        assert str(src["compiled_as_of"]) <= str(src["read_on"])


@pytest.mark.parametrize("level", sorted(TARGETS))
def test_row_count_per_level_is_within_three_percent_of_the_standard(level):
    count = sum(1 for _, lv, _ in rows() if lv == level)
    assert abs(count - TARGETS[level]) <= 0.03 * TARGETS[level], (level, count)


def test_keys_are_unique_well_formed_and_in_their_group():
    doc = catalogue()
    groups = {g["id"] for g in doc["groups"]}
    assert len(groups) == 18 and sorted(g["number"] for g in doc["groups"]) == list(range(1, 19))
    keys = [req["key"] for req in doc["requirements"]]
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    for req in doc["requirements"]:
        assert KEY_RE.fullmatch(req["key"]), req["key"]
        assert req["group"] in groups and req["key"].split(".")[0] == req["group"], req["key"]
        assert req["kind"] in ("technical", "management"), req["key"]
        assert req["levels"], req["key"]


def test_no_key_appears_twice_at_one_level():
    pairs = Counter((req["key"], level) for req, level, _ in rows())
    assert [p for p, n in pairs.items() if n > 1] == []


def test_every_clause_starts_with_the_section_of_its_level():
    for req, level, entry in rows():
        assert level in TARGETS, (req["key"], level)
        clause = entry["clause"]
        assert CLAUSE_RE.fullmatch(clause), (req["key"], clause)
        assert clause.startswith(SECTIONS[level] + "."), (req["key"], level, clause)


def test_every_row_has_text_in_both_languages_with_every_placeholder_filled():
    for req, level, entry in rows():
        text, _ = effective(req, entry)
        params = entry.get("params", {})
        assert isinstance(params, dict), (req["key"], level)
        assert text["en"].strip() and text["vi"].strip() and text["en"] != text["vi"], req["key"]
        assert VIETNAMESE_RE.search(text["vi"].lower()), (req["key"], text["vi"])
        for lang in ("en", "vi"):
            missing = set(PLACEHOLDER_RE.findall(text[lang])) - set(params)
            assert not missing, (req["key"], level, lang, missing)
            assert text[lang].format(**params)  # every brace is a placeholder, nothing stray
        for name, value in params.items():
            assert isinstance(value, int) and value > 0, (req["key"], level, name, value)


def test_every_row_has_well_formed_verification_and_an_officer_record():
    for req, level, entry in rows():
        _, verify = effective(req, entry)
        assert verify, (req["key"], level)
        for m in verify:
            assert len(m) == 1 and next(iter(m)) in ("scan", "host", "import", "attest"), (req["key"], m)
        attests = means(verify, "attest")
        assert len(attests) == 1, (req["key"], level)
        hint = attests[0]["hint"]
        assert hint["en"].strip() and hint["vi"].strip(), req["key"]
        age = attests[0].get("max_age_months")
        assert age is None or (isinstance(age, int) and age > 0), (req["key"], age)
        for imp in means(verify, "import"):
            assert imp["tool"] in IMPORT_TOOLS and imp.get("max_age_months", 1) > 0, (req["key"], imp)


def test_review_periods_bound_the_age_of_the_evidence():
    """A row with a review, scan or test period accepts no record older than that period."""
    for req, level, entry in rows():
        params = entry.get("params", {})
        _, verify = effective(req, entry)
        periods = [params[p] for p in ("review_months", "backup_test_months", "drill_months", "pentest_months")
                   if p in params]
        if periods:
            assert means(verify, "attest")[0].get("max_age_months") == min(periods), (req["key"], level)


def test_scan_controls_exist_and_are_in_force_at_the_level():
    in_force = controls_in_force()
    known = set().union(*in_force.values())
    for req, level, entry in rows():
        _, verify = effective(req, entry)
        for cid in means(verify, "scan"):
            assert cid in known, (req["key"], cid)
            assert cid in in_force[level], f"{req['key']}: {cid} is not in force at level {level}"


def test_host_controls_are_the_host_family():
    for req, level, entry in rows():
        _, verify = effective(req, entry)
        for cid in means(verify, "host"):
            assert cid in HOST_CONTROLS, (req["key"], cid)


def test_vulnerability_scanning_rows_take_scanner_reports_no_older_than_the_scan_period():
    scan_rows = [(req, level, entry) for req, level, entry in rows() if entry["clause"].endswith(".7.2.1 b")]
    assert sorted(level for _, level, _ in scan_rows) == [1, 2, 3, 4, 5]
    periods = {}
    for req, level, entry in scan_rows:
        _, verify = effective(req, entry)
        (imp,) = means(verify, "import")
        assert imp["max_age_months"] == entry["params"]["scan_months"]
        periods[level] = imp["max_age_months"]
    assert periods == {1: 12, 2: 12, 3: 6, 4: 6, 5: 3}


def clauses_citing(control: str, level: int) -> set[str]:
    found = set()
    for req, lv, entry in rows():
        if lv == level and control in means(effective(req, entry)[1], "scan"):
            found.add(entry["clause"])
    return found


def test_known_wrong_citations_of_issue_22_are_right_here():
    # default accounts are x.6.2.3, not x.6.2.4
    for level in range(1, 6):
        assert clauses_citing("PORT-NOAUTH-01", level) == {f"{SECTIONS[level]}.6.2.3"}
    # secure protocols at level 4 are 6.12.2.3; 6.12.2.5-6 are VPN/ZTNA, jump host, management network
    ssh4 = clauses_citing("SSH-ALG-01", 4)
    assert "6.12.2.3" in ssh4 and not {c for c in ssh4 if c.startswith(("6.12.2.5", "6.12.2.6"))}
    # strong algorithms are x.4.2.4 e; x.4.2.4 c is two-layer encryption
    for level in (4, 5):
        ciphers = clauses_citing("TLS-CIPH-01", level)
        assert f"{SECTIONS[level]}.4.2.4 e" in ciphers
        assert f"{SECTIONS[level]}.4.2.4 c" not in ciphers
    # a trusted certificate chain is not the digital signing of exchanged data
    for level in (3, 4, 5):
        trust = clauses_citing("CERT-TRUST-01", level)
        assert trust and not {c for c in trust if re.match(r"\d\.4\.2\.(8|10)", c)}


def test_same_requirement_keeps_one_key_across_levels():
    doc = {req["key"]: req for req in catalogue()["requirements"]}
    inactive = doc["account.inactive-disabled"]["levels"]
    assert {k: v["clause"] for k, v in inactive.items()} == {
        1: "3.6.2.3", 2: "4.6.2.3", 3: "5.6.2.3", 4: "6.6.2.3", 5: "7.6.2.3"}
    retention = {k: v["params"]["log_retention_months"] for k, v in doc["logging.retention"]["levels"].items()}
    assert retention == {2: 1, 3: 3, 4: 6, 5: 12}
    # level 5 renumbers the access-control rows of 6.12.2.4 as 7.12.2.5
    assert doc["network.secure-connections"]["levels"][4]["clause"] == "6.12.2.4 a"
    assert doc["network.secure-connections"]["levels"][5]["clause"] == "7.12.2.5 a"
