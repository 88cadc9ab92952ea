"""Policies × catalogue: every clause a control cites comes from the TCVN 14423:2026 catalogue at the level
of the system, so a level-4 system is never shown a level-3 clause (issue 22 item 2)."""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.evaluate import evaluate
from secaudit.plan import SystemAssessment
from secaudit.policy import PolicyLibrary, default_library
from secaudit.report.dossier import render_dossier
from secaudit.report.json_report import JsonFormat
from secaudit.requirements.catalogue import available_catalogues, catalogue_for_regime, load_catalogue
from secaudit.requirements.citation import Citer, citer_for
from secaudit.results_file import load_results_file

from .classify.helpers import endpoint, inventory, system

LEVELS = (1, 2, 3, 4, 5)
STANDARD = "TCVN 14423:2026"


@pytest.fixture(scope="module")
def cat():
    return catalogue_for_regime("decree-331-2026")


@pytest.fixture(scope="module")
def library() -> PolicyLibrary:
    return default_library()


@pytest.fixture(scope="module")
def resolved(library):
    return {lvl: library.resolve(library.level_policy_id(lvl)) for lvl in LEVELS}


@pytest.fixture(scope="module")
def citer(cat) -> Citer:
    return Citer(STANDARD, cat)


def every_control(library):
    """(policy id, control) of every shipped policy file, discovery included (policies/families/)."""
    out = [(pid, c) for pid, p in library.policies.items() for c in p.controls]
    assert "discovery" in library.policies
    return out


def test_every_key_a_control_names_is_a_row_of_a_catalogue_at_a_level_where_it_applies(library, resolved):
    """A control names the keys of both standards it evidences (PORT-NOAUTH-01: account.default-disabled of
    TCVN 14423, server.server-security of TCVN 11930); each key is a row of a shipped catalogue at a level where
    that definition of the control applies (at other levels, or under the other regime, it is not cited)."""
    catalogues = [load_catalogue(p) for p in available_catalogues()]
    assert {c.id for c in catalogues} >= {"tcvn-14423-2026", "tcvn-11930-2017"}
    applies: dict[tuple[str, str], set[int]] = defaultdict(set)      # (origin policy, control) -> levels
    for lvl, r in resolved.items():
        for c in r.controls:
            applies[(r.overrides[c.id], c.id)].add(lvl)
    named = 0
    for pid, c in every_control(library):
        levels = applies.get((pid, c.id)) or set(LEVELS)               # a profile applies at any level
        for key in c.requirements:
            named += 1
            assert any(cat.row(key, lvl) for cat in catalogues for lvl in levels), (pid, c.id, key, sorted(levels))
    assert named > 60


def test_at_every_level_a_control_cites_clauses_of_that_levels_section_only(resolved, citer):
    for lvl, r in resolved.items():
        section = f"{STANDARD} {lvl + 2}."
        for c in r.controls:
            cited = citer.citations(c.requirements, lvl)
            if not c.requirements:                  # advisory controls (WEB-REF-01, ...) cite no requirement
                assert c.id in {"WEB-REF-01", "WEB-COOKIE-02", "MAIL-DANE-01"}, c.id
                continue
            assert cited and all(x.startswith(section) for x in cited), (lvl, c.id, cited)


@pytest.mark.parametrize("regime", ["decree-331-2026", "decree-85-2016"])
def test_the_controls_keys_and_the_catalogues_scan_means_agree_level_by_level(resolved, regime):
    """A row lists `scan: C` (or `host: C`) at level L exactly when control C, in force at L, names the row's key: `assess`
    (which reads findings through the keys) and the citations can never disagree. No exception under either regime
    (MAIL-MX-01, TLS-OCSP-01, HOST-SSHD-01 and HOST-AV-01 were once listed here for TCVN 11930)."""
    cat = catalogue_for_regime(regime)
    for lvl, r in resolved.items():
        by_scan: dict[str, set[str]] = defaultdict(set)
        for row in cat.rows(lvl):
            for m in row.verify:
                if m.kind in ("scan", "host"):           # network and host-family controls alike
                    by_scan[m.control].add(row.key)
        for c in r.controls:
            named = {k for k in c.requirements if cat.row(k, lvl)}
            listed = by_scan.pop(c.id, set())
            assert named == listed, (lvl, c.id)
        assert set(by_scan) <= {"DISC-01"}, (lvl, by_scan)   # discovery runs per zone, not per level


def test_under_decree_85_controls_cite_tcvn_11930_clauses_of_the_level_or_name_the_key(resolved):
    """TCVN 11930 is catalogued at sub-clause level: a control cites the sub-clause (or, where the titles do not
    show the sub-clause, the group clause) of its key at the system's level (section 5 at level 1 ... 9 at
    level 5), or, where the standard has no such row (e-mail), the key."""
    citer = citer_for("decree-85-2016", "TCVN 11930:2017")
    clauses = 0
    for lvl, r in resolved.items():
        for c in r.controls:
            for cited in citer.citations(c.requirements, lvl):
                assert cited.startswith((f"TCVN 11930:2017 {lvl + 4}.", "TCVN 11930:2017 [")), (lvl, c.id, cited)
                clauses += "[" not in cited
    assert clauses > 40
    assert citer.citations(resolved[3].control("PORT-NOAUTH-01").requirements, 3) == ("TCVN 11930:2017 7.2.2",)
    # sub-clauses as Circular 12/2022's annexes number them at each level
    assert citer.citations(resolved[1].control("PORT-UNDECL-01").requirements, 1) == ("TCVN 11930:2017 5.2.1.2",)
    assert citer.citations(resolved[3].control("WEB-CSP-01").requirements, 3) == ("TCVN 11930:2017 7.2.3.6",)
    assert citer.citations(resolved[4].control("HOST-AV-01").requirements, 4) == ("TCVN 11930:2017 8.2.2.5",)
    assert citer.citations(resolved[3].control("MAIL-SPF-01").requirements, 3) == (
        "TCVN 11930:2017 [browser-mail.mail-security]",)


def test_no_control_keeps_a_free_text_clause_of_a_standard(library):
    for pid, c in every_control(library):
        for ref in c.references:
            assert not re.match(r"(TCVN|Circular|Thông tư)\b", ref), (pid, c.id, ref)


@pytest.mark.parametrize("control, level, cited, not_cited", [
    ("PORT-NOAUTH-01", 1, ["3.6.2.3"], ["3.6.2.4"]),             # default accounts are x.6.2.3, not x.6.2.4
    ("PORT-NOAUTH-01", 4, ["6.6.2.3"], ["6.6.2.4"]),
    ("SSH-ALG-01", 4, ["6.12.2.3", "6.4.2.4 e"], ["6.12.2.5", "6.12.2.6"]),   # secure protocols, not VPN/jump host
    ("TLS-CIPH-01", 4, ["6.4.2.4 e"], ["6.4.2.4 c"]),             # strong algorithms, not two-layer encryption
    ("TLS-CIPH-01", 3, ["5.4.2.4 b"], ["5.4.2.4 c"]),
    ("CERT-TRUST-01", 3, ["5.4.2.4 b"], ["5.4.2.8"]),             # not digital signatures on exchanged data
    ("WEB-CSP-01", 3, ["5.17.2.3"], []),                          # no more "§5 … clause to confirm"
    ("WEB-CSP-01", 4, ["6.16.2.7"], []),
    ("MAIL-DMARC-01", 4, ["6.9.2.5", "6.9.2.1 c"], ["5.9.2.1 c"]),
])
def test_the_wrong_citations_of_issue_22_are_right_by_construction(resolved, citer, control, level, cited,
                                                                  not_cited):
    refs = citer.citations(resolved[level].control(control).requirements, level)
    for clause in cited:
        assert f"{STANDARD} {clause}" in refs, refs
    for clause in not_cited:
        assert f"{STANDARD} {clause}" not in refs, refs


def test_the_level_4_security_plan_cites_level_4_clauses_only():
    inv = inventory(system("industrial_control", "ho-chua", name="Hồ chứa", information=["private"],
                           works_grade="I", declared=4, endpoints=(endpoint("127.22.0.1", 8443),)))
    regime = load_regime("decree-331-2026")
    (result,) = classify_inventory(inv, regime, ["ho-chua"])
    md = render_dossier("md", inv, "ho-chua", result, regime, "en")
    plan = md.split("## 4. ")[1].split("## 5. ")[0]
    clauses = re.findall(r"TCVN 14423:2026 (\d+)\.", plan)
    assert clauses and set(clauses) == {"6"}, clauses
    for wrong in ("3.6.2.4", "4.5.2.1", "5.12.2.4", "5.9.2.1"):
        assert wrong not in plan


def test_findings_cite_the_clause_of_their_systems_level_and_regime(library, cat):
    """Two systems at levels 3 and 4 share PORT-NOAUTH-01 (one definition): each finding cites its own level;
    without a catalogue the standard and the key are named, never a clause."""
    from secaudit.assess import level_policies
    from secaudit.checks import REGISTRY
    from secaudit.model import Endpoint, Purpose, Service, System

    def assessment(sid: str, level: int) -> SystemAssessment:
        s = System(id=sid, name=sid, purpose=Purpose.INTERNAL,
                   endpoints=(Endpoint(host="127.22.0.2", port=443, service=Service.HTTPS),))
        return SystemAssessment(s, level, None, level, "", level_policies(library, level))

    a3, a4 = assessment("s3", 3), assessment("s4", 4)
    ev = evaluate([a3, a4], [], REGISTRY, citer=citer_for("decree-331-2026", STANDARD))
    noauth = {f.system_id: f.references for f in ev.findings if f.control_id == "PORT-NOAUTH-01"}
    assert noauth == {"s3": (f"{STANDARD} 5.6.2.3",), "s4": (f"{STANDARD} 6.6.2.3",)}
    ev85 = evaluate([a3], [], REGISTRY, citer=Citer("TCVN 11930:2017", None))
    (refs,) = {f.references for f in ev85.findings if f.control_id == "PORT-NOAUTH-01"}
    assert refs == ("TCVN 11930:2017 [account.default-disabled]", "TCVN 11930:2017 [server.server-security]")


def test_a_results_document_of_version_1_still_reads(tmp_path):
    from tests.report.conftest import make_results

    doc = json.loads(JsonFormat().render(make_results(), "en"))
    assert doc["schema"] == "secaudit/results/v2"
    doc["schema"] = "secaudit/results/v1"
    for control in doc["controls"]:
        control.pop("requirements", None)
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    old = load_results_file(str(path))
    assert old.findings == make_results().findings and all(not c.requirements for c in old.controls)



def test_a_systems_scope_counts_network_and_host_controls_apart_and_the_rows_they_evidence(resolved, cat):
    """What a scan report says of one level-3 system: network controls passed, host checks passed, and how many of
    the level's 195 rows the judged controls evidence — never more."""
    from secaudit.model import Finding, Message, SystemResult, Verdict
    from secaudit.report.view import network_scope

    controls = {c.id: c for c in resolved[3].controls}
    host_id = next(c.id for c in resolved[3].controls if c.check.startswith("host."))

    def f(cid: str, verdict: Verdict) -> Finding:
        return Finding(cid, "s", "t", verdict, controls[cid].severity, Message("m"))

    findings = [f("PORT-NOAUTH-01", Verdict.PASS), f("TLS-PROTO-01", Verdict.FAIL),
                f("WEB-CSP-01", Verdict.NOT_APPLICABLE), f(host_id, Verdict.PASS)]
    scope = network_scope(SystemResult("s", "S", 3, None, 3, 0), findings, controls, cat)
    assert (scope.controls_passed, scope.controls_total, scope.controls_na) == (1, 3, 1)
    assert (scope.host_passed, scope.host_judged, scope.level_rows) == (1, 1, 195)
    keys = set(controls["PORT-NOAUTH-01"].requirements) | set(controls["TLS-PROTO-01"].requirements) | set(
        controls[host_id].requirements)
    assert scope.rows_evidenced == sum(1 for r in cat.rows(3) if r.key in keys) > 0
    assert scope.lines("en")[1] == "host checks: 1/1 pass"
