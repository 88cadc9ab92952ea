"""What every classification output says about a system, built once and shared by all formats.

A :class:`SystemView` holds the texts of one system's classification in one language. It is
built with a :class:`Texts` for the output kind: catalog messages are trusted text, anything from
the inventory or a regime file is an argument, and the Markdown kind escapes arguments with
:func:`secaudit.report.escape.markdown_text` while keeping the catalog text as written (so a
dossier reads "(Ký, ghi rõ họ tên và đóng dấu)", not "\\(Ký...\\)"). Other kinds get plain
strings and are escaped by their environment or writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from secaudit.classify.citation import article_ref, cite
from secaudit.classify.regime import Periodic, Regime
from secaudit.classify.result import Classification, Status
from secaudit.i18n import t
from secaudit.model import Inventory, System
from secaudit.report.environment import MarkdownSafe, joiner, translator
from secaudit.requirements.catalogue import find_catalogue
from secaudit.requirements.citation import cite_row


@dataclass(frozen=True)
class Texts:
    """Catalog text for one output kind and language (see the module docstring)."""

    kind: str
    lang: str

    @property
    def t(self) -> Callable[..., str]:
        return translator(self.kind, self.lang)

    def join(self, sep: str, items: Sequence[Any]) -> str:
        return joiner(self.kind)(sep, items)

    def fmt(self, pattern: str, *args: Any) -> str:
        """``pattern`` (trusted) with its ``{}`` filled by escaped ``args``."""
        if self.kind != "md":
            return pattern.format(*args)

        return MarkdownSafe(pattern).format(*args)


def plain(lang: str) -> Texts:
    return Texts("txt", lang)


@dataclass(frozen=True)
class CriterionView:
    id: str
    level: int
    citation: str
    text: str
    status: str                 # Status value
    status_label: str


@dataclass(frozen=True)
class InterpretationView:
    id: str
    text: str
    flag: str                   # "" when the reading needs no confirmation
    assumed: str                # "damage = serious" ...


@dataclass(frozen=True)
class SystemView:
    id: str
    name: str
    level: int | None
    level_label: str
    lower_bound: int
    declared: str
    declared_status: str
    declared_label: str
    deciding: str               # "d331-13.2.b (điểm b khoản 2 Điều 13 ...)" or component/interpretation
    deciding_text: str
    deciding_short: str         # for tables: "d331-13.2.b (điểm b khoản 2 Điều 13)"
    appraiser: str
    approver: str
    appraisal_deadline: str
    approval_deadline: str
    authority_citation: str
    periodic: str
    periodic_months: int | None
    missing: tuple[str, ...]
    missing_labels: tuple[str, ...]
    matched: tuple[CriterionView, ...]
    criteria: tuple[CriterionView, ...]
    interpretations: tuple[InterpretationView, ...]
    components: tuple[str, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def level_label(c: Classification, lang: str, tx: Texts | None = None) -> str:
    tr = (tx or plain(lang)).t
    if c.level is not None:
        return tr("classify.level.value", level=c.level)
    if c.lower_bound:
        return tr("classify.level.at_least", level=c.lower_bound)
    return tr("classify.level.undetermined")


def deadline_text(d: Any, tx: Texts) -> str:
    if d is None:
        return tx.t("classify.deadline.none")
    key = "classify.deadline.working_days" if d.working else "classify.deadline.days"
    return tx.t(key, days=d.days)


def _criteria(c: Classification, regime: Regime, tx: Texts,
              cache: dict[Any, CriterionView] | None = None) -> tuple[CriterionView, ...]:
    """The views of ``c``'s criteria; ``cache`` shares them between the systems of one output
    (10,000 systems have only a few hundred distinct criterion outcomes)."""
    lang = tx.lang
    cache = {} if cache is None else cache

    def one(r: Any) -> CriterionView:
        crit = regime.criterion(r.id)
        if r.status is Status.UNKNOWN:
            label = tx.t("classify.status.unknown", missing=", ".join(r.missing))
        else:
            label = tx.t(f"classify.status.{r.status.value}")
        return CriterionView(r.id, r.level, tx.fmt("{}", cite(r.article, regime, lang)), crit.text.get(lang),
                             r.status.value, label)

    def cached(r: Any) -> CriterionView:
        key = (r.id, r.level, r.article, r.status, tuple(r.missing))
        view = cache.get(key)
        if view is None:
            view = cache[key] = one(r)
        return view

    return tuple(cached(r) for r in c.criteria)


def _deciding(c: Classification, regime: Regime, tx: Texts) -> tuple[str, str, str]:
    """(deciding, its text, its short form for tables)."""
    d = c.deciding
    if d is None:
        return "", "", ""
    lang = tx.lang
    if d.kind == "criterion":
        return (tx.fmt("{} ({})", d.id, cite(d.article, regime, lang)), regime.criterion(d.id).text.get(lang),
                tx.fmt("{} ({})", d.id, article_ref(d.article, lang)))
    if d.kind == "interpretation":
        text = tx.t("classify.deciding.interpretation", id=d.id)
        return text, regime.interpretation(d.id).text.get(lang), text
    text = tx.t("classify.deciding.component", id=d.id, level=d.level)
    return text, "", text


def periodic_citation(p: Periodic, regime: Regime, level: int, lang: str) -> str:
    """Where a level's periodic interval comes from: the standard's clause at that level (from the catalogue,
    when the regime names the row) and the regime's article."""
    cited = cite(p.article, regime, lang)
    catalogue = find_catalogue(regime.id, regime.catalogue) if p.requirement else None
    row = catalogue.row(p.requirement, level) if catalogue is not None and p.requirement else None
    return f"{cite_row(catalogue, row, lang)}; {cited}" if catalogue is not None and row is not None else cited


def _authority(c: Classification, regime: Regime, tx: Texts) -> dict[str, Any]:
    out: dict[str, Any] = dict.fromkeys(("appraiser", "approver", "appraisal_deadline", "approval_deadline",
                                         "authority_citation", "periodic"), "")
    out["periodic_months"] = None
    if c.level is None:
        return out
    lang = tx.lang
    a = regime.authority(c.level)
    p = regime.periodic_for(c.level)
    periodic = tx.t("classify.periodic.months", months=p.months)
    if p.note:
        periodic = tx.fmt("{} ({}; {})", periodic, p.note.get(lang), periodic_citation(p, regime, c.level, lang))
    out.update(appraiser=a.appraiser.get(lang), approver=a.approver.get(lang),
               appraisal_deadline=deadline_text(a.appraisal, tx), approval_deadline=deadline_text(a.approval, tx),
               authority_citation=tx.fmt("{}", cite(a.article, regime, lang)), periodic=periodic,
               periodic_months=p.months)
    return out


def _with_matched(criteria: tuple[CriterionView, ...], met: str) -> tuple[tuple[CriterionView, ...],
                                                                          tuple[CriterionView, ...]]:
    return criteria, tuple(v for v in criteria if v.status == met)


def _shared(cache: dict[Any, Any] | None, key: Any, make: Callable[[], Any]) -> Any:
    """``make()``, or the value it gave for ``key`` earlier in the same output (texts that depend
    only on a level or on a set of missing facts are built once, not once per system)."""
    if cache is None:
        return make()
    if key not in cache:
        cache[key] = make()
    return cache[key]


def _same(cache: dict[Any, Any] | None, tag: str, obj: Any, make: Callable[[], Any]) -> Any:
    """Like :func:`_shared`, for a value that depends only on ``obj``, found by identity (systems with
    equal facts share their criterion results and readings: no need to hash them again)."""
    if cache is None:
        return make()
    entry = cache.get((tag, id(obj)))
    if entry is None or entry[0] is not obj:
        entry = cache[(tag, id(obj))] = (obj, make())
    return entry[1]


def _interpretations(c: Classification, regime: Regime, lang: str) -> tuple[InterpretationView, ...]:
    interps = []
    for ai in c.interpretations:
        it = regime.interpretation(ai.id)
        interps.append(InterpretationView(ai.id, it.text.get(lang), it.flag.get(lang) if it.flag else "",
                                          ", ".join(f"{k} = {v}" for k, v in ai.assumed.items())))
    return tuple(interps)


def _decided(c: Classification, regime: Regime, lang: str, tx: Texts,
             cache: dict[Any, Any] | None) -> dict[str, Any]:
    """The fields of a system's view that follow from what its facts decided (not from its id, name,
    components or messages): equal for every system classified alike."""
    met = Status.MET.value
    criteria, matched = _same(cache, "criteria", c.criteria,
                              lambda: _shared(cache, ("criteria", c.criteria),
                                              lambda: _with_matched(_criteria(c, regime, tx, cache), met)))
    deciding, deciding_text, deciding_short = _same(cache, "deciding", c.deciding, lambda: _deciding(c, regime, tx))
    return dict(
        level=c.level, level_label=_shared(cache, ("level", c.level, c.lower_bound), lambda: level_label(c, lang, tx)),
        lower_bound=c.lower_bound, declared_status=c.declared_status.value,
        declared_label=_shared(cache, ("declared", c.declared_status),
                               lambda: tx.t(f"classify.declared.{c.declared_status.value}")),
        deciding=deciding, deciding_text=deciding_text, deciding_short=deciding_short,
        **_shared(cache, ("authority", c.level), lambda: _authority(c, regime, tx)), missing=c.missing,
        missing_labels=_shared(cache, ("missing", c.missing),
                               lambda: tuple(tx.t(f"classify.fact.{m}") for m in c.missing)),
        matched=matched, criteria=criteria,
        interpretations=_same(cache, "interpretations", c.interpretations,
                              lambda: _interpretations(c, regime, lang)))


def system_view(c: Classification, system: System, regime: Regime, lang: str,
                tx: Texts | None = None, cache: dict[Any, CriterionView] | None = None) -> SystemView:
    tx = tx or plain(lang)
    if cache is None:
        decided = _decided(c, regime, lang, tx, cache)
    else:       # systems with equal facts share their criteria, deciding and readings: found by identity
        key = ("decided", id(c.criteria), id(c.deciding), id(c.interpretations), c.level, c.lower_bound,
               c.declared_status, c.missing)
        entry = cache.get(key)
        if entry is None or entry[0] is not c.criteria or entry[1] is not c.deciding \
                or entry[2] is not c.interpretations:
            entry = cache[key] = (c.criteria, c.deciding, c.interpretations, _decided(c, regime, lang, tx, cache))
        decided = entry[3]
    comps = tuple(tx.fmt("{}: ", cl.id) + (tx.t("classify.level.value", level=cl.level) if cl.level is not None
                                           else tx.t("classify.level.at_least", level=cl.lower_bound))
                  for cl in c.components) if c.components else ()
    return SystemView(
        id=c.system_id, name=system.name,
        declared=str(c.declared_level) if c.declared_level is not None else "",
        components=comps,
        warnings=tuple(m.render(lang) for m in c.warnings) if c.warnings else (),
        notes=tuple(m.render(lang) for m in c.notes) if c.notes else (), **decided)


def views(results: Sequence[Classification], inventory: Inventory, regime: Regime, lang: str,
          tx: Texts | None = None) -> list[SystemView]:
    cache: dict[Any, CriterionView] = {}
    tx = tx or plain(lang)
    return [system_view(c, inventory.system(c.system_id), regime, lang, tx, cache) for c in results]


def summary_line(results: Sequence[Classification], lang: str) -> str:
    return t("classify.summary", lang, count=len(results),
             undetermined=sum(1 for c in results if c.level is None),
             underclassified=sum(1 for c in results if c.underclassified))
