"""Cover letters of the dossier by level (issue 15): Form 01 for levels 1-2, Form 02 for 3-5 (to the
Ministry of Public Security at 4-5), Form 03 for the professional opinion at 4-5 only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args: str, lang: str = "vi") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": lang}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


@pytest.mark.parametrize(("system", "kind", "subject", "recipient", "attachments"), [
    ("qlvb", "appraisal", "V/v đề nghị thẩm định, phê duyệt hồ sơ đề xuất cấp độ",
     "Kính gửi: Sở Thông tin và Truyền thông tỉnh Sông Lam.", 4),                               # Form 01, level 2
    ("ttdl-tinh", "appraisal", "V/v đề nghị thẩm định hồ sơ đề xuất cấp độ",
     "Kính gửi: Sở Thông tin và Truyền thông tỉnh Sông Lam.", 4),                               # Form 02, level 3
    ("dieu-khien-ho-chua", "appraisal", "V/v đề nghị thẩm định hồ sơ đề xuất cấp độ", "Kính gửi: Bộ Công an.", 5),
    ("dieu-khien-ho-chua", "opinion", "V/v cho ý kiến chuyên môn về hồ sơ đề xuất cấp độ",
     "Kính gửi: Văn phòng Sở Nông nghiệp và Môi trường.", 4),           # Form 03, to the owner's own unit (Art. 3.2)
])
def test_the_form_follows_the_level(tmp_path: Path, system: str, kind: str, subject: str, recipient: str,
                                    attachments: int) -> None:
    import docx

    out = tmp_path / "letter.docx"
    r = run("cover-letter", "examples/inventory.yaml", "--system", system, "--kind", kind, "--format", "docx",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    d = docx.Document(str(out))
    left, right = (c.text for c in d.tables[0].rows[0].cells)
    assert subject in left and "Số: ......../......" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    paras = [p.text for p in d.paragraphs]
    assert recipient in paras and "Căn cứ Luật An ninh mạng số 116/2025/QH15;" in paras
    part2 = paras.index("Phần 2. Hồ sơ kèm theo")
    numbered = [p for p in paras[part2 + 1:] if p[:2] in ("1.", "2.", "3.", "4.", "5.")]
    assert len(numbered) == attachments
    sign = d.tables[-1].rows[0].cells
    assert "ĐẠI DIỆN CỦA CƠ QUAN, TỔ CHỨC" in sign[1].text and "Nơi nhận:" in sign[0].text


def test_professional_opinion_only_for_levels_4_and_5() -> None:
    r = run("cover-letter", "examples/inventory.yaml", "--system", "qlvb", "--kind", "opinion")
    assert r.returncode == 2 and "Mẫu số 03" in r.stderr


def test_level_5_letter_proposes_the_national_security_list() -> None:
    r = run("cover-letter", "examples/inventory.yaml", "--system", "vb-mat")
    assert r.returncode == 0, r.stderr
    assert "đồng thời đề nghị đưa hệ thống vào Danh mục hệ thống thông tin quan trọng về an ninh quốc gia" in r.stdout
