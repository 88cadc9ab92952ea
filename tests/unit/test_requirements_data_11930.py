"""The TCVN 11930:2017 requirement catalogue as plain data (policies/requirements/tcvn-11930-2017.yaml).

Read with plain yaml.safe_load, independently of the loader: row counts per level, the shape of every
row, clause numbering per level (sections 5..9 for levels 1..5), the sub-clauses Circular 12/2022/TT-BTTTT's
Annexes I-V list for each level (one row each, at that level's number), filled placeholders, verification
means naming controls that exist and are in force at the level, and the keys secaudit's controls name.
The catalogue stops at sub-clause level on purpose (the standard's lettered items and thresholds could not
be read from any source); these tests pin what it does claim, so that a later completion changes the counts
here knowingly. The circular's duties with no TCVN 11930 clause (items 1.6 and 1.7, part II.1) are rows with
a `basis` instead of a clause, pinned by BASIS below.
Then the same file through the loader, as `secaudit requirements --regime decree-85-2016` reads it.
"""

import re
from collections import Counter

import pytest
import yaml

from secaudit.requirements.catalogue import catalogue_for_regime, load_catalogue
from tests.support.catalogue_data import (
    CLAUSE_RE, HOST_CONTROLS, IMPORT_TOOLS, PLACEHOLDER_RE, ROOT, VIETNAMESE_RE, controls_in_force, effective,
    level_rows, means, plain,
)

CATALOGUE = ROOT / "policies" / "requirements" / "tcvn-11930-2017.yaml"
SECTIONS = {1: "5", 2: "6", 3: "7", 4: "8", 5: "9"}
# rows (key x level) and distinct clauses per level, as the header comment states them: the sub-clauses of
# SUBCLAUSES below plus the extra group-clause rows of GROUP_ROWS
# plus the basis rows of BASIS: 4 at levels 1-4 and 5 at level 5 (2 management: items 1.6 and 1.7 of every annex;
# 2 technical: part II.1 a and b of every annex; at level 5 also II.1 b xviii, the backup site)
ROWS = {1: 32, 2: 40, 3: 49, 4: 49, 5: 50}
CLAUSES = {1: 28, 2: 35, 3: 44, 4: 44, 5: 44}
MANAGEMENT = {1: 15, 2: 18, 3: 22, 4: 22, 5: 22}
GROUPS = ("policy", "organisation", "staff", "build", "operation", "network", "server", "appsec", "info-assets",
          "risk", "decommission", "design")
# the standard's group of each catalogue group: x.1.1 .. x.1.5, x.2.1 .. x.2.4
GROUP_CLAUSE = {"policy": "1.1", "organisation": "1.2", "staff": "1.3", "build": "1.4", "operation": "1.5",
                "network": "2.1", "server": "2.2", "appsec": "2.3", "info-assets": "2.4"}


ANNEX = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}
ALL = frozenset(SECTIONS)
# Circular 12/2022/TT-BTTTT, duties with no TCVN 11930 clause: key -> (item within the level's annex, levels)
#   1.6 risk management plan and 1.7 ending operation/disposal: listed without a clause in Annexes I-V;
#   II.1 a network zones and II.1 b design measures: in every annex; II.1 b xviii (backup site >= 30 km): Annex V.
BASIS = {"risk.plan": ("item 1.6", ALL), "decommission.plan": ("item 1.7", ALL),
         "design.network-zones": ("part II, item 1 a", ALL), "design.measures": ("part II, item 1 b", ALL),
         "design.backup-site": ("part II, item 1 b xviii", frozenset({5}))}
BASIS_KIND = {"risk": "management", "decommission": "management", "design": "technical"}
# the figures of those items, per level: II.1 a lists zones i-iii (Annex I), i-v (II), i-vii (III), i-viii (IV, V);
# II.1 b lists measures i-iii (I), i-vi (II), i-xvi (III), i-xvii (IV), i-xix (V); b xviii sets 30 km
BASIS_PARAMS = {"design.network-zones": {1: {"zones": 3}, 2: {"zones": 5}, 3: {"zones": 7}, 4: {"zones": 8},
                                         5: {"zones": 8}},
                "design.measures": {1: {"measures": 3}, 2: {"measures": 6}, 3: {"measures": 16}, 4: {"measures": 17},
                                    5: {"measures": 19}},
                "design.backup-site": {5: {"distance_km": 30}}}


def _subclauses(section: str, build: int, operation: int, network: range, server: int, app: int,
                data: int) -> set[str]:
    """The TCVN 11930:2017 sub-clauses one annex of Circular 12/2022 lists (its tables "I. Yêu cầu quản lý" and
    "II.2 Yêu cầu về thiết lập, cấu hình hệ thống"): x.1.1.1-3, x.1.2.1-2, x.1.3.1-3, x.1.4.1-build,
    x.1.5.1-operation; network from x.2.1.2 (x.2.1.1 is never listed), server, application, data."""
    out = {f"{section}.1.1.{i}" for i in (1, 2, 3)} | {f"{section}.1.2.{i}" for i in (1, 2)}
    out |= {f"{section}.1.3.{i}" for i in (1, 2, 3)}
    out |= {f"{section}.1.4.{i}" for i in range(1, build + 1)}
    out |= {f"{section}.1.5.{i}" for i in range(1, operation + 1)}
    out |= {f"{section}.2.1.{i}" for i in network} | {f"{section}.2.2.{i}" for i in range(1, server + 1)}
    out |= {f"{section}.2.3.{i}" for i in range(1, app + 1)} | {f"{section}.2.4.{i}" for i in range(1, data + 1)}
    return out


# Annex I (level 1) ... Annex V (level 5): 26, 33, 41, 41, 41 sub-clauses
SUBCLAUSES = {
    1: _subclauses("5", 2, 3, range(2, 6), 5, 3, 1),
    2: _subclauses("6", 3, 5, range(2, 7), 6, 4, 2),
    **{lv: _subclauses(str(lv + 4), 3, 9, range(2, 8), 6, 6, 3) for lv in (3, 4, 5)},
}
# duties secaudit's controls check whose sub-clause the titles do not show: one extra row at the group clause
GROUP_ROWS = {"network.secure-connections": {1, 2, 3, 4, 5}, "network.admin-source-restrict": {2, 3, 4, 5},
              "server.server-security": {1, 2, 3, 4, 5}, "info-assets.transit-protection": {3, 4, 5}}
# a key keeps its meaning across levels while its number shifts (the circular's numbering)
SHIFTS = {"build.test-acceptance": {1: "5.1.4.2", 2: "6.1.4.3", 3: "7.1.4.3", 4: "8.1.4.3", 5: "9.1.4.3"},
          "operation.incidents": {2: "6.1.5.4", 3: "7.1.5.8", 4: "8.1.5.8", 5: "9.1.5.8"},
          "network.device-protection": {1: "5.2.1.5", 2: "6.2.1.6", 3: "7.2.1.7", 4: "8.2.1.7", 5: "9.2.1.7"},
          "appsec.secure-design": {2: "6.2.3.4", 3: "7.2.3.6", 4: "8.2.3.6", 5: "9.2.3.6"},
          "appsec.non-repudiation": {3: "7.2.3.5", 4: "8.2.3.5", 5: "9.2.3.5"},
          "info-assets.backup": {1: "5.2.4.1", 2: "6.2.4.2", 3: "7.2.4.3", 4: "8.2.4.3", 5: "9.2.4.3"},
          "network.traffic-control": {lv: f"{lv + 4}.2.1.2" for lv in (1, 2, 3, 4, 5)},
          "server.malware": {lv: f"{lv + 4}.2.2.5" for lv in (1, 2, 3, 4, 5)}}

# Keys the network controls name (issue 22, from the TCVN 14423 mapping) and the first level at which
# each control names it. CATALOGUED: this standard has a sub-clause (or group) the duty is a core part of,
# so the key has a row at every level from that one. NOT_CATALOGUED: keys the file's header says it leaves
# out, with the reason; they must stay out until a source shows the standard holds them.
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
# host-family controls that name a key of this catalogue (at every level where the control applies)
HOST_KEYS = {"HOST-SSHD-01": "network.secure-connections", "HOST-AV-01": "server.malware"}
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
    """The rows that cite a clause of the standard (the basis rows are checked on their own)."""
    return [(req, lv, entry) for req, lv, entry in level_rows(catalogue()) if "clause" in entry]


def basis_rows() -> list[tuple[dict, int, dict]]:
    return [(req, lv, entry) for req, lv, entry in level_rows(catalogue()) if "clause" not in entry]


def test_header_names_the_standard_the_regime_and_the_sections():
    doc = catalogue()
    assert (doc["kind"], doc["version"], doc["id"]) == ("requirements", 1, CATALOGUE.stem)
    assert doc["standard"] == "TCVN 11930:2017" and doc["regimes"] == ["decree-85-2016"]
    assert {int(k): v["section"] for k, v in doc["levels"].items()} == SECTIONS
    assert [g["id"] for g in doc["groups"]] == list(GROUPS)
    assert [g["number"] for g in doc["groups"]] == list(range(1, 13))


def test_sources_cover_every_level_with_dates():
    sources = catalogue()["sources"]
    assert set().union(*(set(s["levels"]) for s in sources)) == set(SECTIONS)
    for src in sources:
        assert src["source"].strip() and src["note"].strip()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(src["read_on"]))
    # every level's sub-clauses come from the circular's annexes, read at a recorded commit
    (circular,) = [s for s in sources if s["source"].startswith("Circular 12/2022/TT-BTTTT, Annexes I-V")]
    assert circular["levels"] == [1, 2, 3, 4, 5] and re.fullmatch(r"[0-9a-f]{40}", circular["commit"])


def test_header_comment_states_the_counts_and_what_is_incomplete():
    head = CATALOGUE.read_text(encoding="utf-8").split("\nkind:")[0]
    assert "INCOMPLETE" in head
    counts = ", ".join(f"{lv} -> {n}" for lv, n in ROWS.items())
    assert counts in " ".join(head.replace("#", " ").split())


@pytest.mark.parametrize("level", sorted(SECTIONS))
def test_row_and_clause_counts_per_level(level):
    at_level = [(req, entry) for req, lv, entry in level_rows(catalogue()) if lv == level]
    assert len(at_level) == ROWS[level]
    assert len({entry["clause"] for _, entry in at_level if "clause" in entry}) == CLAUSES[level]
    kinds = Counter(req["kind"] for req, _ in at_level)
    assert kinds == Counter({"management": MANAGEMENT[level], "technical": ROWS[level] - MANAGEMENT[level]})
    based = sum(level in lvls for _, lvls in BASIS.values())
    assert len(SUBCLAUSES[level]) == ROWS[level] - sum(level in lvls for lvls in GROUP_ROWS.values()) - based


def test_keys_are_unique_and_in_their_group():
    keys = [req["key"] for req in catalogue()["requirements"]]
    assert len(keys) == len(set(keys)), [k for k, n in Counter(keys).items() if n > 1]
    for req in catalogue()["requirements"]:
        assert req["group"] in GROUPS and req["key"].split(".")[0] == req["group"], req["key"]
        kind = BASIS_KIND.get(req["group"]) or ("management" if GROUP_CLAUSE[req["group"]].startswith("1.")
                                                else "technical")
        assert req["kind"] == kind, req["key"]


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


@pytest.mark.parametrize("level", sorted(SECTIONS))
def test_one_row_per_sub_clause_the_circular_lists_and_no_other_number(level):
    """Every sub-clause of the level's annex is exactly one row; no sub-clause outside the annex (no x.2.1.1,
    no 7.1.5.10-11, no lettered item); the only other rows are the duties of GROUP_ROWS at their group clause."""
    at_level = [(req, entry) for req, lv, entry in rows() if lv == level]
    deep = Counter(entry["clause"] for _, entry in at_level if entry["clause"].count(".") > 2)
    assert set(deep) == SUBCLAUSES[level] and set(deep.values()) == {1}
    shallow = {req["key"]: entry["clause"] for req, entry in at_level if entry["clause"].count(".") == 2}
    assert set(shallow) == {key for key, lvls in GROUP_ROWS.items() if level in lvls}
    for key, clause in shallow.items():
        group = next(req["group"] for req, _ in at_level if req["key"] == key)
        assert clause == f"{SECTIONS[level]}.{GROUP_CLAUSE[group]}", key


def test_numbers_shift_across_levels_while_the_key_stays():
    doc = {req["key"]: req for req in catalogue()["requirements"]}
    for key, clauses in SHIFTS.items():
        assert {int(lv): e["clause"] for lv, e in doc[key]["levels"].items()} == clauses, key
    # requirements the circular lists only from some level on
    assert set(doc["build.outsourced-development"]["levels"]) == {2, 3, 4, 5}
    assert set(doc["server.handover"]["levels"]) == {2, 3, 4, 5}
    assert set(doc["network.malware-filtering"]["levels"]) == {3, 4, 5}


def test_text_in_both_languages_with_placeholders_filled():
    for req, level, entry in rows():
        text, _ = effective(req, entry)
        params = entry.get("params", {})
        assert text["en"].strip() and text["vi"].strip() and text["en"] != text["vi"], req["key"]
        assert VIETNAMESE_RE.search(text["vi"].lower()), (req["key"], text["vi"])
        for lang in ("en", "vi"):
            assert set(PLACEHOLDER_RE.findall(text[lang])) <= set(params), (req["key"], level, lang)
            assert text[lang].format(**params)
    # no threshold of the standard could be verified, so no clause row claims one
    assert not [req["key"] for req, _, entry in rows() if entry.get("params")]
    assert not [req["key"] for req in catalogue()["requirements"] if req.get("params")]


def test_basis_rows_are_the_circulars_duties_without_a_clause_at_the_levels_it_sets_them():
    """Items 1.6 and 1.7 and part II.1 of each annex: one row each, citing the annex of its level in English and
    Vietnamese, with the figures the item gives; text filled in both languages; an attestation to verify."""
    found: dict[str, set[int]] = {}
    for req, level, entry in basis_rows():
        assert set(entry) <= {"basis", "params", "text", "verify"}, (req["key"], level)
        item, _ = BASIS[req["key"]]
        assert entry["basis"] == {
            "en": f"Circular 12/2022/TT-BTTTT Annex {ANNEX[level]}, {item}",
            "vi": f"Thông tư 12/2022/TT-BTTTT Phụ lục {ANNEX[level]}, " + item.replace("part", "phần").replace(
                "item 1 b xviii", "mục 1 điểm b tiết xviii").replace("item 1 a", "mục 1 điểm a").replace(
                "item 1 b", "mục 1 điểm b").replace("item", "mục")}, (req["key"], level)
        assert entry.get("params", {}) == BASIS_PARAMS.get(req["key"], {}).get(level, {}), (req["key"], level)
        text, verify = effective(req, entry)
        for lang in ("en", "vi"):
            assert text[lang].format(**entry.get("params", {})) and VIETNAMESE_RE.search(text["vi"].lower())
        assert means(verify, "attest"), req["key"]
        found.setdefault(req["key"], set()).add(level)
    assert found == {key: set(lvls) for key, (_, lvls) in BASIS.items()}
    loaded = load_catalogue(CATALOGUE)
    zones = loaded.row("design.network-zones", 5)
    site = loaded.row("design.backup-site", 5)
    assert zones is not None and site is not None and loaded.row("design.backup-site", 4) is None
    assert "at least 8:" in zones.text.en and "30 km" in site.text.en and "30 km" in site.text.vi


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


def test_control_keys_cite_their_sub_clause_or_group_clause():
    doc = {req["key"]: req for req in catalogue()["requirements"]}
    for key in CATALOGUED:
        for level, entry in doc[key]["levels"].items():
            group_clause = f"{SECTIONS[int(level)]}.{GROUP_CLAUSE[doc[key]['group']]}"
            expected = SHIFTS[key][int(level)] if key in SHIFTS else group_clause
            assert entry["clause"] == expected, key
    # a scan of the control evidences its key's row wherever both are in force
    assert "PORT-MGMT-01" not in means(doc["network.traffic-control"]["levels"][1]["verify"], "scan")
    assert "PORT-MGMT-01" in means(doc["network.traffic-control"]["verify"], "scan")


def test_host_controls_are_listed_by_the_rows_of_the_keys_they_name():
    doc = {req["key"]: req for req in catalogue()["requirements"]}
    named = {}
    for path in (ROOT / "policies" / "levels").glob("*.yaml"):
        for c in yaml.safe_load(path.read_text(encoding="utf-8"))["controls"]:
            named[c["id"]] = set(c.get("requirements", []))
    for control, key in HOST_KEYS.items():
        assert key in named[control], control
        applies = {lv for lv, ids in controls_in_force().items() if control in ids}
        assert applies & {int(lv) for lv in doc[key]["levels"]}, control
        for level in applies & {int(lv) for lv in doc[key]["levels"]}:
            _, verify = effective(doc[key], doc[key]["levels"][level])
            assert control in means(verify, "host"), (control, key, level)
    # the management row of malware is attested; the technical row takes the host check
    assert not means(doc["operation.malware"]["verify"], "host")


@pytest.mark.parametrize("level", sorted(SECTIONS))
def test_the_loader_reads_the_file_and_the_regime_finds_it(level):
    loaded = load_catalogue(CATALOGUE)
    assert catalogue_for_regime("decree-85-2016").id == "tcvn-11930-2017"
    assert len(loaded.rows(level)) == ROWS[level]
    for row in loaded.rows(level):
        if row.basis is None:
            assert row.clause.startswith(SECTIONS[level] + ".")
        else:
            assert row.clause == "" and row.cited("en") == row.basis.en and row.cited("vi") == row.basis.vi
        assert row.text.en and row.text.vi and row.verify
    # the basis rows come after every clause row (their groups have none): risk, ending operation, design
    tail = [r.key for r in loaded.rows(level) if r.basis is not None]
    assert [r.key for r in loaded.rows(level)][-len(tail):] == tail
    assert tail == [k for k in BASIS if level in BASIS[k][1]]
    cited = loaded.row("network.traffic-control", level)
    assert cited is not None and cited.clause == f"{SECTIONS[level]}.2.1.2"
    first = [r.clause for r in loaded.rows(level)][:2]
    assert first == [f"{SECTIONS[level]}.1.1.1", f"{SECTIONS[level]}.1.1.2"]


def test_assess_judges_every_sub_clause_row_and_reads_scan_and_host_findings_through_the_keys():
    """A level-4 system under Decree 85: its 49 rows (45 with a clause, in clause order, then 4 with a basis); HOST-AV-01 failing makes x.2.2.5 not met even
    with an attestation; the boundary scans and an attestation make x.2.1.2 met; a row with no evidence stays
    not assessed, and the level is not claimed."""
    import datetime as dt

    from secaudit.requirements.assessment import assess_system, index_evidence
    from secaudit.requirements.model import (
        ControlFinding, EntryKind, EntryStatus, Officer, Register, RegisterEntry, Result,
    )

    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
    seen = now - dt.timedelta(days=2)
    findings = [ControlFinding("s", cid, "127.22.0.9:443", verdict, seen, "run-1", "")
                for cid, verdict in (("PORT-UNDECL-01", "pass"), ("PORT-MGMT-01", "pass"), ("HOST-AV-01", "fail"))]
    officer = Officer("Nguyễn Văn An", "CISO")
    entries = tuple(RegisterEntry(f"e{i}", (key,), None, EntryKind.ATTESTATION, key, officer, dt.date(2026, 11, 2),
                                  EntryStatus.IN_PLACE)
                    for i, key in enumerate(("network.traffic-control", "server.malware")))
    cat = catalogue_for_regime("decree-85-2016")
    s = assess_system("s", "System S", 4, "decree-85-2016", cat, index_evidence(findings, Register(entries), ()), now)
    rows = {r.row.key: r for r in s.rows}
    assert len(s.rows) == ROWS[4] and s.rows[0].row.clause == "8.1.1.1"
    boundary, malware = rows["network.traffic-control"], rows["server.malware"]
    assert (boundary.row.clause, boundary.result) == ("8.2.1.2", Result.MET)
    assert (malware.row.clause, malware.result) == ("8.2.2.5", Result.NOT_MET)
    assert rows["operation.malware"].result is Result.NOT_ASSESSED
    risk = rows["risk.plan"]
    assert risk.result is Result.NOT_ASSESSED and risk.row.cited("en").endswith("Annex IV, item 1.6")
    assert not s.compliant
