"""Form 08's appendix 5: imported findings past their remediation deadline (issue 24), pure.

Given the example inventory and overdue findings as the store computes them, the Vietnamese report counts
them per system and severity, shows the days allowed at each level concerned and lists each finding without
its English title (the English report quotes it); the deadlines are labelled as secaudit's defaults, or as
the act the agency names; a finding's text from a scanned network stays data in Markdown, HTML and Word.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import os
import re
import zipfile

import pytest
from markdown_it import MarkdownIt

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.programme import build_programme
from secaudit.report.annual import AnnualInput, build_annual_report
from secaudit.report.document import Paragraph, Table
from secaudit.report.document_formats import render_document
from secaudit.report.overdue import MAX_ROWS, OverdueInput
from secaudit.store.remediation import OverdueFinding, Sla, load_sla
from tests.support.history import example_inventory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAY = dt.date(2026, 12, 14)
HOSTILE = "\x1b[31mRED\x1b[0m <script>alert(1)</script> | x\n=1+1 \u202egnp.exe [a](javascript:x)"


def finding(system: str, severity: str, days: int, rule: str = "57582", title: str = "Weak ciphers of the server",
            target: str = "127.0.0.17:8443/tcp", level: int | None = 3, tool: str = "nessus") -> OverdueFinding:
    due = DAY - dt.timedelta(days=days)
    return OverdueFinding(system, tool, rule, title, severity, target, due - dt.timedelta(days=30), due, days,
                          "run-1", level)


FINDINGS = (finding("ttdl-tinh", "critical", 90, rule="=cmd|' /C calc'!A0", title=HOSTILE, target=HOSTILE),
            finding("ttdl-tinh", "high", 67), finding("lgsp", "high", 20, tool="nuclei", rule="tech-detect:nginx"),
            finding("ttdl-tinh", "medium", 7, tool="lynis", rule="SSH-7408", target="ttdl"),
            finding("gone-system", "critical", 300))                 # a system no longer in the inventory


@pytest.fixture(scope="module")
def base():
    inv = example_inventory(ROOT)
    reg = load_regime("decree-331-2026")
    programme = build_programme(inv, classify_inventory(inv, reg), {}, reg.id, DAY)
    systems = {s.system.id: (s.system.name, s.level) for s in programme.systems}
    return inv, reg, programme, systems


def document(base, lang: str, kind: str = "txt", findings=FINDINGS, imports: int = 2, sla: Sla | None = None):
    inv, reg, programme, systems = base
    overdue = OverdueInput(DAY, imports, tuple(findings), sla or load_sla(), reg.standard, systems)
    return build_annual_report(AnnualInput(inv, reg, programme, 2026, overdue=overdue), lang, kind)


def part(doc) -> list:
    """The blocks of appendix 5 (the document's last part, before the note on how it was drafted)."""
    start = next(i for i, b in enumerate(doc.blocks) if getattr(b, "number", "") == "5.")
    return list(doc.blocks[start:-1])


def test_counts_per_system_and_severity_and_the_days_of_each_level_concerned(base):
    doc = document(base, "vi")
    blocks = part(doc)
    assert blocks[0].text == "Lỗ hổng, điểm yếu do công cụ quét khác phát hiện đã quá thời hạn khắc phục"
    counts = doc.table("overdue-counts")
    assert counts.headers[2:] == ("Nghiêm trọng", "Cao", "Trung bình", "Thấp", "Tổng số")
    assert [r[1:] for r in counts.rows] == [("Trung tâm dữ liệu tỉnh", "1", "1", "1", "0", "3"),
                                            ("Nền tảng tích hợp, chia sẻ dữ liệu cấp tỉnh (LGSP)", "0", "1", "0", "0", "1"),
                                            ("Tất cả hệ thống", "1", "2", "1", "0", "4")]
    # the days allowed at level 3 (the only level concerned), from policies/remediation.yaml
    assert doc.table("overdue-deadlines").rows == (("3", "7", "30", "90", "180"),)
    note = next(b for b in blocks if isinstance(b, Paragraph) and b.style == "note").text
    assert "tính đến ngày 14/12/2026" in note
    assert "số ngày mặc định của secaudit (tệp policies/remediation.yaml), không phải quy định của TCVN " \
           "14423:2026 hay của Nghị định" in note


def test_each_finding_in_vietnamese_without_its_english_title_and_the_english_report_quotes_it(base):
    vi = document(base, "vi").table("overdue-findings")
    assert vi.headers == ("STT", "Tên hệ thống thông tin", "Công cụ", "Mã phát hiện của công cụ", "Mức nghiêm trọng",
                          "Máy chủ, cổng", "Phát hiện lần đầu", "Hạn khắc phục", "Số ngày quá hạn")
    assert vi.rows[1] == ("2", "Trung tâm dữ liệu tỉnh", "Nessus", "57582", "cao", "127.0.0.17:8443/tcp",
                          "08/09/2026", "08/10/2026", "67")
    assert [r[2] for r in vi.rows] == ["Nessus", "Nessus", "Nuclei", "Lynis"]        # most overdue first
    assert not any("Weak ciphers" in cell for row in vi.rows for cell in row)
    assert "bằng tiếng Anh nên không đưa vào văn bản này" in part(document(base, "vi"))[-1].text
    en = document(base, "en").table("overdue-findings")
    assert en.headers[4] == "Title (as the tool reports it)" and en.rows[1][4] == "Weak ciphers of the server"
    assert en.rows[1][5] == "high"


def test_the_deadlines_source_is_named_as_the_file_says(base):
    own = Sla({}, {3: {"critical": 5, "high": 20, "medium": 60, "low": 120}}, "/etc/secaudit/remediation.yaml",
              "Quyết định số 12/QĐ-STTTT ngày 01/3/2026")
    doc = document(base, "vi", sla=own)
    note = part(doc)[1].text
    assert "số ngày theo Quyết định số 12/QĐ-STTTT ngày 01/3/2026 (tệp /etc/secaudit/remediation.yaml)" in note
    assert "mặc định" not in note and doc.table("overdue-deadlines").rows == (("3", "5", "20", "60", "120"),)
    unstated = dataclasses.replace(own, set_by="")
    assert "tệp không ghi cơ quan quy định số ngày này" in part(document(base, "vi", sla=unstated))[1].text


def test_no_import_and_nothing_overdue_are_said_not_left_blank(base):
    none = part(document(base, "vi", findings=(), imports=0))
    assert [b.text for b in none[1:]] == ["Chưa có báo cáo của công cụ quét lỗ hổng, kiểm tra cấu hình nào được nhập "
                                          "vào lịch sử kiểm tra tính đến ngày 14/12/2026."]
    clear = part(document(base, "en", findings=(finding("gone-system", "high", 3),), imports=3))
    assert clear[-1].text == "No finding of the 3 imported reports is past its remediation deadline on 14/12/2026."
    assert not [b for b in clear if isinstance(b, Table)]


def test_a_long_list_is_bounded_and_the_counts_still_cover_every_finding(base):
    many = [finding("ttdl-tinh", "low", 500 - n, rule=str(n)) for n in range(MAX_ROWS + 5)]
    doc = document(base, "vi", findings=many)
    assert len(doc.table("overdue-findings").rows) == MAX_ROWS
    assert doc.table("overdue-counts").rows[-1][-1] == str(MAX_ROWS + 5)
    assert part(doc)[-1].text == "Còn 5 phát hiện quá hạn khác không liệt kê ở đây; lệnh secaudit due liệt kê đầy đủ."


def _cells_per_row(md: str, table_header: str) -> list[int]:
    lines = md.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(table_header))
    rows = [line for line in lines[start:] if line.startswith("|")]
    rows = rows[: next((i for i, line in enumerate(lines[start:]) if not line.startswith("|")), len(rows))]
    return [len(re.findall(r"(?<!\\)\|", line)) for line in rows]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_scanned_networks_text_stays_data_in_markdown_html_and_word(base, lang):
    md = render_document("md", document(base, lang, "md"))
    html = render_document("html", document(base, lang))
    word = render_document("docx", document(base, lang))
    xml = zipfile.ZipFile(io.BytesIO(word)).read("word/document.xml").decode("utf-8")
    for out in (md, html, xml):
        assert "cmd" in out and "\x1b" not in out and "[31m" not in out and "\u202e" not in out
        assert "<script>" not in out
        assert not re.search(r"^\s*[=\uff1d](?:cmd|1\+1)", out, flags=re.M)   # no formula starts a line
    # Markdown: every row of the list has as many cells as its header (a pipe cannot split a cell), no link
    header = "| STT | Tên hệ thống thông tin | Công cụ" if lang == "vi" else "| No. | Information system | Tool"
    assert len(set(_cells_per_row(md, header))) == 1
    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<script" not in rendered and "href=" not in rendered and "[a](javascript:x)" in rendered
    assert ("Weak ciphers of the server" in md) == (lang == "en")     # a title only in the English report
