"""Importers (pure: files the tests write in each tool's shape -> normalised findings), recognition by
content, matching to the inventory, and hostile files refused with file and position."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from secaudit.importers import registry
from secaudit.importers.match import match
from secaudit.importers.model import fingerprint
from secaudit.importers.source import ImportFileError
from secaudit.load import load_inventory_text
from tests.support import imports as fx

ITEMS = [
    fx.Item("127.24.0.10", "57582", "TLS weak cipher suites", "high", cves=("CVE-2016-2183",), cwe="CWE-327"),
    fx.Item("127.24.0.99", "11111", "Host nobody declared", "critical"),
    fx.Item("portal.songlam.example", "22222", "HSTS missing", "low", port=443),
]
WRITERS = {"nessus": (fx.nessus, ".nessus"), "greenbone": (fx.greenbone, ".xml"), "nuclei": (fx.nuclei, ".jsonl")}


@pytest.fixture(scope="module")
def inventory():
    return load_inventory_text(fx.INVENTORY, "inv.yaml")


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


@pytest.mark.parametrize("tool", sorted(WRITERS))
def test_a_vulnerability_scanner_report_is_normalised_and_matched(tool, tmp_path, inventory):
    writer, suffix = WRITERS[tool]
    # Given a report named as no tool would name it (recognition is by content)
    file = write(tmp_path, "report" + suffix[::-1], writer(ITEMS))
    # When it is parsed with --tool auto
    report = registry.parse(file)
    # Then the tool is recognised, dates come from the file, and each item is normalised
    assert report.tool == tool and report.category == "vulnerability-scanner"
    assert report.started is not None and report.started.tzinfo is not None and report.started.day == 7
    assert len(report.sha256) == 64 and report.size == os.path.getsize(file)
    fails = {f.rule: f for f in report.findings if f.result == "fail"}
    weak = fails["57582"]
    assert (weak.severity, weak.host, weak.port, weak.protocol, weak.cves, weak.cwe) == (
        "high", "127.24.0.10", 443, "tcp", ("CVE-2016-2183",), "CWE-327")
    assert weak.tool_severity and weak.solution == "Upgrade." and weak.target == "127.24.0.10:443/tcp"
    assert weak.fingerprint == fingerprint(tool, "57582", "127.24.0.10", 443)
    assert fails["11111"].severity == "critical"
    # And matched by endpoint; the undeclared host is listed, its finding kept
    m = match(report, inventory)
    assert m.systems == ("cong-dvc",) and m.unmatched_hosts == ("127.24.0.99",)
    by_rule = {f.rule: s for f, s in zip(report.findings, m.by_finding)}
    assert by_rule["57582"] == ("cong-dvc",) and by_rule["22222"] == ("cong-dvc",) and by_rule["11111"] == ()


def test_nessus_keeps_the_version_and_marks_severity_0_as_information(tmp_path):
    report = registry.parse(write(tmp_path, "x", fx.nessus(ITEMS, version="10.7.2")))
    assert report.tool_version == "10.7.2"
    info = next(f for f in report.findings if f.rule == "19506")
    assert (info.result, info.severity, info.port) == ("info", "info", None)


def test_greenbone_reads_only_results_of_results_not_nested_detection_results(tmp_path):
    report = registry.parse(write(tmp_path, "x", fx.greenbone(ITEMS, hosts=("127.24.0.30",))))
    assert len(report.findings) == len(ITEMS) and report.tool_version == "GMP 22.4"
    assert "127.24.0.30" in report.hosts                        # covered without findings
    assert report.aliases["127.24.0.10"] == ("127.24.0.10.scan.example",)


def test_lynis_warnings_fail_suggestions_are_partial_executed_tests_pass(tmp_path, inventory):
    text = fx.lynis(warnings=(("SSH-7408", "Root can log in"),), suggestions=(("AUTH-9286", "Set a maximum age"),),
                    addresses=("127.24.0.40", "127.0.0.1"))
    report = registry.parse(write(tmp_path, "report.json", text))
    results = {f.rule: (f.result, f.severity) for f in report.findings}
    assert results == {"AUTH-9286": ("partial", "low"), "SSH-7408": ("fail", "medium"), "FIRE-4590": ("pass", "info")}
    assert report.tool_version == "3.0.8" and report.hosts == ("vm",) and report.aliases == {"vm": ("127.24.0.40",)}
    assert match(report, inventory).systems == ("may-chu",)


def test_xccdf_results_keep_pass_and_fail_with_titles(tmp_path):
    text = fx.xccdf("vm", {"xccdf_r_a": ("pass", "high"), "xccdf_r_b": ("fail", "low"),
                           "xccdf_r_c": ("notselected", "low"), "xccdf_r_d": ("notapplicable", "medium")})
    report = registry.parse(write(tmp_path, "r.nessus", text))
    assert report.tool == "openscap" and report.tool_version == "1.3.7"
    assert {f.rule: f.result for f in report.findings} == {"xccdf_r_a": "pass", "xccdf_r_b": "fail",
                                                          "xccdf_r_d": "not_applicable"}
    assert report.findings[0].title == "xccdf_r_a title"


def test_nuclei_names_the_matcher_and_maps_unknown_severity_to_information(tmp_path):
    items = [dataclasses.replace(ITEMS[0], severity="medium", extra={"matcher-name": "nginx"}),
             dataclasses.replace(ITEMS[2], extra={"info": {"name": "x", "severity": "unknown"}})]
    report = registry.parse(write(tmp_path, "n", fx.nuclei(items)))
    assert [f.rule for f in report.findings] == ["57582:nginx", "22222"]
    assert (report.findings[1].severity, report.findings[1].result) == ("info", "info")


# ----------------------------------------------------------------------------- hostile files

XXE = ('<?xml version="1.0"?>\n<!DOCTYPE NessusClientData_v2 [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
       "<NessusClientData_v2><Report>&x;</Report></NessusClientData_v2>\n")
LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE report [\n<!ENTITY a "lol">\n' +
          "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">\n' for i in range(9)) +
          "]>\n<report><results>&j;</results></report>\n")
EXTERNAL_DTD = ('<?xml version="1.0"?>\n<!DOCTYPE Benchmark SYSTEM "http://127.24.0.1:9/x.dtd">\n'
                '<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2"/>\n')


@pytest.mark.parametrize("text, key, line", [
    (XXE, "import.dtd_forbidden", 2), (LAUGHS, "import.dtd_forbidden", 2), (EXTERNAL_DTD, "import.dtd_forbidden", 2),
])
@pytest.mark.parametrize("tool", ["auto", "nessus", "greenbone", "openscap"])
def test_a_doctype_is_refused_where_it_starts_whatever_the_tool(text, key, line, tool, tmp_path):
    file = write(tmp_path, "evil.xml", text)
    with pytest.raises(ImportFileError) as e:
        registry.parse(file, tool)
    d = e.value.diagnostics[0]
    assert (d.file, d.key, d.line) == (file, key, line) and d.column >= 1
    assert "passwd" not in d.render() and "lol" not in d.render()


@pytest.mark.parametrize("tool", sorted(WRITERS))
def test_a_truncated_report_names_the_position_where_it_ends(tool, tmp_path):
    writer, _ = WRITERS[tool]
    full = writer(ITEMS)
    file = write(tmp_path, "cut", full[: len(full) * 2 // 3])
    with pytest.raises(ImportFileError) as e:
        registry.parse(file)
    d = e.value.diagnostics[0]
    assert d.key == "import.truncated" and d.line > 1 and d.file == file


def test_a_truncated_openscap_result_names_the_position_where_it_ends(tmp_path):
    full = fx.xccdf("vm", {f"xccdf_r_{n}": ("fail", "high") for n in range(5)}).replace("><", ">\n<")
    cut = full[: len(full) * 2 // 3]
    with pytest.raises(ImportFileError) as e:
        registry.parse(write(tmp_path, "cut.xml", cut))
    d = e.value.diagnostics[0]
    assert (d.key, d.line) == ("import.truncated", cut.count("\n") + 1) and d.column >= 1


def test_a_lynis_report_without_its_end_marker_is_truncated(tmp_path):
    with pytest.raises(ImportFileError) as e:
        registry.parse(write(tmp_path, "r", fx.lynis(end=None)))
    assert e.value.diagnostics[0].key == "import.truncated"


@pytest.mark.parametrize("forced, writer", [("greenbone", fx.nessus), ("nessus", fx.greenbone), ("lynis", fx.nuclei),
                                            ("nuclei", lambda items: fx.lynis()), ("openscap", fx.nessus)])
def test_a_file_of_another_tool_is_refused_when_a_tool_is_forced(forced, writer, tmp_path):
    with pytest.raises(ImportFileError) as e:
        registry.parse(write(tmp_path, "r", writer(ITEMS)), forced)
    d = e.value.diagnostics[0]
    assert d.key == "import.wrong_tool" and d.args["found"] != "-"


def test_a_2_gb_file_is_refused_before_reading_and_zeros_under_a_raised_cap_fail_at_once(tmp_path):
    big = tmp_path / "huge.nessus"
    with open(big, "wb") as f:                                 # sparse: no disk used
        f.truncate(2 * 1024 ** 3)
    with pytest.raises(ImportFileError) as e:
        registry.parse(str(big))
    assert e.value.diagnostics[0].key == "import.too_big"
    with pytest.raises(ImportFileError) as e:                  # the cap raised: the content is still no report
        registry.parse(str(big), max_bytes=4 * 1024 ** 3)
    assert e.value.diagnostics[0].key == "import.unknown_format"
    with pytest.raises(ImportFileError) as e:                  # forced as XML: the first byte is refused
        registry.parse(str(big), "nessus", max_bytes=4 * 1024 ** 3)
    assert e.value.diagnostics[0].key == "import.wrong_tool"


def test_a_report_with_a_valid_head_and_garbage_later_fails_at_the_garbage(tmp_path):
    text = fx.nessus(ITEMS).replace("<synopsis>", "<synopsis>\x01", 1)
    with pytest.raises(ImportFileError) as e:
        registry.parse(write(tmp_path, "r", text))
    assert e.value.diagnostics[0].key == "import.xml_invalid" and e.value.diagnostics[0].line > 1


def test_a_fifo_or_a_directory_is_not_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for path, key in ((fifo, "file.not_regular"), (tmp_path, "file.is_directory")):
        with pytest.raises(ImportFileError) as e:
            registry.parse(str(path))
        assert e.value.diagnostics[0].key == key


@pytest.mark.parametrize("text, key", [("{not json\n", "import.bad_json"), ("[1, 2]\n", "import.bad_record"),
                                       ("[" * 100000 + "\n", "import.bad_json"),
                                       ('{"template-id": "x", "info": {}}\n', "import.bad_record")])
def test_broken_json_lines_name_the_line(text, key, tmp_path):
    with pytest.raises(ImportFileError) as e:
        registry.parse(write(tmp_path, "n", fx.nuclei(ITEMS[:1]) + text))
    assert (e.value.diagnostics[0].key, e.value.diagnostics[0].line) == (key, 2)


def test_unknown_content_and_an_empty_file_are_refused(tmp_path):
    for text in ("hello world\n", "", "<nmaprun scanner='nmap'/>\n", '{"a": 1}\n'):
        with pytest.raises(ImportFileError) as e:
            registry.parse(write(tmp_path, "f", text))
        assert e.value.diagnostics[0].key == "import.unknown_format"


# ----------------------------------------------------------------------------- registry


class _Fake:
    name = "faketool"
    title = "Fake tool"
    category = "vulnerability-scanner"

    def recognises(self, head):
        return head.kind == "text" and head.lines[:1] == ("FAKE REPORT",)

    def parse(self, file, max_bytes):
        return registry.get("lynis").parse(file, max_bytes)


def test_a_plug_in_importer_is_registered_for_a_block_and_cannot_replace_another(tmp_path):
    file = write(tmp_path, "f", "FAKE REPORT\n")
    with registry.registered(_Fake()):
        assert "faketool" in registry.names() and registry.choose(file).name == "faketool"
        with pytest.raises(ValueError):
            registry.register(_Fake())
    assert "faketool" not in registry.names()
    with pytest.raises(ValueError):
        registry.register(registry.get("nessus"))


def test_a_plug_in_package_brings_its_importer_and_a_clash_adds_nothing(tmp_path):
    from secaudit import plugins
    from secaudit.plugins import Plugin, PluginError, install

    with pytest.raises(PluginError) as e:                      # its importer first, then a name already taken
        install(Plugin(name="half", importers=(_Fake(), registry.get("lynis"))))
    assert "'lynis' is already registered" in e.value.args_["error"] and "faketool" not in registry.names()
    install(Plugin(name="fake-importer", importers=(_Fake(),)))
    try:
        assert registry.choose(write(tmp_path, "f", "FAKE REPORT\n")).name == "faketool"
    finally:
        registry.unregister("faketool")
        plugins._loaded[:] = [p for p in plugins._loaded if p.name != "fake-importer"]
