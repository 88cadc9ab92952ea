"""The dossier item by item of Decree 331 Art. 22, pre-filled from the audit history, in Word (issue 15).

Given the example inventory and two stored runs, when the dossier of the level-4 reservoir control
system is written as .docx, then it opens with python-docx with the header block, every Art. 22 item
(22.3 a-d, 22.4 a-c, 22.5 a-d, 22.6 per requirement group), the controls of level 4 with their latest
verdicts (TLS-OCSP-01 failed in run B), the manual markers, and the Decree 85 dossier keeps its terms.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.history import example_inventory, store_two_runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str, lang: str = "vi") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=env)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'store.sqlite'}"
    store_two_runs(url, example_inventory(ROOT))
    return url


def _docx(db: str, tmp: Path, system: str, *extra: str):
    import docx

    out = tmp / f"{system}.docx"
    r = run("dossier", "examples/inventory.yaml", "--system", system, "--db", db, "--format", "docx", "-o",
            str(out), *extra)
    assert r.returncode == 0, r.stderr
    return docx.Document(str(out))


def _table(d, first_header: str, contains: str = ""):
    for t in d.tables:
        cells = [c.text for c in t.rows[0].cells]
        if cells[0] == first_header and (not contains or any(contains in r.cells[0].text for r in t.rows)):
            return t
    raise AssertionError(f"no table starting with {first_header!r}")


def test_level_4_dossier_covers_article_22_and_prefills_the_plan(db: str, tmp_path: Path) -> None:
    d = _docx(db, tmp_path, "dieu-khien-ho-chua")
    left, right = (c.text for c in d.tables[0].rows[0].cells)
    assert "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG TỈNH SÔNG LAM" in left and "ỦY BAN NHÂN DÂN TỈNH SÔNG LAM" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    text = "\n".join(p.text for p in d.paragraphs)
    assert "HỒ SƠ ĐỀ XUẤT CẤP ĐỘ HỆ THỐNG THÔNG TIN" in text and "Cấp độ đề xuất: cấp độ 4." in text
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    expected = [
        "1. Tài liệu mô tả tổng quan hệ thống thông tin",
        "a) Thông tin về chủ quản hệ thống thông tin", "b) Thông tin về đơn vị vận hành hệ thống thông tin",
        "c) Phạm vi, quy mô và đối tượng phục vụ của hệ thống",
        "d) Kiến trúc hệ thống, dịch vụ, quy hoạch vùng mạng và địa chỉ IP",                     # 22.3
        "2. Tài liệu thiết kế hệ thống thông tin", "3. Thuyết minh đề xuất cấp độ",
        "a) Danh mục hệ thống thông tin và cấp độ đề xuất", "b) Thuyết minh chi tiết",
        "c) Nhận diện sơ bộ nguy cơ, rủi ro",                                                   # 22.4
        "4. Phương án bảo vệ an ninh mạng hệ thống thông tin theo cấp độ", "a) Yêu cầu kỹ thuật",
        "a.1. Bảo đảm an toàn mạng", "a.2. Bảo đảm an toàn máy chủ", "a.3. Bảo đảm an toàn ứng dụng",
        "a.4. Bảo đảm an toàn dữ liệu", "b) Yêu cầu quản lý",                                    # 22.6
        "c) Các nội dung của phương án bảo đảm an ninh mạng (khoản 2 Điều 29 Nghị định số 331/2026/NĐ-CP)",
        "5. Ý kiến chuyên môn của đơn vị chuyên trách bảo vệ an ninh mạng của chủ quản hệ thống thông tin",
    ]
    assert headings[:len(expected)] == expected
    assert headings[len(expected)].startswith("6. Báo cáo đánh giá rủi ro")
    assert headings[len(expected) + 1:len(expected) + 5] == [                                   # 22.5
        "a) Các hệ thống thông tin liên quan, kết nối, có ảnh hưởng quan trọng",
        "b) Nguy cơ tấn công mạng và mức độ ảnh hưởng",
        "c) Phạm vi, mức độ ảnh hưởng tới lợi ích công cộng, trật tự an toàn xã hội, an ninh quốc gia",
        "d) Luận giải yêu cầu vận hành 24/7"]
    assert text.count("[PHẦN DO CƠ QUAN, ĐƠN VỊ TỰ HOÀN THIỆN]") == 4
    # 22.4(b): damage against Law 116 Art. 8.1, a row per affected interest, to complete
    damage = _table(d, "Đối tượng bị ảnh hưởng")
    assert [r.cells[0].text for r in damage.rows[1:]] == [
        "Quyền, lợi ích hợp pháp của cơ quan, tổ chức, cá nhân", "Lợi ích công cộng", "Trật tự, an toàn xã hội",
        "An ninh quốc gia"]
    from secaudit.report.dossier import level_controls

    title = {c.id: c.title.get("vi") for c in level_controls(4)}
    # 22.4(c): the weakness run B found is the first risk, by its requirement (no control id in the document)
    risks = _table(d, "Nguy cơ, mối đe dọa")
    assert risks.rows[1].cells[1].text == title["TLS-OCSP-01"]
    # 22.6: the level-4 controls with their verdicts from run B, grouped, numbered, by their requirement
    verdicts = {}
    for t in d.tables:
        if t.rows[0].cells[0].text == "STT" and t.rows[0].cells[1].text == "Yêu cầu":
            for r in t.rows[1:]:
                if r.cells[0].text:
                    verdicts[r.cells[1].text] = r.cells[3].text
    assert verdicts[title["TLS-OCSP-01"]] == "không đạt" and verdicts[title["PORT-UNDECL-01"]] == "đạt"
    assert verdicts[title["SSH-PWD-01"]] == "đạt" and set(verdicts) == set(title.values())
    management = _table(d, "Yêu cầu", "Thiết lập chính sách")
    assert len(management.rows) == 1 + 7


def test_decree_85_dossier_keeps_its_terms(db: str, tmp_path: Path) -> None:
    d = _docx(db, tmp_path, "qlvb", "--regime", "decree-85-2016")
    text = "\n".join(p.text for p in d.paragraphs)
    assert "HỒ SƠ ĐỀ XUẤT CẤP ĐỘ AN TOÀN HỆ THỐNG THÔNG TIN" in text
    assert "theo quy định tại Điều 15 Nghị định số 85/2016/NĐ-CP" in text
    assert "an ninh mạng" not in text
    cells = " ".join(c.text for t in d.tables for r in t.rows for c in r.cells)
    assert "Đơn vị chuyên trách về an toàn thông tin" in cells and "an ninh mạng" not in cells


def test_without_history_the_plan_lists_the_controls_unverified(tmp_path: Path) -> None:
    r = run("dossier", "examples/inventory.yaml", "--system", "qlvb", "--data-dir", str(tmp_path / "none"))
    assert r.returncode == 0, r.stderr
    from secaudit.report.dossier import level_controls

    undecl = next(c for c in level_controls(2) if c.id == "PORT-UNDECL-01").title.get("vi")
    assert undecl.replace("(", "\\(").replace(")", "\\)") in r.stdout and "chưa kiểm tra" in r.stdout
    assert "PORT-UNDECL-01" not in r.stdout
    assert not (tmp_path / "none").exists()             # no store is created just to read it
