"""The dossier proposing a system's level ("hồ sơ đề xuất cấp độ"), rendered through the report stack.

secaudit fills what the inventory and the classification know (system overview, justification of
the level against every criterion, who appraises and approves and within how long, the endpoints
as the asset annex) and leaves clearly marked sections for what only the owner can write. Which
sections exist, and their titles, come from the regime file. Formats are registered in
:data:`DOSSIER_FORMATS`; the context is built once per output kind with that kind's
:class:`~secaudit.report.classification_view.Texts`, so inventory strings are escaped for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secaudit.classify.citation import cite
from secaudit.classify.regime import Regime
from secaudit.classify.result import Classification
from secaudit.model import Inventory, System
from secaudit.report.classification_view import SystemView, Texts, deadline_text, system_view
from secaudit.report.environment import environment
from secaudit.report.interface import DocumentFormat


@dataclass(frozen=True)
class Section:
    number: int
    id: str
    title: str
    filled: str                 # "auto" | "manual"
    hint: str                   # what the owner must supply, for manual sections


@dataclass(frozen=True)
class DossierInput:
    """What a dossier is made from: the inventory, the system, its classification and the regime."""

    inventory: Inventory
    system_id: str
    classification: Classification
    regime: Regime


def _value(fact: str, value: Any, tx: Texts) -> str:
    if isinstance(value, bool):
        return tx.t("dossier.yes" if value else "dossier.no")
    if isinstance(value, (list, tuple)):
        return tx.join(", ", [_value(fact, v, tx) for v in value])
    raw = getattr(value, "value", value)
    key = f"dossier.value.{fact}.{raw}"
    text = tx.t(key)
    return tx.fmt("{}", raw) if str(text).startswith(key) else text


_FACTS = ("secret_grade", "defence_security", "damage", "strategic", "online_service_level",
          "administrative_procedures", "conditional_business", "personal_data.users", "personal_data.basic",
          "personal_data.sensitive", "scope", "continuous_operation", "national_egov", "national_data_store",
          "works_grade", "works_national_security", "designated_level", "risk_assessed_level")


def _fact_rows(system: System, tx: Texts) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in _FACTS:
        holder: Any = system.facts
        for part in name.split("."):
            holder = getattr(holder, part)
        value = holder
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name.startswith("personal_data"):
            shown = f"{value:,}".replace(",", "." if tx.lang == "vi" else ",")
        else:
            shown = _value(name, value, tx)
        rows.append((tx.t(f"dossier.fact.{name}"), shown))
    return rows


def proposed_level(c: Classification) -> int | None:
    """The level the dossier proposes: the computed one, or the declared one when the owner chose higher."""
    if c.level is None:
        return None
    return max(c.level, c.declared_level or 0)


def _sections(regime: Regime, level: int | None, tx: Texts) -> list[Section]:
    sections: list[Section] = []
    for comp in regime.dossier_components:
        if level is not None and not comp.required_for(level):
            continue
        hint = tx.t(f"dossier.hint.{comp.id}") if comp.filled == "manual" else ""
        if str(hint).startswith("dossier.hint."):
            hint = ""
        title = comp.title.get(tx.lang)
        if level is None and comp.levels != (1, 2, 3, 4, 5):
            title = tx.fmt("{} ", title) + tx.t("dossier.levels_only", levels=", ".join(map(str, comp.levels)))
        sections.append(Section(len(sections) + 1, comp.id, title, comp.filled, hint))
    return sections


def _authority(regime: Regime, level: int | None, tx: Texts) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if level is None:
        return None, None
    lang = tx.lang
    a = regime.authority(level)
    authority = {
        "appraiser": a.appraiser.get(lang), "approver": a.approver.get(lang),
        "appraisal_deadline": deadline_text(a.appraisal, tx),
        "appraisal_citation": cite(a.appraisal.article, regime, lang) if a.appraisal else "",
        "approval_deadline": deadline_text(a.approval, tx),
        "approval_citation": cite(a.approval.article, regime, lang) if a.approval else "",
        "citation": cite(a.article, regime, lang),
    }
    p = regime.periodic_for(level)
    text = tx.t("classify.periodic.months", months=p.months)
    if p.note:
        text = text + tx.fmt(" ({})", p.note.get(lang))
    return authority, {"text": text, "citation": cite(p.article, regime, lang)}


def _declared_remark(c: Classification, tx: Texts) -> str:
    if c.declared_level is None or c.level is None:
        return ""
    if c.declared_level < c.level:
        return tx.t("dossier.declared_lower", declared=c.declared_level, computed=c.level)
    if c.declared_level > c.level:
        return tx.t("dossier.declared_higher", declared=c.declared_level, computed=c.level)
    return ""


def _endpoints(system: System, tx: Texts) -> list[dict[str, Any]]:
    return [{"n": i, "host": e.host, "port": e.port, "service": getattr(e.service, "value", e.service),
             "tls": (tx.fmt("STARTTLS ({})", e.starttls.value) if e.starttls
                     else tx.t("dossier.yes") if e.tls else tx.t("dossier.no")),
             "sni": e.sni or ""}
            for i, e in enumerate(system.endpoints, 1)]


def _regime_context(regime: Regime, lang: str) -> dict[str, Any]:
    return {"id": regime.id, "title": regime.title.get(lang), "short": regime.short.get(lang),
            "standard": regime.standard, "legal_basis": [b.get(lang) for b in regime.legal_basis],
            "dossier_citation": cite(regime.dossier_article, regime, lang),
            "max_rule_citation": cite(regime.max_rule_article, regime, lang)}


def dossier_context(d: DossierInput, tx: Texts) -> dict[str, Any]:
    """Everything the dossier templates print, as texts of the output kind of ``tx``."""
    inventory, regime, c = d.inventory, d.regime, d.classification
    system = inventory.system(d.system_id)
    lang = tx.lang
    view: SystemView = system_view(c, system, regime, lang, tx)
    level = proposed_level(c)
    authority, periodic = _authority(regime, level, tx)
    components = [{"id": cl.id, "name": inventory.system(cl.id).name,
                   "label": (tx.t("classify.level.value", level=cl.level) if cl.level is not None
                             else tx.t("classify.level.at_least", level=cl.lower_bound))}
                  for cl in c.components]
    org = inventory.organisation
    return {
        "lang": lang,
        "t": tx.t,
        "regime": _regime_context(regime, lang),
        "organisation": {"name": org.name, "security_unit": org.security_unit, "owner_body": org.owner_body},
        "owner": system.owner or org.owner_body or org.name,
        "system": {"id": system.id, "name": system.name, "description": system.description,
                   "owner": system.owner, "operator": system.operator,
                   "purpose": _value("purpose", system.purpose, tx),
                   "information": _value("information", list(system.facts.information), tx),
                   "zone": system.zone or "", "facts": _fact_rows(system, tx)},
        "components": components,
        "view": view,
        "missing_text": tx.join("; ", view.missing_labels),
        "level": level,
        "computed_level": c.level,
        "declared_remark": _declared_remark(c, tx),
        "sections": _sections(regime, level, tx),
        "authority": authority,
        "periodic": periodic,
        "endpoints": _endpoints(system, tx),
        "inventory_file": inventory.source.file,
    }


class _TemplatedDossier(DocumentFormat):
    kind: str

    def render(self, document: DossierInput, lang: str) -> str:
        ctx = dossier_context(document, Texts(self.kind, lang))
        return environment(self.kind).get_template(f"dossier.{self.extension}.j2").render(**ctx)


class MarkdownDossier(_TemplatedDossier):
    name = "md"
    extension = "md"
    media_type = "text/markdown"
    kind = "md"


class HtmlDossier(_TemplatedDossier):
    name = "html"
    extension = "html"
    media_type = "text/html"
    kind = "html"


DOSSIER_FORMATS: dict[str, type[DocumentFormat]] = {cls.name: cls for cls in (MarkdownDossier, HtmlDossier)}


def render_dossier(fmt: str, inventory: Inventory, system_id: str, classification: Classification,
                   regime: Regime, lang: str) -> str | bytes:
    """The dossier of ``system_id`` in the registered format ``fmt`` (``KeyError`` for an unknown one)."""
    return DOSSIER_FORMATS[fmt]().render(DossierInput(inventory, system_id, classification, regime), lang)
