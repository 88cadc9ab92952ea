"""Every document, for every example system, in both languages, under both regimes, says what it
means: no catalog key leaks into the text (a missing message would show as its key)."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.programme import build_programme, proposed_level
from secaudit.report.annual import AnnualInput, build_annual_report
from secaudit.report.document_formats import render_document
from secaudit.report.dossier import render_dossier
from secaudit.report.letters import LetterInput, build_letter
from secaudit.report.status import build_status, render_html, render_text
from tests.support.history import example_inventory

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEY = re.compile(r"\b(?:doc|dx|annual|dossier|letter|status|classify|report)\.[a-z_]+\.[a-z0-9_.]+")


@pytest.mark.parametrize("regime_id", ["decree-331-2026", "decree-85-2016"])
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_no_catalog_key_in_any_document(regime_id: str, lang: str) -> None:
    inv = example_inventory(ROOT)
    reg = load_regime(regime_id)
    results = classify_inventory(inv, reg)
    day = dt.date(2026, 12, 14)
    programme = build_programme(inv, results, {}, reg.id, day)
    texts = [render_document(fmt, build_annual_report(AnnualInput(inv, reg, programme, 2026), lang, kind))
             for fmt, kind in (("md", "md"), ("html", "txt"))]
    view = build_status(inv, reg, programme, lang, "sqlite:///x")
    texts += [render_text(view, lang), render_html(view, lang)]
    for c in results:
        texts += [render_dossier(fmt, inv, c.system_id, c, reg, lang) for fmt in ("md", "html")]
        level = proposed_level(c)
        if level:
            kinds = ("appraisal", "opinion") if level >= 4 else ("appraisal",)
            texts += [render_document("md", build_letter(LetterInput(inv, c.system_id, c, reg, k), lang, "md"))
                      for k in kinds]
    for text in texts:
        leaked = KEY.findall(str(text))
        assert not leaked, leaked[:5]
