"""The TCVN 11930:2017 requirement catalogue as plain data (policies/requirements/tcvn-11930-2017.yaml).

Read with plain yaml.safe_load, independently of the loader: row counts per level, the shape of every
row, clause numbering per level (sections 5..9 for levels 1..5), filled placeholders, verification means
naming controls that exist and are in force at the level, and the keys secaudit's network controls name.
The catalogue is incomplete on purpose (the standard's lettered items could not be read from any source);
these tests pin what it does claim, so that a later completion changes the counts here knowingly.
Then the same file through the loader, as `secaudit requirements --regime decree-85-2016` reads it.
"""

import re
from collections import Counter

import pytest

from secaudit.requirements.catalogue import catalogue_for_regime, load_catalogue
from tests.support.catalogue_data import (
    CLAUSE_RE, HOST_CONTROLS, IMPORT_TOOLS, PLACEHOLDER_RE, ROOT, VIETNAMESE_RE, controls_in_force, effective,
    level_rows, means, plain,
)

CATALOGUE = ROOT / "policies" / "requirements" / "tcvn-11930-2017.yaml"
SECTIONS = {1: "5", 2: "6", 3: "7", 4: "8", 5: "9"}
# rows (key x level) and distinct clauses per level, as the header comment states them
ROWS = {1: 11, 2: 12, 3: 26, 4: 15, 5: 14}
CLAUSES = {1: 9, 2: 9, 3: 21, 4: 10, 5: 9}
GROUPS = ("policy", "organisation", "staff", "build", "operation", "network", "server", "appsec", "info-assets")
# the standard's group of each catalogue group: x.1.1 .. x.1.5, x.2.1 .. x.2.4
GROUP_CLAUSE = {"policy": "1.1", "organisation": "1.2", "staff": "1.3", "build": "1.4", "operation": "1.5",
                "network": "2.1", "server": "2.2", "appsec": "2.3", "info-assets": "2.4"}
# below group level only what a source names by number: level-3 7.1.4.x and 7.1.5.x, level-4 8.2.3.5
SUBCLAUSES = {f"7.1.4.{i}" for i in range(1, 4)} | {f"7.1.5.{i}" for i in range(1, 12)} | {"8.2.3.5"}

# Keys the network controls name (issue 22, from the TCVN 14423 mapping) and the first level at which
# each control names it. CATALOGUED: this standard has a group the duty is a core part of, so the key has
# a row (at its group clause) at every level from that one. NOT_CATALOGUED: keys the file's header says
# it leaves out, with the reason; they must stay out until a source shows the standard holds them.
CONTROL_KEYS = {
    "PORT-UNDECL-01": {"network.traffic-control": 1, "config.insecure-services-off": 2},
    "PORT-LEGACY-01": {"network.secure-connections": 1, "config.insecure-services-off": 2,
                       "network.secure-protocols": 4},
    "PORT-NOAUTH-01": {"account.default-disabled": 1},
    "PORT-MGMT-01": {"network.traffic-control": 2, "network.admin-source-restrict": 2,
                     "monitoring.admin-port-separate": 3, "network.jump-host": 4},
    "TLS-PROTO-01": {"network.secure-connections": 2, "info-assets.transit-protection": 3,
                     "info-assets.strong-algorithms": 4, "network.secure-protocols": 4},
    "SSH-ALG-01": {"network.secure-connections": 2},
    "SSH-PWD-01": {"network.secure-connections": 3},
    "MAIL-SPF-01": {"browser-mail.mail-security": 3, "browser-mail.dmarc": 4},
    "WEB-CSP-01": {"appsec.secure-design": 3},
    "SECTXT-01": {"appsec.vuln-report-channel": 3},
    "DISC-01": {"hw-assets.rogue-detect": 1},
}
CATALOGUED = {"network.traffic-control", "network.secure-connections", "network.admin-source-restrict",
              "info-assets.transit-protection", "appsec.secure-design"}
NOT_CATALOGUED = {
    "config.insecure-services-off": "no config group in TCVN 11930 (server security is x.2.2)",
    "account.default-disabled": "no account group in TCVN 11930 (server security is x.2.2)",
    "monitoring.admin-port-separate": "no monitoring group in TCVN 11930",
    "network.jump-host": "a TCVN 14423 level-4 strengthening, not shown in TCVN 11930",
    "network.secure-protocols": "a TCVN 14423 level-4 strengthening, not shown in TCVN 11930",
    "info-assets.strong-algorithms": "a TCVN 14423 level-4 strengthening, not shown in TCVN 11930",
    "browser-mail.mail-security": "TCVN 11930 has no e-mail group",
    "browser-mail.dmarc": "TCVN 11930 has no e-mail group",
    "appsec.vuln-report-channel": "not shown in TCVN 11930",
    "hw-assets.rogue-detect": "no hardware-asset group in TCVN 11930",
}


def catalogue() -> dict:
    return plain(CATALOGUE)


def rows() -> list[tuple[dict, int, dict]]:
    return level_rows(catalogue())


def test_header_names_the_standard_the_regime_and_the_sections():
    doc = catalogue()
    assert (doc["kind"], doc["version"], doc["id"]) == ("requirements", 1, CATALOGUE.stem)
    assert doc["standard"] == "TCVN 11930:2017" and doc["regimes"] == ["decree-85-2016"]
    assert {int(k): v["section"] for k, v in doc["levels"].items()} == SECTIONS
    assert [g["id"] for g in doc["groups"]] == list(GROUPS)
    assert [g["number"] for g in doc["groups"]] == list(range(1, 10))


def test_sources_cover_every_level_with_dates():
    sources = catalogue()["sources"]
    assert set().union(*(set(s["levels"]) for s in sources)) == set(SECTIONS)
    for src in sources:
        assert src["source"].strip() and src["note"].strip()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(src["read_on"]))
    # level 3's sub-clauses come from a source that names level 3 alone
    assert any(s["levels"] == [3] for s in sources)


def test_header_comment_states_the_counts_and_what_is_incomplete():
    head = CATALOGUE.read_text(encoding="utf-8").split("\nkind:")[0]
    assert "INCOMPLETE" in head
    counts = ", ".join(f"{lv} -> {n}" for lv, n in ROWS.items())
    assert counts in " ".join(head.replace("#", " ").split())


@pytest.mark.parametrize("level", sorted(SECTIONS))
def test_row_and_clause_counts_per_level(level):
    at_level = [(req, entry) for req, lv, entry in rows() if lv == level]
    assert len(at_level) == ROWS[level]
    assert len({entry["clause"] for _, entry in at_level}) == CLAUSES[level]
    kinds = Counter(req["kind"] for req, _ in at_level)
    management = 17 if level == 3 else 5
    assert kinds == Counter({"management": management, "technical": ROWS[level] - management})


def test_keys_are_unique_and_in_their_group():
    keys = [req["key"] for req in catalogue()["requirements"]]
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    for req in catalogue()["requirements"]:
        assert req["group"] in GROUPS and req["key"].split(".")[0] == req["group"], req["key"]
        assert req["kind"] == ("management" if GROUP_CLAUSE[req["group"]].startswith("1.") else "technical")


def test_every_clause_starts_with_its_level_section_and_lies_in_its_group():
    for req, level, entry in rows():
        clause = entry["clause"]
        assert CLAUSE_RE.fullmatch(clause), (req["key"], clause)
        assert clause.startswith(SECTIONS[level] + "."), (req["key"], level, clause)
        group_clause = f"{SECTIONS[level]}.{GROUP_CLAUSE[req['group']]}"
        assert clause == group_clause or clause.startswith(group_clause + "."), (req["key"], clause)


def test_every_group_of_every_level_is_covered():
    for level, section in SECTIONS.items():
        clauses = {entry["clause"] for _, lv, entry in rows() if lv == level}
        for suffix in GROUP_CLAUSE.values():
            group = f"{section}.{suffix}"
            assert any(c == group or c.startswith(group + ".") for c in clauses), (level, group)


def test_sub_clauses_only_where_a_source_names_them():
    """Below group level only the level-3 headings 7.1.4.1-3 and 7.1.5.1-11 and the level-4 8.2.3.5 that
    QCVN 12:2026/BCA cites, each exactly once; everything else stays at group level (no guessed number)."""
    deep = Counter(entry["clause"] for _, _, entry in rows() if entry["clause"].count(".") > 2)
    assert set(deep) == SUBCLAUSES and set(deep.values()) == {1}
    level3 = {entry["clause"] for _, lv, entry in rows() if lv == 3}
    assert not {"7.1.4", "7.1.5"} & level3  # replaced by their sub-clauses at level 3


def test_text_in_both_languages_with_placeholders_filled():
    for req, level, entry in rows():
        text, _ = effective(req, entry)
        params = entry.get("params", {})
        assert text["en"].strip() and text["vi"].strip() and text["en"] != text["vi"], req["key"]
        assert VIETNAMESE_RE.search(text["vi"].lower()), (req["key"], text["vi"])
        for lang in ("en", "vi"):
            assert set(PLACEHOLDER_RE.findall(text[lang])) <= set(params), (req["key"], level, lang)
            assert text[lang].format(**params)
    # no threshold could be verified, so none is claimed
    assert not [req["key"] for req, _, entry in rows() if entry.get("params")]


def test_verification_means_are_well_formed_and_in_force():
    in_force = controls_in_force()
    for req, level, entry in rows():
        _, verify = effective(req, entry)
        for m in verify:
            assert len(m) == 1 and next(iter(m)) in ("scan", "host", "import", "attest"), (req["key"], m)
        (attest,) = means(verify, "attest")
        assert attest["hint"]["en"].strip() and attest["hint"]["vi"].strip(), req["key"]
        for cid in means(verify, "scan"):
            assert cid in in_force[level], f"{req['key']}: {cid} is not in force at level {level}"
        for cid in means(verify, "host"):
            assert cid in HOST_CONTROLS, (req["key"], cid)
        for imp in means(verify, "import"):
            assert imp["tool"] in IMPORT_TOOLS, (req["key"], imp)


def test_every_catalogued_control_key_has_a_row_wherever_its_control_applies():
    levels_of = {req["key"]: {int(lv) for lv in req["levels"]} for req in catalogue()["requirements"]}
    assert CATALOGUED | set(NOT_CATALOGUED) == {k for ks in CONTROL_KEYS.values() for k in ks}
    for control, keys in CONTROL_KEYS.items():
        applies = {lv for lv, ids in controls_in_force().items() if control in ids}
        assert applies, control
        for key, from_level in keys.items():
            if key in NOT_CATALOGUED:
                assert key not in levels_of, f"{key} is catalogued: {NOT_CATALOGUED[key]}?"
                continue
            needed = {lv for lv in applies if lv >= from_level}
            assert needed <= levels_of[key], (control, key, sorted(needed - levels_of[key]))


def test_control_keys_cite_their_group_clause():
    doc = {req["key"]: req for req in catalogue()["requirements"]}
    for key in CATALOGUED:
        for level, entry in doc[key]["levels"].items():
            assert entry["clause"] == f"{SECTIONS[int(level)]}.{GROUP_CLAUSE[doc[key]['group']]}", key
    # a scan of the control evidences its key's row wherever both are in force
    assert {v["clause"] for v in doc["network.traffic-control"]["levels"].values()} == {
        "5.2.1", "6.2.1", "7.2.1", "8.2.1", "9.2.1"}
    assert "PORT-MGMT-01" not in means(doc["network.traffic-control"]["levels"][1]["verify"], "scan")


@pytest.mark.parametrize("level", sorted(SECTIONS))
def test_the_loader_reads_the_file_and_the_regime_finds_it(level):
    loaded = load_catalogue(CATALOGUE)
    assert catalogue_for_regime("decree-85-2016").id == "tcvn-11930-2017"
    assert len(loaded.rows(level)) == ROWS[level]
    for row in loaded.rows(level):
        assert row.clause.startswith(SECTIONS[level] + ".")
        assert row.text.en and row.text.vi and row.verify
    cited = loaded.row("network.traffic-control", level)
    assert cited is not None and cited.clause == f"{SECTIONS[level]}.2.1"
