"""diff and due on stored runs, on SQLite and PostgreSQL (tests choose the runs' dates)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from secaudit.model import (
    Endpoint, Finding, Inventory, Message, Observation, ObservationStatus, Organisation, Purpose, Results, RunInfo,
    Service, Severity, System, SystemResult, Verdict, Waiver,
)
from secaudit.observations.ports import PortFact, PortScan, PortState
from secaudit.observations.tls import CertificateFacts, Measure, TlsFacts
from secaudit.store.diff import CHANGE_CATEGORIES, diff_stored
from secaudit.store.due import compute_due, levels_from_store
from tests.report.conftest import make_results
from tests.support.canned import cert, deployment

DECREE_331, DECREE_85 = "decree-331-2026", "decree-85-2016"      # regimes are data: named by their file ids


def at(results: Results, run_id: str, started: str, **changes) -> Results:
    run = dataclasses.replace(results.run, id=run_id, started_at=started, finished_at=started)
    return dataclasses.replace(results, run=run, **changes)


def replace_finding(results: Results, system: str, control: str, **changes) -> Results:
    findings = tuple(dataclasses.replace(f, **changes) if (f.system_id, f.control_id) == (system, control) else f
                     for f in results.findings)
    return dataclasses.replace(results, findings=findings)


def diff(store, a: Results, b: Results):
    store.save(a)
    store.save(b)
    return diff_stored(store, store.run(a.run.id), store.run(b.run.id))


def test_one_fixed_finding_shows_as_fixed_and_nothing_else(store):
    base = make_results()
    fixed = replace_finding(base, "portal", "TLS-PROTO-01", verdict=Verdict.PASS,
                            message=Message("tls.protocols.forbidden.pass"))
    d = diff(store, at(base, "a", "2026-01-01T00:00:00+00:00"), at(fixed, "b", "2026-02-01T00:00:00+00:00"))
    assert [(c.system_id, c.control_id, c.target) for c in d.findings["fixed"]] == [
        ("portal", "TLS-PROTO-01", "127.0.0.11:443")]
    assert all(d.count(c) == 0 for c in CHANGE_CATEGORIES if c != "fixed")
    assert not d.levels and not d.ports and not d.certificates
    assert d.count("still_failing") == 3          # the other failures: still there, not a change


def test_a_reworded_message_or_new_evidence_alone_is_no_change(store):
    base = make_results()
    reworded = replace_finding(base, "portal", "CERT-VALID-01", message=Message("cert.valid.expired", {"days": 3}),
                               evidence=())
    d = diff(store, at(base, "a", "2026-01-01T00:00:00+00:00"), at(reworded, "b", "2026-02-01T00:00:00+00:00"))
    assert not d.changed and d.new_at_or_above("info") == []


def test_new_waived_expired_severity_and_unverified(store):
    base = make_results()
    waiver = Waiver("CERT-VALID-01", "portal", "replacing", "CISO", dt.date(2027, 1, 1))
    after = replace_finding(base, "portal", "CERT-VALID-01", verdict=Verdict.WAIVED, waiver=waiver)
    after = replace_finding(after, "mail", "TLS-PROTO-01", verdict=Verdict.FAIL, waiver=None)   # its waiver ended
    after = replace_finding(after, "portal", "PORTS-EXPOSED-01", severity=Severity.HIGH)
    after = replace_finding(after, "lab", "PORTS-EXPOSED-01", verdict=Verdict.ERROR)
    after = dataclasses.replace(after, findings=after.findings + (
        Finding("HTTP-HSTS-01", "portal", "127.0.0.11:443", Verdict.FAIL, Severity.LOW, Message("http.hsts.missing")),
        Finding("TLS-PROTO-01@level-3", "hr", "127.0.0.13:443", Verdict.ERROR, Severity.HIGH,
                Message("check.error.probe", {"reason": "x"}))))
    d = diff(store, at(base, "a", "2026-01-01T00:00:00+00:00"), at(after, "b", "2026-02-01T00:00:00+00:00"))
    ids = lambda cat: [(c.system_id, c.control_id) for c in d.findings[cat]]  # noqa: E731
    assert ids("new") == [("portal", "HTTP-HSTS-01")]
    assert ids("newly_waived") == [("portal", "CERT-VALID-01")]
    assert ids("waiver_expired") == [("mail", "TLS-PROTO-01")]
    assert ids("severity_changed") == [("portal", "PORTS-EXPOSED-01")]
    assert ids("unverified") == [("lab", "PORTS-EXPOSED-01")]     # an error is never "fixed"
    assert ids("fixed") == []
    assert [c.control_id for c in d.new_at_or_above("medium")] == ["TLS-PROTO-01"]  # the expired waiver (high)
    assert [c.control_id for c in d.new_at_or_above("low")] == ["HTTP-HSTS-01", "TLS-PROTO-01"]


def test_level_changes(store):
    base = make_results()
    systems = tuple(dataclasses.replace(s, declared_level=3, required_level=3, achieved_level=1)
                    if s.system_id == "hr" else s for s in base.systems)
    d = diff(store, at(base, "a", "2026-01-01T00:00:00+00:00"),
             at(base, "b", "2026-02-01T00:00:00+00:00", systems=systems))
    assert {(c.system_id, c.field, c.before, c.after) for c in d.levels} == {
        ("hr", "declared_level", None, 3), ("hr", "required_level", 2, 3)}


def _with_network(results: Results, open_ports: tuple[int, ...], requested: tuple[int, ...], cert_issuer: str,
                  cert_sha: str) -> Results:
    ports = PortScan(host="127.0.0.11", address="127.0.0.11",
                     ports=tuple(PortFact(p, "tcp", PortState.OPEN if p in open_ports else PortState.CLOSED)
                                 for p in requested),
                     requested_ports=requested, service_detection=False, scripts=(), nmap_version="7.93", command=())
    leaf = dataclasses.replace(cert(issuer=cert_issuer), sha256=cert_sha)
    tls = TlsFacts(host="127.0.0.11", port=443,
                   certificate=CertificateFacts(Measure.MEASURED, deployments=(deployment(leaf),)))
    obs = (Observation("ports|127.0.0.11", "ports", "127.0.0.11", ObservationStatus.OK, ports),
           Observation("tls|127.0.0.11:443", "tls", "127.0.0.11:443", ObservationStatus.OK, tls))
    return dataclasses.replace(results, observations=obs)


def test_ports_opened_and_closed_and_certificate_changes(store):
    base = make_results()
    a = _with_network(base, (443, 23), (22, 23, 443), "CN=Old CA", "aa" * 32)
    b = _with_network(base, (443, 22, 8080), (22, 23, 443), "CN=New CA", "bb" * 32)   # 8080 never asked in run a
    d = diff(store, at(a, "a", "2026-01-01T00:00:00+00:00"), at(b, "b", "2026-02-01T00:00:00+00:00"))
    assert [(p.change, p.port) for p in d.ports] == [("opened", 22), ("closed", 23)]
    assert [(c.target, c.fields) for c in d.certificates] == [("127.0.0.11:443", ("issuer",))]
    assert d.certificates[0].before.issuer == "CN=Old CA" and d.certificates[0].after.issuer == "CN=New CA"


# ----------------------------------------------------------------------------------- due


def levels_run(run_id: str, started: str, levels: dict[str, int], measured: dict[str, str] | None = None) -> Results:
    measured = measured or {}
    systems = tuple(System(sid, f"System {sid}", Purpose.INTERNAL,
                           endpoints=(Endpoint(f"127.6.0.{i + 1}", 443, Service.HTTPS, tls=True),))
                    for i, sid in enumerate(levels))
    results = tuple(SystemResult(sid, f"System {sid}", lvl, None, lvl,
                                 lvl if measured.get(sid, "pass") == "pass" else None, "", f"level-{lvl}")
                    for sid, lvl in levels.items())
    verdict = {"pass": Verdict.PASS, "error": Verdict.ERROR}
    findings = tuple(Finding("TLS-PROTO-01", sid, f"127.6.0.{i + 1}:443", verdict[measured.get(sid, "pass")],
                             Severity.HIGH, Message("tls.protocols.forbidden.pass"))
                     for i, sid in enumerate(levels))
    run = RunInfo(run_id, started, started, "0.1.0", "due-inventory.yaml", "sha256:" + "0" * 64, DECREE_331)
    return Results(run, Inventory(Organisation("Due test"), systems), results, (), findings)


def test_due_on_past_runs_gives_the_overdue_systems_and_next_dates_per_regime(store):
    store.save(levels_run("old", "2026-01-15T09:00:00+00:00", {"l1": 1, "l2": 2, "l3": 3, "l4": 4, "l5": 5}))
    store.save(levels_run("recent", "2026-07-20T09:00:00+00:00", {"l5b": 5}))
    latest = store.latest_per_system()
    report = compute_due(levels_from_store(latest), latest, [], dt.date(2026, 8, 1))
    rows = {s.system_id: s for s in report.systems}
    nxt = lambda sid: {st.regime: st.next_due for st in rows[sid].regimes}  # noqa: E731
    D = dt.date
    assert nxt("l1") == {DECREE_331: D(2027, 1, 15), DECREE_85: D(2028, 1, 15)}
    assert nxt("l2") == {DECREE_331: D(2027, 1, 15), DECREE_85: D(2028, 1, 15)}
    assert nxt("l3") == {DECREE_331: D(2026, 7, 15), DECREE_85: D(2027, 1, 15)}
    assert nxt("l4") == {DECREE_331: D(2026, 4, 15), DECREE_85: D(2027, 1, 15)}
    assert nxt("l5") == {DECREE_331: D(2026, 2, 15), DECREE_85: D(2026, 7, 15)}
    assert nxt("l5b") == {DECREE_331: D(2026, 8, 20), DECREE_85: D(2027, 1, 20)}
    assert [s.system_id for s in report.overdue] == ["l5", "l4", "l3"]        # overdue first, earliest first
    assert [s.system_id for s in report.systems][:3] == ["l5", "l4", "l3"]
    assert {st.regime: st.overdue for st in rows["l5"].regimes} == {DECREE_331: True, DECREE_85: True}
    assert {st.regime: st.overdue for st in rows["l3"].regimes} == {DECREE_331: True, DECREE_85: False}
    cites = {st.regime: st.cadence.citation for st in rows["l4"].regimes}
    assert cites == {DECREE_331: "TCVN 14423:2026 6.7.2.1", DECREE_85: "Decree 85/2016 Art. 20.2.c"}


def test_due_lists_certificates_expiring_within_the_horizon(store):
    base = make_results()
    soon = _with_network(base, (443,), (443,), "CN=CA", "cc" * 32)       # canned leaf: expires NOW + 80 days
    store.save(at(soon, "r", "2026-11-23T10:00:00+00:00"))
    latest = store.latest_per_system()
    certs = store.certificates("r")
    today = dt.date(2026, 11, 23)
    assert compute_due(levels_from_store(latest), latest, certs, today, 30).certificates == ()
    hits = compute_due(levels_from_store(latest), latest, certs, today, 90).certificates
    assert [(c.system_id, c.target, c.days_left) for c in hits] == [("portal", "127.0.0.11:443", 80)]


def test_diff_json_validates_against_its_published_schema_and_every_format_renders(store):
    import json
    from pathlib import Path

    from jsonschema import Draft202012Validator

    from secaudit.report.history import render_diff

    base = make_results()
    after = replace_finding(base, "portal", "TLS-PROTO-01", verdict=Verdict.PASS)
    after = replace_finding(after, "mail", "TLS-PROTO-01", verdict=Verdict.FAIL, waiver=None)
    a = _with_network(base, (443, 23), (22, 23, 443), "CN=Old CA", "aa" * 32)
    b = _with_network(after, (443, 22), (22, 23, 443), "CN=New <b>CA</b>", "bb" * 32)
    systems = tuple(dataclasses.replace(s, achieved_level=1) if s.system_id == "portal" else s for s in b.systems)
    d = diff(store, at(a, "a", "2026-01-01T00:00:00+00:00"),
             at(b, "b", "2026-02-01T00:00:00+00:00", systems=systems))
    schema = json.loads((Path(__file__).parents[2] / "secaudit" / "schemas" / "diff-v1.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    doc = json.loads(render_diff(d, "json", "en"))
    assert list(Draft202012Validator(schema).iter_errors(doc)) == []
    assert doc["summary"]["ports_opened"] == 1 and doc["summary"]["certificates"] == 1 and doc["levels"]
    html = render_diff(d, "html", "vi")
    assert "New <b>CA</b>" not in html and "New &lt;b&gt;CA&lt;/b&gt;" in html
    md = render_diff(d, "md", "en")
    assert "New \\<b\\>CA" not in md and "&lt;b&gt;" in md and "## Fixed (1)" in md
    text = render_diff(d, "text", "en", show_still=True)
    assert "Still failing" in text and "\x1b" not in text


def test_due_command_exits_1_when_overdue_and_a_run_that_measured_nothing_is_no_assessment(db_url):
    import json
    import os
    import subprocess
    import sys

    from secaudit.store import open_store

    with open_store(db_url) as s:
        s.save(levels_run("early", "2026-05-01T09:00:00+00:00", {"web": 3, "airgap": 3}))
        # the newest run reached nothing on airgap: it stays assessed on 2026-05-01, not on 2026-07-25
        s.save(levels_run("late", "2026-07-25T09:00:00+00:00", {"web": 3, "airgap": 3}, {"airgap": "error"}))
    env = {**os.environ, "SECAUDIT_LANG": "en"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "secaudit", "due", "--db", db_url, *a],  # noqa: E731
                                    capture_output=True, text=True, timeout=120, env=env)
    r = run("--today", "2026-11-20", "--format", "json")
    assert r.returncode == 1, r.stderr
    doc = json.loads(r.stdout)
    rows = {x["system"]: x for x in doc["systems"]}
    assert [x["system"] for x in doc["systems"]] == ["airgap", "web"]            # overdue first
    assert rows["airgap"]["last"] == "2026-05-01" and rows["airgap"]["unmeasured"] is True
    assert rows["airgap"]["regimes"][DECREE_331]["next_due"] == "2026-11-01" and rows["airgap"]["overdue"]
    assert rows["web"]["regimes"][DECREE_331]["next_due"] == "2027-01-25" and not rows["web"]["overdue"]
    assert rows["web"]["regimes"][DECREE_85]["citation"] == "Decree 85/2016 Art. 20.2.c"
    # the two regimes time different duties, and each line says which: an assessment, a vulnerability scan
    assert {rg: v["duty"] for rg, v in rows["web"]["regimes"].items()} == {
        DECREE_85: "assessment", DECREE_331: "vulnerability_scan"}
    r = run("--today", "2026-10-01")
    assert r.returncode == 0 and "0 system(s) overdue" in r.stdout and "measured nothing" in r.stdout, r.stdout
    assert "level 3, vulnerability scan every 6 month(s)" in r.stdout and "TCVN 14423:2026 5.7.2.1" in r.stdout
    assert "level 3, security assessment every 12 month(s)" in r.stdout, r.stdout
    vi = run("--today", "2026-10-01", "--lang", "vi")
    assert "rà quét lỗ hổng 6 tháng một lần" in vi.stdout and "kiểm tra, đánh giá an toàn thông tin 12 tháng" in \
        vi.stdout, vi.stdout
