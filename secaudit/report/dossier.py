"""The dossier proposing a system's level ("hồ sơ đề xuất cấp độ") as a :class:`Document`.

It covers every item of Decree 331/2026 Art. 22 (Decree 85/2016 Art. 15 under that regime), in the
sections the regime file lists: the overview (22.3 a–d), the justification (22.4 a–c: list of
systems, detailed justification against every criterion with a damage table, preliminary risks),
the security plan per requirement group (22.6) pre-filled with the controls secaudit checks and their
latest verdicts, and for levels 4–5 the risk assessment (22.5 a–d). What only the agency can write is
marked once per section. Formats are registered in :data:`DOSSIER_FORMATS`; the document is built
for its output kind (:class:`~secaudit.report.classification_view.Texts`) so inventory strings are
escaped for it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from secaudit.classify.citation import cite
from secaudit.classify.regime import Regime
from secaudit.classify.result import Classification
from secaudit.i18n import catalog
from secaudit.model import Control, Inventory, LevelAssessment, System, level_assessment_message
from secaudit.programme import proposed_level
from secaudit.report.classification_view import SystemView, Texts, deadline_text, periodic_citation, system_view
from secaudit.report.document import (MOTTO, Bullets, Document, Header, Heading, Paragraph, Section, Signature,
                                      Table)
from secaudit.report.document_formats import DOCUMENT_FORMATS
from secaudit.report.environment import MarkdownSafe
from secaudit.report.interface import DocumentFormat
from secaudit.report.terms import term, words_of
from secaudit.requirements.citation import citer_for

GROUPS = ("network", "server", "application", "data")
# Which requirement group a check family serves (Decree 331 Art. 30.4; TCVN 11930:2017 x.2.1-x.2.4).
FAMILY_GROUP = {"ports": "network", "ssh": "server", "http": "application", "tls": "data", "cert": "data"}
VERDICT_ORDER = ("fail", "error", "waived", "pass", "not_applicable")


@dataclass(frozen=True)
class DossierInput:
    """What a dossier is made from; ``verdicts`` (control id -> worst verdict of the latest run) and
    ``findings`` (failed (control, target) pairs) come from the audit history when there is one."""

    inventory: Inventory
    system_id: str
    classification: Classification
    regime: Regime
    controls: Sequence[Control] = ()
    verdicts: Mapping[str, str] = field(default_factory=dict)
    failed: Sequence[tuple[str, str]] = ()
    run_label: str = ""                            # "20261120T080000Z-bbbb, 20/11/2026"
    assessment: LevelAssessment | None = None      # the system's latest stored `secaudit assess` under the regime


@dataclass
class _B:
    """The document being built: blocks, the Texts of the output kind, the regime's words."""

    tx: Texts
    regime: Regime
    blocks: list[Any] = field(default_factory=list)

    def term(self, name: str, **args: Any) -> str:
        """The regime's word or sentence ``name`` (its file's ``terms``); "" when it has none by that name."""
        return term(self.regime, self.tx.kind, self.tx.lang, name, **args)

    def t(self, key: str, **args: Any) -> str:
        return self.tx.t(key, **{**words_of(self.regime, self.tx.kind, self.tx.lang), **args})

    def lit(self, text: str) -> str:
        """Text written by secaudit itself (numbers): trusted like catalog text."""
        return _md_lit(text) if self.tx.kind == "md" else text

    def add(self, *blocks: Any) -> None:
        self.blocks.extend(blocks)


def _md_lit(text: str) -> str:
    return MarkdownSafe(text)


def _value(fact: str, value: Any, tx: Texts) -> str:
    if isinstance(value, bool):
        return tx.t("dossier.yes" if value else "dossier.no")
    if isinstance(value, (list, tuple)):
        return tx.join(", ", [_value(fact, v, tx) for v in value])
    raw = getattr(value, "value", value)
    key = f"dossier.value.{fact}.{raw}"
    return tx.t(key) if _known(key) else tx.fmt("{}", raw)


def _known(key: str) -> bool:
    return key in catalog()


_FACTS = ("secret_grade", "defence_security", "damage", "strategic", "online_service_level",
          "administrative_procedures", "conditional_business", "personal_data.users", "personal_data.basic",
          "personal_data.sensitive", "scope", "continuous_operation", "national_egov", "national_data_store",
          "works_grade", "works_national_security", "designated_level", "risk_assessed_level")


def _fact_rows(system: System, tx: Texts) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name in _FACTS:
        value: Any = system.facts
        for part in name.split("."):
            value = getattr(value, part)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and name.startswith("personal_data"):
            shown = f"{value:,}".replace(",", "." if tx.lang == "vi" else ",")
        else:
            shown = _value(name, value, tx)
        rows.append((tx.t(f"dossier.fact.{name}"), shown))
    return rows


# --------------------------------------------------------------------------- sections


def body_rows(tx: Texts, inventory: Inventory, name: str, name_label: str) -> tuple[tuple[str, str], ...]:
    """The particulars the forms ask for of the body called ``name`` (Art. 22.3 a-b, Art. 36.1), each from the
    inventory's ``organisation.bodies``, the form's blank ("…") where one is not recorded."""
    blank = tx.t("doc.blank")
    body = inventory.organisation.body(name)
    got = body.particulars() if body else {}
    head = tx.join(", ", [x for x in (got.get("head", ""), got.get("head_title", "")) if x])
    return ((name_label, name or blank),
            (tx.t("dx.body.founding"), got.get("founding_document") or blank),
            (tx.t("dx.body.head"), head or blank),
            (tx.t("dx.body.address"), got.get("address") or blank),
            (tx.t("dx.body.phone"), got.get("phone") or blank),
            (tx.t("dx.body.email"), got.get("email") or blank))


def zone_name(inventory: Inventory, zone_id: str | None) -> str:
    """A zone by its human name (its description), "" when the inventory gives none."""
    for z in inventory.zones:
        if z.id == zone_id:
            return z.description
    return ""


def _overview(b: _B, d: DossierInput, system: System) -> None:
    """Art. 22.3: (a) the owner, with its specialised unit, (b) the operating unit, each with the particulars the
    decree lists, (c) scope, scale and users, (d) architecture, services, zones and IP plan."""
    tx, inv = b.tx, d.inventory
    owner = inv.organisation.owner_of(system)
    cols = (tx.t("dossier.col.item"), tx.t("dossier.col.content"))
    b.add(Heading(b.t("dx.ov.a"), 2, b.lit("a)")),
          Table(cols, ((tx.t("dossier.field.name"), system.name),)
                + body_rows(tx, inv, owner, tx.t("dossier.field.owner")), widths=(2, 5), id="owner"),
          Paragraph(b.t("dx.body.unit_intro"), "bold"),
          Table(cols, body_rows(tx, inv, inv.organisation.unit_of(owner), b.t("dx.security_unit")), widths=(2, 5),
                id="unit"),
          Heading(b.t("dx.ov.b"), 2, b.lit("b)")),
          Table(cols, body_rows(tx, inv, system.operator, tx.t("dossier.field.operator")), widths=(2, 5),
                id="operator"))
    rows = [(tx.t("dossier.field.purpose"), _value("purpose", system.purpose, tx)),
            (tx.t("dossier.field.information"), _value("information", list(system.facts.information), tx) or "-")]
    if system.description:
        rows.append((tx.t("dossier.field.description"), system.description))
    rows += _fact_rows(system, tx)
    b.add(Heading(b.t("dx.ov.c"), 2, b.lit("c)")), Table(cols, tuple(rows), widths=(2, 5), id="scope"))
    if system.components:
        b.add(Paragraph(tx.t("dossier.components_intro")),
              Bullets(tuple(d.inventory.system(c).name for c in system.components)))
    b.add(Heading(b.t("dx.ov.d"), 2, b.lit("d)")), Paragraph(b.t("dx.ov.c_note"), "note"))
    services = sorted({(str(getattr(e.service, "value", e.service)), e.port) for e in system.endpoints})
    if services:
        b.add(Bullets(tuple(tx.fmt("{} ({})", svc, port) for svc, port in services)))
    zone = (zone_name(inv, system.zone) or tx.t("doc.blank")) if system.zone else tx.t("doc.blank")
    b.add(Paragraph(tx.t("dx.ov.zone", zone=zone)), Paragraph(b.t("dx.ov.d_note"), "note"))
    hosts: dict[str, list[int]] = {}
    for e in system.endpoints:
        hosts.setdefault(e.host, []).append(e.port)
    if hosts:
        b.add(Table((tx.t("dx.col.address"), tx.t("dx.col.kind"), tx.t("dx.col.ports")),
                    tuple((h, tx.t("dx.kind.ip" if _is_ip(h) else "dx.kind.name"),
                           ", ".join(str(p) for p in sorted(set(ports)))) for h, ports in hosts.items()),
                    widths=(3, 2, 2), id="ip-plan"))
    b.add(Paragraph(tx.t("dossier.field.endpoints") + tx.fmt(": ")
                    + tx.t("dossier.endpoints_count", count=len(system.endpoints))))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _justification(b: _B, d: DossierInput, system: System, view: SystemView, level: int | None) -> None:
    """Art. 22.4: (a) list with proposed level and article, (b) detailed justification, (c) risks."""
    tx, regime, c = b.tx, d.regime, d.classification
    b.add(Heading(b.t("dx.j.a"), 2, b.lit("a)")),
          Table((tx.t("dx.col.system"), tx.t("dx.col.proposed"), tx.t("dx.col.basis")),
                ((system.name, str(level) if level else "-", _basis(d, tx) or "-"),)
                + tuple((d.inventory.system(cl.id).name, str(cl.level or "-"), _component_basis(d, cl.id, tx))
                        for cl in c.components), widths=(5, 2, 4), id="systems-list"))
    b.add(Heading(b.t("dx.j.b"), 2, b.lit("b)")))
    if level is not None:
        b.add(Paragraph(tx.t("dossier.proposed", level=level), "bold"))
        if c.deciding is not None:
            b.add(Paragraph(tx.t("dossier.deciding", deciding=_basis(d, tx))
                            + (tx.fmt(" {}", view.deciding_text) if view.deciding_text else "")))
        remark = _declared_remark(c, tx)
        if remark:
            b.add(Paragraph(remark))
    b.add(Paragraph(tx.t("dossier.max_rule", citation=cite(regime.max_rule_article, regime, tx.lang))))
    b.add(Table((tx.t("dossier.col.no"), tx.t("classify.col.criterion"), tx.t("classify.col.level"),
                 tx.t("classify.col.citation"), tx.t("dossier.col.result")),
                tuple((b.lit(str(i)), cv.text, b.lit(str(cv.level)), cv.citation, cv.status_label)
                      for i, cv in enumerate(view.criteria, 1)), widths=(2, 10, 2, 5, 3), id="criteria"))
    if c.components:
        rule = (tx.t("dossier.components_rule", citation=cite(regime.component_rule_article, regime, tx.lang))
                if regime.component_rule_article else tx.t("dossier.components_convention"))
        b.add(Paragraph(rule),
              Bullets(tuple(tx.fmt("{}: ", d.inventory.system(cl.id).name)
                            + (tx.t("classify.level.value", level=cl.level) if cl.level is not None
                               else tx.t("classify.level.at_least", level=cl.lower_bound)) for cl in c.components)))
    if view.interpretations:
        b.add(Paragraph(tx.t("dossier.interpretations_intro")),
              Bullets(tuple(i.text for i in view.interpretations)))
    _damage(b)
    _risks(b, d)


def _basis(d: DossierInput, tx: Texts) -> str:
    """The provision that decides the level, by its article (never secaudit's criterion id)."""
    dec = d.classification.deciding
    if dec is None:
        return ""
    if dec.kind == "criterion":
        return cite(dec.article, d.regime, tx.lang)
    if dec.kind == "interpretation":
        return tx.t("dx.basis.interpretation", article=cite(d.regime.max_rule_article, d.regime, tx.lang))
    return _component_basis(d, dec.id, tx)


def _component_basis(d: DossierInput, component: str, tx: Texts) -> str:
    return tx.t("dx.basis.component", name=d.inventory.system(component).name)


def _declared_remark(c: Classification, tx: Texts) -> str:
    if c.declared_level is None or c.level is None:
        return ""
    if c.declared_level < c.level:
        return tx.t("dossier.declared_lower", declared=c.declared_level, computed=c.level)
    if c.declared_level > c.level:
        return tx.t("dossier.declared_higher", declared=c.declared_level, computed=c.level)
    return ""


def _damage(b: _B) -> None:
    tx = b.tx
    b.add(Paragraph(b.t("dx.damage.intro", article=b.term("damage_article"))),
          Table((tx.t("dx.col.affected"), tx.t("dx.col.scenario"), tx.t("dx.col.consequence"),
                 tx.t("dx.col.damage")),
                tuple((tx.t(f"dx.affected.{a}"), "", "", "") for a in ("rights", "public", "order", "security")),
                widths=(4, 4, 4, 4), id="damage"))


def _risks(b: _B, d: DossierInput) -> None:
    tx = b.tx
    b.add(Heading(b.t("dx.j.c"), 2, b.lit("c)")))
    b.add(Paragraph(tx.t("dx.risk.intro", run=d.run_label) if d.run_label else tx.t("dx.risk.intro_none")))
    titles = {ctl.id: ctl.title.get(tx.lang) for ctl in d.controls}
    rows = [(tx.t("dx.risk.from_finding"), titles.get(cid) or tx.t("doc.blank"), target, "", "")
            for cid, target in d.failed]
    rows.append((tx.t("dx.risk.examples"), "", "", "", ""))
    b.add(Table((tx.t("dx.col.threat"), tx.t("dx.col.weakness"), tx.t("dx.col.asset"), tx.t("dx.col.likelihood"),
                 tx.t("dx.col.impact")), tuple(rows), widths=(4, 5, 3, 2, 2), id="risks"))


def _security_plan(b: _B, d: DossierInput, level: int | None) -> None:
    """Art. 22.6: per technical group the controls secaudit checks, with their latest verdict;
    the management groups and everything not checkable over the network to complete."""
    tx = b.tx
    run = d.run_label or tx.t("dx.plan.no_run")
    b.add(Paragraph(tx.t("dx.plan.intro", level=level or "?", standard=d.regime.standard, run=run)))
    assessed = level_assessment_message(level, d.assessment)
    if assessed is not None:                    # what was assessed of the whole level, never more
        b.add(Paragraph(tx.t(assessed.key, **assessed.args), id="plan-assessed"))
    b.add(Heading(tx.t("dx.plan.tech"), 2, b.lit("a)")))
    by_group: dict[str, list[Control]] = {g: [] for g in GROUPS}
    for ctl in d.controls:
        by_group[FAMILY_GROUP.get(ctl.check.split(".")[0], "application")].append(ctl)
    headers = (tx.t("dossier.col.no"), tx.t("dx.col.requirement"), tx.t("dx.col.reference"), tx.t("dx.col.verdict"),
               tx.t("dx.col.how"))
    for i, group in enumerate(GROUPS, 1):
        rows = [(b.lit(str(n)), ctl.title.get(tx.lang), "; ".join(_references(ctl, d.regime, level, tx.lang)),
                 _verdict(d.verdicts.get(ctl.id), tx), "") for n, ctl in enumerate(by_group[group], 1)]
        rows.append(("", tx.t("dx.plan.by_hand"), "", tx.t("dx.not_checked"), ""))
        b.add(Heading(tx.t(f"dx.group.{group}"), 3, b.lit(f"a.{i}.")),
              Table(headers, tuple(rows), widths=(1, 7, 4, 3, 5), id=f"plan-{group}"))
    b.add(Heading(tx.t("dx.plan.mgmt"), 2, b.lit("b)")),
          Table((tx.t("dx.col.requirement"), tx.t("dx.col.how"), tx.t("dx.col.status")),
                tuple((b.t(f"dx.mgmt.{m}"), "", "") for m in d.regime.dossier_management), widths=(5, 8, 3),
                id="plan-management"))
    if d.regime.dossier_plan_contents:
        _plan_contents(b, d)
    _regulation(b, d)


PLAN_CONTENTS = ("a", "b", "c", "d", "dd", "e", "g")      # Decree 331 Art. 29.2 a-g


def _plan_contents(b: _B, d: DossierInput) -> None:
    """Art. 29.2: the seven parts a security plan covers, each with what secaudit already knows and the room
    the owner fills."""
    tx = b.tx
    known = {"c": tx.t("dx.p29.known.c", run=d.run_label) if d.run_label else "",
             "d": tx.t("dx.p29.known.d")}
    b.add(Heading(tx.t("dx.p29.heading"), 2, b.lit("c)")),
          Table((tx.t("dx.p29.col.part"), tx.t("dx.p29.col.known"), tx.t("dx.col.how")),
                tuple((tx.t(f"dx.p29.{k}"), known.get(k, ""), "") for k in PLAN_CONTENTS), widths=(5, 5, 6),
                id="plan-contents"))


def _regulation(b: _B, d: DossierInput) -> None:
    """Art. 30.7 (Decree 331): the system's quy chế is issued before the dossier is approved."""
    tx = b.tx
    reg = d.inventory.system(d.system_id).approval.regulation
    if reg is not None:
        date = tx.t("doc.date", d=reg.date.day, m=reg.date.month, y=reg.date.year) if reg.date else tx.t("doc.blank")
        b.add(Paragraph(b.term("regulation_issued", number=reg.number, date=date,
                               body=reg.body or tx.t("doc.blank"))))
    else:
        b.add(Paragraph(b.term("regulation_missing"), "alert", id="regulation-missing"))


def _references(ctl: Control, regime: Regime, level: int | None, lang: str) -> list[str]:
    """The clauses of the regime's standard at the system's level for the control's requirement keys (from the
    catalogue); the standard alone when none has a row at that level. A control's free-text references (RFCs,
    secaudit's reading of Mozilla's guidance) are secaudit's own notes, not legal bases: they stay out of the
    official document."""
    citer = citer_for(regime.id, regime.standard, regime.catalogue)
    rows = [citer.cite(k, level, lang) for k in ctl.requirements if citer.row(k, level) is not None]
    return list(dict.fromkeys(rows)) or [regime.standard]


def _verdict(v: str | None, tx: Texts) -> str:
    return tx.t(f"report.verdict.{v}") if v else tx.t("dx.plan.no_run")


def _risk_assessment(b: _B, d: DossierInput, system: System) -> None:
    """Art. 22.5 (levels 4-5): connected systems, attack risks, scope of impact, 24/7."""
    tx, inv = b.tx, d.inventory
    related = [(inv.system(c).name, tx.t("dx.relation.component")) for c in system.components]
    related += [(s.name, tx.t("dx.relation.part_of")) for s in inv.systems if system.id in s.components]
    if system.zone:
        zone = zone_name(inv, system.zone) or tx.t("doc.blank")
        related += [(s.name, tx.t("dx.relation.zone", zone=zone)) for s in inv.systems
                    if s.zone == system.zone and s.id != system.id and s.id not in system.components]
    b.add(Heading(b.t("dx.ra.a"), 2, b.lit("a)")),
          Table((tx.t("dx.col.system"), tx.t("dx.col.relation"), tx.t("dx.col.exchanged"), tx.t("dx.col.if_down")),
                tuple((n, r, "", "") for n, r in related) or (("", "", "", ""),), widths=(4, 3, 3, 4),
                id="connected"),
          Heading(b.t("dx.ra.b"), 2, b.lit("b)")),
          Table((tx.t("dx.col.attack"), tx.t("dx.col.actor"), tx.t("dx.col.vector"), tx.t("dx.col.impact"),
                 tx.t("dx.col.measures")), (("", "", "", "", ""),), widths=(4, 3, 3, 3, 4), id="attacks"),
          Heading(b.t("dx.ra.c"), 2, b.lit("c)")),
          Table((tx.t("dx.col.aspect"), tx.t("dx.col.extent"), tx.t("dx.col.degree"), tx.t("dx.col.reasoning")),
                tuple((tx.t(f"dx.affected.{a}"), "", "", "") for a in ("public", "order", "security")),
                widths=(3, 4, 2, 5), id="impact"),
          Heading(b.t("dx.ra.d"), 2, b.lit("d)")))
    flag = system.facts.continuous_operation
    if flag is not None:
        b.add(Paragraph(tx.t("dx.247.declared", value=tx.t("dossier.yes" if flag else "dossier.no"))))
    b.add(Table((tx.t("dx.col.topic"), tx.t("dx.col.explanation")),
                tuple((tx.t(f"dx.247.{k}"), "") for k in ("why", "consequence", "rto", "fallback")), widths=(4, 8),
                id="continuity"))


def _manual(b: _B, component_id: str) -> None:
    b.add(Paragraph(b.tx.t("dossier.manual_marker"), "manual"))
    if _known(f"dossier.hint.{component_id}"):
        b.add(Paragraph(b.tx.t(f"dossier.hint.{component_id}"), "italic"))


# --------------------------------------------------------------------------- the document


def _authority(b: _B, regime: Regime, level: int | None) -> None:
    tx, lang = b.tx, b.tx.lang
    b.add(Section("authority"), Heading(tx.t("dossier.authority_heading"), 1))
    if level is None:
        b.add(Paragraph(tx.t("dossier.authority_pending")))
        return
    a = regime.authority(level)
    p = regime.periodic_for(level)
    periodic = tx.t("classify.periodic.months", months=p.months) + (tx.fmt(" ({})", p.note.get(lang)) if p.note
                                                                   else "")
    items = [tx.t("dossier.appraiser", appraiser=a.appraiser.get(lang)),
             tx.t("dossier.appraisal_deadline", deadline=deadline_text(a.appraisal, tx))
             + (tx.fmt(" ({})", cite(a.appraisal.article, regime, lang)) if a.appraisal else ""),
             tx.t("dossier.approver", approver=a.approver.get(lang)),
             tx.t("dossier.approval_deadline", deadline=deadline_text(a.approval, tx))
             + (tx.fmt(" ({})", cite(a.approval.article, regime, lang)) if a.approval else ""),
             *([b.term("incomplete")] if regime.term("incomplete") else []),
             tx.t("dossier.authority_basis", citation=cite(a.article, regime, lang)),
             tx.t("dossier.periodic", periodic=periodic, citation=periodic_citation(p, regime, level, lang))]
    b.add(Bullets(tuple(items)))


def _annex(b: _B, system: System) -> None:
    tx = b.tx
    b.add(Section("annex"), Heading(tx.t("dossier.annex_heading"), 1))
    if not system.endpoints:
        b.add(Paragraph(tx.t("dossier.no_endpoints")))
        return
    rows = tuple((b.lit(str(i)), e.host, b.lit(str(e.port)), str(getattr(e.service, "value", e.service)),
                  tx.fmt("STARTTLS ({})", e.starttls.value) if e.starttls
                  else tx.t("dossier.yes") if e.tls else tx.t("dossier.no"), e.sni or "")
                 for i, e in enumerate(system.endpoints, 1))
    b.add(Table(tuple(tx.t(f"dossier.col.{c}") for c in ("no", "host", "port", "service", "tls", "sni")), rows,
                widths=(1, 4, 1, 2, 3, 3), id="annex"))


def _preamble(b: _B, d: DossierInput, system: System, view: SystemView, level: int | None) -> None:
    tx, regime = b.tx, d.regime
    org = d.inventory.organisation
    owner = system.owner or org.owner_body or org.name
    b.add(Paragraph(tx.t("dossier.subtitle", name=system.name), "title"),
          Paragraph(tx.t("dossier.regime_line", regime=regime.title.get(tx.lang)), "center"))
    for basis in regime.legal_basis:
        b.add(Paragraph(tx.t("dossier.basis", text=basis.get(tx.lang)), "italic"))
    b.add(Paragraph(tx.t("dossier.preamble", owner=owner, name=system.name,
                         citation=cite(regime.dossier_article, regime, tx.lang))))
    if level is None:
        b.add(Paragraph(tx.t("dossier.undetermined") + tx.fmt(" ") + tx.t(
            "dossier.undetermined_detail", missing=tx.join("; ", view.missing_labels) or "-"), "alert",
            id="undetermined"))
        if view.lower_bound:
            b.add(Paragraph(tx.t("dossier.lower_bound", level=view.lower_bound)))


def build_dossier(d: DossierInput, kind: str, lang: str) -> Document:
    """The dossier of ``d.system_id`` for output ``kind`` (``md`` escapes for Markdown, else plain text)."""
    tx = Texts(kind, lang)
    b = _B(tx, d.regime)
    system = d.inventory.system(d.system_id)
    view = system_view(d.classification, system, d.regime, lang, tx)
    level = proposed_level(d.classification)
    _preamble(b, d, system, view, level)
    number = 0
    for comp in d.regime.dossier_components:
        if level is not None and not comp.required_for(level):
            continue
        number += 1
        title = comp.title.get(lang)
        if level is None and comp.levels != (1, 2, 3, 4, 5):
            title = tx.fmt("{} ", title) + tx.t("dossier.levels_only", levels=", ".join(map(str, comp.levels)))
        b.add(Section(comp.id), Heading(title, 1, b.lit(f"{number}.")))
        if comp.id == "overview":
            _overview(b, d, system)
        elif comp.id == "justification":
            _justification(b, d, system, view, level)
        elif comp.id == "security_plan":
            _security_plan(b, d, level)
            _manual(b, comp.id)
        elif comp.id == "risk_assessment":
            _risk_assessment(b, d, system)
            _manual(b, comp.id)
        else:
            _manual(b, comp.id)
    _authority(b, d.regime, level)
    _annex(b, system)
    org = d.inventory.organisation
    b.add(Paragraph(tx.t("dossier.place_date")),
          Signature((), tx.t("dossier.signature_title"), tx.t("dossier.signature_hint")),
          Paragraph(tx.t("dossier.generated", file=d.inventory.source.file, regime=d.regime.short.get(lang)), "note"))
    issuer = system.owner or org.name or ""
    superior = org.owner_body if org.owner_body and org.owner_body != issuer else ""
    header = Header(superior=superior.upper(), issuer=issuer.upper(), number="", subject="",
                    place_date=(tx.t("doc.place_date", place=org.place, year="......") if org.place
                                else tx.t("dossier.place_date")), motto=(b.lit(MOTTO[0]), b.lit(MOTTO[1])))
    title = b.term("dossier_title")
    return Document("dossier", title, header, tuple(b.blocks), lang)


class _DossierFormat(DocumentFormat):
    kind = "txt"

    def render(self, document: DossierInput, lang: str) -> str | bytes:
        return DOCUMENT_FORMATS[self.name]().render(build_dossier(document, self.kind, lang), lang)


def _format(name: str, extension: str, media_type: str, binary: bool, kind: str) -> type[DocumentFormat]:
    return type(f"Dossier{name.title()}", (_DossierFormat,), {"name": name, "extension": extension,
                                                               "media_type": media_type, "binary": binary,
                                                               "kind": kind})


DOSSIER_FORMATS: dict[str, type[DocumentFormat]] = {
    "md": _format("md", "md", "text/markdown", False, "md"),
    "html": _format("html", "html", "text/html", False, "html"),
    "docx": _format("docx", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    True, "txt"),
    "pdf": _format("pdf", "pdf", "application/pdf", True, "txt"),
}


def render_dossier(fmt: str, inventory: Inventory, system_id: str, classification: Classification,
                   regime: Regime, lang: str, **history: Any) -> str | bytes:
    """The dossier of ``system_id`` in the registered format ``fmt`` (``KeyError`` for an unknown one).

    Without ``history`` (``controls``, ``verdicts``, ``failed``, ``run_label``) the security plan lists
    the level's controls from the policies with no verdict."""
    if "controls" not in history:
        history["controls"] = level_controls(proposed_level(classification))
    return DOSSIER_FORMATS[fmt]().render(DossierInput(inventory, system_id, classification, regime, **history), lang)


def level_controls(level: int | None) -> tuple[Control, ...]:
    """The controls of a level's policy (what secaudit checks over the network at that level)."""
    if level is None:
        return ()
    # start-up: secaudit.checks (through the policies) loaded only when a level's controls are listed
    from secaudit.policy import default_library

    library = default_library()
    return library.resolve(library.level_policy_id(level)).controls
