"""Reading a tool's report safely: a regular file under a size cap, hashed as it streams, and XML parsed
without a DTD, entities or external resources, one element at a time.

Why defusedxml over the standard library's expat (``forbid_dtd=True``): none of the five tools writes a
DOCTYPE, so any DOCTYPE is refused where it starts. That one rule stops external entities (XXE), entity
expansion (billion laughs) and external DTDs before a byte of them is used, with the line and column of
the refusal. Parsing streams (``iterparse``): each importer handles one record (a ``ReportItem``, a
``result``, a ``rule-result``) and drops it, so memory stays flat however long the file is. The size cap is
checked on the opened descriptor before any parsing: a 2 GB file is refused at once, not after minutes.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from typing import IO, Any, Iterator
from xml.etree.ElementTree import Element, ParseError, XMLPullParser, iterparse
from xml.parsers import expat

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from secaudit.errors import Diagnostic, InputError

MAX_BYTES = 1 << 30                 # 1 GiB: a larger report is refused before parsing (--max-size raises it)
HEAD_BYTES = 64 * 1024              # what --tool auto reads to recognise a file
LINE_MAX = 8 * 1024 * 1024          # the longest JSON line or report.dat line read (and JSON array element)
CHUNK = 1 << 20                     # what a JSON array is read by
_TAIL = 6                           # a JSON error this close to the end of the text read may be its cut ("fals")


class ImportFileError(InputError):
    """A report that cannot be imported: the file, the position (line, column; 0 when unknown) and why."""

    def __init__(self, file: str, line: int, column: int, key: str, **args: Any):
        super().__init__([Diagnostic(file, line, column, key, dict(args))])


class HashingReader:
    """A binary file object that hashes what is read through it and counts the bytes."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.digest = hashlib.sha256()
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.digest.update(data)
        self.count += len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.raw.readline(limit)
        self.digest.update(data)
        self.count += len(data)
        return data

    def finish(self) -> str:
        """Read what is left (so the digest is of the whole file) and return the sha256 hex digest."""
        while self.read(1 << 20):
            pass
        return self.digest.hexdigest()


@dataclass
class Opened:
    file: str
    size: int
    reader: HashingReader

    def close(self) -> None:
        self.reader.raw.close()


def open_report(file: str, max_bytes: int = MAX_BYTES) -> Opened:
    """Open ``file`` for reading: only a regular file, never larger than ``max_bytes`` (checked on the
    opened descriptor, so nothing can swap the file in between)."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ImportFileError(file, 0, 0, "file.not_found") from None
    except IsADirectoryError:
        raise ImportFileError(file, 0, 0, "file.is_directory") from None
    except PermissionError:
        raise ImportFileError(file, 0, 0, "file.permission") from None
    except OSError as e:
        raise ImportFileError(file, 0, 0, "file.unreadable", reason=e.strerror or str(e)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ImportFileError(file, 0, 0, "file.is_directory" if stat.S_ISDIR(info.st_mode) else "file.not_regular")
    if info.st_size > max_bytes:
        os.close(fd)
        raise ImportFileError(file, 0, 0, "import.too_big", size=info.st_size, limit=max_bytes // (1024 * 1024))
    os.set_blocking(fd, True)
    return Opened(file, info.st_size, HashingReader(os.fdopen(fd, "rb", buffering=1 << 16)))


def lines(opened: Opened, file: str, limit: int = LINE_MAX) -> Iterator[tuple[int, bytes]]:
    """Each line of a line-oriented report with its number (from 1); a line over ``limit`` bytes is an error
    at its line, never read whole."""
    number = 0
    while True:
        raw = opened.reader.readline(limit + 1)
        if not raw:
            return
        number += 1
        if len(raw) > limit:
            raise ImportFileError(file, number, 0, "import.line_too_long", limit=limit)
        yield number, raw


class _Text:
    """The decoded text of a report read chunk by chunk, with the line and column of its first character kept
    as consumed text is dropped (so an error names its place in the file, not in a buffer)."""

    def __init__(self, opened: Opened, file: str, chunk: int = CHUNK):
        self.opened, self.file, self.chunk = opened, file, chunk
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.eof = False
        self.line, self.column = 1, 1          # of buf[0]

    def more(self) -> bool:
        """Read the next chunk; False at the end of the file."""
        if self.eof:
            return False
        data = self.opened.reader.read(self.chunk)
        try:
            self.buf += self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise self.error(len(self.buf), "import.bad_json", reason=f"not UTF-8 ({e.reason})") from None
        self.eof = not data
        return True

    def at(self, pos: int) -> tuple[int, int]:
        """(line, column) of ``buf[pos]``."""
        newlines = self.buf.count("\n", 0, pos)
        if not newlines:
            return self.line, self.column + pos
        return self.line + newlines, pos - self.buf.rindex("\n", 0, pos)

    def drop(self, pos: int) -> None:
        self.line, self.column = self.at(pos)
        self.buf = self.buf[pos:]

    def skip_space(self) -> str:
        """The next character that is not JSON white space ('' at the end of the file), left unconsumed."""
        while True:
            stripped = self.buf.lstrip(" \t\r\n")
            self.drop(len(self.buf) - len(stripped))
            if self.buf or not self.more():
                return self.buf[:1]

    def error(self, pos: int, key: str, **args: Any) -> ImportFileError:
        return ImportFileError(self.file, *self.at(pos), key, **args)


def json_array(opened: Opened, file: str, limit: int = LINE_MAX,
               chunk: int = CHUNK) -> Iterator[tuple[int, int, Any]]:
    """``(line, column, value)`` of each element of a report that is one JSON array (``nuclei
    -json-export``), streamed: never more than one element (at most ``limit`` characters) in memory, so a
    1 GiB export on one line reads in bounded memory. Raises :class:`ImportFileError` at the position of
    a file that is not an array, a syntax error, an element over ``limit`` or the end of a truncated file.
    """
    text = _Text(opened, file, chunk)
    decode = json.JSONDecoder().raw_decode
    first = text.skip_space()
    if first != "[":
        raise text.error(0, "import.not_array" if first else "import.truncated", reason="no '['")
    text.drop(1)
    if text.skip_space() == "]":
        text.drop(1)
    else:
        while True:
            start = text.skip_space()
            if start in ("", "]"):          # "[1,]" is no JSON either
                raise text.error(0, "import.truncated" if not start else "import.bad_json", reason="an element expected")
            while True:
                try:
                    value, end = decode(text.buf)
                except json.JSONDecodeError as e:
                    # an error near the buffer's end may be the end of what was read so far; one before is not
                    if len(text.buf) - e.pos > _TAIL and not e.msg.startswith("Unterminated string"):
                        raise text.error(e.pos, "import.bad_json", reason=e.msg) from None
                    failure = e
                except RecursionError:
                    raise text.error(0, "import.bad_json", reason="nested too deep") from None
                else:                       # a number at the buffer's end may go on in the next chunk
                    if end < len(text.buf) or text.eof:
                        break
                    failure = json.JSONDecodeError("incomplete", text.buf, end)
                if len(text.buf) > limit:
                    raise text.error(0, "import.element_too_long", limit=limit)
                if not text.more():         # the file ends inside the element: named where it ends
                    line, column = text.at(failure.pos)
                    raise text.error(len(text.buf), "import.truncated", reason=f"{failure.msg} {line}:{column}")
            if end > limit:
                raise text.error(0, "import.element_too_long", limit=limit)
            yield (*text.at(0), value)
            text.drop(end)
            after = text.skip_space()
            if after == "]":
                text.drop(1)
                break
            if after != ",":
                raise text.error(0, "import.truncated" if not after else "import.bad_json",
                                 reason="',' or ']' expected")
            text.drop(1)
    if text.skip_space():
        raise text.error(0, "import.bad_json", reason="text after the array")


def file_sha256(file: str, max_bytes: int = MAX_BYTES) -> str:
    """The sha256 of ``file`` (same checks as :func:`open_report`): a file already imported is known
    without parsing it again."""
    opened = open_report(file, max_bytes)
    try:
        return opened.reader.finish()
    finally:
        opened.close()


def read_head(file: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The first :data:`HEAD_BYTES` of ``file`` (after the same checks as :func:`open_report`)."""
    opened = open_report(file, max_bytes)
    try:
        return opened.reader.raw.read(HEAD_BYTES)
    finally:
        opened.close()


# ----------------------------------------------------------------------------- XML


def local(tag: str) -> str:
    """``{namespace}name`` -> ``name``."""
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _parser() -> DefusedXMLParser:
    return DefusedXMLParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)


def _where(parser: DefusedXMLParser) -> tuple[int, int]:
    p = getattr(parser, "parser", None)
    if p is None:
        return 0, 0
    return int(p.CurrentLineNumber), int(p.CurrentColumnNumber) + 1


def _xml_error(file: str, parser: DefusedXMLParser, error: Exception) -> ImportFileError:
    if isinstance(error, DTDForbidden):
        return ImportFileError(file, *_where(parser), "import.dtd_forbidden")
    if isinstance(error, (EntitiesForbidden, ExternalReferenceForbidden)):
        return ImportFileError(file, *_where(parser), "import.entities_forbidden")
    if isinstance(error, ParseError):
        line, column = error.position
        code = getattr(error, "code", 0)
        truncated = code in (expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
                             expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
                             expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR])
        reason = expat.ErrorString(code) if code else "not well-formed"
        return ImportFileError(file, line, column + 1, "import.truncated" if truncated else "import.xml_invalid",
                               reason=reason)
    return ImportFileError(file, *_where(parser), "import.xml_invalid", reason=type(error).__name__)


def stream_xml(file: str, source: Any) -> Iterator[tuple[str, Element, list[Element]]]:
    """``(event, element, stack)`` for every start and end tag of ``source``; ``stack`` holds the open
    elements (the element's parent is ``stack[-2]`` at its end). Raises :class:`ImportFileError` naming
    the line and column of a DOCTYPE, an entity, a syntax error or the end of a truncated file."""
    parser = _parser()
    stack: list[Element] = []
    try:
        for event, elem in iterparse(source, events=("start", "end"), parser=parser):
            if event == "start":
                stack.append(elem)
                yield event, elem, stack
            else:
                yield event, elem, stack
                stack.pop()
    except (ParseError, DefusedXmlException) as e:
        raise _xml_error(file, parser, e) from None
    except RecursionError:
        raise ImportFileError(file, *_where(parser), "import.xml_invalid", reason="nesting too deep") from None


def drop(elem: Element, stack: list[Element]) -> None:
    """Forget a handled element: clear it and detach it from its parent (memory stays flat)."""
    elem.clear()
    if len(stack) >= 2:
        try:
            stack[-2].remove(elem)
        except ValueError:
            pass


def root_tag(file: str, head: bytes) -> str | None:
    """The qualified tag of the root element in ``head``, or None when it is not there yet."""
    parser = _parser()
    pull = XMLPullParser(events=("start",), _parser=parser)
    try:
        pull.feed(head)
        for _event, elem in pull.read_events():
            return str(elem.tag)
    except (ParseError, DefusedXmlException) as e:
        raise _xml_error(file, parser, e) from None
    return None


def text_of(elem: Element | None) -> str:
    return (elem.text or "").strip() if elem is not None else ""
