"""Markdown report: rendered by a real CommonMark renderer (raw HTML enabled), nothing injected."""

from __future__ import annotations

import html as html_module
import re

import pytest
from markdown_it import MarkdownIt

from secaudit.report.escape import markdown_text
from secaudit.report.templated import MarkdownFormat

from .conftest import MD_LINK, XSS


def _to_html(md: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough").render(md)


@pytest.fixture(scope="module", params=["en", "vi"])
def rendered(request, results):
    return request.param, MarkdownFormat().render(results, request.param)


def test_given_hostile_strings_then_the_rendered_markdown_has_no_script_and_no_link(rendered):
    _, md = rendered
    assert "<script>" not in md
    html = _to_html(md)
    assert "<script" not in html
    assert "javascript:" not in re.findall(r'href="([^"]*)"', html).__str__()
    assert "<a " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html     # shown as text


def test_summary_table_keeps_its_columns_despite_pipes_in_data(rendered, results):
    _, md = rendered
    html = _to_html(md)
    table = html[html.index("<table>"): html.index("</table>")]
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    assert len(rows) == 1 + len(results.systems)
    assert all(len(re.findall(r"<t[hd][ >]", r)) == 8 for r in rows)


def test_failing_findings_are_grouped_by_severity_with_collapsible_details(rendered):
    lang, md = rendered
    crit = md.index("#### " + ("critical" if lang == "en" else "nghiêm trọng"))
    high = md.index("#### " + ("high" if lang == "en" else "cao"))
    assert crit < high
    assert md.count("<details>") == md.count("</details>") > 0
    html = _to_html(md)
    assert "<details><summary>CERT-VALID-01 — 127.0.0.11:443</summary>" in html


def test_incomplete_run_is_flagged(incomplete_results):
    md = MarkdownFormat().render(incomplete_results, "en")
    assert "> **⚠ Incomplete run" in md


@pytest.mark.parametrize("value", [XSS, MD_LINK, "| col |", "# heading", "1. list", "- item", "**bold** _x_",
                                   "`code`", "![img](http://x/y.png)", "<b>&amp;</b>", "a\nb\n\n# c", "~~s~~",
                                   "[x]: http://evil/"])
def test_markdown_text_renders_literally(value):
    html = _to_html(markdown_text(value))
    assert re.fullmatch(r"<p>.*</p>\n", html, re.S), html
    shown = html_module.unescape(html[len("<p>"):-len("</p>\n")])
    assert " ".join(shown.split()) == " ".join(value.split())     # the same text, line breaks folded


def test_long_runs_are_capped_per_severity_for_merge_request_comments(results):
    import dataclasses

    many = tuple(dataclasses.replace(results.findings[0], target=f"127.0.0.{i}:443") for i in range(1, 61))
    big = dataclasses.replace(results, findings=results.findings + many)
    md = MarkdownFormat().render(big, "en")
    assert "#### high (63)" in md
    assert "… and 38 more: see the HTML report" in md
    assert len(md) < 65536
