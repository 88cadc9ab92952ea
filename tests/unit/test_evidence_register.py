"""The evidence register: schema, names, dates and the sha256 of each registered document, at file:line:col."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from secaudit.errors import InputError
from secaudit.validation import validate_files
from secaudit.requirements.catalogue import catalogue_for_regime
from secaudit.requirements.model import EntryStatus
from secaudit.requirements.register import load_register

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"policy.security-policy", "account.inactive-disabled", "network.tls"}
SYSTEMS = {"cong-dvc", "qlvb"}
DOC = b"Quy che bao dam an ninh mang, ban ky so\n"


def write(tmp_path: Path, body: str) -> str:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "quy-che.pdf").write_bytes(DOC)
    path = tmp_path / "evidence.yaml"
    path.write_text(body, encoding="utf-8")
    return str(path)


GOOD = f"""kind: evidence
entries:
  - id: quy-che-2026
    requirements: [policy.security-policy]
    kind: document
    title: "Quy chế bảo đảm an ninh mạng / Security regulation"
    officer: {{name: "Trần Thị Bình", position: "Trưởng phòng CNTT"}}
    date: 2026-06-15
    file: docs/quy-che.pdf
    sha256: {hashlib.sha256(DOC).hexdigest()}
    status: in_place
  - id: no-web
    requirements: [network.tls]
    systems: [qlvb]
    kind: attestation
    title: "No public web service"
    officer: {{name: "Lê Văn Cường"}}
    date: 2026-07-01
    valid_until: 2027-06-30
    status: not_applicable
    reason: "internal only"
"""


def test_a_good_register_loads(tmp_path):
    reg = load_register(write(tmp_path, GOOD), KEYS, SYSTEMS)
    first, second = reg.entries
    assert first.systems is None and first.officer.position == "Trưởng phòng CNTT"
    assert first.sha256 == hashlib.sha256(DOC).hexdigest() and first.source.line == 3
    assert second.status is EntryStatus.NOT_APPLICABLE and second.valid_until.isoformat() == "2027-06-30"
    assert reg.digest.startswith("sha256:")


def _problems(tmp_path: Path, body: str) -> list[tuple[int, int, str]]:
    with pytest.raises(InputError) as e:
        load_register(write(tmp_path, body), KEYS, SYSTEMS)
    return [(d.line, d.column, d.key) for d in e.value.diagnostics]


def test_a_changed_document_names_the_register_line_and_column_of_its_sha256(tmp_path):
    path = write(tmp_path, GOOD)
    (tmp_path / "docs" / "quy-che.pdf").write_bytes(DOC + b"edited")
    with pytest.raises(InputError) as e:
        load_register(path, KEYS, SYSTEMS)
    (d,) = e.value.diagnostics
    assert (d.file, d.line, d.column, d.key) == (path, 10, 5, "evidence.sha256_mismatch")
    assert "quy-che.pdf" in d.render("en") and f"{path}:10:5" in d.render("en")


def test_a_missing_document_is_an_error(tmp_path):
    path = write(tmp_path, GOOD)
    (tmp_path / "docs" / "quy-che.pdf").unlink()
    with pytest.raises(InputError) as e:
        load_register(path, KEYS, SYSTEMS)
    assert [(d.line, d.key) for d in e.value.diagnostics] == [(10, "evidence.file_missing")]


def test_unknown_names_suggest_the_nearest(tmp_path):
    body = GOOD.replace("[policy.security-policy]", "[policy.security-polcy]").replace("[qlvb]", "[qlvbb]")
    diags = _problems(tmp_path, body)
    assert (4, 20, "evidence.unknown_requirement_suggest") in diags
    assert (14, 15, "evidence.unknown_system_suggest") in diags


def test_not_applicable_needs_a_reason_and_dates_are_checked(tmp_path):
    body = GOOD.replace('    reason: "internal only"\n', "").replace("valid_until: 2027-06-30", "valid_until: 2026-06-30")
    diags = _problems(tmp_path, body)
    assert (20, 5, "evidence.na_without_reason") in diags
    assert (19, 18, "evidence.valid_before_date") in diags


def test_schema_errors_are_located(tmp_path):
    body = GOOD.replace("kind: document", "kind: documnet").replace("date: 2026-06-15", "date: 2026-02-30")
    diags = _problems(tmp_path, body)
    assert (5, 11, "schema.enum_suggest") in diags
    assert (8, 11, "schema.date") in diags
    assert _problems(tmp_path, GOOD + "  - id: quy-che-2026\n    requirements: [network.tls]\n    kind: record\n"
                     "    title: t\n    officer: {name: x}\n    date: 2026-01-01\n    status: in_place\n") == [
        (22, 9, "evidence.duplicate_id")]


def test_validate_accepts_evidence_files_against_the_shipped_catalogue_and_inventory(tmp_path):
    key = sorted(catalogue_for_regime("decree-331-2026").keys())[0]
    body = GOOD.replace("policy.security-policy", key).replace("network.tls", key).replace("[qlvb]", "[cong-dvc]")
    report = validate_files([write(tmp_path, body), str(ROOT / "examples" / "inventory.yaml")])
    assert report.ok, report.diagnostics
    assert report.files[0].kind == "evidence" and report.files[0].summary == {"entries": 2}
    bad = validate_files([write(tmp_path, body.replace("[cong-dvc]", "[cong-dvcc]")),
                          str(ROOT / "examples" / "inventory.yaml")])
    assert [(d.line, d.key) for d in bad.diagnostics] == [(14, "evidence.unknown_system_suggest")]
