"""Whatever a scanned server puts in a finding, the HTML and Markdown reports keep the same structure.

Property-based: any string planted in a message argument, an evidence value and a waiver reason
leaves the set of elements of the rendered document unchanged (it can only ever be text).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from secaudit.model import Evidence, Message
from secaudit.report.templated import HtmlFormat, MarkdownFormat

from .conftest import make_results

BASE = make_results()
_TOKENS = list("<>&\"'`*_[]()!|~#-+=./: \n\x1b\x07\u202e") + ["<script>", "</td>", "<!--", "]]>", "{{", "{%",
                                                                   "[x](javascript:alert(1))", "| col |"]
hostile = st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=25).map("".join) | st.text(min_size=1, max_size=20)


def _plant(value: str):
    f = BASE.findings[4]            # the waived finding: message, evidence and waiver reason all shown
    planted = dataclasses.replace(
        f, message=Message("x.planted", {"v": value}), evidence=(Evidence("Banner", value),),
        waiver=dataclasses.replace(f.waiver, reason=value))
    failed_probe = dataclasses.replace(BASE.observations[1], error=value)   # shown in every human format
    return dataclasses.replace(BASE, findings=BASE.findings[:4] + (planted,) + BASE.findings[5:],
                               observations=(BASE.observations[0], failed_probe))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1

    def handle_startendtag(self, tag, attrs):
        self.tags[tag] += 1


def _html_tags(html: str) -> Counter:
    p = _Tags()
    p.feed(html)
    p.close()
    return p.tags


_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
HTML_BASELINE = _html_tags(HtmlFormat().render(_plant("plain"), "en"))
MD_BASELINE = _html_tags(_MD.render(MarkdownFormat().render(_plant("plain"), "en")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_html_structure_does_not_depend_on_scanned_strings(value):
    assert _html_tags(HtmlFormat().render(_plant(value), "en")) == HTML_BASELINE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_markdown_structure_does_not_depend_on_scanned_strings(value):
    assert _html_tags(_MD.render(MarkdownFormat().render(_plant(value), "en"))) == MD_BASELINE


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile)
def test_machine_formats_keep_their_shape_and_the_summary_stays_clean(value):
    import csv
    import io
    import xml.etree.ElementTree as ET

    from secaudit.report.csv_report import CsvFormat
    from secaudit.report.junit import JunitFormat
    from secaudit.report.templated import TextSummaryFormat

    results = _plant(value)
    root = ET.fromstring(JunitFormat().render(results, "en").encode("utf-8"))
    assert int(root.get("tests")) == len(results.findings) == len(list(root.iter("testcase")))
    rows = list(csv.reader(io.StringIO(CsvFormat().render(results, "en")[1:], newline="")))
    assert len(rows) == 1 + len(results.findings) and all(len(r) == len(rows[0]) for r in rows)
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for c in r)
    text = TextSummaryFormat().render(results, "en")
    assert all(len(line) <= 80 for line in text.splitlines())
    assert not any(ord(ch) < 32 and ch != "\n" for ch in text)
