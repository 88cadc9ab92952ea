"""A run that judged a family's own subjects (discovery's zones, regime ``-``) speaks of no level: a zone is judged
against its policy through an internal level 1, which no report may show as the zone's required or met level, nor
tell the reader to run ``secaudit assess`` for it. A classified run still shows its levels (the control case)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from secaudit.model import UNCLASSIFIED, Results, SystemResult, level_assessment_message
from secaudit.report import get_format
from secaudit.report.view import build_view, level_figures

from tests.report.conftest import make_results


def zones_run() -> Results:
    base = make_results()
    zone = SystemResult("zone:dmz", "DMZ", None, None, 1, 1, "", "discovery", {"pass": 1}, {})
    return dataclasses.replace(base, run=dataclasses.replace(base.run, regime=UNCLASSIFIED), systems=(zone,),
                               findings=())


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_a_zone_shows_no_level_in_text_markdown_and_html(lang: str) -> None:
    results = zones_run()
    [sv] = build_view(results, lang).systems
    assert not sv.leveled and sv.network.requirements is None
    assert level_figures(results) == {}
    text, md = get_format("text").render(results, lang), get_format("md").render(results, lang)
    html = get_format("html").render(results, lang)
    not_assessed = level_assessment_message(1, None).render(lang)      # "requirements of level 1: not assessed…"
    for out in (text, md, html):
        assert "zone:dmz" in out and not_assessed.split(":")[0] not in out
    assert re.search(r"\| DMZ \(zone:dmz\) \| — \| — \|", md)
    assert re.search(r'<td class="num level">—</td>\s*<td class="num level">—</td>', html)


def test_a_classified_run_still_shows_its_levels() -> None:
    results = make_results()
    md = get_format("md").render(results, "en")
    assert all(sv.leveled for sv in build_view(results, "en").systems)
    assert "| — | — |" not in md and level_assessment_message(2, None).render("en").split(":")[0] in md
    assert level_figures(results)
