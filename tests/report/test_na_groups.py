"""Not-applicable findings of one family on one system that share a reason are one line in the human reports.

Given the shared canned run plus a system without `hosts:` whose three host checks are not applicable for that
one reason, two TLS controls of another system left out by `--only` with a hostile reason, and checks of one
family not applicable for different reasons, when every format renders it, then text, Markdown and HTML show
one line per system, family and reason instead of a row per finding (in English and Vietnamese, hostile text
neutralised), and JSON, CSV, JUnit keep every finding.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import pytest

from secaudit.model import Control, Finding, LocalText, Message, Results, Severity, Verdict
from secaudit.report import get_format
from secaudit.report.view import build_view, not_applicable_groups
from tests.report.conftest import ANSI, MD_LINK, XSS, make_results

HOSTS = ("HOST-A-01", "HOST-B-01", "HOST-C-01")
ONLY = ("TLS-X-01", "TLS-Y-01")
HOSTILE = f"{XSS} {MD_LINK} {ANSI}"
LINE = {"en": "host checks (3 controls): not assessed — no hosts declared in the inventory",
        "vi": "kiểm tra trên máy chủ (3 biện pháp): chưa đánh giá — danh mục hệ thống không khai báo máy chủ"}


def _control(cid: str, check: str) -> Control:
    return Control(cid, LocalText(f"{cid} title", f"{cid} tiêu đề"), check, Severity.MEDIUM)


def _na(cid: str, system: str, target: str, message: Message) -> Finding:
    return Finding(cid, system, target, Verdict.NOT_APPLICABLE, Severity.MEDIUM, message)


@pytest.fixture(scope="module")
def grouped() -> Results:
    base = make_results()
    checks = {"HOST-A-01": "host.sshd", "HOST-B-01": "host.firewall", "HOST-C-01": "host.patches",
              "TLS-X-01": "tls.x", "TLS-Y-01": "tls.y", "WEB-A-01": "web.a", "WEB-B-01": "web.b"}
    controls = tuple(_control(cid, check) for cid, check in checks.items())
    findings = (
        # hr: three host checks, one reason (each message names its own check)
        *(_na(cid, "hr", "hr", Message("host.no_hosts", {"check": checks[cid]})) for cid in HOSTS),
        # lab: two TLS controls left out by --only, a reason carrying hostile text
        *(_na(cid, "lab", "lab", Message("evaluate.excluded_by_only", {"kinds": HOSTILE})) for cid in ONLY),
        # portal: two web checks, each not applicable for a different reason: no group
        _na("WEB-A-01", "portal", "127.34.0.11:443", Message("evaluate.excluded_by_only", {"kinds": "ports"})),
        _na("WEB-B-01", "portal", "127.34.0.11:443", Message("evaluate.excluded_by_only", {"kinds": "tls"})),
    )
    return dataclasses.replace(base, controls=base.controls + controls, findings=base.findings + findings)


def test_groups_are_one_system_one_family_one_reason_two_findings_or_more(grouped: Results) -> None:
    view = build_view(grouped, "en")
    groups = not_applicable_groups(view.findings, "en")
    assert [(g.system_id, g.family, g.control_ids) for g in groups] == [("hr", "host", HOSTS), ("lab", "tls", ONLY)]
    assert groups == view.na_groups
    assert {fv.finding.control_id for fv in view.listed} >= {"WEB-A-01", "WEB-B-01", "HTTP-HSTS-01"}
    assert not {fv.finding.control_id for fv in view.listed} & set(HOSTS + ONLY)
    assert view.rows == len(grouped.findings) - 5 + 2
    assert [g.text for g in view.systems[2].na_groups] == [LINE["en"] + " (`hosts:`), nothing to log in to"]


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_text_and_markdown_show_one_line_for_the_three_host_checks(grouped: Results, lang: str) -> None:
    text = get_format("text").render(grouped, lang)
    assert " ".join(text.split()).count(LINE[lang]) == 1
    assert not any(cid in text for cid in HOSTS + ONLY)
    md = get_format("md").render(grouped, lang)
    hr = next(line for line in md.splitlines() if line.startswith("- hr: "))
    assert hr.count(LINE[lang].replace("(", "\\(").replace(")", "\\)")) == 1
    assert not any(cid in md for cid in HOSTS + ONLY)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_html_shows_one_row_per_group_and_every_other_finding(grouped: Results, lang: str) -> None:
    html = get_format("html").render(grouped, lang)
    rows = re.findall(r'<tr class="finding[^"]*"[^>]*>.*?</tr>', html, re.S)
    groups = [r for r in rows if "na-group" in r]
    assert len(rows) == len(grouped.findings) - 5 + 2 and len(groups) == 2
    assert 'data-system="hr"' in groups[0] and ", ".join(HOSTS) in groups[0] and LINE[lang] in groups[0]
    assert not [r for r in rows if "na-group" not in r and any(cid in r for cid in HOSTS + ONLY)]
    assert f'<span id="f-shown">{len(rows)}</span>/{len(rows)}' in html


def test_hostile_text_in_a_grouped_reason_is_neutralised_in_every_human_format(grouped: Results) -> None:
    html = get_format("html").render(grouped, "en")
    lab = next(r for r in re.findall(r'<tr class="finding na-group".*?</tr>', html, re.S) if 'data-system="lab"' in r)
    assert "<script>" not in lab and "&lt;script&gt;alert(1)&lt;/script&gt;" in lab
    text = get_format("text").render(grouped, "en")
    assert "\x1b" not in text and "\x07" not in text and "only <script>alert(1)</script>" in " ".join(text.split())
    md = get_format("md").render(grouped, "en")
    lab_md = next(line for line in md.splitlines() if line.startswith("- lab: "))
    assert "<script>" not in lab_md and "[x](javascript" not in lab_md and "\x1b" not in lab_md


def test_machine_formats_keep_every_finding(grouped: Results) -> None:
    data = json.loads(get_format("json").render(grouped, "en"))
    assert sorted(f["control_id"] for f in data["findings"]) == sorted(f.control_id for f in grouped.findings)
    rows = list(csv.DictReader(io.StringIO(get_format("csv").render(grouped, "en"))))
    assert len(rows) == len(grouped.findings)
    assert sum(1 for r in rows if r["control"] in HOSTS + ONLY) == 5
    junit = get_format("junit").render(grouped, "en")
    assert all(junit.count(f'"{cid}') >= 1 for cid in HOSTS + ONLY)
    assert junit.count("<testcase ") == len(grouped.findings)
