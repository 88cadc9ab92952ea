"""The clause a control cites, from the catalogue of the regime's standard at the system's level.

A control names requirement keys (``requirements: [account.default-disabled]``); the clause printed for
it is the one the catalogue gives that key at the level the system must meet (5.6.2.3 at level 3, 6.6.2.3
at level 4). A control inherited across levels names every key it evidences at any of them; at one level
it cites the keys that level has (TLS-PROTO-01 evidences "secure protocols" only from level 4). Without a
catalogue for the regime, or without a level, or when no key has a row at that level, the citation names
the standard and the keys — never a clause guessed.
Citations are language-neutral strings ("TCVN 14423:2026 5.6.2.2"), so stored results render in any language.
A row the regime sets with no clause of the standard cites its basis instead ("Circular 12/2022/TT-BTTTT Annex
III, item 1.6"), in the language asked for (English by default, as stored results hold it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from secaudit.requirements.catalogue import Catalogue, Row, find_catalogue


@dataclass(frozen=True)
class Citer:
    standard: str                          # the regime's standard, named when no clause can be given
    catalogue: Catalogue | None = None     # the catalogue of that standard, when secaudit ships one

    def row(self, key: str, level: int | None) -> Row | None:
        if self.catalogue is None or level is None:
            return None
        return self.catalogue.row(key, level)

    def cite(self, key: str, level: int | None, lang: str = "en") -> str:
        row = self.row(key, level)
        if row is not None and self.catalogue is not None:
            return cite_row(self.catalogue, row, lang)
        return f"{self.standard} [{key}]" if self.standard else f"[{key}]"

    def citations(self, keys: Iterable[str], level: int | None, lang: str = "en") -> tuple[str, ...]:
        """The clauses of ``keys`` at ``level`` (keys without a row there are left out), in the order given,
        each once; the standard and every key when none has a row."""
        keys = tuple(keys)
        cited = [self.cite(k, level, lang) for k in keys if self.row(k, level) is not None]
        return tuple(dict.fromkeys(cited or (self.cite(k, level, lang) for k in keys)))


def cite_row(catalogue: Catalogue, row: Row, lang: str) -> str:
    """A row's citation: the standard and its clause ("TCVN 11930:2017 7.1.1.1"), or its basis in ``lang`` alone
    when the standard has no clause for it (the basis names its own instrument)."""
    return row.basis.get(lang) if row.basis is not None else f"{catalogue.standard} {row.clause}"


NO_CITER = Citer("")


def citer_for(regime_id: str, standard: str, catalogue: str | None = None) -> Citer:
    """The citer of a regime: its shipped catalogue (the one its file names as ``catalogue``, else the one listing
    the regime) when there is one, else its standard's name only."""
    return Citer(standard, find_catalogue(regime_id, catalogue))
