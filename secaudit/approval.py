"""Approval-process and organisation facts of an inventory: building the model, and the semantic
checks the schema cannot express (real calendar dates, a decision exactly when the level is approved).

``load.py`` calls :func:`build_approval`, :func:`build_body` and :func:`approval_semantics`; errors
are located at ``file:line:col`` like every other inventory fact.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from secaudit.errors import Diagnostic
from secaudit.model import Approval, Body, Decision, DossierStatus, PlanStatus, SourceRef

_DATES = ("planned_approval", "plan_planned")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BODY_FIELDS = ("name", "founding_document", "head", "head_title", "address", "phone", "email", "security_unit")


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _decision(value: Any) -> Decision | None:
    if not isinstance(value, dict):
        return None
    return Decision(number=value.get("number", ""), date=_date(value.get("date")), body=value.get("body", ""))


def build_approval(value: Any) -> Approval:
    """The :class:`Approval` of a validated ``approval:`` mapping (absent: nothing known)."""
    if not isinstance(value, dict):
        return Approval()
    return Approval(
        dossier=DossierStatus(value["dossier"]) if "dossier" in value else None,
        decision=_decision(value.get("decision")),
        regulation=_decision(value.get("regulation")),
        planned_approval=_date(value.get("planned_approval")),
        plan=PlanStatus(value["plan"]) if "plan" in value else None,
        plan_planned=_date(value.get("plan_planned")),
        assessed_before_use=value.get("assessed_before_use"),
    )


def build_body(value: Any, source: SourceRef = SourceRef()) -> Body | None:
    if not isinstance(value, dict):
        return None
    return Body(**{k: str(value.get(k, "")) for k in _BODY_FIELDS}, source=source)


def _bad_dates(doc: Any, path: tuple[Any, ...], mapping: dict[str, Any], keys: tuple[str, ...]) -> list[Diagnostic]:
    out = []
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and _ISO.match(value) and _date(value) is None:   # other forms: the schema says
            out.append(doc.diag(path + (key,), "schema.date", value=value))
    return out


def approval_semantics(doc: Any, base: tuple[Any, ...]) -> list[Diagnostic]:
    """Checks of one system's ``approval:`` (``base`` is the system's path in the document)."""
    system = doc.value["systems"][base[1]]
    approval = system.get("approval") if isinstance(system, dict) else None
    if not isinstance(approval, dict):
        return []
    path = base + ("approval",)
    out = _bad_dates(doc, path, approval, _DATES)
    for key in ("decision", "regulation"):
        if isinstance(approval.get(key), dict):
            out += _bad_dates(doc, path + (key,), approval[key], ("date",))
    status = approval.get("dossier")
    if status == DossierStatus.APPROVED.value and "decision" not in approval:
        out.append(doc.diag(path + ("dossier",), "approval.decision_missing", system=system.get("id", "?")))
    if "decision" in approval and status in {s.value for s in DossierStatus} and status != "approved":
        out.append(doc.diag(path + ("decision",), "approval.decision_unapproved", at_key=True, status=status))
    return out

