"""Read one YAML file safely, keeping the line and column of every key and value.

PyYAML's safe loader silently keeps the last of two duplicate keys, expands aliases
without limit and forgets positions. Here libyaml's *parser* gives the events of the file
(each with its mark) and our own builder turns them into plain values in one pass linear
in the file's size. It

* records the position of every value and every mapping key, in a tree shaped like the
  document (per container, not per path: building it costs no path tuples),
* reports duplicate keys, duplicate anchors, undefined aliases and a second document,
* makes an alias the very object its anchor built (as PyYAML does), so nothing is expanded,
  and counts what the aliases *would* expand to: aliases may add at most twice the values
  written (or :data:`EXPANSION_FLOOR`), so any honest file under the size limit loads and an
  alias-expansion bomb ("billion laughs") is refused at the alias that blows it up,
* refuses recursive aliases and absurd nesting,
* keeps timestamps as strings (dates are parsed where the format expects one).

Only safe tags are accepted. Problems are returned as :class:`Diagnostic`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Iterable

import yaml
from yaml.events import (AliasEvent, MappingEndEvent, ScalarEvent, SequenceEndEvent, SequenceStartEvent,
                         StreamEndEvent)
from yaml.nodes import ScalarNode

from secaudit.errors import Diagnostic, InputError
import bisect
import sys
from secaudit.inputfile import read_regular_file

Path = tuple[Any, ...]
Where = tuple[int, int]
# Positions, shaped like the value: a scalar or an alias is its (line, col); a mapping is
# ((line, col), {key: ((line, col) of the key, positions of the value)}); a sequence is
# ((line, col), [positions of each item]).
Positions = Any

MAX_FILE_BYTES = int(os.environ.get("SECAUDIT_MAX_FILE_BYTES", 16 * 1024 * 1024))
EXPANSION_FACTOR = 2         # aliases may add at most this many times the values written...
EXPANSION_FLOOR = 100_000    # ...or this many, whichever is more (a small file sharing a block)
_SIZE_CAP = 1 << 62          # expanded sizes are counted up to here (a deep bomb stays a small int)
MAX_DEPTH = 64               # nesting of mappings and sequences

# libyaml's parser when available (about 10x faster on large inventories); same events and marks.
_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
    positions: Positions = None                 # see :data:`Positions`; None when unknown
    digest: str = ""                            # sha256 of the bytes parsed

    def _walk(self, path: Path) -> tuple[int, Where | None, Positions, Any, Any]:
        """How much of ``path`` is known: (its length, key position, positions, parent, last step)."""
        pos, key_at, parent, step, depth = self.positions, None, None, None, 0
        for el in path:
            children = pos[1]
            if type(children) is dict:
                entry = children.get(el, _MISSING)
                if entry is _MISSING:
                    break
                key_at, child = entry
            elif type(children) is list and isinstance(el, int) and 0 <= el < len(children):
                key_at, child = None, children[el]
            else:                                      # a scalar or an alias: nothing known below it
                break
            parent, step, pos, depth = children, el, child, depth + 1
        return depth, key_at, pos, parent, step

    def where(self, path: Path, *, key: bool = False) -> Where:
        """Best known position for ``path``: its key or value, else the nearest enclosing one."""
        if self.positions is None:
            return (1, 1)
        _, key_at, pos, _, _ = self._walk(path)
        if key and key_at is not None:
            return key_at
        return pos if type(pos[1]) is int else pos[0]

    def expand(self, path: Path, keys: Iterable[Any]) -> None:
        """The scalar at ``path`` was replaced by a mapping of ``keys``: each key and value is placed
        where the scalar was written."""
        if self.positions is None:
            return
        depth, key_at, pos, parent, step = self._walk(path)
        if depth != len(path) or parent is None or type(pos[1]) is not int:
            return                                     # not written there (under an alias): the nearest stands
        mapping = (pos, {k: (pos, pos) for k in keys})
        parent[step] = (key_at, mapping) if type(parent) is dict else mapping

    def diag(self, path: Path, message_key: str, /, *, at_key: bool = False, **args: Any) -> Diagnostic:
        """A diagnostic at ``path`` (at its key with ``at_key``); ``args`` fill the catalog message."""
        line, col = self.where(path, key=at_key)
        return Diagnostic(self.file, line, col, message_key, args)


class _Problem(Exception):
    def __init__(self, mark: tuple[int, int], key: str, **args: Any):
        super().__init__(key)
        self.mark, self.key, self.params = mark, key, args


def _mark(event: Any) -> tuple[int, int]:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


def alias_budget(written: int) -> int:
    """Most values a document of ``written`` values may expand to through its aliases."""
    return written + max(EXPANSION_FLOOR, EXPANSION_FACTOR * written)


_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers      # first character -> [(tag, regexp)]


def _plain_tag(value: str) -> str:
    """The tag YAML 1.1 gives an untagged plain scalar (PyYAML's Resolver, without its per-node overhead)."""
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return _STR_TAG


class _Builder:
    """Builds plain values straight from the parser's events, in one pass linear in the file.

    An alias is the very object its anchor built (as in PyYAML), so expanding costs nothing
    here; what it *would* expand to is counted on the way (``written``, ``expanded``) and the
    document is refused when aliases blow it up past :func:`alias_budget`.
    """

    def __init__(self, file: str, parser: Any):
        self.file = file
        self.positions: Positions = None
        self.diagnostics: list[Diagnostic] = []
        self.written = 0                                   # values as written (an alias is one)
        self.expanded = 0                                  # values as expanded (an alias is all it names)
        self.aliases: list[tuple[int, tuple[int, int], str]] = []   # (expanded so far, where, name)
        self._anchors: dict[str, tuple[Any, int, tuple[int, int]]] = {}   # name -> value, size, where
        self._open: set[str] = set()                       # anchors of collections still being built
        self._next = parser.get_event
        self._constructor = yaml.constructor.SafeConstructor()
        self._plains: dict[str, Any] = {}

    def document(self) -> tuple[bool, Any]:
        """``(found, value)`` of the stream's only document; its positions go to ``self.positions``."""
        self._next()                                       # StreamStartEvent
        event = self._next()
        if isinstance(event, StreamEndEvent):
            return False, None
        value, _, self.positions = self.node(self._next(), 0)   # after DocumentStartEvent
        self._next()                                       # DocumentEndEvent
        event = self._next()
        if not isinstance(event, StreamEndEvent):
            raise _Problem(_mark(event), "yaml.several_documents")
        return True, value

    def node(self, event: Any, depth: int) -> tuple[Any, int, Positions]:
        """The value starting at ``event``, the number of values it expands to, and its positions."""
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        cls = type(event)
        if cls is ScalarEvent and event.anchor is None and event.tag is None and event.implicit[0]:
            self.written += 1                              # the common case, first: a plain scalar
            self.expanded += 1
            return self._plain(event.value, where), 1, where
        if cls is AliasEvent:
            value, size = self._alias(event, where)
            return value, size, where
        self.written += 1
        self.expanded += 1
        if depth > MAX_DEPTH:
            raise _Problem(where, "yaml.too_deep", limit=MAX_DEPTH)
        anchor = event.anchor
        if anchor is not None:
            if anchor in self._anchors or anchor in self._open:
                first = self._anchors[anchor][2] if anchor in self._anchors else where
                raise _Problem(where, "yaml.duplicate_anchor", anchor=anchor, first_line=first[0])
        if isinstance(event, ScalarEvent):
            value, size, pos = self._scalar(event, where), 1, where
        else:
            if anchor is not None:
                self._open.add(anchor)
            if isinstance(event, SequenceStartEvent):
                value, size, pos = self._sequence(event, where, depth)
            else:
                value, size, pos = self._mapping(event, where, depth)
            self._open.discard(anchor)
        if anchor is not None:
            self._anchors[anchor] = (value, size, where)
        return value, size, pos

    def _alias(self, event: Any, where: tuple[int, int]) -> tuple[Any, int]:
        name = event.anchor
        if name in self._open:
            raise _Problem(where, "yaml.recursive_alias")
        if name not in self._anchors:
            raise _Problem(where, "yaml.undefined_alias", alias=name)
        value, size, _ = self._anchors[name]
        self.written += 1
        self.expanded = min(_SIZE_CAP, self.expanded + size)
        self.aliases.append((self.expanded, where, name))
        return value, size

    def _plain(self, text: str, where: tuple[int, int]) -> Any:
        """An untagged plain scalar's value; short ones are remembered (keys and enums repeat a lot)."""
        cached = self._plains.get(text, _MISSING)
        if cached is _MISSING:
            cached = self._typed(_plain_tag(text), text, where)
            if len(text) <= 32 and len(self._plains) < 50_000:
                self._plains[text] = cached
        return cached

    def _scalar(self, event: Any, where: tuple[int, int]) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if event.implicit[0]:
                return self._plain(event.value, where)
            tag = _STR_TAG
        return self._typed(tag, event.value, where)

    def _typed(self, tag: str, text: str, where: tuple[int, int]) -> Any:
        if tag == _STR_TAG or tag == _TIMESTAMP_TAG:      # dates are parsed where a format expects one
            return text
        if tag not in _SCALAR_TAGS:
            raise _Problem(where, "yaml.unsupported_tag", tag=tag)
        try:
            return self._constructor.construct_object(ScalarNode(tag, text), deep=True)
        except (yaml.YAMLError, ValueError, OverflowError):
            return text

    def _check_tag(self, event: Any, where: tuple[int, int], allowed: str) -> None:
        if event.tag not in (None, "!", allowed):
            raise _Problem(where, "yaml.unsupported_tag", tag=event.tag)

    def _sequence(self, event: Any, where: Where, depth: int) -> tuple[list[Any], int, Positions]:
        self._check_tag(event, where, "tag:yaml.org,2002:seq")
        items: list[Any] = []
        places: list[Positions] = []
        size = 1
        event = self._next()
        while type(event) is not SequenceEndEvent:
            value, n, pos = self.node(event, depth + 1)
            items.append(value)
            places.append(pos)
            size += n
            event = self._next()
        return items, size, (where, places)

    def _mapping(self, event: Any, where: Where, depth: int) -> tuple[dict[Any, Any], int, Positions]:
        self._check_tag(event, where, "tag:yaml.org,2002:map")
        result: dict[Any, Any] = {}
        places: dict[Any, tuple[Where, Positions]] = {}    # key -> (where the key is, the value's positions)
        merges: list[tuple[Where, Any]] = []
        size = 1
        event = self._next()
        while type(event) is not MappingEndEvent:
            key = _MISSING
            if type(event) is ScalarEvent and event.anchor is None and event.tag is None and event.implicit[0]:
                key = self._plains.get(event.value, _MISSING)    # a plain key seen before: the common case
            if key is _MISSING or type(key) is not str or key == "<<":
                key, key_at = self._key(event)
            else:
                mark = event.start_mark
                key_at = (mark.line + 1, mark.column + 1)
                self.written += 1
                self.expanded += 1
            size += 1                                      # the key (aliased keys count once: rare)
            if key is _MERGE:
                value_event = self._next()
                value, n, _ = self.node(value_event, depth + 1)
                merges.append((key_at, (value, _mark(value_event))))
            elif key in places:
                self.diagnostics.append(Diagnostic(self.file, key_at[0], key_at[1], "yaml.duplicate_key",
                                                   {"key": key, "first_line": places[key][0][0]}))
                _, n, _ = self.node(self._next(), depth + 1)
            else:
                value_event = self._next()
                if (type(value_event) is ScalarEvent and value_event.anchor is None and value_event.tag is None
                        and value_event.implicit[0]):          # node()'s first case, inlined: most values
                    mark = value_event.start_mark
                    pos = (mark.line + 1, mark.column + 1)
                    self.written += 1
                    self.expanded += 1
                    n = 1
                    cached = self._plains.get(value_event.value, _MISSING)
                    result[key] = self._plain(value_event.value, pos) if cached is _MISSING else cached
                else:
                    result[key], n, pos = self.node(value_event, depth + 1)
                places[key] = (key_at, pos)
            size += n
            event = self._next()
        for key_at, source in merges:                      # explicit keys win over merged ones
            for mapping in _merge_sources(source):
                for key, value in mapping.items():
                    if key not in result:
                        result[key] = value
                        places[key] = (key_at, key_at)
        return result, size, (where, places)

    def _key(self, event: Any) -> tuple[Any, tuple[int, int]]:
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        if type(event) is ScalarEvent and event.anchor is None:
            self.written += 1
            self.expanded += 1
            if event.tag is None and event.implicit[0]:
                if event.value == "<<":
                    return _MERGE, where
                key = self._plain(event.value, where)
            else:
                key = self._scalar(event, where)
        elif isinstance(event, (ScalarEvent, AliasEvent)):      # an anchored key, or an alias as a key
            key, _, _ = self.node(event, 0)
            if isinstance(key, (list, dict)):
                raise _Problem(where, "yaml.complex_key")
        else:
            raise _Problem(where, "yaml.complex_key")
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            key = str(key)
        return key, where


_MERGE = object()
_MISSING = object()


def _merge_sources(source: tuple[Any, tuple[int, int]]) -> list[dict[Any, Any]]:
    value, where = source
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return list(value)
    raise _Problem(where, "yaml.bad_merge")


def _blowing_alias(builder: _Builder, limit: int) -> tuple[tuple[int, int], str]:
    """Where and which is the alias at which the expanded document passes ``limit``."""
    i = bisect.bisect_right([total for total, _, _ in builder.aliases], limit)
    _, where, name = builder.aliases[min(i, len(builder.aliases) - 1)]
    return where, name


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


def _bomb(file: str, builder: _Builder) -> Diagnostic:
    limit = alias_budget(builder.written)
    (line, col), anchor = _blowing_alias(builder, limit)
    return Diagnostic(file, line, col, "yaml.alias_bomb",
                      {"alias": anchor, "limit": limit, "written": builder.written,
                       "factor": EXPANSION_FACTOR + 1, "floor": EXPANSION_FLOOR})


def read_yaml_text(file: str, text: str) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Parse ``text`` (the contents of ``file``). Returns the document, or None, and the problems found."""
    parser = _PARSER(text)
    builder = _Builder(file, parser)
    try:
        found, value = builder.document()
    except _Problem as p:
        return None, [Diagnostic(file, p.mark[0], p.mark[1], p.key, p.params)]
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
    finally:
        parser.dispose()
    if not found:
        return None, [Diagnostic(file, 0, 0, "yaml.empty")]
    if builder.expanded > alias_budget(builder.written):
        return None, [_bomb(file, builder)]
    doc = YamlDoc(file, value, builder.positions,
                  "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest())
    return doc, builder.diagnostics


def read_yaml_file(file: str) -> tuple[YamlDoc | None, list[Diagnostic]]:
    """Read and parse a file, refusing what is not a small UTF-8 text file."""
    if file == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        name = "<stdin>"
    else:
        name = file
        try:
            data = read_regular_file(file, MAX_FILE_BYTES)
        except InputError as e:
            return None, list(e.diagnostics)
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
