"""Read one YAML file safely, keeping the line and column of every key and value.

PyYAML's safe loader silently keeps the last of two duplicate keys, expands aliases
without limit and forgets positions. Here the file is *composed* (nodes carry marks,
aliases stay shared nodes, so composing is linear in the file size) and then
*constructed* by our own walk, which

* records the position of every value and every mapping key by its path,
* reports duplicate keys,
* measures what aliases would expand to before building anything (memoised over the node
  graph, so in time linear in the file's size): aliases may add at most twice the values
  written (or :data:`EXPANSION_FLOOR`), so any honest file under the size limit loads and an
  alias-expansion bomb ("billion laughs") is refused at the alias that blows up,
* refuses recursive aliases and absurd nesting,
* keeps timestamps as strings (dates are parsed where the format expects one).

Only safe tags are accepted. Problems are returned as :class:`Diagnostic`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import (AliasEvent, CollectionEndEvent, CollectionStartEvent, NodeEvent,
                         ScalarEvent)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from secaudit.errors import Diagnostic

Path = tuple[Any, ...]

MAX_FILE_BYTES = int(os.environ.get("SECAUDIT_MAX_FILE_BYTES", 16 * 1024 * 1024))
EXPANSION_FACTOR = 2         # aliases may add at most this many times the values written...
EXPANSION_FLOOR = 100_000    # ...or this many, whichever is more (a small file sharing a block)
_SIZE_CAP = 1 << 62          # expanded sizes are counted up to here (a deep bomb stays a small int)
MAX_DEPTH = 64               # nesting of mappings and sequences

# libyaml's parser when available (about 10x faster on large inventories); same nodes and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", _STR_TAG, _TIMESTAMP_TAG,
}


@dataclass
class YamlDoc:
    """A parsed document: the plain value and where each part of it was written."""

    file: str
    value: Any
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)   # path -> (line, col) of the value
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)     # path -> (line, col) of its key
    digest: str = ""                                                    # sha256 of the bytes parsed

    def where(self, path: Path, *, key: bool = False) -> tuple[int, int]:
        """Best known position for ``path``: its key or value, else the nearest enclosing one."""
        p = tuple(path)
        while True:
            table = (self.keys, self.values) if key else (self.values, self.keys)
            for t in table:
                if p in t:
                    return t[p]
            if not p:
                return (1, 1)
            p = p[:-1]

    def diag(self, path: Path, message_key: str, /, *, at_key: bool = False, **args: Any) -> Diagnostic:
        """A diagnostic at ``path`` (at its key with ``at_key``); ``args`` fill the catalog message."""
        line, col = self.where(path, key=at_key)
        return Diagnostic(self.file, line, col, message_key, args)


class _Problem(Exception):
    def __init__(self, node: Node, key: str, **args: Any):
        super().__init__(key)
        self.node, self.key, self.params = node, key, args


def _mark(node: Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, file: str):
        self.file = file
        self.values: dict[Path, tuple[int, int]] = {}
        self.keys: dict[Path, tuple[int, int]] = {}
        self.diagnostics: list[Diagnostic] = []
        self._scalar = yaml.constructor.SafeConstructor()
        self._active: set[int] = set()

    def build(self, node: Node, path: Path, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise _Problem(node, "yaml.too_deep", limit=MAX_DEPTH)
        self.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self._build_scalar(node)
        if id(node) in self._active:
            raise _Problem(node, "yaml.recursive_alias")
        self._active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                if node.tag not in ("tag:yaml.org,2002:seq",):
                    raise _Problem(node, "yaml.unsupported_tag", tag=node.tag)
                return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
            if isinstance(node, MappingNode):
                if node.tag not in ("tag:yaml.org,2002:map",):
                    raise _Problem(node, "yaml.unsupported_tag", tag=node.tag)
                return self._build_mapping(node, path, depth)
        finally:
            self._active.discard(id(node))
        raise _Problem(node, "yaml.unsupported_tag", tag=getattr(node, "tag", "?"))

    def _build_scalar(self, node: ScalarNode) -> Any:
        if node.tag == _TIMESTAMP_TAG:
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise _Problem(node, "yaml.unsupported_tag", tag=node.tag)
        try:
            return self._scalar.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return node.value

    def _merge_sources(self, node: Node) -> list[MappingNode]:
        if isinstance(node, MappingNode):
            return [node]
        if isinstance(node, SequenceNode) and all(isinstance(n, MappingNode) for n in node.value):
            return list(node.value)
        raise _Problem(node, "yaml.bad_merge")

    def _build_mapping(self, node: MappingNode, path: Path, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_seen: dict[Any, int] = {}
        merged: list[MappingNode] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            if not isinstance(key_node, ScalarNode):
                raise _Problem(key_node, "yaml.complex_key")
            key = self._build_scalar(key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            line, col = _mark(key_node)
            if key in first_seen:
                self.diagnostics.append(Diagnostic(self.file, line, col, "yaml.duplicate_key",
                                                   {"key": key, "first_line": first_seen[key]}))
                continue
            first_seen[key] = line
            self.keys[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for source in merged:  # explicit keys win over merged ones (YAML merge-key semantics)
            for key_node, value_node in source.value:
                if not isinstance(key_node, ScalarNode):
                    raise _Problem(key_node, "yaml.complex_key")
                key = self._build_scalar(key_node)
                if key not in result:
                    self.keys.setdefault(path + (key,), _mark(key_node))
                    result[key] = self.build(value_node, path + (key,), depth + 1)
        return result


def alias_budget(written: int) -> int:
    """Most values a document of ``written`` values may expand to through its aliases."""
    return written + max(EXPANSION_FLOOR, EXPANSION_FACTOR * written)


def graph_size(root: Node) -> tuple[int, int]:
    """``(written, expanded)``: values as written (an alias is one) and as built (an alias is
    counted each time it is used, as everything it refers to).

    Memoised over the node graph, so an alias-expansion bomb is measured in time linear in
    the file's size, before anything is built. Raises :class:`_Problem` on a recursive alias.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()
    written = 1
    # iterative post-order walk: (node, children visited?)
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            written += len(children)
            sizes[key] = min(_SIZE_CAP, 1 + sum(sizes[id(c)] for c in children))
            continue
        if key in sizes:
            continue
        if key in active:
            raise _Problem(node, "yaml.recursive_alias")
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                raise _Problem(child, "yaml.recursive_alias")
            if id(child) not in sizes:
                stack.append((child, False))
    return written, sizes[id(root)]


def _blowing_alias(text: str, limit: int) -> tuple[int, int, str]:
    """Line, column and name of the alias at which the expanded document passes ``limit``.

    Only called once a document is known to be too big: the node graph forgets where aliases
    were written, the event stream does not.
    """
    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    total, last = 0, (0, 0, "?")
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, AliasEvent):
            total += sizes.get(event.anchor, 1)
            last = (event.start_mark.line + 1, event.start_mark.column + 1, event.anchor)
        elif isinstance(event, ScalarEvent):
            total += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, CollectionStartEvent):
            total += 1
            open_nodes.append((event.anchor, total))
        elif isinstance(event, CollectionEndEvent):
            anchor, started = open_nodes.pop()
            if anchor:
                sizes[anchor] = min(_SIZE_CAP, total - started + 1)
        if total > limit and isinstance(event, NodeEvent):
            return last
    return last


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _decode(file: str, data: bytes) -> tuple[str | None, Diagnostic | None]:
    if b"\x00" in data[:8192]:
        return None, Diagnostic(file, 0, 0, "yaml.binary")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = e.start - (before.rfind(b"\n") + 1) + 1
        return None, Diagnostic(file, line, col, "yaml.not_utf8", {"byte": f"0x{data[e.start]:02x}"})


def _bomb(file: str, text: str, written: int) -> Diagnostic:
    limit = alias_budget(written)
    line, col, anchor = _blowing_alias(text, limit)
    return Diagnostic(file, line, col, "yaml.alias_bomb",
                      {"alias": anchor, "limit": limit, "written": written, "factor": EXPANSION_FACTOR + 1,
                       "floor": EXPANSION_FLOOR})


def read_yaml_text(file: str, text: str) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Parse ``text`` (the contents of ``file``). Returns the document, or None, and the problems found."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(x for x in (e.problem, e.context and f"({e.context})") if x)
        return None, [Diagnostic(file, line, col, "yaml.syntax", {"problem": problem or str(e)})]
    except yaml.reader.ReaderError as e:
        before = text[: e.position]
        line = before.count("\n") + 1
        col = e.position - (before.rfind("\n") + 1) + 1
        return None, [Diagnostic(file, line, col, "yaml.bad_character",
                                 {"character": f"U+{e.character:04X}" if isinstance(e.character, int)
                                  else repr(e.character)})]
    except yaml.YAMLError as e:
        return None, [Diagnostic(file, 0, 0, "yaml.syntax", {"problem": str(e)})]
    except RecursionError:
        return None, [Diagnostic(file, 0, 0, "yaml.too_deep", {"limit": MAX_DEPTH})]
    if node is None:
        return None, [Diagnostic(file, 0, 0, "yaml.empty")]
    builder = _Builder(file)
    try:
        written, expanded = graph_size(node)
        if expanded > alias_budget(written):
            return None, [_bomb(file, text, written)]
        value = builder.build(node, ())
    except _Problem as p:
        line, col = _mark(p.node)
        return None, [Diagnostic(file, line, col, p.key, p.params)]
    except RecursionError:
        return None, [Diagnostic(file, 0, 0, "yaml.too_deep", {"limit": MAX_DEPTH})]
    doc = YamlDoc(file, value, builder.values, builder.keys,
                  "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest())
    return doc, builder.diagnostics


def read_yaml_file(file: str) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Read and parse a file, refusing what is not a small UTF-8 text file."""
    if file == "-":
        import sys

        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        name = "<stdin>"
    else:
        name = file
        if os.path.isdir(file):
            return None, [Diagnostic(file, 0, 0, "file.is_directory")]
        try:
            size = os.path.getsize(file)
            if size > MAX_FILE_BYTES:
                return None, [Diagnostic(file, 0, 0, "file.too_big", {"size": size, "limit": MAX_FILE_BYTES})]
            with open(file, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return None, [Diagnostic(file, 0, 0, "file.not_found")]
        except PermissionError:
            return None, [Diagnostic(file, 0, 0, "file.permission")]
        except OSError as e:
            return None, [Diagnostic(file, 0, 0, "file.unreadable", {"reason": e.strerror or str(e)})]
    if len(data) > MAX_FILE_BYTES:
        return None, [Diagnostic(name, 0, 0, "file.too_big", {"size": len(data), "limit": MAX_FILE_BYTES})]
    text, problem = _decode(name, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        return None, [Diagnostic(name, 0, 0, "yaml.empty")]
    doc, problems = read_yaml_text(name, text)
    if doc is not None:
        doc.digest = "sha256:" + hashlib.sha256(data).hexdigest()     # of the file's bytes, BOM included
    return doc, problems
