"""The escapers hold for any string (property-based), not only for the canned hostile ones."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from secaudit.report.escape import csv_cell, markdown_text, strip_controls, xml_text

_MD = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
# Text biased towards the characters that matter.
hostile = st.text(alphabet=st.sampled_from(list("<>&\"'`*_[]()!|~#-+=.1 \n\t\x1b\x07\u202eaé:/@\\{}$")) | st.characters(),
                  max_size=60)


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_markdown_text_never_produces_markup(value):
    html = _MD.render(markdown_text(value))
    body = html.removeprefix("<p>").removesuffix("</p>\n")
    assert "<" not in body and ">" not in body or html == "", html


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_csv_cell_never_starts_a_formula(value):
    assert not csv_cell(value).startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_xml_text_always_parses(value):
    el = ET.Element("x", a=xml_text(value))
    el.text = xml_text(value)
    ET.fromstring(ET.tostring(el))


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_strip_controls_leaves_no_escape_or_bidi_override(value):
    out = strip_controls(value, one_line=True)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E for c in out)


def test_ansi_sequences_are_removed_whole():
    assert strip_controls("\x1b[1;31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x07") == "red link"
