"""How often a system must be assessed, per regime and level, with the clause that says so (pure).

Two cadences apply (design §8.5–8.6):

- **Decree 85/2016 Art. 20.2.c** — periodic information-security assessment: levels 3–4 every
  year, level 5 every six months; the whole organisation every two years, which is the only
  periodic assessment levels 1–2 get.
- **TCVN 14423:2026 x.7.2.1** (Decree 331/2026 regime; x is the standard's section of the level:
  3 for level 1 … 7 for level 5) — vulnerability scanning: yearly at levels 1–2, every six months
  at level 3, six-monthly and quarterly for critical assets at level 4, quarterly and monthly for
  critical assets at level 5.

A network scan is what secaudit performs, so by default the stricter "critical assets" interval
is used where the standard has two (an endpoint a scanner reaches is exposed); callers may ask
for the standard interval with ``critical=False``. Nothing here reads a clock or a store:
``next_due(last, regime, level)`` is a pure function, so the annual report and ``secaudit due``
agree by construction.

Stable API (used by the documents helper): :data:`REGIMES`, :func:`cadence`, :func:`next_due`,
:func:`due_status`, :func:`add_months`, :class:`Cadence`, :class:`DueStatus`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

DECREE_85 = "decree-85-2016"
DECREE_331 = "decree-331-2026"
REGIMES: tuple[str, ...] = (DECREE_331, DECREE_85)

KIND_ASSESSMENT = "assessment"                # Decree 85: kiểm tra, đánh giá an toàn thông tin
KIND_VULNERABILITY_SCAN = "vulnerability_scan"  # TCVN 14423: rà quét lỗ hổng


@dataclass(frozen=True)
class Cadence:
    """The interval of one level under one regime and where it is written."""

    regime: str
    level: int
    months: int                      # the interval used (the stricter one when two exist and critical=True)
    citation: str                    # e.g. "Decree 85/2016 Art. 20.2.c", "TCVN 14423:2026 5.7.2.1"
    citation_vi: str                 # the same in Vietnamese: "Nghị định 85/2016 Điều 20.2.c"
    kind: str                        # KIND_ASSESSMENT | KIND_VULNERABILITY_SCAN
    standard_months: int             # the interval for assets that are not critical (== months when one interval)
    critical_assets: bool = False    # True when `months` is the critical-assets interval

    def cite(self, lang: str = "en") -> str:
        return self.citation_vi if lang == "vi" else self.citation


# level -> (standard interval, critical-assets interval), in months
_TCVN_14423: dict[int, tuple[int, int]] = {1: (12, 12), 2: (12, 12), 3: (6, 6), 4: (6, 3), 5: (3, 1)}
# Decree 85 Art. 20.2.c: levels 3-4 yearly, 5 six-monthly; 1-2 only in the two-yearly organisation-wide assessment
_DECREE_85: dict[int, int] = {1: 24, 2: 24, 3: 12, 4: 12, 5: 6}


def cadence(regime: str, level: int, critical: bool = True) -> Cadence:
    """The periodic cadence of a level-``level`` system under ``regime`` (``ValueError`` if unknown)."""
    if level not in range(1, 6):
        raise ValueError(f"level must be 1..5, not {level!r}")
    if regime == DECREE_85:
        return Cadence(DECREE_85, level, _DECREE_85[level], "Decree 85/2016 Art. 20.2.c",
                       "Nghị định 85/2016/NĐ-CP Điều 20 khoản 2 điểm c", KIND_ASSESSMENT, _DECREE_85[level])
    if regime == DECREE_331:
        standard, strict = _TCVN_14423[level]
        clause = f"{level + 2}.7.2.1"          # the standard's section of level N is N+2 (§3 level 1 ... §7 level 5)
        months = strict if critical else standard
        return Cadence(DECREE_331, level, months, f"TCVN 14423:2026 {clause}", f"TCVN 14423:2026 mục {clause}",
                       KIND_VULNERABILITY_SCAN, standard, critical_assets=critical and strict != standard)
    raise ValueError(f"unknown regime {regime!r} (known: {', '.join(REGIMES)})")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months, the day clamped to the target month's length (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_due(last: dt.date, regime: str, level: int, critical: bool = True) -> dt.date:
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


def due_status(last: dt.date | None, regime: str, level: int, today: dt.date, critical: bool = True) -> DueStatus:
    """Is a system of ``level`` last assessed on ``last`` overdue on ``today`` under ``regime``?

    A system never assessed is overdue: the cadence starts with a first assessment."""
    c = cadence(regime, level, critical)
    if last is None:
        return DueStatus(regime, level, c, None, None, True, None)
    nxt = add_months(last, c.months)
    return DueStatus(regime, level, c, last, nxt, today > nxt, (nxt - today).days)
