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
    return dataclasses.replace(BASE, findings=BASE.findings[:4] + (planted,) + BASE.findings[5:])


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
