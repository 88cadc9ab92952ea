"""Nuclei's JSON export (``nuclei -json-export``: one JSON array, Go's ``json.Marshal`` on one line), written by
the tests themselves: recognised by content, read streamed element by element, the same findings as the JSON
lines of the same scan; hostile and broken arrays refused at their position (issue 24)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secaudit.importers import registry
from secaudit.importers.source import ImportFileError, json_array, open_report
from tests.support import imports as fx

ITEMS = [
    fx.Item("127.24.0.10", "ssl-weak", "TLS <weak> & old", "high", cves=("CVE-2016-2183",), cwe="CWE-327"),
    fx.Item("127.24.0.99", "exposed-panel", "Panel nobody declared", "critical"),
    fx.Item("portal.songlam.example", "hsts-missing", "HSTS missing", "low", extra={"matcher-name": "hsts"}),
]


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def refused(file: str, tool: str = "auto"):
    with pytest.raises(ImportFileError) as e:
        registry.parse(file, tool)
    return e.value.diagnostics[0]


def test_the_export_gives_the_findings_of_the_json_lines_of_the_same_scan(tmp_path):
    # Given the same scan as JSON lines and as Nuclei's JSON export, named as no tool would name them
    lines = write(tmp_path, "scan.xml", fx.nuclei(ITEMS))
    export = write(tmp_path, "scan.nessus", fx.nuclei_export(ITEMS))
    assert not Path(export).read_text().endswith("\n") and "\\u003cweak\\u003e" in Path(export).read_text()
    # When both are parsed with --tool auto
    a, b = registry.parse(lines), registry.parse(export)
    # Then both are Nuclei with the same normalised findings, hosts and dates; each file has its own digest
    assert b.tool == "nuclei" and registry.choose(export, "nuclei").name == "nuclei"
    assert b.findings == a.findings and b.hosts == a.hosts and (b.started, b.finished) == (a.started, a.finished)
    assert b.findings[0].title == "TLS <weak> & old" and b.findings[2].rule == "hsts-missing:hsts"
    assert b.sha256 != a.sha256 and b.size == Path(export).stat().st_size


def test_a_first_record_longer_than_the_head_is_still_recognised(tmp_path):
    # Nuclei keeps the raw HTTP response in each match: the first record may be longer than what --tool auto reads
    big = [fx.Item("127.24.0.10", "big", "Big response", "medium", extra={"response": "HTTP/1.1 200 OK\r\n" + "x" * 200_000})]
    for name, text in (("big.jsonl", fx.nuclei(big + ITEMS)), ("big.json", fx.nuclei_export(big + ITEMS))):
        report = registry.parse(write(tmp_path, name, text))
        assert report.tool == "nuclei" and [f.rule for f in report.findings][:2] == ["big", "ssl-weak"]


def test_elements_split_across_every_chunk_boundary_keep_their_values_and_positions(tmp_path):
    # Given a pretty-printed export (as `jq .` writes it), read 7 characters at a time
    records = [json.loads(line) for line in fx.nuclei(ITEMS).splitlines()] + [12345, "naïve", None]
    text = json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    file = write(tmp_path, "pretty.json", text)
    opened = open_report(file)
    try:
        got = list(json_array(opened, file, chunk=7))
    finally:
        opened.close()
    # Then every element comes whole, at the line and column where it starts
    assert [v for _, _, v in got] == records
    starts = [(n + 1, len(line) - len(line.lstrip()) + 1) for n, line in enumerate(text.splitlines())
              if line.startswith("  ") and not line.startswith(("   ", "  }"))]
    assert [(line, col) for line, col, _ in got] == starts


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.9, 0.999])
def test_a_truncated_export_names_the_end_of_the_file(fraction, tmp_path):
    full = fx.nuclei_export(ITEMS)
    cut = full[: int(len(full) * fraction)]
    d = refused(write(tmp_path, "cut.json", cut))
    assert (d.key, d.line, d.column) == ("import.truncated", 1, len(cut) + 1)


@pytest.mark.parametrize("text, key, column", [
    ('[{"template-id": "a", "info": {}, "host": "127.24.0.1"}, 7]', "import.bad_element", 58),
    ('[{"template-id": "a", "info": {"severity": "low"}, "host": "127.24.0.1"}] trailing', "import.bad_json", 75),
    ('[{"template-id": "a", "info": {}, "host": "127.24.0.1"},]', "import.bad_json", 57),
    ('[{"template-id": "a", "info": {}, "host": "127.24.0.1"} {"x": 1}]', "import.bad_json", 57),
    ('[{"template-id": "a", "info": {}, "host": "127.24.0.1"}, {"a": tru x}]', "import.bad_json", 64),
    ('[{"template-id": "a", "info": {}, "host": "127.24.0.1"}, ' + "[" * 100_000, "import.bad_json", 58),
    ('[{"template-id": "a", "info": {}, "host": ""}]', "import.bad_record", 2),
])
def test_a_broken_array_is_refused_at_its_position(text, key, column, tmp_path):
    d = refused(write(tmp_path, "bad.json", text))
    assert (d.key, d.line, d.column) == (key, 1, column)


@pytest.mark.parametrize("text", ['{"results": [{"template-id": "a", "info": {}}]}\n', "[1, 2, 3]",
                                  '[{"templateID": "a", "info": {}}]', "[]", '["template-id", "info"]'])
def test_json_that_is_no_nuclei_array_is_refused_auto_or_forced(text, tmp_path):
    file = write(tmp_path, "other.json", text)
    assert refused(file).key == "import.unknown_format"
    assert refused(file, "nuclei").key == "import.wrong_tool"


def test_an_export_forced_as_another_tool_is_refused(tmp_path):
    file = write(tmp_path, "n.json", fx.nuclei_export(ITEMS))
    for tool in ("nessus", "lynis", "greenbone"):
        d = refused(file, tool)
        assert d.key == "import.wrong_tool" and d.args["found"] == "Nuclei (JSON lines or JSON export)"


def test_an_element_over_the_limit_is_refused_without_reading_the_rest(tmp_path):
    file = write(tmp_path, "long.json", '[{"template-id": "a", "info": {}, "x": "' + "y" * 2_000_000 + '"}]')
    opened = open_report(file)
    try:
        with pytest.raises(ImportFileError) as e:
            list(json_array(opened, file, limit=100_000, chunk=65_536))
        assert opened.reader.count < 300_000                 # refused after the limit, not at the end of the file
    finally:
        opened.close()
    d = e.value.diagnostics[0]
    assert (d.key, d.line, d.column, d.args["limit"]) == ("import.element_too_long", 1, 2, 100_000)


def test_the_size_cap_and_other_shapes_apply_to_an_array(tmp_path):
    big = tmp_path / "huge.json"
    with open(big, "wb") as f:                               # sparse: no disk used
        f.write(b'[{"template-id": "a", "info": {}}')
        f.truncate(2 * 1024 ** 3)
    assert refused(str(big), "nuclei").key == "import.too_big"
    opened = open_report(write(tmp_path, "obj.json", '{"a": 1}'))
    try:
        with pytest.raises(ImportFileError) as e:
            list(json_array(opened, "obj.json"))
    finally:
        opened.close()
    assert e.value.diagnostics[0].key == "import.not_array"
    assert refused(write(tmp_path, "bad-utf8.json", b'[{"template-id": "a", "info": {}, "x": "\xff"}]')).key \
        == "import.bad_json"
