"""assess with imported evidence: the vulnerability-scanning row of a matched level-3 system is met after
an import dated within the catalogue's period (with the attested procedure review the row also asks), and
its import means is expired — the row no longer met — when the import is older than the period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secaudit.importers.evidence import evidence_for
from secaudit.importers.match import match
from secaudit.importers.registry import parse
from secaudit.load import load_inventory
from secaudit.requirements.pipeline import run_assessment
from secaudit.store import open_store
from tests.support import imports as fx

REGISTER = """\
kind: evidence
version: 1
entries:
  - id: ra-soat-quy-trinh
    requirements: [vuln.scan]
    systems: [cong-dvc]
    kind: record
    title: "Biên bản rà soát quy trình quản lý lỗ hổng"
    officer: {name: "Lê Minh Châu", position: "Trưởng phòng"}
    date: 2026-11-20
    status: in_place
"""


@pytest.mark.parametrize("scanned, row_result, means", [("Mon Nov 30 02:00:00 2026", "met", "pass"),
                                                        ("Mon Mar  2 02:00:00 2026", "partially_met", "expired")])
def test_the_scanning_row_is_met_only_within_the_period(scanned, row_result, means, tmp_path: Path):
    inv_file = tmp_path / "inventory.yaml"
    inv_file.write_text(fx.INVENTORY, encoding="utf-8")
    (tmp_path / "evidence.yaml").write_text(REGISTER, encoding="utf-8")
    report_file = tmp_path / "scan.nessus"
    report_file.write_text(fx.nessus([fx.Item("127.24.0.10", "57582", "TLS weak cipher suites", "high")],
                                     start=scanned, end=scanned))
    inventory = load_inventory(str(inv_file))
    report = parse(str(report_file))
    now = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
    with open_store(data_dir=str(tmp_path / "db")) as store:
        store.save_import(report, match(report, inventory), inventory, str(inv_file))
        imported = evidence_for(store, [s.id for s in inventory.systems], now)
        assessment, _ = run_assessment(str(inv_file), ["cong-dvc"], str(tmp_path / "evidence.yaml"),
                                       "decree-331-2026", imported=imported, now=now, store=store)
    system = assessment.systems[0]
    row = next(r for r in system.rows if r.row.key == "vuln.scan")
    assert system.level == 3 and row.row.clause == "5.7.2.1 b"
    assert [m.outcome for m in row.means if m.means.startswith("import:")] == [means]
    assert str(row.result) == row_result
