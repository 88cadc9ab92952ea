"""Official documents as data: a header block, numbered headings, paragraphs, tables, a signature.

Each document (annual report, dossier, cover letter) is built once as a :class:`Document` by a
pure function, then rendered by a registered format: Markdown and HTML through the generic
``document.md.j2`` / ``document.html.j2`` templates of the shared environments (every string is
data and escaped there), Word through :mod:`secaudit.report.docx`, PDF from the Word file through
LibreOffice. All formats therefore hold the same text, tables and fixed values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")


@dataclass(frozen=True)
class Header:
    """The block at the top of a Vietnamese administrative document (Decree 30/2020 layout):
    issuing body on the left with its number and subject line, national motto and date on the right."""

    superior: str                      # the body above the issuer, upper case ("" when none)
    issuer: str                        # the issuing body, upper case
    number: str                        # "Số: .../BC-..." (dots to fill in)
    subject: str                       # "V/v ..." ("" for documents with a title instead)
    place_date: str                    # "Sông Lam, ngày ... tháng ... năm 2026"
    motto: tuple[str, str] = MOTTO
    recipient: str = ""                # "Kính gửi: ..."


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1                     # 1: "1. ...", 2: "a) ..." or "1.1. ..."
    number: str = ""                   # shown before the text ("1.", "a)", "Phụ lục I.")


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = "normal"              # normal | bold | italic | center | title | manual | note | alert
    id: str = ""                       # an HTML anchor ("undetermined")


@dataclass(frozen=True)
class Section:
    """Starts a section of the document (HTML ``<section id="section-ID">``; no mark elsewhere)."""

    id: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numbers: tuple[str, ...] = ()      # a second header row "(1) (2) ..." as Form 08 has
    widths: tuple[float, ...] = ()     # relative column widths (docx)
    id: str = ""                       # stable id for tests and HTML anchors


@dataclass(frozen=True)
class Signature:
    recipients: tuple[str, ...]        # "Nơi nhận:" lines
    title: str                         # "THỦ TRƯỞNG CƠ QUAN" ...
    hint: str                          # "(Ký, ghi rõ họ tên và đóng dấu)"
    name: str = ""                     # the signatory's full name, when known
    position: str = ""                 # the signatory's title, printed under the name


Block = Union[Section, Heading, Paragraph, Bullets, Table, Signature]


@dataclass(frozen=True)
class Document:
    """A whole document: its title (the file's metadata and the HTML title), header block and body."""

    kind: str                          # annual_report | dossier | cover_letter
    title: str
    header: Header
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    lang: str = "vi"
    landscape: bool = False            # Form 08's 12-column table reads better on a landscape page

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def table(self, table_id: str) -> Table:
        for t in self.tables():
            if t.id == table_id:
                return t
        raise KeyError(table_id)
