"""Dossiers for a level-2 and a level-4 system render in both languages and formats with their sections."""

from __future__ import annotations

import re

import pytest

from secaudit.report.dossier import render_dossier
from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime

from .helpers import endpoint, inventory, system

INV = inventory(
    system("internal", "qlvb", name="Hệ thống quản lý văn bản và điều hành", information=["public", "private"],
           declared=2, endpoints=(endpoint("127.0.0.12", 8443), endpoint("127.0.0.12", 8080, "http"))),
    system("industrial_control", "ho-chua", name="Hệ thống điều khiển hồ chứa", information=["private"],
           works_grade="I", declared=4, endpoints=(endpoint("127.0.0.20", 8443),)),
    system("industrial_control", "tram-bom", name="Trạm bơm <b>Bắc</b>", information=["private"]),
)

MANUAL = {"vi": "[PHẦN DO CƠ QUAN, ĐƠN VỊ TỰ HOÀN THIỆN]", "en": "[TO BE COMPLETED BY HAND]"}
EXPECTED = {
    # (regime, lang): headings of the numbered sections for level 2, and the extra ones at level 4
    ("decree-85-2016", "vi"): (["1. Tài liệu mô tả tổng quan hệ thống thông tin",
                                "2. Tài liệu thiết kế hệ thống thông tin",
                                "3. Thuyết minh đề xuất cấp độ",
                                "4. Phương án bảo đảm an toàn hệ thống thông tin theo cấp độ"],
                               ["5. Ý kiến chuyên môn của đơn vị chuyên trách về an toàn thông tin",
                                "6. Báo cáo đánh giá rủi ro"]),
    ("decree-331-2026", "en"): (["1. System overview", "2. Design documents",
                                 "3. Justification of the proposed level",
                                 "4. Cybersecurity protection plan for the proposed level"],
                                ["5. Professional opinion of the owner's specialised cybersecurity unit",
                                 "6. Risk-assessment report"]),
    ("decree-331-2026", "vi"): (["1. Tài liệu mô tả tổng quan hệ thống thông tin",
                                 "2. Tài liệu thiết kế hệ thống thông tin",
                                 "3. Thuyết minh đề xuất cấp độ",
                                 "4. Phương án bảo vệ an ninh mạng hệ thống thông tin theo cấp độ"],
                                ["5. Ý kiến chuyên môn của đơn vị chuyên trách bảo vệ an ninh mạng",
                                 "6. Báo cáo đánh giá rủi ro"]),
    ("decree-85-2016", "en"): (["1. System overview", "2. Design documents",
                                "3. Justification of the proposed level",
                                "4. Security plan for the proposed level"],
                               ["5. Professional opinion of the owner's specialised information-security unit",
                                "6. Risk-assessment report"]),
}


def _render(fmt: str, regime_id: str, system_id: str, lang: str) -> str:
    regime = load_regime(regime_id)
    (result,) = classify_inventory(INV, regime, [system_id])
    return render_dossier(fmt, INV, system_id, result, regime, lang)


def _headings(md: str) -> list[str]:
    return [line[3:] for line in md.splitlines() if line.startswith("## ")]


@pytest.mark.parametrize(("regime_id", "lang"), list(EXPECTED))
def test_level_2_dossier_has_four_sections_two_to_complete(regime_id: str, lang: str) -> None:
    md = _render("md", regime_id, "qlvb", lang)
    base, extra = EXPECTED[(regime_id, lang)]
    headings = _headings(md)
    assert headings[:4] == base
    assert not any(h.startswith(e[:12]) for h in headings for e in extra)
    assert md.count(MANUAL[lang]) == 2                       # design documents, security plan
    assert ("cấp độ 2" if lang == "vi" else "level 2") in md
    # the justification lists every criterion of the regime with its citation
    regime = load_regime(regime_id)
    justification = md.split("## 3. ")[1].split("## 4. ")[0]
    rows = re.findall(r"^\| \d+ \| ", justification, flags=re.M)
    assert len(rows) == len(regime.criteria)
    # the asset annex lists the endpoints
    assert "| 1 | 127.0.0.12 | 8443 | https |" in md and "| 2 | 127.0.0.12 | 8080 | http |" in md


@pytest.mark.parametrize(("regime_id", "lang"), list(EXPECTED))
def test_level_4_dossier_adds_opinion_and_risk_assessment(regime_id: str, lang: str) -> None:
    md = _render("md", regime_id, "ho-chua", lang)
    base, extra = EXPECTED[(regime_id, lang)]
    headings = _headings(md)
    assert headings[:4] == base
    assert headings[4].startswith(extra[0]) and headings[5].startswith(extra[1])
    assert md.count(MANUAL[lang]) == 4
    appraiser = {"decree-85-2016": {"vi": "Bộ Thông tin và Truyền thông", "en": "Ministry of Information"},
                 "decree-331-2026": {"vi": "Bộ Công an chủ trì thẩm định", "en": "Ministry of Public Security"}}
    assert appraiser[regime_id][lang] in md
    days = {"decree-85-2016": {"vi": "30 ngày", "en": "30 days"},
            "decree-331-2026": {"vi": "25 ngày làm việc", "en": "25 working days"}}
    assert days[regime_id][lang] in md


def test_vietnamese_dossier_reads_like_an_official_document() -> None:
    md = _render("md", "decree-85-2016", "ho-chua", "vi")
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                   "HỒ SƠ ĐỀ XUẤT CẤP ĐỘ AN TOÀN HỆ THỐNG THÔNG TIN",
                   "Căn cứ Nghị định số 85/2016/NĐ-CP",
                   "theo quy định tại Điều 15 Nghị định số 85/2016/NĐ-CP",
                   "Cấp độ đề xuất: cấp độ 4.",
                   "khoản 4 Điều 10 Nghị định số 85/2016/NĐ-CP",
                   "THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "(Ký, ghi rõ họ tên và đóng dấu)",
                   "Phụ lục. Danh mục tài sản"):
        assert phrase in md, phrase


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("system_id", ["qlvb", "ho-chua"])
def test_html_dossier_has_the_same_sections(lang: str, system_id: str) -> None:
    html = _render("html", "decree-331-2026", system_id, lang)
    ids = re.findall(r'<section id="section-([a-z_]+)"', html)
    expected = ["overview", "design", "justification", "security_plan"]
    if system_id == "ho-chua":
        expected += ["professional_opinion", "risk_assessment"]
    assert ids == expected + ["authority", "annex"]
    assert html.count('class="manual"') == len(expected) - 2


def test_undetermined_system_dossier_says_what_to_declare_and_escapes_names() -> None:
    md = _render("md", "decree-331-2026", "tram-bom", "vi")
    assert "CHƯA ĐỦ CĂN CỨ ĐỂ ĐỀ XUẤT CẤP ĐỘ." in md and "cấp công trình xây dựng (works_grade)" in md
    assert "Cấp độ đề xuất" not in md
    assert "<b>" not in md and "&lt;b&gt;Bắc&lt;/b&gt;" in md
    html = _render("html", "decree-331-2026", "tram-bom", "en")
    assert "<b>Bắc" not in html and 'id="undetermined"' in html


def test_dossier_of_a_composite_system_explains_the_component_rule_and_a_higher_declared_level() -> None:
    inv = inventory(
        system("internal", "platform", name="Nền tảng chính quyền số", information=["private"],
               components=("portal",), declared=4),
        system("public_service", "portal", name="Cổng dịch vụ công", information=["personal"],
               administrative_procedures=True),
    )
    regime = load_regime("decree-331-2026")
    (result,) = classify_inventory(inv, regime, ["platform"])
    md = render_dossier("md", inv, "platform", result, regime, "vi")
    assert "Hệ thống bao gồm các hệ thống thành phần sau:" in md
    # components by their names, never their inventory ids (issue 27)
    assert "- Cổng dịch vụ công\n" in md and "- Cổng dịch vụ công: cấp độ 3" in md and "portal" not in md
    assert "Tiêu chí xác định cấp độ: theo cấp độ của hệ thống thành phần “Cổng dịch vụ công”." in md
    # the owner proposes 4, above the computed 3: the dossier proposes 4 and says why
    assert "Cấp độ đề xuất: cấp độ 4." in md
    assert "Chủ quản hệ thống thông tin đề xuất cấp độ 4, cao hơn cấp độ xác định theo tiêu chí (cấp độ 3)" in md
    assert "Bộ Công an chủ trì thẩm định" in md          # level-4 authority
