"""Small reports in each tool's real shape, written by the tests themselves (no third-party sample files).

Each writer takes a list of :class:`Item` and returns the file's text: a Greenbone GMP XML report, a
Nessus v2 file, Nuclei JSON lines, a Lynis report.dat and an XCCDF 1.2 TestResult. Hosts are loopback
addresses (127.24.x.x, issue 24's range) or names under .example.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

INVENTORY = """\
kind: inventory
version: 1
organisation: {name: "Sở Thông tin và Truyền thông tỉnh X", security_unit: "Phòng CNTT", owner_body: "UBND tỉnh X"}
systems:
  - id: cong-dvc
    name: "Cổng dịch vụ công"
    owner: "UBND tỉnh X"
    purpose: public_service
    information: [public, personal]
    administrative_procedures: true
    online_service_level: 4
    conditional_business: false
    personal_data: {users: 120000, basic: 120000, sensitive: 500}
    declared_level: 3
    endpoints:
      - {host: 127.24.0.10, port: 443, service: https}
      - {host: portal.songlam.example, port: 443, service: https}
  - id: mail
    name: "Thư điện tử"
    owner: "UBND tỉnh X"
    purpose: internal
    information: [private]
    declared_level: 2
    endpoints:
      - {host: 127.24.0.20, port: 443, service: https}
  - id: may-chu
    name: "Máy chủ nội bộ"
    owner: "UBND tỉnh X"
    purpose: internal
    information: [private]
    declared_level: 2
    endpoints:
      - {host: vm, port: 22, service: ssh}
"""


@dataclass(frozen=True)
class Item:
    host: str
    rule: str
    title: str
    severity: str = "medium"          # ours: critical | high | medium | low | info
    port: int | None = 443
    protocol: str = "tcp"
    cves: tuple[str, ...] = ()
    cwe: str = ""
    solution: str = "Upgrade."
    output: str = "evidence"
    extra: dict = field(default_factory=dict)


_NESSUS_SEV = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
_CVSS = {"info": 0.0, "low": 2.6, "medium": 5.0, "high": 7.5, "critical": 9.8}
_THREAT = {"info": "Log", "low": "Low", "medium": "Medium", "high": "High", "critical": "High"}


def nessus(items: list[Item], start: str = "Mon Dec  7 02:00:00 2026", end: str = "Mon Dec  7 02:30:00 2026",
           version: str = "10.7.2", hosts: tuple[str, ...] = ()) -> str:
    by_host: dict[str, list[Item]] = {h: [] for h in hosts}
    for i in items:
        by_host.setdefault(i.host, []).append(i)
    out = ['<?xml version="1.0" ?>', "<NessusClientData_v2>",
           "<Policy><policyName>Basic Network Scan</policyName><Preferences><ServerPreferences>"
           "<preference><name>TARGET</name><value>" + escape(",".join(by_host)) + "</value></preference>"
           "</ServerPreferences></Preferences></Policy>",
           '<Report name="weekly" xmlns:cm="http://www.nessus.org/cm">']
    for n, (host, host_items) in enumerate(by_host.items()):
        out.append(f"<ReportHost name={quoteattr(host)}><HostProperties>"
                   f'<tag name="HOST_END">{end}</tag><tag name="host-ip">{escape(host)}</tag>'
                   f'<tag name="HOST_START">{start}</tag></HostProperties>')
        if n == 0:
            out.append('<ReportItem port="0" svc_name="general" protocol="tcp" severity="0" pluginID="19506" '
                       'pluginName="Nessus Scan Information" pluginFamily="Settings"><description>Information about '
                       'this scan.</description><plugin_output>Information about this scan : \n\nNessus version : '
                       f'{version}\nPlugin feed version : 202612070000\n</plugin_output><risk_factor>None'
                       '</risk_factor></ReportItem>')
        for i in host_items:
            sev = _NESSUS_SEV[i.severity]
            cves = "".join(f"<cve>{c}</cve>" for c in i.cves)
            cwe = f"<xref>CWE:{i.cwe.removeprefix('CWE-')}</xref>" if i.cwe else ""
            out.append(f'<ReportItem port="{i.port or 0}" svc_name="www" protocol={quoteattr(i.protocol)} '
                       f'severity="{sev}" pluginID={quoteattr(i.rule)} pluginName={quoteattr(i.title)} '
                       f'pluginFamily="General"><description>{escape(i.title)}</description>'
                       f"<solution>{escape(i.solution)}</solution><risk_factor>{_THREAT[i.severity]}</risk_factor>"
                       f"<synopsis>{escape(i.title)}</synopsis>{cves}{cwe}"
                       f"<plugin_output>{escape(i.output)}</plugin_output></ReportItem>")
        out.append("</ReportHost>")
    out.append("</Report></NessusClientData_v2>")
    return "\n".join(out) + "\n"


def greenbone(items: list[Item], start: str = "2026-12-07T02:00:00Z", end: str = "2026-12-07T02:40:00Z",
              hosts: tuple[str, ...] = ()) -> str:
    all_hosts = list(dict.fromkeys(list(hosts) + [i.host for i in items]))
    out = ['<report id="7a1f0c3e-0000-4000-8000-000000000001" format_id="a994b278-1f62-11e1-96ac-406186ea4fc5" '
           'extension="xml" content_type="text/xml"><owner><name>admin</name></owner><name>' + start + "</name>",
           '<report id="7a1f0c3e-0000-4000-8000-000000000001"><gmp><version>22.4</version></gmp>',
           f"<scan_run_status>Done</scan_run_status><hosts><count>{len(all_hosts)}</count></hosts>",
           f"<scan_start>{start}</scan_start>",
           f'<results start="1" max="{len(items)}">']
    for n, i in enumerate(items):
        refs = "".join(f'<ref type="cve" id="{c}"/>' for c in i.cves)
        refs += f'<ref type="cwe" id="{i.cwe}"/>' if i.cwe else ""
        port = f"{i.port}/{i.protocol}" if i.port else f"general/{i.protocol}"
        out.append(f'<result id="00000000-0000-4000-8000-{n:012d}"><name>{escape(i.title)}</name>'
                   f"<owner><name>admin</name></owner><comment/><creation_time>{end}</creation_time>"
                   f"<modification_time>{end}</modification_time>"
                   f"<host>{escape(i.host)}<asset asset_id=\"a-{n}\"/><hostname/></host><port>{port}</port>"
                   f'<nvt oid={quoteattr(i.rule)}><type>nvt</type><name>{escape(i.title)}</name>'
                   f"<family>General</family><cvss_base>{_CVSS[i.severity]}</cvss_base>"
                   f'<severities score="{_CVSS[i.severity]}"><severity type="cvss_base_v3"><origin/><date/>'
                   f"<score>{_CVSS[i.severity]}</score><value>CVSS:3.1/AV:N</value></severity></severities>"
                   f"<tags>summary={escape(i.title)}|solution_type=VendorFix</tags>"
                   f'<solution type="VendorFix">{escape(i.solution)}</solution><refs>{refs}</refs></nvt>'
                   f"<scan_nvt_version/><threat>{_THREAT[i.severity]}</threat><severity>{_CVSS[i.severity]}</severity>"
                   f"<qod><value>98</value><type>remote_banner</type></qod>"
                   f"<description>{escape(i.output)}</description>"
                   f'<detection><result id="d-{n}"><details><detail><name>product</name><value>x</value></detail>'
                   f"</details></result></detection></result>")
    out.append("</results>")
    for h in all_hosts:
        out.append(f"<host><ip>{escape(h)}</ip><asset asset_id=\"h-{escape(h)}\"/><start>{start}</start>"
                   f"<end>{end}</end><detail><name>hostname</name><value>{escape(h)}.scan.example</value>"
                   "<source><type>nvt</type><name>x</name></source></detail></host>")
    out.append(f"<scan_end>{end}</scan_end><errors><count>0</count></errors></report></report>")
    return "\n".join(out) + "\n"


def nuclei(items: list[Item], timestamp: str = "2026-12-07T02:10:00.123456789Z") -> str:
    lines = []
    for i in items:
        url = f"https://{i.host}:{i.port}" if i.port else f"https://{i.host}"
        record = {"template": f"http/{i.rule}.yaml", "template-id": i.rule, "template-path": f"/root/{i.rule}.yaml",
                  "info": {"name": i.title, "author": ["secaudit-tests"], "tags": ["test"], "severity": i.severity,
                           "classification": {"cve-id": list(i.cves) or None, "cwe-id": [i.cwe.lower()] if i.cwe
                                              else None},
                           "remediation": i.solution},
                  "type": "http", "host": url, "port": str(i.port or 443), "scheme": "https", "url": url,
                  "matched-at": url + "/", "extracted-results": [i.output], "ip": i.host,
                  "timestamp": timestamp, "curl-command": "curl -X 'GET' " + url, "matcher-status": True}
        record.update(i.extra)
        lines.append(json.dumps(record))
    return "\n".join(lines) + "\n"


def lynis(hostname: str = "vm", warnings: tuple[tuple[str, str], ...] = (), suggestions: tuple[tuple[str, str], ...] = (),
          executed: tuple[str, ...] = ("AUTH-9286", "SSH-7408", "FIRE-4590"), start: str = "2026-12-07 02:00:00",
          end: str | None = "2026-12-07 02:01:10", addresses: tuple[str, ...] = ()) -> str:
    out = ["# Lynis Report", "report_version_major=1", "report_version_minor=0", f"report_datetime_start={start}",
           "auditor=[Not Specified]", "lynis_version=3.0.8", "os=Linux", "os_name=Debian", f"hostname={hostname}"]
    out += [f"network_ipv4_address[]={a}" for a in addresses]
    out += [f"warning[]={t}|{text}|-|-|" for t, text in warnings]
    out += [f"suggestion[]={t}|{text}|-|-|" for t, text in suggestions]
    if end is not None:
        out.append(f"report_datetime_end={end}")
        out.append("tests_executed=" + "|".join(executed) + "|")
        out.append("tests_skipped=KRNL-5788|")
    return "\n".join(out) + "\n"


def xccdf(host: str, results: dict[str, tuple[str, str]], start: str = "2026-12-07T02:00:00+00:00",
          end: str = "2026-12-07T02:00:05+00:00") -> str:
    """An XCCDF 1.2 Benchmark with one TestResult: ``results`` rule id -> (result, severity)."""
    ns = "http://checklists.nist.gov/xccdf/1.2"
    rules = "".join(f'<Rule id="{r}" selected="true" severity="{sev}"><title>{escape(r)} title</title></Rule>'
                    for r, (_res, sev) in results.items())
    rr = "".join(f'<rule-result idref="{r}" role="full" time="{end}" severity="{sev}" weight="1.0">'
                 f"<result>{res}</result></rule-result>" for r, (res, sev) in results.items())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Benchmark xmlns="{ns}" id="xccdf_vn.secaudit_benchmark_t" '
            f'resolved="1" xml:lang="en"><status>draft</status><title>t</title><version>1</version>{rules}'
            f'<TestResult id="xccdf_org.open-scap_testresult_t" start-time="{start}" end-time="{end}" version="1" '
            f'test-system="cpe:/a:redhat:openscap:1.3.7"><benchmark href="#x" id="xccdf_vn.secaudit_benchmark_t"/>'
            f"<title>OSCAP Scan Result</title><target>{escape(host)}</target>"
            f"<target-address>127.0.0.1</target-address>{rr}"
            f'<score system="urn:xccdf:scoring:default" maximum="100">50</score></TestResult></Benchmark>\n')


def nuclei_export(items: list[Item], timestamp: str = "2026-12-07T02:10:00.123456789Z") -> str:
    """``nuclei -json-export``: the same records as :func:`nuclei`, as one JSON array on one line, with Go's
    ``json.Marshal`` escaping of ``<``, ``>`` and ``&`` and no final newline."""
    records = [json.loads(line) for line in nuclei(items, timestamp).splitlines()]
    text = json.dumps(records, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def store_imports(db_url: str, inventory_file: str, reports: list[tuple[str, str]], tmp_dir: str) -> None:
    """Import ``reports`` ((file name, text) in the order given) into the store at ``db_url``, as
    `secaudit import` does (parse, match to the inventory, save)."""
    import os

    from secaudit.importers.match import match
    from secaudit.importers.registry import parse
    from secaudit.load import load_inventory
    from secaudit.store import open_store

    inventory = load_inventory(inventory_file)
    with open_store(db_url) as store:
        for name, text in reports:
            path = os.path.join(tmp_dir, name)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            report = parse(path)
            store.save_import(report, match(report, inventory), inventory, inventory_file)


# Findings on the example inventory's provincial data centre (ttdl-tinh, level 3, 127.0.0.17): first reported
# on 1 September 2026 and still open on 30 November; titles and rule ids as hostile as a scanned network makes them.
EXAMPLE_OVERDUE = [
    Item("127.0.0.17", "57582", "The TLS service of this host accepts weak cipher suites", "high", port=8443),
    Item("127.0.0.17", "=cmd|' /C calc'!A0", "\x1b[31mRED\x1b[0m <script>alert(1)</script> | =1+1 \u202egnp.exe",
         "critical", port=8443),
    Item("127.0.0.17", "10001", "Outdated and unsupported SSH server", "medium", port=2222),
    Item("127.0.0.17", "10002", "Information only", "info", port=2222),
]


def example_overdue_reports() -> list[tuple[str, str]]:
    """Two Nuclei JSON exports of the example's data centre, September and November 2026, the same findings."""
    return [("sep.json", nuclei_export(EXAMPLE_OVERDUE, timestamp="2026-09-01T02:10:00Z")),
            ("nov.json", nuclei_export(EXAMPLE_OVERDUE, timestamp="2026-11-30T02:10:00Z"))]
