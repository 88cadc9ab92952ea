"""A requirement catalogue (policies/requirements/*.yaml) read as plain data, for the tests that check each
shipped file on its own: plain ``yaml.safe_load``, independently of the loader, so a loader bug cannot hide a
data mistake. Rows, each row's text and means at one level, and the network controls in force per level.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HOST_CONTROLS = {
    "HOST-OS-01", "HOST-PWD-01", "HOST-LOCK-01", "HOST-IDLE-01", "HOST-ACCT-01", "HOST-ACCT-02",
    "HOST-SSHD-01", "HOST-TIME-01", "HOST-LOG-01", "HOST-LOG-02", "HOST-AUDIT-01", "HOST-PATCH-01",
    "HOST-FW-01", "HOST-AV-01", "HOST-CRYPT-01", "HOST-SVC-01",
}
IMPORT_TOOLS = {"vulnerability-scanner", "greenbone", "nessus", "nuclei", "openscap", "lynis"}
CLAUSE_RE = re.compile(r"\d+(\.\d+)+( [a-z])?")
PLACEHOLDER_RE = re.compile(r"\{(\w+)\}")
VIETNAMESE_RE = re.compile(r"[àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ]")


@lru_cache(maxsize=None)
def plain(path: Path) -> dict:
    """The catalogue file as plain YAML data (read once per path)."""
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f)


def level_rows(doc: dict) -> list[tuple[dict, int, dict]]:
    """(requirement, level, level entry) for every row of every level."""
    return [(req, int(level), entry) for req in doc["requirements"] for level, entry in req["levels"].items()]


def effective(req: dict, entry: dict) -> tuple[dict, list]:
    """The row's text and verification means at one level (a level may override both)."""
    return entry.get("text", req["text"]), entry.get("verify", req["verify"])


def means(verify: list, kind: str) -> list:
    return [m[kind] for m in verify if kind in m]


@lru_cache(maxsize=1)
def controls_in_force() -> dict[int, set[str]]:
    """Network control ids in force at each level: a level policy's controls plus those it extends,
    and the discovery policy's controls (discovery applies at every level)."""
    docs = {}
    for path in (ROOT / "policies" / "levels").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        docs[doc["id"]] = doc

    def walk(pid: str) -> set[str]:
        ids: set[str] = set()
        for parent in docs[pid].get("extends", []):
            ids |= walk(parent)
        return ids | {c["id"] for c in docs[pid]["controls"]}

    discovery = yaml.safe_load((ROOT / "policies" / "families" / "discovery.yaml").read_text(encoding="utf-8"))
    disc = {c["id"] for c in discovery["controls"]}
    return {doc["level"]: walk(pid) | disc for pid, doc in docs.items()}
