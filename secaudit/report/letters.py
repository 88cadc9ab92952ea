"""The cover letters of a level dossier, as :class:`Document`: Decree 331/2026 appendix Form No. 01
(request for appraisal and approval, levels 1-2, to the owner's specialised unit), Form No. 02 (request
for appraisal: level 3 to that unit, levels 4-5 to the appraising ministry) and Form No. 03 (request
for the specialised unit's professional opinion, levels 4-5). Our own wording of the forms' field
lists, with the regime's terms; which form a system needs follows from its proposed level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from secaudit.classify.regime import Regime
from secaudit.classify.result import Classification
from secaudit.errors import Diagnostic, InputError
from secaudit.model import Inventory, System
from secaudit.programme import proposed_level, standing
from secaudit.report.annual import Words, national_grounds
from secaudit.report.document import MOTTO, Document, Header, Heading, Paragraph, Signature

KINDS = ("appraisal", "opinion")


@dataclass(frozen=True)
class LetterInput:
    inventory: Inventory
    system_id: str
    classification: Classification
    regime: Regime
    kind: str = "appraisal"                # appraisal: Form 01 or 02 by level; opinion: Form 03


def form_for(level: int, kind: str) -> str:
    """The form number a letter of ``kind`` takes at ``level``."""
    if kind == "opinion":
        return "03"
    return "01" if level <= 2 else "02"


def _parties(inp: LetterInput, system: System, form: str, level: int, w: Words) -> tuple[str, str]:
    """(sender, recipient): the operator writes to its owner's specialised unit (Art. 3.2, 20.1 b-d); at levels
    4-5 the owner sends Form 02 to the appraising ministry (Art. 20.1.d). A unit the inventory does not name is
    the form's blank."""
    org = inp.inventory.organisation
    owner = org.owner_of(system)
    operator = system.operator or owner
    if form == "02" and level >= 4:
        return owner, w.term("ministry")
    return operator, org.unit_of(owner) or w("doc.blank")


def _check(inp: LetterInput, level: int | None) -> int:
    if level is None:
        raise InputError([Diagnostic("--system", 0, 0, "letter.error.undetermined",
                                     {"system": inp.system_id, "missing": ", ".join(inp.classification.missing)})])
    if inp.kind == "opinion" and level < 4:
        raise InputError([Diagnostic("--kind", 0, 0, "letter.error.opinion_level",
                                     {"system": inp.system_id, "level": level})])
    return level


def build_letter(inp: LetterInput, lang: str, kind: str = "txt") -> Document:
    """The cover letter of ``inp.system_id`` (``InputError`` when the level or the form does not allow it)."""
    w = Words(lang, inp.regime, kind)
    today = dt.date.today()                  # once: a letter written across midnight judges and is dated by one day
    level = _check(inp, proposed_level(inp.classification))
    system = inp.inventory.system(inp.system_id)
    form = form_for(level, inp.kind)
    sender, recipient = _parties(inp, system, form, level, w)
    org = inp.inventory.organisation
    operator_body = org.body(system.operator)
    address = (operator_body.address if operator_body else "") or w("doc.blank")
    docs = [w("letter.doc.overview"), w("letter.doc.design"), w("letter.doc.justification"), w("letter.doc.plan")]
    if form == "02" and level >= 4:
        docs.append(w("letter.doc.opinion"))
    blocks = [Paragraph(w("letter.basis_law", law=w.term("law"))),
              Paragraph(w("letter.basis_decree", decree=inp.regime.title.get(lang))),
              Paragraph(w(f"letter.intro.{form}", sender=sender, recipient=recipient)),
              Heading(w("letter.part1"), 1),
              *[Paragraph(x) for x in (w("letter.f.name", value=system.name),
                                       w("letter.f.operator", value=system.operator or w("doc.blank")),
                                       w("letter.f.address", value=address), w("letter.f.level", value=level))],
              Heading(w("letter.part2"), 1), *[Paragraph(x) for x in docs],
              Paragraph(w(f"letter.closing.{form}", sender=sender, recipient=recipient, name=system.name))]
    row = standing(system, inp.classification, None, inp.regime, today)
    if form == "02" and national_grounds(row):
        blocks.append(Paragraph(w("letter.national", sender=sender, list=w.term("national_list"))))
    signer = org.body(sender)
    blocks.append(Signature((w("doc.recipients"), w("doc.as_above"), w("letter.others"), w("doc.archive")),
                            w("letter.sign_title"), w("doc.sign_hint"), name=signer.head if signer else "",
                            position=signer.head_title if signer else ""))
    owner = org.owner_of(system)
    # The body above the sender, as the dossier shows it: the owner above its operator; above an owner that is
    # not the organisation's own owner body, that owner body.
    superior = owner if owner != sender else (org.owner_body if org.owner_body and org.owner_body != owner else "")
    header = Header(superior=superior.upper(), issuer=sender.upper(), number=w("letter.number"),
                    subject=w(f"letter.subject.{form}"),
                    place_date=w("doc.place_date", place=org.place or w("doc.place_blank"), year=today.year),
                    motto=(w.lit(MOTTO[0]), w.lit(MOTTO[1])), recipient=w("letter.recipient", recipient=recipient))
    return Document("cover_letter", w(f"letter.title.{form}"), header, tuple(blocks), lang)
