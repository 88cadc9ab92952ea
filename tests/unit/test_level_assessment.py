"""What any output may say of a system's whole level: the figures of its latest stored assessment of that
level, plainly "not assessed" otherwise, and "compliant" only when the assessment found every row met."""

from __future__ import annotations

from secaudit.model import LevelAssessment, level_assessment_message

COUNTS = {"met": 30, "partially_met": 3, "not_met": 8, "not_applicable": 2, "not_assessed": 152}


def figures(level: int = 3, counts: dict | None = None, level_met: bool = False) -> LevelAssessment:
    return LevelAssessment("s", "2026-12-05T10:00:00+00:00", "decree-331-2026", "tcvn-14423-2026", level,
                           counts or COUNTS, level_met)


def test_the_figures_count_assessed_rows_against_the_applicable_ones():
    a = figures()
    assert (a.rows, a.applicable, a.assessed) == (195, 193, 41)
    assert level_assessment_message(3, a).render("en") == (
        "requirements assessed: 41/193 (21%), met 30, not met 8 (level 3, secaudit assess of 2026-12-05)")
    assert level_assessment_message(3, a).render("vi").startswith("yêu cầu đã đánh giá: 41/193 (21%), đáp ứng 30")


def test_no_assessment_or_one_of_another_level_is_not_assessed_and_an_unknown_level_says_nothing():
    expected = "requirements of level 4: not assessed — run `secaudit assess`"
    assert level_assessment_message(4, None).render("en") == expected
    assert level_assessment_message(4, figures(level=3)).render("en") == expected   # the level changed since
    assert level_assessment_message(None, figures()) is None


def test_compliant_only_when_the_assessment_met_the_whole_level():
    whole = figures(counts={"met": 190, "not_applicable": 5}, level_met=True)
    assert "compliant with level 3" in level_assessment_message(3, whole).render("en")
    assert "đạt yêu cầu cấp độ 3" in level_assessment_message(3, whole).render("vi")
    assert "compliant" not in level_assessment_message(3, figures()).render("en")
