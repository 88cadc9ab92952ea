"""Table-driven classification under both regimes (design §8.3, §8.4).

Each case: a system's facts, the expected level (None = undetermined), the deciding criterion (or
interpretation, or component) of the level or of the lower bound, and for undetermined cases the
facts the engine must ask for and the lower bound it is already sure of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from secaudit.classify.engine import classify_system
from secaudit.classify.regime import load_regime
from secaudit.classify.result import DeclaredStatus, Status

from .helpers import system


@dataclass(frozen=True)
class Case:
    name: str
    purpose: str
    facts: dict[str, Any]
    level: int | None
    deciding: str | None
    missing: frozenset[str] = frozenset()
    lower: int | None = None                       # expected lower bound when undetermined
    interpretations: tuple[str, ...] = ()
    declared: int | None = None
    declared_status: DeclaredStatus | None = None


def C(name: str, purpose: str, level: int | None, deciding: str | None, *, missing: tuple[str, ...] = (),
      lower: int | None = None, interp: tuple[str, ...] = (), declared: int | None = None,
      declared_status: DeclaredStatus | None = None, **facts: Any) -> Case:
    return Case(name, purpose, facts, level, deciding, frozenset(missing), lower, interp, declared,
                declared_status)


PUB = ["public"]
PERS = ["public", "personal"]

D85 = [
    # level 1 and 2, internal
    C("internal system with only public information", "internal", 1, "d85-7", information=PUB),
    C("internal system with private information", "internal", 2, "d85-8.1", information=["public", "private"]),
    C("internal system with personal information", "internal", 2, "d85-8.1", information=["personal"]),
    C("internal system without declared information", "internal", None, None,
      missing=("damage", "information"), lower=0),
    # citizen-facing
    C("online public service level 2, not conditional, 5,000 users", "public_service", 2, "d85-8.2.a",
      information=PERS, online_service_level=2, conditional_business=False, pd_users=5000),
    C("information portal with only public information", "public_service", 2, "d85-8.2.a",
      information=PUB, online_service_level=1, conditional_business=False, interp=("public-info-portal",)),
    C("online service level not declared: level 3 still possible", "public_service", None, "d85-8.2.b",
      information=PUB, conditional_business=False, missing=("online_service_level",), lower=2,
      interp=("public-info-portal",)),
    C("neither service level nor conditional status declared", "public_service", None, "d85-8.2.c",
      information=PERS, pd_users=5000, missing=("conditional_business", "online_service_level"), lower=2),
    C("boundary: 9,999 users is level 2", "public_service", 2, "d85-8.2.a",
      information=PERS, online_service_level=2, conditional_business=False, pd_users=9999),
    C("boundary: 10,000 users is level 3", "public_service", 3, "d85-9.2.c",
      information=PERS, online_service_level=2, conditional_business=False, pd_users=10000),
    C("overlap: non-conditional online service with 50,000 users is level 3", "public_service", 3, "d85-9.2.c",
      information=PERS, online_service_level=2, conditional_business=False, pd_users=50000),
    C("online public service level 3", "public_service", 3, "d85-9.2.a",
      information=PERS, online_service_level=3, conditional_business=False, pd_users=100),
    C("online public service level 4 with many users", "public_service", 3, "d85-9.2.a",
      information=PERS, online_service_level=4, conditional_business=False, pd_users=200000),
    C("online service in the conditional-business list", "public_service", 3, "d85-9.2.b",
      information=PERS, online_service_level=2, conditional_business=True, pd_users=100),
    C("personal data without user count: undetermined", "public_service", None, "d85-8.2.a",
      information=PERS, online_service_level=2, conditional_business=False,
      missing=("personal_data.users",), lower=2),
    C("user count irrelevant at online level 3", "public_service", 3, "d85-9.2.a",
      information=PERS, online_service_level=3, conditional_business=False),
    # infrastructure
    C("infrastructure of one organisation", "infrastructure", 2, "d85-8.3", information=PUB, scope="organisation"),
    C("infrastructure of one province", "infrastructure", 3, "d85-9.3", information=PUB, scope="province"),
    C("infrastructure of several provinces", "infrastructure", 3, "d85-9.3", information=PUB,
      scope="several_provinces"),
    C("infrastructure of a ministry counts as a sector", "infrastructure", 3, "d85-9.3", information=PUB,
      scope="ministry"),
    C("nationwide infrastructure running 24/7", "infrastructure", 4, "d85-10.3", information=PUB,
      scope="national", continuous_operation=True, interp=("wide-infrastructure",)),
    C("nationwide infrastructure not 24/7", "infrastructure", 3, "wide-infrastructure", information=PUB,
      scope="national", continuous_operation=False, interp=("wide-infrastructure",)),
    C("nationwide infrastructure, 24/7 not declared", "infrastructure", None, "wide-infrastructure",
      information=PUB, scope="national", missing=("continuous_operation",), lower=3,
      interp=("wide-infrastructure",)),
    C("international interconnection", "infrastructure", 5, "d85-11.3", information=PUB, scope="international",
      continuous_operation=True, interp=("wide-infrastructure",)),
    C("infrastructure without scope", "infrastructure", None, None, information=PUB,
      missing=("continuous_operation", "scope"), lower=0),
    # industrial control
    C("industrial control, grade II works", "industrial_control", 3, "d85-9.4", information=["private"],
      works_grade="II"),
    C("industrial control, grade IV works", "industrial_control", 3, "d85-9.4", information=["private"],
      works_grade="IV"),
    C("industrial control, grade I works", "industrial_control", 4, "d85-10.4", information=["private"],
      works_grade="I"),
    C("industrial control, special-grade works", "industrial_control", 5, "d85-11.4", information=["private"],
      works_grade="special"),
    C("industrial control, works important to national security", "industrial_control", 5, "d85-11.4",
      information=["private"], works_grade="III", works_national_security=True),
    C("industrial control without works grade", "industrial_control", None, None, information=["private"],
      missing=("works_grade",), lower=0),
    # state secrets, defence and security
    C("state secret, damage harm", "internal", 3, "d85-9.1", information=["private", "state_secret"],
      damage="harm"),
    C("state secret, serious damage", "internal", 4, "d85-10.1", information=["state_secret"], damage="serious"),
    C("defence system, especially serious damage", "internal", 5, "d85-11.1", information=["private"],
      defence_security=True, damage="especially_serious"),
    C("grade Mật without damage assessment: heuristic level 3", "internal", 3, "d85-9.1",
      information=["state_secret"], secret_grade="confidential", interp=("secret-grade-confidential",)),
    C("grade Tối mật without damage assessment: heuristic level 4", "internal", 4, "d85-10.1",
      information=["state_secret"], secret_grade="secret", interp=("secret-grade-secret",)),
    C("grade Tuyệt mật without damage assessment: heuristic level 5", "internal", 5, "d85-11.1",
      information=["state_secret"], secret_grade="top_secret", interp=("secret-grade-top-secret",)),
    C("state secret with neither damage nor grade", "internal", None, None, information=["state_secret"],
      missing=("damage",), lower=0),
    # national systems
    C("national e-Government system running 24/7", "internal", 4, "d85-10.2", information=["private"],
      national_egov=True, continuous_operation=True),
    C("national e-Government system, 24/7 not declared", "internal", None, "d85-8.1", information=["private"],
      national_egov=True, missing=("continuous_operation",), lower=2),
    C("centralised store of national data", "internal", 5, "d85-11.2", information=["private"],
      national_data_store=True),
    C("designated level 5 by the Prime Minister", "internal", 5, "d85-11.5", information=PUB, designated_level=5),
    C("purpose other with nothing matched", "other", None, None, information=PERS, missing=("purpose",), lower=0),
    # declared level
    C("declared level lower than computed", "internal", 2, "d85-8.1", information=["personal"], declared=1,
      declared_status=DeclaredStatus.LOWER),
    C("declared level higher than computed", "internal", 1, "d85-7", information=PUB, declared=3,
      declared_status=DeclaredStatus.HIGHER),
    C("declared level matches", "internal", 2, "d85-8.1", information=["private"], declared=2,
      declared_status=DeclaredStatus.MATCHES),
]

D331 = [
    C("internal system with only public information", "internal", 1, "d331-11.1", information=PUB),
    C("internal system with private information", "internal", 2, "d331-12.1", information=["private"]),
    C("internal system with personal information", "internal", 2, "d331-12.1", information=PERS),
    # citizen-facing
    C("online service, not conditional, no administrative procedures", "public_service", 2, "d331-12.2.a",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=5000,
      pd_sensitive=0),
    C("regime difference: online public service level 2 handles procedures", "public_service", 3, "d331-13.2.b",
      information=PERS, online_service_level=2, administrative_procedures=True, conditional_business=False,
      pd_users=5000, pd_basic=5000, pd_sensitive=0),
    C("conditional status not declared", "public_service", None, "d331-12.2.b",
      information=PERS, administrative_procedures=False, pd_basic=5000, pd_sensitive=0,
      missing=("conditional_business",), lower=2),
    C("boundary: 99,999 basic subjects is level 2", "public_service", 2, "d331-12.2.a",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=99999,
      pd_sensitive=0),
    C("boundary: 100,000 basic subjects is level 3", "public_service", 3, "d331-13.2.c",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=100000,
      pd_sensitive=0),
    C("boundary: 9,999 sensitive subjects is level 2", "public_service", 2, "d331-12.2.a",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=20000,
      pd_sensitive=9999),
    C("boundary: 10,000 sensitive subjects is level 3", "public_service", 3, "d331-13.2.c",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=20000,
      pd_sensitive=10000),
    C("personal data without subject counts: undetermined", "public_service", None, "d331-12.2.a",
      information=PERS, administrative_procedures=False, conditional_business=False,
      missing=("personal_data.basic", "personal_data.sensitive"), lower=2),
    C("only sensitive count missing", "public_service", None, "d331-12.2.a",
      information=PERS, administrative_procedures=False, conditional_business=False, pd_basic=10,
      missing=("personal_data.sensitive",), lower=2),
    C("counts irrelevant when procedures are handled", "public_service", 3, "d331-13.2.b",
      information=PERS, administrative_procedures=True, conditional_business=False),
    C("online service in the conditional-business list", "public_service", 3, "d331-13.2.a",
      information=PERS, administrative_procedures=False, conditional_business=True, pd_basic=10, pd_sensitive=0),
    C("administrative procedures not declared", "public_service", None, "d331-12.2.a",
      information=PUB, conditional_business=False, missing=("administrative_procedures",), lower=2,
      interp=("public-info-portal",)),
    C("information portal, only public information", "public_service", 2, "d331-12.2.a",
      information=PUB, conditional_business=False, administrative_procedures=False,
      interp=("public-info-portal",)),
    # infrastructure
    C("infrastructure of one organisation", "infrastructure", 2, "d331-12.3", information=PUB,
      scope="organisation"),
    C("infrastructure of one ministry", "infrastructure", 3, "d331-13.3", information=PUB, scope="ministry"),
    C("infrastructure of one sector", "infrastructure", 3, "d331-13.3", information=PUB, scope="sector"),
    C("nationwide infrastructure running 24/7", "infrastructure", 4, "d331-14.2", information=PUB,
      scope="national", continuous_operation=True, interp=("wide-infrastructure",)),
    C("nationwide infrastructure not 24/7", "infrastructure", 3, "wide-infrastructure", information=PUB,
      scope="national", continuous_operation=False, interp=("wide-infrastructure",)),
    C("international interconnection", "infrastructure", 5, "d331-15.3", information=PUB, scope="international",
      continuous_operation=False, interp=("wide-infrastructure",)),
    # industrial control
    C("industrial control, grade III works", "industrial_control", 3, "d331-13.4", information=["private"],
      works_grade="III"),
    C("industrial control, grade I works", "industrial_control", 4, "d331-14.3", information=["private"],
      works_grade="I"),
    C("industrial control, special-grade works", "industrial_control", 5, "d331-15.4", information=["private"],
      works_grade="special"),
    C("industrial control without works grade", "industrial_control", None, None, information=["private"],
      missing=("works_grade",), lower=0),
    C("industrial control for national security, grade unknown", "industrial_control", 5, "d331-15.4",
      information=["private"], works_national_security=True),
    # state secrets, defence and security
    C("state secret, damage harm", "internal", 3, "d331-13.1", information=["state_secret"], damage="harm"),
    C("security system, serious damage", "internal", 4, "d331-14.1", information=["private"],
      defence_security=True, damage="serious"),
    C("strategic system, especially serious damage", "internal", 5, "d331-15.1", information=["state_secret"],
      damage="especially_serious", strategic=True),
    C("especially serious damage, not strategic", "internal", 4, "especially-serious-not-strategic",
      information=["state_secret"], damage="especially_serious", strategic=False,
      interp=("especially-serious-not-strategic",)),
    C("especially serious damage, strategic not declared", "internal", None, None,
      information=["state_secret"], damage="especially_serious", missing=("strategic",), lower=0),
    C("grade Mật without damage assessment", "internal", 3, "d331-13.1", information=["state_secret"],
      secret_grade="confidential", interp=("secret-grade-confidential",)),
    C("grade Tối mật without damage assessment", "internal", 4, "d331-14.1", information=["state_secret"],
      secret_grade="secret", interp=("secret-grade-secret",)),
    C("grade Tuyệt mật, strategic", "internal", 5, "d331-15.1", information=["state_secret"],
      secret_grade="top_secret", strategic=True, interp=("secret-grade-top-secret",)),
    # national systems and designations
    C("national e-Government system running 24/7", "internal", 4, "d331-14.2", information=["private"],
      national_egov=True, continuous_operation=True),
    C("centralised store of national data", "internal", 5, "d331-15.2", information=["private"],
      national_data_store=True),
    C("designated level 2", "internal", 2, "d331-12.4", information=PUB, designated_level=2),
    C("designated level 3", "internal", 3, "d331-13.5", information=PUB, designated_level=3),
    C("designated level 4", "internal", 4, "d331-14.4", information=PUB, designated_level=4),
    C("designated level 5", "internal", 5, "d331-15.5", information=PUB, designated_level=5),
    C("risk assessment proposes level 2", "internal", 2, "d331-10.5-l2", information=PUB, risk_assessed_level=2),
    C("risk assessment raises to level 3", "internal", 3, "d331-10.5-l3", information=["private"],
      risk_assessed_level=3),
    C("risk assessment raises to level 4", "internal", 4, "d331-10.5-l4", information=["private"],
      risk_assessed_level=4),
    C("risk assessment raises to level 5", "internal", 5, "d331-10.5-l5", information=["private"],
      risk_assessed_level=5),
    C("risk assessment below the criteria does not lower the level", "internal", 2, "d331-12.1",
      information=["private"], risk_assessed_level=1),
    C("purpose other with nothing matched", "other", None, None, information=PERS, missing=("purpose",), lower=0),
    C("declared level lower than computed", "public_service", 3, "d331-13.2.b", information=PERS,
      administrative_procedures=True, declared=2, declared_status=DeclaredStatus.LOWER),
    C("declared level higher than computed", "internal", 1, "d331-11.1", information=PUB, declared=2,
      declared_status=DeclaredStatus.HIGHER),
    C("declared level below the lower bound of an undetermined system", "industrial_control", None, "d331-13.4",
      works_grade="II", declared=2, lower=3, declared_status=DeclaredStatus.LOWER,
      missing=("damage", "information", "strategic")),
]

REGIMES = {"decree-85-2016": D85, "decree-331-2026": D331}


def _params() -> list[Any]:
    return [pytest.param(regime, case, id=f"{regime}: {case.name}") for regime, cases in REGIMES.items()
            for case in cases]


def _deciding_id(result: Any) -> str | None:
    return result.deciding.id if result.deciding else None


@pytest.mark.parametrize(("regime_id", "case"), _params())
def test_given_system_facts_when_classified_then_level_and_deciding_criterion(regime_id: str, case: Case) -> None:
    regime = load_regime(regime_id)
    result = classify_system(system(case.purpose, declared=case.declared, **case.facts), regime)

    assert result.level == case.level, result
    assert _deciding_id(result) == case.deciding
    if case.level is None:
        assert set(result.missing) == case.missing
        assert result.lower_bound == case.lower
        assert result.notes and result.notes[-1].key == "classify.note.undetermined"
    else:
        assert result.missing == ()
        assert result.lower_bound == result.upper_bound == case.level
        # the deciding criterion is met and of the system's level
        if result.deciding.kind == "criterion":
            crit = next(c for c in result.criteria if c.id == case.deciding)
            assert crit.status is Status.MET and crit.level == case.level
    assert {i.id for i in result.interpretations} == set(case.interpretations)
    # every criterion of the regime has a status, in file order
    assert [c.id for c in result.criteria] == [c.id for c in regime.criteria]
    if case.declared_status is not None:
        assert result.declared_status is case.declared_status
        assert bool(result.warnings) == (case.declared_status is DeclaredStatus.LOWER)


@pytest.mark.parametrize("regime_id", list(REGIMES))
def test_every_criterion_is_the_deciding_one_in_at_least_one_case(regime_id: str) -> None:
    regime = load_regime(regime_id)
    deciding = {case.deciding for case in REGIMES[regime_id]}
    assert {c.id for c in regime.criteria} - deciding == set()
    # and the table is as large as the issue asks
    assert len(REGIMES[regime_id]) >= 30


def test_regime_difference_online_public_service_level_2() -> None:
    # Given an online public service of level 2 that handles administrative procedures
    s = system("public_service", information=PERS, online_service_level=2, administrative_procedures=True,
               conditional_business=False, pd_users=5000, pd_basic=5000, pd_sensitive=0)
    # When classified under each regime
    old = classify_system(s, load_regime("decree-85-2016"))
    new = classify_system(s, load_regime("decree-331-2026"))
    # Then Decree 85 says 2 (Art. 8.2.a) and Decree 331 says 3 (Art. 13.2.b)
    assert (old.level, old.deciding.article) == (2, "8.2.a")
    assert (new.level, new.deciding.article) == (3, "13.2.b")


def test_unknown_status_lists_the_missing_fact_per_criterion() -> None:
    r = classify_system(system("industrial_control", information=["private"]), load_regime("decree-85-2016"))
    unknown = {c.id: c.missing for c in r.criteria if c.status is Status.UNKNOWN}
    assert unknown == {"d85-9.4": ("works_grade",), "d85-10.4": ("works_grade",), "d85-11.4": ("works_grade",)}
    statuses = {c.id: c.status for c in r.criteria}
    assert statuses["d85-8.3"] is Status.NOT_APPLICABLE
    assert statuses["d85-11.2"] is Status.NOT_MET


def test_flagged_interpretation_is_reported_with_the_assumed_fact() -> None:
    r = classify_system(system("internal", information=["state_secret"], secret_grade="secret"),
                        load_regime("decree-331-2026"))
    (it,) = r.interpretations
    assert it.flagged and dict(it.assumed) == {"damage": "serious"}


def test_result_is_json_serialisable() -> None:
    import json

    r = classify_system(system("public_service", information=PERS, administrative_procedures=True, declared=1),
                        load_regime("decree-331-2026"))
    data = json.loads(json.dumps(r.to_dict()))
    assert data["level"] == 3 and data["declared_status"] == "lower"
    assert data["deciding"] == {"kind": "criterion", "id": "d331-13.2.b", "level": 3, "article": "13.2.b"}
    assert data["warnings"][0]["key"] == "classify.warn.underclassified"


def test_declared_facts_the_regime_does_not_use_are_noted_not_dropped_silently() -> None:
    s = system("public_service", information=PERS, online_service_level=3, administrative_procedures=True,
               conditional_business=False, pd_users=5000, pd_basic=5000, pd_sensitive=0, risk_assessed_level=4)
    old = classify_system(s, load_regime("decree-85-2016"))
    new = classify_system(s, load_regime("decree-331-2026"))
    unused_old = next(n for n in old.notes if n.key == "classify.note.unused_facts").args["facts"]
    unused_new = next(n for n in new.notes if n.key == "classify.note.unused_facts").args["facts"]
    assert unused_old == "administrative_procedures, personal_data.basic, personal_data.sensitive, risk_assessed_level"
    assert unused_new == "online_service_level, personal_data.users"
    assert new.level == 4 and new.deciding.id == "d331-10.5-l4"


def test_nothing_matched_says_so() -> None:
    r = classify_system(system("other", information=PERS), load_regime("decree-331-2026"))
    assert [n.key for n in r.notes] == ["classify.note.nothing_matched", "classify.note.undetermined"]
    assert "declare a more specific purpose" in r.notes[0].render("en")


@pytest.mark.parametrize(("regime_id", "case"), _params()[::7])
def test_classification_round_trips_through_json(regime_id: str, case: Case) -> None:
    import json

    from secaudit.classify.result import Classification

    r = classify_system(system(case.purpose, declared=case.declared, **case.facts), load_regime(regime_id))
    assert Classification.from_dict(json.loads(json.dumps(r.to_dict()))) == r


def test_a_reading_that_might_apply_keeps_the_level_open() -> None:
    # Given especially serious damage, not strategic, but the information classes undeclared
    r = classify_system(system("internal", damage="especially_serious", strategic=False),
                        load_regime("decree-331-2026"))
    # Then the level is not settled: declaring state secrets would give level 4 (Art. 14.1 reading)
    assert r.level is None and r.upper_bound == 4 and "information" in r.missing
