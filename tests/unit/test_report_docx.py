"""python-docx is the optional `documents` extra: without it, a Word or PDF document is a clear ToolMissingError
(exit 2 with how to install it), never an ImportError; importing the report modules never needs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

WITHOUT_DOCX = """
import sys
sys.modules["docx"] = None          # `import docx` raises ImportError, as when the extra is not installed
from secaudit.errors import ToolMissingError
from secaudit.report.document_formats import DOCUMENT_FORMATS
for name in ("docx", "pdf"):
    try:
        DOCUMENT_FORMATS[name]().render(None, "en")
    except ToolMissingError as e:
        print(name, e.key)
"""


def test_without_python_docx_a_word_or_pdf_document_says_how_to_install_it():
    r = subprocess.run([sys.executable, "-c", WITHOUT_DOCX], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == ["docx documents.docx_missing", "pdf documents.docx_missing"]
