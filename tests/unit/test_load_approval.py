"""Approval-process and organisation facts (issue 15): loaded into the model, mistakes located at
file:line:col like every other fact."""

from __future__ import annotations

import datetime as dt
import textwrap

from secaudit.load import check_document, load_inventory, load_inventory_text
from secaudit.model import DossierStatus, PlanStatus
from secaudit.yamlread import read_yaml_text

BASE = """\
kind: inventory
organisation:
  name: "Sở X"
  owner_details: {name: "UBND tỉnh X", head: "Nguyễn Văn A", head_title: "Chủ tịch", phone: "0200 3800 000",
                  email: "vanthu@x.example"}
systems:
  - id: a
    name: A
    purpose: internal
    information: [public]
"""


def problems(text: str) -> list[tuple[int, int, str]]:
    doc, diags = read_yaml_text("f.yaml", textwrap.dedent(text))
    assert doc is not None, diags
    _, more = check_document(doc)
    return [(d.line, d.column, d.key) for d in diags + more]


def test_example_declares_every_kind_of_approval_and_the_owners_particulars() -> None:
    inv = load_inventory("examples/inventory.yaml")
    statuses = {s.approval.dossier for s in inv.systems}
    assert statuses == {None, *DossierStatus}
    dc = inv.system("ttdl-tinh").approval
    assert dc.dossier is DossierStatus.APPROVED and dc.plan is PlanStatus.FULL and dc.assessed_before_use
    assert dc.decision.number == "1520/QĐ-UBND" and dc.decision.date == dt.date(2025, 6, 20)
    assert dc.regulation.body == "Ủy ban nhân dân tỉnh Sông Lam"
    assert inv.system("cong-ttdt").approval.planned_approval == dt.date(2027, 2, 28)
    org = inv.organisation
    assert org.place == "Sông Lam" and org.owner_details.head == "Nguyễn Văn An"
    assert org.security_unit_details.email == "attt@songlam.example"


def test_approval_facts_load() -> None:
    inv = load_inventory_text(BASE + """\
    approval:
      dossier: submitted
      planned_approval: 2027-01-31
      plan: partial
      plan_planned: 2027-06-30
      assessed_before_use: false
""")
    a = inv.system("a").approval
    assert (a.dossier, a.plan, a.planned_approval, a.plan_planned, a.assessed_before_use) == (
        DossierStatus.SUBMITTED, PlanStatus.PARTIAL, dt.date(2027, 1, 31), dt.date(2027, 6, 30), False)
    assert a.decision is None and inv.organisation.owner_details.phone == "0200 3800 000"


def test_approval_mistakes_are_located() -> None:
    found = problems(BASE + """\
    approval:
      dossier: aproved
      planned_approval: 2027-02-30
      plan: some
      decision: {number: "1/QĐ", date: "31/12/2025"}
  - id: b
    name: B
    purpose: internal
    information: [public]
    approval: {dossier: approved}
  - id: c
    name: C
    purpose: internal
    information: [public]
    approval: {dossier: drafting, decision: {number: "2/QĐ"}}
""")
    assert sorted(found) == [
        (12, 16, "schema.enum_suggest"),          # dossier: aproved -> did you mean approved
        (13, 25, "schema.date"),                  # 30 February is no date
        (14, 13, "schema.enum"),                  # plan: some
        (15, 40, "schema.date"),                  # not YYYY-MM-DD (reported once)
        (20, 25, "approval.decision_missing"),    # approved without its decision
        (25, 35, "approval.decision_unapproved"),  # a decision while drafting
    ]


def test_organisation_particulars_are_checked() -> None:
    found = problems(BASE.replace('phone: "0200 3800 000"', 'phone: "call me"').replace(
        'email: "vanthu@x.example"', 'email: "not-an-address"'))
    assert [p for p in found if p[2] in ("schema.phone", "schema.email")] == [
        (4, 93, "schema.phone"), (5, 26, "schema.email")]


def test_a_run_of_the_example_keeps_its_approval_facts_through_json() -> None:
    """Results carry the inventory: its approval facts and particulars validate and read back identical."""
    import datetime as dt_
    import json
    import os

    from jsonschema import Draft202012Validator

    from secaudit.report.json_report import JsonFormat, results_schema
    from secaudit.serialize import results_from_dict
    from tests.support.history import example_inventory, run_of

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    results = run_of(example_inventory(root), "r1", dt_.datetime(2026, 11, 20, tzinfo=dt_.timezone.utc), {},
                     ("ttdl-tinh", "cong-dvc"))
    doc = json.loads(JsonFormat().render(results, "en"))
    assert not list(Draft202012Validator(results_schema()).iter_errors(doc))
    assert results_from_dict(doc) == results
    assert results_from_dict(doc).inventory.system("ttdl-tinh").approval.decision.date == dt_.date(2025, 6, 20)
