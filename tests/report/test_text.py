"""Terminal summary: per system required vs achieved level, counts, top failures; totals last; 80 columns."""

from __future__ import annotations

import pytest

from secaudit.report.templated import TextSummaryFormat


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_fits_80_columns_and_carries_no_control_characters(results, lang):
    text = TextSummaryFormat().render(results, lang)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert not any(ord(ch) < 32 and ch != "\n" for ch in text)
    assert "\x1b" not in text and "RED" in text       # the ANSI colour code is gone, the word stays


def test_per_system_levels_counts_and_top_failures_then_totals_last(results):
    text = TextSummaryFormat().render(results, "en")
    lines = text.splitlines()
    portal = lines.index("Cổng dịch vụ công (portal)")
    assert lines[portal + 1] == "  required level 3, network controls met to level none"
    assert lines[portal + 2] == "  NETWORK CONTROLS FAIL"
    assert lines[portal + 3].startswith("  3 failed, 0 error(s), 0 waived, 1 passed")
    assert lines[portal + 4] == "  network controls: 1/4 pass (0 not applicable)"
    assert lines[portal + 5:portal + 7] == ["  level 3 has 195 requirements in TCVN 14423:2026; these checks evidence 0 of",
                                            "  them, the others are not assessed by a scan (secaudit assess)"]
    # no assessment is stored with this run: said plainly, never left to be read as a level met
    assert lines[portal + 7] == "  requirements of level 3: not assessed — run `secaudit assess`"
    assert lines[portal + 8].startswith("  [critical] CERT-VALID-01")
    assert lines[portal + 9].startswith("  [high] TLS-PROTO-01")
    assert "network controls met to level 2\n  NETWORK CONTROLS PASS" in text and "NOT VERIFIED" in text
    assert lines[-4] == "Overall status: NETWORK CONTROLS FAIL"
    assert lines[-3] == "Failed by severity: critical 1, high 1, medium 2"
    assert lines[-2:] == ["Total: 1/4 systems pass every network control · 4 failed · 1 error(s) · 1 waived",
                          "  · 2 passed"]  # wrapped at 80 columns, continuation indented


def test_vietnamese_summary(results):
    text = TextSummaryFormat().render(results, "vi")
    assert "cấp độ yêu cầu 3, biện pháp qua mạng đáp ứng tới cấp: chưa có\n  CÓ BIỆN PHÁP QUA MẠNG KHÔNG ĐẠT" in text
    assert text.splitlines()[-2] == "Tổng: 1/4 hệ thống đạt mọi biện pháp qua mạng · 4 không đạt · 1 lỗi · 1 miễn trừ"


def test_incomplete_run_is_flagged_first(incomplete_results):
    lines = TextSummaryFormat().render(incomplete_results, "en").splitlines()
    flag = next(i for i, line in enumerate(lines) if line.startswith("!! Incomplete run"))
    assert flag < lines.index("Cổng dịch vụ công (portal)") and flag <= 3


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_long_lines_wrap_at_words_and_nothing_is_cut(results, lang):
    """A long organisation, system name and probe error are there whole, word by word: wrapped, never cut."""
    import dataclasses

    org = dataclasses.replace(results.inventory.organisation, name="Sở Thông tin và Truyền thông tỉnh " * 4)
    name = "Hệ thống quản lý văn bản và điều hành tác nghiệp của Ủy ban nhân dân tỉnh " * 2
    systems = (dataclasses.replace(results.systems[0], name=name),) + tuple(results.systems[1:])
    long = dataclasses.replace(results, inventory=dataclasses.replace(results.inventory, organisation=org),
                               systems=systems)
    text = TextSummaryFormat().render(long, lang)
    assert all(len(line) <= 80 for line in text.splitlines()), max(text.splitlines(), key=len)
    assert "…" not in text
    words = text.split()
    for sentence in (org.name, name):
        run = sentence.split()
        assert any(words[i:i + len(run)] == run for i in range(len(words))), sentence
