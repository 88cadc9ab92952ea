"""The seam of an importer: recognise a file by its content, parse it into an :class:`ImportedReport`.

An importer is one module (``greenbone.py``, ``nessus.py`` ...) with one class implementing
:class:`Importer`; the list of importers is :mod:`secaudit.importers.registry`, and a plug-in adds one
through ``secaudit.plugins.Plugin(importers=...)``. Importers read only the file they are given; they
import no plan, checks, requirements (but the evidence item's model), report or cli.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from secaudit.importers.model import ImportedReport


@dataclass(frozen=True)
class Head:
    """What ``--tool auto`` sees of a file: its first bytes, read safely (never the whole file)."""

    kind: str                               # "xml" | "json" (lines) | "json-array" | "text" | "empty" | "binary"
    root: str | None = None                 # XML: the root element, "{namespace}name"
    json_keys: frozenset[str] = field(default_factory=frozenset)   # JSON: the first object's keys (in the head)
    lines: tuple[str, ...] = ()             # text: the first lines

    @property
    def root_local(self) -> str:
        return (self.root or "").rsplit("}", 1)[-1]

    @property
    def namespace(self) -> str:
        return self.root[1:].split("}", 1)[0] if self.root and self.root.startswith("{") else ""


def classify_head(file: str, data: bytes) -> Head:
    """Recognise the shape of ``data`` (the head of ``file``); a DOCTYPE or broken XML raises
    :class:`~secaudit.importers.source.ImportFileError` naming the position."""
    # start-up: defusedxml loaded only when needed
    from secaudit.importers.source import root_tag

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    stripped = body.lstrip()
    if not stripped:
        return Head("empty")
    if b"\x00" in body[:4096]:
        return Head("binary")
    if stripped.startswith(b"<"):
        return Head("xml", root=root_tag(file, data))
    if stripped.startswith(b"{"):
        return Head("json", json_keys=object_keys(stripped.split(b"\n", 1)[0].decode("utf-8", "ignore")))
    if stripped.startswith(b"["):
        element = stripped[1:].lstrip()
        keys = object_keys(element.decode("utf-8", "ignore")) if element.startswith(b"{") else frozenset()
        return Head("json-array", json_keys=keys)
    text = body.decode("utf-8", "replace")
    return Head("text", lines=tuple(line.strip() for line in text.splitlines()[:50]))


_SPACE = re.compile(r"[ \t\r\n]*")


def object_keys(text: str) -> frozenset[str]:
    """The top-level keys of the JSON object ``text`` starts with, as far as ``text`` goes: the head of a
    file may cut a long first record (a Nuclei match carries the whole HTTP response), and the keys
    before the cut are still enough to recognise it."""
    decode = json.JSONDecoder().raw_decode
    keys: list[str] = []
    pos = _SPACE.match(text, 1).end() if text.startswith("{") else len(text)
    try:
        while text[pos:pos + 1] == '"':
            key, pos = json.decoder.scanstring(text, pos + 1)
            pos = _SPACE.match(text, pos).end()
            if text[pos:pos + 1] != ":":
                break
            keys.append(key)
            _value, pos = decode(text, _SPACE.match(text, pos + 1).end())
            pos = _SPACE.match(text, pos).end()
            if text[pos:pos + 1] != ",":
                break
            pos = _SPACE.match(text, pos + 1).end()
    except (ValueError, RecursionError):
        pass
    return frozenset(keys)


@runtime_checkable
class Importer(Protocol):
    """One tool's report format."""

    name: str               # the --tool choice: "nessus"
    title: str              # "Nessus (.nessus v2)"
    category: str           # model.CATEGORY_VULNERABILITY | model.CATEGORY_HOST

    def recognises(self, head: Head) -> bool:
        """Is this file (seen through its head) this tool's report? Content only, never the file name."""

    def parse(self, file: str, max_bytes: int) -> ImportedReport:
        """The whole report, streamed; :class:`~secaudit.importers.source.ImportFileError` (file, line,
        column) on anything malformed, hostile or of another tool."""
