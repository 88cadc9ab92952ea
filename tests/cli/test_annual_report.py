"""`secaudit annual-report`: Form 08 from the example inventory and two stored runs (issue 15).

Given the example inventory (approval facts of every kind) and two runs in a real SQLite store,
when the report for 2026 is written, then section 1 counts what the facts and the history say and
every column of one row of each kind (approved and assessed, submitted, drafting) holds the form's
fixed values; the Word file opens with python-docx with the header block and the repeated header
rows; Decree 85 gets its own terms.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.history import example_inventory, store_two_runs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SECTION1 = [
    "Tổng số hệ thống thông tin thuộc phạm vi quản lý: 13;",
    "Tổng số hệ thống thông tin đã được phân loại (đã xác định được loại hình hệ thống thông tin): 13;",
    "Tổng số hệ thống thông tin đã xây dựng hồ sơ đề xuất cấp độ: 9;",
    "Tổng số hệ thống thông tin đã được thẩm định hồ sơ đề xuất cấp độ: 6;",
    "Tổng số hệ thống thông tin đã được phê duyệt cấp độ: 5;",
    # a network scan is not the periodic assessment: the count is left for the owner to fill (issue 22)
    "Tổng số hệ thống thông tin đã phê duyệt cấp độ được kiểm tra, đánh giá an ninh mạng định kỳ theo quy định: "
    "………… (điền theo hồ sơ kiểm tra, đánh giá: lần quét qua mạng không phải là kiểm tra, đánh giá định kỳ);",
    "Dự kiến thời gian hoàn thành phê duyệt đề xuất cấp độ hệ thống thông tin đối với tất cả các hệ thống thông "
    "tin thuộc phạm vi quản lý: chưa xác định (chưa có thời điểm dự kiến phê duyệt đối với: Hệ thống camera giám sát giao thông).",
]
UBND = "Ủy ban nhân dân tỉnh Sông Lam"
TTCNTT = "Trung tâm Công nghệ thông tin và Truyền thông"
ROWS = {
    # approved, regulation issued, plan fully implemented, assessed before use ("Định kỳ" is the owner's to fill)
    "ttdl-tinh": ("7", "Trung tâm dữ liệu tỉnh", UBND, TTCNTT, "3", "Đã được phê duyệt",
                  f"Quyết định số 1520/QĐ-UBND ngày 20/06/2025 của {UBND}",
                  f"Quyết định số 1521/QĐ-UBND ngày 20/06/2025 của {UBND}", "", "Đã triển khai đầy đủ", "",
                  "Trước khi đưa vào sử dụng"),
    # submitted for appraisal, plan not started; scanned on time (run B), which is not the periodic assessment
    "cong-ttdt": ("5", "Cổng thông tin điện tử tỉnh", UBND, TTCNTT, "2", "Đã gửi thẩm định", "", "",
                  "28/02/2027", "Chưa triển khai", "30/09/2027", ""),
    # drafting, at the computed level 3 (declared 2); its run A is older than level 3's six months
    "cong-dvc": ("6", "Cổng dịch vụ công trực tuyến tỉnh", UBND, "Trung tâm Phục vụ hành chính công", "3",
                 "Đang dự thảo", "", "", "31/03/2027", "Chưa triển khai", "31/12/2027", ""),
}


def run(*args: str, lang: str = "vi", env: dict | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "SECAUDIT_LANG": lang, **(env or {})}
    return subprocess.run([sys.executable, "-m", "secaudit", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, env=full)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('history') / 'store.sqlite'}"
    store_two_runs(url, example_inventory(ROOT))
    return url


def _document(db: str, regime: str = "decree-331-2026"):
    from secaudit.classify.engine import classify_inventory
    from secaudit.classify.regime import load_regime
    from secaudit.programme import build_programme, latest_runs, report_period
    from secaudit.report.annual import AnnualInput, build_annual_report

    inv = example_inventory(ROOT)
    reg = load_regime(regime)
    end = report_period(2026)[1]
    programme = build_programme(inv, classify_inventory(inv, reg), latest_runs(db, end), reg.id, end)
    return build_annual_report(AnnualInput(inv, reg, programme, 2026), "vi")


def test_section_1_counts_and_rows_of_each_kind(db: str) -> None:
    doc = _document(db)
    bullets = [b for b in doc.blocks if type(b).__name__ == "Bullets"][0]
    assert list(bullets.items) == SECTION1
    table = doc.table("form08-systems")
    assert table.numbers == tuple(f"({i})" for i in range(1, 13))
    assert table.headers[5] == "Tình trạng phê duyệt cấp độ" and len(table.headers) == 12
    rows = {r[1]: r for r in table.rows}
    for sid, expected in ROWS.items():
        assert rows[expected[1]] == expected, sid
    assert doc.header.subject == "V/v kết quả công tác bảo đảm an ninh mạng hệ thống thông tin"
    assert doc.header.recipient == "Kính gửi: Bộ Công an"


def test_markdown_report_from_the_cli(db: str) -> None:
    r = run("annual-report", "examples/inventory.yaml", "--year", "2026", "--db", db)
    assert r.returncode == 0, r.stderr
    md = r.stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in md and "Độc lập - Tự do - Hạnh phúc" in md
    assert "số liệu tính từ ngày 15/12/2025 đến ngày 14/12/2026" in md
    assert "Tổng số hệ thống thông tin đã được phê duyệt cấp độ: 5;" in md
    assert "| 7 | Trung tâm dữ liệu tỉnh |" in md and "| Trước khi đưa vào sử dụng |" in md


def test_docx_holds_header_block_tables_and_fixed_values(db: str, tmp_path: Path) -> None:
    import docx
    from docx.oxml.ns import qn

    out = tmp_path / "bao-cao.docx"
    r = run("annual-report", "examples/inventory.yaml", "--year", "2026", "--db", db, "--format", "docx",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    d = docx.Document(str(out))
    header = d.tables[0]
    left, right = (c.text for c in header.rows[0].cells)
    assert "ỦY BAN NHÂN DÂN TỈNH SÔNG LAM" in left and "V/v kết quả công tác bảo đảm an ninh mạng" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "Sông Lam, ngày ...... tháng ...... năm 2026" in right
    systems = next(t for t in d.tables if t.rows[0].cells[0].text == "STT" and len(t.columns) == 12)
    assert [c.text for c in systems.rows[1].cells] == [f"({i})" for i in range(1, 13)]
    for row in systems.rows[:2]:                   # both header rows repeat on every page
        assert row._tr.trPr.find(qn("w:tblHeader")) is not None
    body = {r.cells[1].text: tuple(c.text for c in r.cells) for r in systems.rows[2:]}
    for expected in ROWS.values():
        assert body[expected[1]] == expected
    assert len(systems.rows) == 2 + 13
    footer = d.sections[0].footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "fldChar" in footer           # page numbers
    assert d.sections[0].page_width > d.sections[0].page_height   # landscape for the 12 columns
    headings = [p.text for p in d.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:5] == ["1. Thông tin chung",
                            "2. Thông tin về chủ quản hệ thống thông tin và đơn vị chuyên trách về an ninh mạng",
                            "2.1. Ủy ban nhân dân tỉnh Sông Lam",              # owner by owner, the reporting one first
                            "a) Thông tin về chủ quản hệ thống thông tin:",
                            "b) Thông tin về đơn vị chuyên trách về an ninh mạng:"]


def test_decree_85_report_uses_that_regimes_terms(db: str) -> None:
    doc = _document(db, "decree-85-2016")
    assert doc.header.subject == "V/v kết quả công tác bảo đảm an toàn hệ thống thông tin"
    table = doc.table("form08-systems")
    assert table.headers[7] == "Quy chế bảo đảm an toàn thông tin cho hệ thống"
    assert table.headers[11] == "Đã kiểm tra, đánh giá an toàn thông tin"
    text = " ".join(getattr(b, "text", "") for b in doc.blocks)
    assert "an ninh mạng" not in " ".join(table.headers) and "Nghị định số 85/2016/NĐ-CP" in text
    assert doc.header.recipient == "Kính gửi: Bộ Thông tin và Truyền thông (Cục An toàn thông tin)"


def test_binary_format_needs_an_output_file(db: str) -> None:
    r = run("annual-report", "examples/inventory.yaml", "--db", db, "--format", "docx")
    assert r.returncode == 2 and "-o" in r.stderr


def test_pdf_through_libreoffice_renders_page_one(db: str, tmp_path: Path) -> None:
    """Real LibreOffice headless, then pdftoppm: page 1 becomes a PNG (what docs/img shows)."""
    out = tmp_path / "bao-cao.pdf"
    r = run("annual-report", "examples/inventory.yaml", "--year", "2026", "--db", db, "--format", "pdf",
            "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Kính gửi: Bộ Công an" in text
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(out), str(tmp_path / "p")],
                   check=True, timeout=60)
    png = next(tmp_path.glob("p*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_pdf_without_libreoffice_says_how_to_get_it(db: str, tmp_path: Path) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    r = run("annual-report", "examples/inventory.yaml", "--db", db, "--format", "pdf", "-o",
            str(tmp_path / "x.pdf"), lang="en", env={"PATH": str(empty)})
    assert r.returncode == 2
    assert "libreoffice-writer-nogui" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "x.pdf").exists()
