"""Each regime says only what its texts say (issue 22 item 6): Decree 331 sets no assessment interval and no
component rule, so the interval is the standard's cited cadence and the component rule is secaudit's
convention, said as such, in English and Vietnamese."""

from __future__ import annotations

import pytest

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.report.classification import component_rule
from secaudit.report.dossier import render_dossier
from secaudit.requirements.catalogue import catalogue_for_regime
from secaudit.store.cadence import cadence

from .classify.helpers import endpoint, inventory, system

DECREE_331 = "decree-331-2026"

INV = inventory(
    system("industrial_control", "ho-chua", name="Hồ chứa", information=["private"], works_grade="I", declared=4,
           endpoints=(endpoint("127.22.0.3", 8443),)),
    system("internal", "noi-bo", name="Nội bộ", information=["public", "private"], components=("ho-chua",)),
)


def dossier(regime_id: str, system_id: str, lang: str) -> str:
    regime = load_regime(regime_id)
    (result,) = classify_inventory(INV, regime, [system_id])
    return render_dossier("md", INV, system_id, result, regime, lang).replace("\\", "")   # Markdown escapes off


def test_decree_331_intervals_are_the_standards_cadence_cited_from_the_catalogue_never_art_27():
    regime = load_regime("decree-331-2026")
    cat = catalogue_for_regime("decree-331-2026")
    for level in range(1, 6):
        p = regime.periodic_for(level)
        assert p.article != "27" and p.article == "28.5.a"
        row = cat.row(p.requirement, level)
        assert row is not None and row.clause.startswith(f"{level + 2}.7.2.1")
        assert p.months == row.params["scan_months"] == cadence(DECREE_331, level, critical=False).months


@pytest.mark.parametrize("lang, said, clause, art28, art27", [
    ("en", "the decree sets no interval", "TCVN 14423:2026 6.7.2.1 a", "Art. 28(5)(a)", "Art. 27"),
    ("vi", "Nghị định không quy định chu kỳ", "TCVN 14423:2026 6.7.2.1 a", "điểm a khoản 5 Điều 28", "Điều 27"),
])
def test_the_level_4_dossier_cites_the_standards_cadence_and_leaves_the_interval_to_the_owner(lang, said, clause,
                                                                                             art28, art27):
    md = dossier("decree-331-2026", "ho-chua", lang)
    line = next(x for x in md.splitlines() if x.startswith("- ") and said in x)
    assert clause in line and art28 in line and "3" in line
    assert art27 not in md


@pytest.mark.parametrize("lang, convention", [
    ("en", "secaudit's conservative convention"),
    ("vi", "quy ước thận trọng của secaudit"),
])
def test_under_decree_331_the_component_rule_is_secauditss_convention_not_art_8_2(lang, convention):
    md = dossier("decree-331-2026", "noi-bo", lang)
    (rule,) = [line for line in md.splitlines() if convention in line]
    assert "8" not in rule and ("components" in rule or "thành phần" in rule)
    assert "8.2" not in component_rule(load_regime("decree-331-2026"), lang)
    assert "convention" in component_rule(load_regime("decree-331-2026"), "en")


def test_under_decree_85_the_component_rule_cites_art_5_2():
    md = dossier("decree-85-2016", "noi-bo", "en")
    assert "Under Art. 5(2) of Decree 85/2016" in md and "convention" not in component_rule(
        load_regime("decree-85-2016"), "en")
