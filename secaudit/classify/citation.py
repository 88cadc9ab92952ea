"""Citations of a regime's articles in each language.

Regime files give an article as ``"8.2.a"`` (article 8, clause 2, point a). Vietnamese legal style
cites from the smallest unit up ("điểm a khoản 2 Điều 8 Nghị định số 85/2016/NĐ-CP"); English
cites "Art. 8(2)(a) of Decree 85/2016/ND-CP".
"""

from __future__ import annotations

from secaudit.classify.regime import Regime


def article_ref(article: str, lang: str) -> str:
    parts = article.split(".")
    if lang == "vi":
        words = [f"Điều {parts[0]}"]
        if len(parts) > 1:
            words.insert(0, f"khoản {parts[1]}")
        if len(parts) > 2:
            words.insert(0, f"điểm {parts[2]}")
        return " ".join(words)
    return "Art. " + parts[0] + "".join(f"({p})" for p in parts[1:])


def cite(article: str, regime: Regime, lang: str) -> str:
    """Full citation: the article in the regime's regulation."""
    if lang == "vi":
        return f"{article_ref(article, lang)} {regime.short.vi}"
    return f"{article_ref(article, lang)} of {regime.short.en}"
