"""Stored runs of the example inventory, for the documents' tests (annual report, dossier, status).

A run is built as a scan would record it: one finding per control of the system's level policy and
endpoint, with the verdicts a test asks for, so the store computes status and compliance itself.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from secaudit.classify.engine import classify_inventory
from secaudit.classify.regime import load_regime
from secaudit.load import load_inventory
from secaudit.model import Finding, Inventory, Message, Results, RunInfo, SystemResult, Verdict
from secaudit.policy import default_library

EXAMPLE = "examples/inventory.yaml"


def example_inventory(root: str) -> Inventory:
    return load_inventory(f"{root}/{EXAMPLE}")


def run_of(inventory: Inventory, run_id: str, started: dt.datetime, failing: Mapping[str, tuple[str, ...]],
           systems: tuple[str, ...], regime_id: str = "decree-331-2026") -> Results:
    """A complete run of ``systems`` started at ``started``; ``failing``: system id -> control ids that fail."""
    regime = load_regime(regime_id)
    library = default_library()
    levels = {c.system_id: c for c in classify_inventory(inventory, regime)}
    controls: dict[str, object] = {}
    findings: list[Finding] = []
    results: list[SystemResult] = []
    for sid in systems:
        system = inventory.system(sid)
        c = levels[sid]
        level = max(c.level or 0, system.declared_level or 0)
        policy = library.resolve(library.level_policy_id(level))
        bad = set(failing.get(sid, ()))
        target = f"{system.endpoints[0].host}:{system.endpoints[0].port}" if system.endpoints else sid
        for control in policy.controls:
            controls[control.id] = control
            verdict = Verdict.FAIL if control.id in bad else Verdict.PASS
            if control.check.startswith("host.") and not system.ssh_hosts:
                verdict = Verdict.NOT_APPLICABLE      # as a real scan: no `hosts:`, nothing to log in to
            findings.append(Finding(control.id, sid, target, verdict, control.severity,
                                    Message("report.verdict." + verdict.value)))
        failed = {}
        for control in policy.controls:
            if control.id in bad:
                failed[control.severity.value] = failed.get(control.severity.value, 0) + 1
        results.append(SystemResult(sid, system.name, c.level, system.declared_level, level,
                                    level if not bad else level - 1, "", policy.id, {}, failed))
    finished = started + dt.timedelta(minutes=5)
    run = RunInfo(run_id, started.isoformat(), finished.isoformat(), "0.1.0", inventory.source.file,
                  inventory.digest, regime_id, {}, True)
    return Results(run, inventory, tuple(results), tuple(controls.values()), tuple(findings))


def store_two_runs(db_url: str, inventory: Inventory) -> None:
    """Run A (March 2026) and run B (November 2026) of the example, saved to the store at ``db_url``."""
    from secaudit.store import open_store

    utc = dt.timezone.utc
    a = run_of(inventory, "20260310T080000Z-aaaa", dt.datetime(2026, 3, 10, 8, 0, tzinfo=utc), {
        "lgsp": ("TLS-PROTO-01",)}, ("noi-san", "qlvb", "ttdl-tinh", "lgsp", "dieu-khien-ho-chua", "cong-dvc"))
    b = run_of(inventory, "20261120T080000Z-bbbb", dt.datetime(2026, 11, 20, 8, 0, tzinfo=utc), {
        "cong-ttdt": ("CERT-EXP-01", "HTTP-REDIR-01"), "dieu-khien-ho-chua": ("TLS-OCSP-01",)},
        ("ttdl-tinh", "cong-ttdt", "qlvb", "dieu-khien-ho-chua"))
    with open_store(db_url) as store:
        store.save(a)
        store.save(b)
