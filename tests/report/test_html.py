"""HTML report: one self-contained file, escaped, well-formed, in both languages."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from secaudit.report.templated import HtmlFormat

from .conftest import FORMULA, MD_LINK, XSS

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Checks that every element is closed in order, and collects what the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def _check(html: str) -> _Checker:
    c = _Checker()
    c.feed(html)
    c.close()
    assert c.problems == [] and c.stack == [], (c.problems, c.stack)
    return c


@pytest.fixture(scope="module", params=["en", "vi"])
def rendered(request, results):
    return request.param, HtmlFormat().render(results, request.param)


def test_given_a_hostile_certificate_cn_then_it_is_escaped_never_markup(rendered):
    _, html = rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    checker = _check(html)
    assert len(checker.scripts) == 1 and "alert(1)" not in checker.scripts[0]
    assert XSS in "".join(checker.text)           # shown to the reader as text
    assert FORMULA in "".join(checker.text) and MD_LINK in "".join(checker.text)
    assert "\x1b" not in html and "\x07" not in html


def test_self_contained_no_external_assets_and_csp_pins_the_one_script(rendered):
    _, html = rendered
    checker = _check(html)
    for tag, attrs in checker.tags:
        assert "src" not in attrs, tag
        assert not (attrs.get("href") or "").startswith(("http", "//", "javascript:")), tag
    assert "@import" not in html and "url(" not in html
    (csp,) = [a["content"] for t, a in checker.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(checker.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp


def test_first_screen_shows_systems_levels_status_and_what_to_fix_first(rendered, results):
    lang, html = rendered
    checker = _check(html)
    text = " ".join(" ".join(checker.text).split())
    overview = html[: html.index('id="charts"')]
    for s in results.systems:
        assert s.name in overview
    if lang == "en":
        assert "Required level" in text and "Network controls met to level" in text and "What to fix first" in text
        assert "Network controls fail" in text and "Not verified (scan errors or nothing to check)" in text and "Level undetermined" in text
    else:
        assert "Cấp độ yêu cầu" in text and "Biện pháp qua mạng đáp ứng tới cấp" in text and "Cần khắc phục trước" in text
        assert "Có biện pháp qua mạng không đạt" in text and "Chưa xác định được cấp độ" in text
    fix = overview[overview.index('id="fix-first"'):]
    order = [fix.index(c) for c in ("CERT-VALID-01", "TLS-PROTO-01", "PORTS-EXPOSED-01")]
    assert order == sorted(order)      # critical, then high, then medium


def test_charts_are_inline_svg_and_the_table_is_filterable(rendered, results):
    _, html = rendered
    checker = _check(html)
    svgs = [a for t, a in checker.tags if t == "svg"]
    assert len(svgs) == 2
    rows = [a for t, a in checker.tags if t == "tr" and a.get("class") == "finding"]
    assert len(rows) == len(results.findings)
    assert {r["data-verdict"] for r in rows} == {"pass", "fail", "error", "waived", "not_applicable"}
    ids = {a.get("id") for t, a in checker.tags}
    assert {"f-system", "f-severity", "f-verdict", "f-text", "findings"} <= ids
    assert "@media print" in html


def test_evidence_remediation_references_waiver_and_run_metadata_are_shown(rendered, results):
    lang, html = rendered
    text = " ".join(_check(html).text)
    assert "TCVN 11930:2017 §7.2.1" in text and "Giám đốc Sở" in text
    assert ("Disable TLS 1.0 and 1.1." if lang == "en" else "Tắt TLS 1.0 và 1.1.") in text
    for value in (results.run.id, results.run.regime, results.run.inventory_digest, results.run.tool_version):
        assert value in text
    assert "HTTP-HSTS-01" in text and "2026-01-01" in text      # the expired waiver


def test_incomplete_run_shows_a_banner(results, incomplete_results):
    assert 'id="incomplete"' not in HtmlFormat().render(results, "en")
    html = HtmlFormat().render(incomplete_results, "vi")
    _check(html)
    assert 'id="incomplete"' in html and "Lượt kiểm tra chưa hoàn tất" in html


def test_compliance_bar_widths_are_proportional(results):
    html = HtmlFormat().render(results, "en")
    # portal: 1 pass, 3 fail out of 4 judged -> 90 and 270 of 360 units
    assert re.search(r'width="90\.0" height="22" fill="#2e7d32"', html)
    assert re.search(r'width="270\.0" height="22" fill="#c62828"', html)


def test_html_environment_autoescapes_and_offers_no_filter_that_bypasses_it():
    from secaudit.report.templated import _environment

    env = _environment("html")
    assert env.autoescape is True
    assert not {"md", "mdhtml", "wrap"} & set(env.filters)
    assert env.from_string("{{ v }}").render(v=XSS) == "&lt;script&gt;alert(1)&lt;/script&gt;"
