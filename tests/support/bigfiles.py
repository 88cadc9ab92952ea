"""Large honest input files, generated (tests of item 4 in issue 12, benchmarks/load_bench.py).

An inventory of N systems as an agency would write it: block style, every purpose, some URL
endpoints and some mappings, a few anchors used the way people use them (a shared ``owner``
string, a merged block of defaults), every host on loopback.
"""

from __future__ import annotations

import random

_PURPOSE_FACTS = {
    "internal": "",
    "public_service": "    online_service_level: {osl}\n    administrative_procedures: {bool1}\n"
                      "    conditional_business: false\n",
    "infrastructure": "    scope: {scope}\n    continuous_operation: {bool1}\n",
    "industrial_control": "    works_grade: '{grade}'\n",
    "other": "",
}
_INFO = ("[public]", "[public, private]", "[private, personal]", "[public, personal]")
_SCOPES = ("organisation", "sector", "ministry", "province", "several_provinces")
_GRADES = ("II", "III", "IV", "I")


def honest_inventory(n: int, seed: int = 12) -> str:
    """The YAML text of an inventory of ``n`` valid systems (about 140 bytes each, as in issue 12)."""
    rng = random.Random(seed)
    out = [
        "kind: inventory\nversion: 1\n",
        "organisation:\n  name: \"Sở Thông tin và Truyền thông (benchmark)\"\n",
        "  owner_body: &owner \"Ủy ban nhân dân tỉnh\"\n",
        "systems:\n",
    ]
    for i in range(n):
        purpose = rng.choice(tuple(_PURPOSE_FACTS))
        host = f"127.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255 or 1}"
        lines = [
            f"  - id: sys-{i:05d}\n",
            f"    name: Hệ thống {i}\n",
            "    owner: *owner\n" if i % 3 == 0 else "",
            f"    purpose: {purpose}\n",
            f"    information: {rng.choice(_INFO)}\n",
            _PURPOSE_FACTS[purpose].format(osl=rng.randint(1, 4), bool1=str(rng.random() < 0.5).lower(),
                                           scope=rng.choice(_SCOPES), grade=rng.choice(_GRADES)),
        ]
        if rng.random() < 0.7:
            lines.append(f"    declared_level: {rng.randint(1, 3)}\n")
        lines.append(f"    zone: zone-{i % 7}\n")
        if rng.random() < 0.7:
            lines.append(f"    endpoints:\n      - https://{host}:8443\n")
            if rng.random() < 0.3:
                lines.append(f"      - {{host: {host}, port: 8080, service: http}}\n")
        out.append("".join(lines))
    return "".join(out)
