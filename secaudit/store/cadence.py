"""How often a system must be assessed, per regime and level, with the clause that says so (pure).

The intervals are the regime's data (``periodic_assessment`` in ``policies/regimes/*.yaml``, see
design §8.5–8.6): what the interval times (``periodic_duty``: the periodic assessment of Decree
85/2016 Art. 20.2.c, or the vulnerability scan of TCVN 14423:2026 x.7.2.1 under Decree 331/2026),
the months per level, a stricter interval for important ("critical") assets where the standard has
two, and the citation.

A network scan is what secaudit performs, so by default the stricter "critical assets" interval
is used where the regime has two (an endpoint a scanner reaches is exposed); callers may ask
for the standard interval with ``critical=False``. Nothing here reads a clock or a store:
``next_due(last, regime, level)`` is a pure function of the regime's data, so the annual report
and ``secaudit due`` agree by construction.

Stable API (used by the documents helper): :func:`cadence`, :func:`next_due`, :func:`due_status`,
:func:`add_months`, :class:`Cadence`, :class:`DueStatus`. A regime is given as a loaded
:class:`~secaudit.classify.regime.Regime`, or by id or path (:func:`~secaudit.classify.regime.load_regime`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from secaudit.classify.citation import cite
from secaudit.classify.regime import DUTIES, LEVELS, Regime, available_regimes, load_regime
from secaudit.errors import InputError

# What a regime's interval times (its periodic_duty): Decree 85 a kiểm tra, đánh giá; TCVN 14423 a rà quét lỗ hổng
KIND_ASSESSMENT, KIND_VULNERABILITY_SCAN = DUTIES


@dataclass(frozen=True)
class Cadence:
    """The interval of one level under one regime and where it is written."""

    regime: str
    level: int
    months: int                      # the interval used (the stricter one when two exist and critical=True)
    citation: str                    # e.g. "Decree 85/2016 Art. 20.2.c", "TCVN 14423:2026 5.7.2.1"
    citation_vi: str                 # the same in Vietnamese: "Nghị định 85/2016 Điều 20.2.c"
    kind: str                        # KIND_ASSESSMENT | KIND_VULNERABILITY_SCAN (the regime's periodic_duty)
    standard_months: int             # the interval for assets that are not critical (== months when one interval)
    critical_assets: bool = False    # True when `months` is the critical-assets interval

    def cite(self, lang: str = "en") -> str:
        return self.citation_vi if lang == "vi" else self.citation


def regime_of(regime: Regime | str) -> Regime:
    """``regime`` loaded (by id or path) when not already; ``ValueError`` when there is no such regime."""
    if isinstance(regime, Regime):
        return regime
    try:
        return load_regime(regime)
    except InputError as e:
        raise ValueError(e.diagnostics[0].render("en")) from e


def regimes(names: Sequence[str] = ()) -> tuple[Regime, ...]:
    """The regimes ``names`` (ids or paths), else every regime of policies/regimes/ (``available_regimes``);
    an ``InputError`` (file:line:col) for a regime that is not there or not valid."""
    return tuple(load_regime(n) for n in (names or available_regimes()))


def cadence(regime: Regime | str, level: int, critical: bool = True) -> Cadence:
    """The periodic cadence of a level-``level`` system under ``regime`` (``ValueError`` if unknown)."""
    if level not in LEVELS:
        raise ValueError(f"level must be 1..5, not {level!r}")
    r = regime_of(regime)
    p = r.periodic_for(level)
    strict = p.critical_months or p.months
    months = strict if critical else p.months
    en = p.citation.en if p.citation else cite(p.article, r, "en")
    vi = p.citation.vi if p.citation else cite(p.article, r, "vi")
    return Cadence(r.id, level, months, en, vi, r.periodic_duty, p.months,
                   critical_assets=critical and strict != p.months)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, the day clamped to the target month's length (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(last: dt.date, regime: Regime | str, level: int, critical: bool = True) -> dt.date:
    """The date the next periodic assessment or scan is due after one made on ``last``."""
    return add_months(last, cadence(regime, level, critical).months)


@dataclass(frozen=True)
class DueStatus:
    """Where one system stands against one regime's cadence on ``today``."""

    regime: str
    level: int
    cadence: Cadence
    last: dt.date | None             # None: never assessed (due at once)
    next_due: dt.date | None         # None when never assessed
    overdue: bool
    days_left: int | None            # negative when overdue; None when never assessed


def due_status(last: dt.date | None, regime: Regime | str, level: int, today: dt.date, critical: bool = True) -> DueStatus:
    """Is a system of ``level`` last assessed on ``last`` overdue on ``today`` under ``regime``?

    A system never assessed is overdue: the cadence starts with a first assessment."""
    c = cadence(regime, level, critical)
    if last is None:
        return DueStatus(c.regime, level, c, None, None, True, None)
    nxt = add_months(last, c.months)
    return DueStatus(c.regime, level, c, last, nxt, today > nxt, (nxt - today).days)
