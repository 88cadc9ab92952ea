"""Word (.docx) rendering of a :class:`~secaudit.report.document.Document`, through python-docx.

The layout follows Vietnamese administrative documents (Decree 30/2020/NĐ-CP, Appendix I): A4,
Times New Roman 13 pt, margins 20/20/30/15 mm; a two-column header block (issuing body, number and
subject on the left; national motto and place/date on the right); numbered headings; tables with
borders whose header rows repeat on every page (``w:tblHeader``); the page number in the footer
(a ``PAGE`` field). Every string goes through :func:`secaudit.report.escape.xml_text` on one line:
no control character, ANSI escape or bidi override reaches the file.

python-docx is the optional ``documents`` extra; without it this format says how to install it.
"""

from __future__ import annotations

import io
from typing import Any

from secaudit.errors import ToolMissingError
from secaudit.report.document import Bullets, Document, Header, Heading, Paragraph, Signature, Table
from secaudit.report.escape import strip_controls, xml_text

try:    # python-docx, the optional `documents` extra: without it render_docx says how to install it
    import docx
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor
except ImportError:
    docx = None

FONT = "Times New Roman"


def _txt(value: Any) -> str:
    return xml_text(strip_controls("" if value is None else value, one_line=True))


def _require_docx() -> Any:
    if docx is None:
        raise ToolMissingError("documents.docx_missing")
    return docx


def _setup(doc: Any, landscape: bool) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        style = doc.styles[name]
        style.font.name = FONT
        style.font.color.rgb = RGBColor(0, 0, 0)
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
            fonts.set(qn(attr), FONT)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):   # theme fonts win otherwise
            fonts.attrib.pop(qn(attr), None)
    doc.styles["Normal"].font.size = Pt(13)
    doc.styles["Normal"].paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", 13), ("Heading 2", 13), ("Heading 3", 13), ("Title", 14)):
        doc.styles[name].font.size = Pt(size)
        doc.styles[name].font.bold = True
    doc.styles["Heading 2"].font.italic = False
    title_ppr = doc.styles["Title"].element.pPr
    if title_ppr is not None and title_ppr.find(qn("w:pBdr")) is not None:   # the template's blue rule
        title_ppr.remove(title_ppr.find(qn("w:pBdr")))


def _page_number(doc: Any) -> None:
    """A centred PAGE field in the footer: Word and LibreOffice fill in the number."""
    para = doc.sections[0].footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = para.add_run()
    for kind, text in (("begin", None), (None, "PAGE"), ("separate", None), (None, None), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._r.append(el)
        elif text:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            t = OxmlElement("w:t")
            t.text = "1"
            run._r.append(t)


def _line(cell: Any, text: str, *, bold: bool = False, italic: bool = False, center: bool = False,
          size: float | None = None) -> Any:
    """One paragraph in a table cell: the cell's first (empty) paragraph, then new ones."""
    first = cell.paragraphs[0]
    para = first if not first.text and not first.runs else cell.add_paragraph()
    run = para.add_run(_txt(text))
    run.bold, run.italic = bold, italic
    if size:
        run.font.size = Pt(size)
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.space_after = Pt(0)
    return para


def _header(doc: Any, h: Header) -> None:
    """The header block: a borderless two-column table, as official documents lay it out."""
    table = doc.add_table(rows=1, cols=2)
    _widths(table, (2, 3), _usable(doc))
    left, right = table.rows[0].cells
    if h.superior:
        _line(left, h.superior, center=True, size=12)
    _line(left, h.issuer, bold=True, center=True, size=12)
    _line(left, "―――――", center=True, size=10)
    _line(left, h.number, center=True, size=12)
    if h.subject:
        _line(left, h.subject, center=True, size=11)
    _line(right, h.motto[0], bold=True, center=True, size=12)
    _line(right, h.motto[1], bold=True, center=True, size=13)
    _line(right, "――――――――――", center=True, size=10)
    _line(right, h.place_date, italic=True, center=True, size=13)


def _repeat_header(row: Any) -> None:
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _table(doc: Any, t: Table, usable_mm: float) -> None:
    header_rows = 2 if t.numbers else 1
    table = doc.add_table(rows=header_rows + len(t.rows), cols=len(t.headers))
    table.style = doc.styles["Table Grid"]
    size = 10 if len(t.headers) > 8 else 11
    for j, text in enumerate(t.headers):
        _line(table.rows[0].cells[j], text, bold=True, center=True, size=size)
    if t.numbers:
        for j, text in enumerate(t.numbers):
            _line(table.rows[1].cells[j], text, italic=True, center=True, size=size)
    for r in range(header_rows):
        _repeat_header(table.rows[r])
    for i, row in enumerate(t.rows, header_rows):
        for j, text in enumerate(row):
            _line(table.rows[i].cells[j], text, size=size)
    _widths(table, t.widths or (1,) * len(t.headers), usable_mm)
    doc.add_paragraph()


def _widths(table: Any, widths: tuple[float, ...], usable_mm: float) -> None:
    """Relative column widths over the usable page width (grid columns and cells: Word and LibreOffice)."""
    table.autofit = False
    total = sum(widths)
    for j, w in enumerate(widths):
        width = Mm(usable_mm * w / total)
        table.columns[j].width = width
        for cell in table.columns[j].cells:
            cell.width = width


def _usable(doc: Any) -> float:
    section = doc.sections[0]
    return (section.page_width - section.left_margin - section.right_margin) / 36000     # EMU -> mm


def _signature(doc: Any, s: Signature) -> None:
    table = doc.add_table(rows=1, cols=2)
    _widths(table, (1, 1), _usable(doc))
    left, right = table.rows[0].cells
    if s.recipients:
        _line(left, s.recipients[0], bold=True, italic=True, size=12)
        for r in s.recipients[1:]:
            _line(left, "- " + r, size=11)
    _line(right, s.title, bold=True, center=True)
    _line(right, s.hint, italic=True, center=True)
    if s.name:
        for _ in range(3):
            _line(right, " ", center=True)
        _line(right, s.name, bold=True, center=True)
        if s.position:
            _line(right, s.position, center=True)


def _paragraph(doc: Any, b: Paragraph) -> None:
    para = doc.add_paragraph()
    run = para.add_run(_txt(b.text))
    if b.style in ("bold", "title", "manual", "alert"):
        run.bold = True
    if b.style in ("italic", "note"):
        run.italic = True
    if b.style in ("center", "title"):
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if b.style == "manual":
        run.font.color.rgb = RGBColor(0xA0, 0, 0)


def render_docx(document: Document) -> bytes:
    """The document as the bytes of a .docx file."""
    docx = _require_docx()
    doc = docx.Document()
    _setup(doc, document.landscape)
    usable = _usable(doc)
    doc.core_properties.title = _txt(document.title)
    doc.core_properties.author = "secaudit"
    _page_number(doc)
    _header(doc, document.header)
    if not document.header.subject:           # a letter has its subject line instead of a title
        title = doc.add_paragraph(style="Title")
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.add_run(_txt(document.title))
    if document.header.recipient:
        p = doc.add_paragraph(_txt(document.header.recipient))
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for b in document.blocks:
        if isinstance(b, Heading):
            doc.add_heading(_txt(f"{b.number} {b.text}" if b.number else b.text), level=min(b.level, 3))
        elif isinstance(b, Paragraph):
            _paragraph(doc, b)
        elif isinstance(b, Bullets):
            for item in b.items:
                doc.add_paragraph(_txt(item), style="List Bullet")
        elif isinstance(b, Table):
            _table(doc, b, usable)
        elif isinstance(b, Signature):
            _signature(doc, b)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
