"""The dossier proposing a system's level ("hồ sơ đề xuất cấp độ"): context for the Jinja2 templates.

secaudit fills what the inventory and the classification know (system overview, justification of
the level against every criterion, who appraises and approves and within how long, the endpoints
as the asset annex) and leaves clearly marked sections for what only the owner can write (design
documents, security plan, professional opinion and risk assessment at levels 4-5). Which sections
exist, and their titles, come from the regime file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secaudit.classify.citation import cite
from secaudit.classify.regime import Regime
from secaudit.classify.report import SystemView, system_view
from secaudit.classify.result import Classification
from secaudit.i18n import t
from secaudit.model import Inventory, System

DOSSIER_FORMATS = ("md", "html")


@dataclass(frozen=True)
class Section:
    number: int
    id: str
    title: str
    filled: str                 # "auto" | "manual"
    hint: str                   # what the owner must supply, for manual sections


def _value(fact: str, value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return t("dossier.yes" if value else "dossier.no", lang)
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(fact, v, lang) for v in value)
    raw = getattr(value, "value", value)
    key = f"dossier.value.{fact}.{raw}"
    text = t(key, lang)
    return str(raw) if text.startswith(key) else text


def _fact_rows(system: System, lang: str) -> list[tuple[str, str]]:
    f = system.facts
    rows: list[tuple[str, str]] = []
    pairs: list[tuple[str, Any]] = [
        ("secret_grade", f.secret_grade), ("defence_security", f.defence_security), ("damage", f.damage),
        ("strategic", f.strategic), ("online_service_level", f.online_service_level),
        ("administrative_procedures", f.administrative_procedures),
        ("conditional_business", f.conditional_business),
        ("personal_data.users", f.personal_data.users), ("personal_data.basic", f.personal_data.basic),
        ("personal_data.sensitive", f.personal_data.sensitive), ("scope", f.scope),
        ("continuous_operation", f.continuous_operation), ("national_egov", f.national_egov),
        ("national_data_store", f.national_data_store), ("works_grade", f.works_grade),
        ("works_national_security", f.works_national_security), ("designated_level", f.designated_level),
        ("risk_assessed_level", f.risk_assessed_level),
    ]
    for name, value in pairs:
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name.startswith("personal_data"):
            shown = f"{value:,}".replace(",", "." if lang == "vi" else ",")
        else:
            shown = _value(name, value, lang)
        rows.append((t(f"dossier.fact.{name}", lang), shown))
    return rows


def proposed_level(c: Classification) -> int | None:
    """The level the dossier proposes: the computed one, or the declared one when the owner chose higher."""
    if c.level is None:
        return None
    return max(c.level, c.declared_level or 0)


def dossier_context(inventory: Inventory, system_id: str, classification: Classification, regime: Regime,
                    lang: str) -> dict[str, Any]:
    system = inventory.system(system_id)
    view: SystemView = system_view(classification, system, regime, lang)
    level = proposed_level(classification)

    sections: list[Section] = []
    for comp in regime.dossier_components:
        if level is not None and not comp.required_for(level):
            continue
        hint = t(f"dossier.hint.{comp.id}", lang) if comp.filled == "manual" else ""
        if hint.startswith("dossier.hint."):
            hint = ""
        title = comp.title.get(lang)
        if level is None and comp.levels != (1, 2, 3, 4, 5):
            title += " " + t("dossier.levels_only", lang, levels=", ".join(map(str, comp.levels)))
        sections.append(Section(len(sections) + 1, comp.id, title, comp.filled, hint))

    authority = periodic = None
    if level is not None:
        a = regime.authority(level)
        authority = {
            "appraiser": a.appraiser.get(lang), "approver": a.approver.get(lang),
            "appraisal_deadline": (t("classify.deadline.working_days" if a.appraisal.working
                                     else "classify.deadline.days", lang, days=a.appraisal.days)
                                   if a.appraisal else t("classify.deadline.none", lang)),
            "appraisal_citation": cite(a.appraisal.article, regime, lang) if a.appraisal else "",
            "approval_deadline": (t("classify.deadline.working_days" if a.approval.working
                                    else "classify.deadline.days", lang, days=a.approval.days)
                                  if a.approval else t("classify.deadline.none", lang)),
            "approval_citation": cite(a.approval.article, regime, lang) if a.approval else "",
            "citation": cite(a.article, regime, lang),
        }
        p = regime.periodic_for(level)
        periodic = {"text": t("classify.periodic.months", lang, months=p.months)
                    + (f" ({p.note.get(lang)})" if p.note else ""), "citation": cite(p.article, regime, lang)}

    declared_remark = ""
    c = classification
    if c.declared_level is not None and c.level is not None:
        if c.declared_level < c.level:
            declared_remark = t("dossier.declared_lower", lang, declared=c.declared_level, computed=c.level)
        elif c.declared_level > c.level:
            declared_remark = t("dossier.declared_higher", lang, declared=c.declared_level, computed=c.level)

    endpoints = [{"n": i, "host": e.host, "port": e.port, "service": getattr(e.service, "value", e.service),
                  "tls": (f"STARTTLS ({e.starttls.value})" if e.starttls else (t("dossier.yes", lang) if e.tls
                                                                             else t("dossier.no", lang))),
                  "sni": e.sni or ""}
                 for i, e in enumerate(system.endpoints, 1)]
    components = [{"id": cl.id, "name": inventory.system(cl.id).name,
                   "label": (t("classify.level.value", lang, level=cl.level) if cl.level is not None
                             else t("classify.level.at_least", lang, level=cl.lower_bound))}
                  for cl in c.components]

    org = inventory.organisation
    owner = system.owner or org.owner_body or org.name
    return {
        "lang": lang,
        "t": lambda key, **a: t(key, lang, **a),
        "regime": {"id": regime.id, "title": regime.title.get(lang), "short": regime.short.get(lang),
                   "standard": regime.standard,
                   "legal_basis": [b.get(lang) for b in regime.legal_basis],
                   "dossier_citation": cite(regime.dossier_article, regime, lang),
                   "max_rule_citation": cite(regime.max_rule_article, regime, lang)},
        "organisation": {"name": org.name, "security_unit": org.security_unit, "owner_body": org.owner_body},
        "owner": owner,
        "system": {"id": system.id, "name": system.name, "description": system.description,
                   "owner": system.owner, "operator": system.operator,
                   "purpose": _value("purpose", system.purpose, lang),
                   "information": _value("information", list(system.facts.information), lang),
                   "zone": system.zone or "", "facts": _fact_rows(system, lang)},
        "components": components,
        "view": view,
        "level": level,
        "computed_level": c.level,
        "declared_remark": declared_remark,
        "sections": sections,
        "authority": authority,
        "periodic": periodic,
        "endpoints": endpoints,
        "inventory_file": inventory.source.file,
    }


def render_dossier(fmt: str, inventory: Inventory, system_id: str, classification: Classification,
                   regime: Regime, lang: str) -> str:
    from secaudit.classify.templating import environment

    if fmt not in DOSSIER_FORMATS:
        raise ValueError(fmt)
    ctx = dossier_context(inventory, system_id, classification, regime, lang)
    return environment().get_template(f"dossier.{fmt}.j2").render(**ctx)
