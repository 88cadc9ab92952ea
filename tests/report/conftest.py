"""ONE canned run shared by every report test (after pip-audit's test/format/conftest.py).

Systems at different levels and statuses, all five verdicts, a waived finding, an expired
waiver, a failed probe, and hostile strings where a scanned server could put them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from secaudit.model import (
    Control, Endpoint, Evidence, Facts, Finding, InfoClass, Inventory, LocalText, Message, Observation,
    ObservationStatus, Organisation, Purpose, Results, RunInfo, Service, Severity, SourceRef, System, SystemResult,
    Verdict, Waiver,
)

XSS = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"
MD_LINK = "[x](javascript:alert(1))"
MD_TABLE = "| col |"
ANSI = "\x1b[31mRED\x1b[0m\x07"

INVENTORY_FILE = "examples/inventory.yaml"


def _system(sid: str, name: str, purpose: Purpose, line: int, endpoints: tuple[Endpoint, ...]) -> System:
    return System(id=sid, name=name, purpose=purpose, facts=Facts(information=(InfoClass.PERSONAL,)),
                  endpoints=endpoints, source=SourceRef(INVENTORY_FILE, line, 5))


def make_results() -> Results:
    portal = _system("portal", "Cổng dịch vụ công", Purpose.PUBLIC_SERVICE, 12, (
        Endpoint("127.0.0.11", 443, Service.HTTPS, tls=True, source=SourceRef(INVENTORY_FILE, 20, 9)),))
    mail = _system("mail", "Mail server", Purpose.INTERNAL, 30, (
        Endpoint("127.0.0.12", 465, Service.SMTP, tls=True, source=SourceRef(INVENTORY_FILE, 38, 9)),))
    hr = _system("hr", "HR system", Purpose.INTERNAL, 45, (
        Endpoint("127.0.0.13", 443, Service.HTTPS, tls=True, source=SourceRef(INVENTORY_FILE, 50, 9)),))
    lab = _system("lab", "Lab", Purpose.OTHER, 60, (
        Endpoint("127.0.0.14", 22, Service.SSH, source=SourceRef(INVENTORY_FILE, 64, 9)),))
    inventory = Inventory(Organisation("Sở Thông tin và Truyền thông (fictional)"), (portal, mail, hr, lab),
                          SourceRef(INVENTORY_FILE, 1, 1), "sha256:" + "ab" * 32)

    controls = (
        Control("TLS-PROTO-01", LocalText("Obsolete TLS versions disabled", "Tắt các phiên bản TLS lỗi thời"),
                "tls.protocols.forbidden", Severity.HIGH, {"versions": ["tls1.0", "tls1.1"]},
                ("TCVN 11930:2017 §7.2.1", "Circular 12/2022/TT-BTTTT Appendix II"),
                remediation=LocalText("Disable TLS 1.0 and 1.1.", "Tắt TLS 1.0 và 1.1.")),
        Control("CERT-VALID-01", LocalText("Certificate trusted and valid", "Chứng thư số tin cậy và còn hạn"),
                "cert.valid", Severity.CRITICAL, references=("TCVN 11930:2017 §7.2.4",),
                remediation=LocalText("Install a certificate from a trusted CA.", "Cài chứng thư số của CA tin cậy.")),
        Control("PORTS-EXPOSED-01", LocalText("No undeclared ports", "Không mở cổng ngoài danh mục"),
                "ports.undeclared", Severity.MEDIUM, references=("TCVN 11930:2017 §6.2.2",),
                remediation=LocalText("Close the port or declare it.", "Đóng cổng hoặc khai báo cổng.")),
        Control("HTTP-HSTS-01", LocalText("HSTS enabled", "Bật HSTS"), "http.hsts", Severity.LOW,
                remediation=LocalText("Send Strict-Transport-Security.", "Gửi tiêu đề Strict-Transport-Security.")),
        Control("INFO-01", LocalText("Inventory up to date", "Danh mục được cập nhật"), "ports.inventory",
                Severity.INFO),
    )
    waiver = Waiver("TLS-PROTO-01", "mail", f"Legacy clients {MD_TABLE} {MD_LINK}", "Giám đốc Sở",
                    dt.date(2027, 6, 30), "127.0.0.12:465", SourceRef("waivers.yaml", 3, 3))
    expired = Waiver("HTTP-HSTS-01", "portal", "old exception", "CISO", dt.date(2026, 1, 1), None,
                     SourceRef("waivers.yaml", 9, 3))
    findings = (
        Finding("TLS-PROTO-01", "portal", "127.0.0.11:443", Verdict.FAIL, Severity.HIGH,
                Message("tls.protocols.forbidden.fail", {"versions": "TLS 1.0, TLS 1.1"}),
                (Evidence("Accepted versions", "TLS 1.0, TLS 1.1"),), (), ("TCVN 11930:2017 §7.2.1",)),
        Finding("CERT-VALID-01", "portal", "127.0.0.11:443", Verdict.FAIL, Severity.CRITICAL,
                Message("cert.valid.untrusted", {"subject": f"CN={XSS}"}),
                (Evidence("Subject CN", XSS), Evidence("report.evidence", MD_LINK)),
                (Message("cert.expiring", {"days": 10}),), ("TCVN 11930:2017 §7.2.4",)),
        Finding("PORTS-EXPOSED-01", "portal", "127.0.0.11", Verdict.FAIL, Severity.MEDIUM,
                Message("ports.undeclared.fail", {"ports": "23/tcp"}),
                (Evidence("Banner", FORMULA), Evidence("Service", f"{MD_TABLE} {ANSI}")), (),
                ("TCVN 11930:2017 §6.2.2",)),
        Finding("INFO-01", "portal", "127.0.0.11", Verdict.PASS, Severity.INFO, Message("ports.inventory.pass")),
        Finding("TLS-PROTO-01", "mail", "127.0.0.12:465", Verdict.WAIVED, Severity.HIGH,
                Message("tls.protocols.forbidden.fail", {"versions": "TLS 1.0"}),
                (Evidence("Accepted versions", "TLS 1.0"),), (), ("TCVN 11930:2017 §7.2.1",), waiver),
        Finding("HTTP-HSTS-01", "mail", "127.0.0.12:465", Verdict.NOT_APPLICABLE, Severity.LOW,
                Message("http.hsts.not_http")),
        Finding("CERT-VALID-01", "mail", "127.0.0.12:465", Verdict.PASS, Severity.CRITICAL,
                Message("cert.valid.pass")),
        Finding("TLS-PROTO-01", "hr", "127.0.0.13:443", Verdict.ERROR, Severity.HIGH,
                Message("check.error.probe", {"reason": "timed out after 30 s"})),
        Finding("PORTS-EXPOSED-01", "lab", "127.0.0.14", Verdict.FAIL, Severity.MEDIUM,
                Message("ports.undeclared.fail", {"ports": "6379/tcp"}), (Evidence("", FORMULA), Evidence("Banner", FORMULA))),
    )
    systems = (
        SystemResult("portal", "Cổng dịch vụ công", 3, 2, 3, 0, "Decree 331/2026 Art. 13.2.b", "level-3",
                     {"fail": 3, "pass": 1}, {"critical": 1, "high": 1, "medium": 1}),
        SystemResult("mail", "Mail server", 2, None, 2, 2, "Decree 331/2026 Art. 12.1", "level-2",
                     {"waived": 1, "not_applicable": 1, "pass": 1}, {}),
        SystemResult("hr", "HR system", 2, None, 2, 1, "Decree 331/2026 Art. 12.1", "level-2", {"error": 1}, {}),
        SystemResult("lab", "Lab", None, None, None, None, "", None, {"fail": 1}, {"medium": 1},
                     (Message("classify.missing_fact", {"fact": "purpose"}),)),
    )
    observations = (
        Observation("tls|127.0.0.11:443", "tls", "127.0.0.11:443", ObservationStatus.OK, None, None,
                    "2026-11-23T10:00:01+00:00", 0.5),
        Observation("tls|127.0.0.13:443", "tls", "127.0.0.13:443", ObservationStatus.ERROR, None,
                    f"timed out after 30 s {ANSI}", "2026-11-23T10:00:01+00:00", 30.0),
    )
    run = RunInfo("20261123T100000Z-a1b2", "2026-11-23T10:00:00+00:00", "2026-11-23T10:01:00+00:00", "0.1.0",
                  INVENTORY_FILE, inventory.digest, "decree-331-2026",
                  {"level-2": "sha256:" + "01" * 32, "level-3": "sha256:" + "02" * 32}, True, "low")
    return Results(run, inventory, systems, controls, findings, observations, (expired,))


@pytest.fixture(scope="session")
def results() -> Results:
    return make_results()


@pytest.fixture(scope="session")
def incomplete_results(results: Results) -> Results:
    return dataclasses.replace(results, run=dataclasses.replace(results.run, complete=False, finished_at=""))
