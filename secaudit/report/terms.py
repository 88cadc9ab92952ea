"""A regime's words in a document: the ``terms:`` of its file, filled and escaped for one output kind.

Every official document uses the words of the regime it follows ("an ninh mạng" under Decree 331/2026,
"an toàn thông tin" under Decree 85/2016). They are the regime's data, never a branch on its id: a new
regime brings its own. A sentence may use the three words (``{security}``, ``{protection}``, ``{unit}``)
and the arguments its caller gives.
"""

from __future__ import annotations

from typing import Any

from secaudit.classify.regime import TERM_WORDS, Regime
from secaudit.report.environment import data_text


def term(regime: Regime, kind: str, lang: str, name: str, **args: Any) -> str:
    """The regime's word or sentence ``name`` in ``lang`` for output ``kind``; "" when it has none by that name."""
    text = regime.term(name)
    if text is None:
        return ""
    words = {} if name in TERM_WORDS else words_of(regime, kind, lang)
    return data_text(kind, text.get(lang), **{**words, **args})


def words_of(regime: Regime, kind: str, lang: str) -> dict[str, str]:
    """The three words every sentence of the regime's documents may use, as catalog arguments."""
    return {n: term(regime, kind, lang, n) for n in TERM_WORDS}
