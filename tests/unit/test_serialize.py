"""Every stage boundary round-trips through JSON unchanged."""

import datetime as dt
import json

from secaudit.load import load_inventory
from secaudit.model import (
    Control, Evidence, Finding, Inventory, LocalText, Message, Observation, ObservationStatus, Results, RunInfo,
    Severity, SystemResult, Verdict, Waiver,
)
from secaudit.serialize import from_jsonable, results_from_dict, results_to_dict, to_jsonable


def test_inventory_round_trip():
    inv = load_inventory("examples/inventory.yaml")
    data = json.loads(json.dumps(to_jsonable(inv)))
    assert from_jsonable(Inventory, data) == inv


def test_results_round_trip():
    inv = load_inventory("examples/inventory.yaml")
    waiver = Waiver("TLS-PROTO-01", "qlvb", "legacy", "Giám đốc", dt.date(2027, 1, 1), "127.0.0.12:8443")
    results = Results(
        run=RunInfo("r1", "2026-11-23T10:00:00+00:00", "2026-11-23T10:01:00+00:00", "0.1.0", "inv.yaml",
                    inv.digest, "decree-331-2026", {"level-2": "sha256:x"}, complete=False),
        inventory=inv,
        systems=(SystemResult("qlvb", "Q", 2, 2, 2, 1, "Art. 12.1", "level-2", {"fail": 1}, {"high": 1},
                              (Message("x.y", {"a": 1}),)),),
        controls=(Control("TLS-PROTO-01", LocalText("a", "b"), "tls.protocols.forbidden", Severity.HIGH,
                          {"versions": ["tls1.0"]}, ("TCVN 11930:2017 §6.2.1",)),),
        findings=(Finding("TLS-PROTO-01", "qlvb", "127.0.0.12:8443", Verdict.WAIVED, Severity.HIGH,
                          Message("k", {"v": "<b>"}), (Evidence("e", "TLS 1.0"),), (), ("ref",), waiver),),
        observations=(Observation("tls|127.0.0.12:8443", "other-kind", "127.0.0.12:8443", ObservationStatus.ERROR,
                                  None, "timed out after 30 s", "2026-11-23T10:00:00+00:00", 30.0),),
        expired_waivers=(waiver,),
    )
    data = json.loads(json.dumps(results_to_dict(results)))
    assert data["schema"] == "secaudit/results/v2"
    assert results_from_dict(data) == results
