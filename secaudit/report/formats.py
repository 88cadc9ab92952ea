"""The scan report formats, registered explicitly: name -> :class:`~secaudit.report.interface.ReportFormat` class.

Read through :mod:`secaudit.report` (``FORMATS``, :func:`~secaudit.report.get_format`), which loads this module
at first use: importing any other report module (escaping, the documents) does not load every format."""

from __future__ import annotations

from secaudit.report.csv_report import CsvFormat
from secaudit.report.interface import ReportFormat
from secaudit.report.json_report import JsonFormat
from secaudit.report.junit import JunitFormat
from secaudit.report.sarif import SarifFormat
from secaudit.report.templated import HtmlFormat, MarkdownFormat, TextSummaryFormat

FORMATS: dict[str, type[ReportFormat]] = {
    cls.name: cls for cls in (HtmlFormat, MarkdownFormat, TextSummaryFormat, JsonFormat, SarifFormat, JunitFormat,
                              CsvFormat)}
