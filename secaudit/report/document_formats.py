"""The formats every official document renders to: Markdown, HTML, Word, PDF (registered classes).

Markdown and HTML go through the shared environments (:mod:`secaudit.report.environment`) and the
generic ``document.*.j2`` templates; Word through :mod:`secaudit.report.docx`; PDF converts that
Word file with LibreOffice headless, and says how to install it when ``soffice`` is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from secaudit.errors import Diagnostic, InputError, ToolMissingError
from secaudit.report.document import Bullets, Document, Heading, Paragraph, Section, Signature, Table
from secaudit.report.environment import environment
from secaudit.report.interface import DocumentFormat

_KINDS = {Section: "section", Heading: "heading", Paragraph: "paragraph", Bullets: "bullets", Table: "table", Signature: "signature"}
PDF_TIMEOUT = 120.0                     # seconds; LibreOffice's first start builds its profile


def _blocks(document: Document) -> list[tuple[str, Any]]:
    return [(_KINDS[type(b)], b) for b in document.blocks]


class MarkdownDocument(DocumentFormat):
    name = "md"
    extension = "md"
    media_type = "text/markdown"

    def render(self, document: Document, lang: str) -> str:
        tpl = environment("md").get_template("document.md.j2")
        return tpl.render(doc=document, blocks=_blocks(document))


class HtmlDocument(DocumentFormat):
    name = "html"
    extension = "html"
    media_type = "text/html"

    def render(self, document: Document, lang: str) -> str:
        tpl = environment("html").get_template("document.html.j2")
        return tpl.render(doc=document, blocks=_blocks(document))


class DocxDocument(DocumentFormat):
    name = "docx"
    extension = "docx"
    media_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    binary = True

    def render(self, document: Document, lang: str) -> bytes:
        # start-up: python-docx (~0.3 s) loaded only when a Word or PDF document is written
        from secaudit.report.docx import render_docx

        return render_docx(document)


def soffice() -> str | None:
    """The LibreOffice binary, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(data: bytes, timeout: float = PDF_TIMEOUT) -> bytes:
    """Convert a .docx file to PDF with LibreOffice headless, in a private profile and directory."""
    binary = soffice()
    if binary is None:
        raise ToolMissingError("documents.pdf_missing")
    with tempfile.TemporaryDirectory(prefix="secaudit-pdf-") as tmp:
        src = Path(tmp) / "document.docx"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [binary, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", tmp, str(src)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=timeout, env={**os.environ, "HOME": tmp},
                                  start_new_session=True)
        except subprocess.TimeoutExpired:
            raise InputError([Diagnostic("--format", 0, 0, "documents.pdf_failed",
                                         {"reason": f"timed out after {timeout:.0f} s"})]) from None
        out = Path(tmp) / "document.pdf"
        if proc.returncode != 0 or not out.is_file():
            reason = (proc.stderr or proc.stdout).decode("utf-8", "replace").strip()[-300:] or f"exit {proc.returncode}"
            raise InputError([Diagnostic("--format", 0, 0, "documents.pdf_failed", {"reason": reason})])
        return out.read_bytes()


class PdfDocument(DocumentFormat):
    name = "pdf"
    extension = "pdf"
    media_type = "application/pdf"
    binary = True

    def render(self, document: Document, lang: str) -> bytes:
        # start-up: python-docx (~0.3 s) loaded only when a Word or PDF document is written
        from secaudit.report.docx import render_docx

        return docx_to_pdf(render_docx(document))


DOCUMENT_FORMATS: dict[str, type[DocumentFormat]] = {
    cls.name: cls for cls in (MarkdownDocument, HtmlDocument, DocxDocument, PdfDocument)
}


def render_document(fmt: str, document: Document) -> str | bytes:
    """``document`` in the registered format ``fmt`` (``KeyError`` for an unknown one)."""
    return DOCUMENT_FORMATS[fmt]().render(document, document.lang)
