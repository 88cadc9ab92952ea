"""Neutralising hostile strings for each output format.

Certificate subjects, banners, evidence values and even waiver texts can come from a scanned
server or a careless file: they are data and must never become markup, formulas or terminal
control sequences. Each function here is the single place its format is made safe; the writers
and the template environments call them on every value they print.
"""

from __future__ import annotations

import re

# ANSI / VT escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
# C0 and C1 controls except tab/newline, DEL, and the bidirectional overrides behind "Trojan Source" spoofing.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINEBREAKS = re.compile(r"[\t\n\r\v\f\u2028\u2029]+")


def strip_controls(value: object, *, one_line: bool = False) -> str:
    """Text without ANSI escapes, control characters or bidi overrides (safe for a terminal)."""
    text = str(value)
    if text.isprintable():      # every character removed below is a non-printable one: nothing to do
        return text
    text = _ANSI.sub("", text)
    if one_line:
        text = _LINEBREAKS.sub(" ", text)
    return _CONTROLS.sub("", text)


# Characters XML 1.0 cannot carry at all, even escaped (ElementTree would write an unparseable file).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(value: object) -> str:
    """Text an XML 1.0 document can hold: control characters, ANSI escapes and bidi overrides removed."""
    return _XML_INVALID.sub("", strip_controls(value))


# OWASP "CSV injection": a cell starting with one of these may be evaluated as a formula by spreadsheets.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(value: object) -> str:
    """A CSV cell that no spreadsheet evaluates: a leading formula character gets a single quote before it."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


# Inline Markdown syntax (CommonMark + GFM: emphasis, links, images, code, tables, strikethrough, math).
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()!|~$#])")
# Block syntax only matters at the start of a line: headings, lists, quotes, thematic breaks.
_MD_BLOCK_START = re.compile(r"^(\s*)([-+=]|\d+(?=\.(?:\s|$)))")


def markdown_text(value: object) -> str:
    """Text that renders literally in Markdown, on one line (safe in a table cell or a list item).

    Markdown renderers pass raw HTML through, so ``<``, ``>`` and ``&`` become entities; every
    character with an inline meaning gets a backslash; a leading block marker is escaped too.
    Line breaks become spaces so a value cannot start a new block or break a table row.
    """
    text = strip_controls(value, one_line=True)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(_escape_block_start, text, count=1)


# The same without parentheses: they only make a link after "]", which is escaped.
_MD_INLINE_PROSE = re.compile(r"([\\`*_{}\[\]!|~$#])")


def markdown_prose(value: object, *, line_start: bool = True) -> str:
    """Like :func:`markdown_text`, for sentences of our data files (a regime's terms): parentheses stay as
    written ("Art. 8(1)", "(TCVN 14423:2026)"), every other inline or HTML character is neutralised; a block
    marker is escaped only where the text starts a line (``line_start``)."""
    text = strip_controls(value, one_line=True)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    text = _MD_INLINE_PROSE.sub(r"\\\1", text)
    return _MD_BLOCK_START.sub(_escape_block_start, text, count=1) if line_start else text


def _escape_block_start(m: re.Match[str]) -> str:
    lead, marker = m.group(1), m.group(2)
    if marker.isdigit():        # "1." starts an ordered list: escape the dot ("1\\.")
        return lead + marker + "\\"
    return lead + "\\" + marker
