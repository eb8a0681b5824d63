"""A report as a party document (Hướng dẫn 36-HD/VPTW) in Word, and its statistics in Excel.

The layout: top left the superior committee, the issuing committee in bold with a "*" under it and
the number-symbol; top right "ĐẢNG CỘNG SẢN VIỆT NAM" underlined and the place-date line; the type
and subject centred; the sections (statistics as tables); bottom left "Nơi nhận:", bottom right
the authority, the signer's title and name."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm

from dangbo.lib import vn, xlsx
from dangbo.lib.partydoc import a4_document, cell_lines, paragraph, to_bytes
from dangbo.orgs.models import UnitVersion

from . import periods
from .actions import sections_of, statistics_of
from .letterheads import Heading, letterhead_of
from .models import Report
from .statistics import Statistics

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV"]


@dataclass
class Draft:
    """Everything a document of a report says, read once for the page, the .docx and the .xlsx."""

    report: Report
    unit_name: str
    heading: Heading
    subject: str
    dated: str  # "Hải Phòng, ngày 16 tháng 10 năm 2024"
    sections: list  # [(number, SectionSpec, text or None, block or None)]
    statistics: Statistics

    @property
    def number_symbol(self) -> str:
        """ "Số 15-BC/ĐUK"; a draft leaves the number blank, to be written when it is issued."""
        report = self.report
        number = f"{report.number:02d}" if report.number else "     "
        return f"Số {number}-{report.symbol or report.report_type.symbol}/{report.issuer_symbol or self.heading.symbol}"


def subject_of(report: Report) -> str:
    if report.request_id:
        return report.request.title
    period = periods.parse(report.report_type.period_kind, report.period)
    phrase = period.phrase if period else report.period
    return report.report_type.subject.replace("{period}", phrase)


def _dated(heading: Heading, report: Report, today: datetime.date) -> str:
    place = f"{heading.place}, " if heading.place else ""
    if report.issued_on:
        return place + vn.format_date_long(report.issued_on)
    return f"{place}ngày     tháng {today.month} năm {today.year}"  # a draft: the day is written on issue


def draft_of(report: Report, today: datetime.date | None = None) -> Draft:
    today = today or timezone.localdate()
    heading = letterhead_of(report.unit_id, report.issued_on or report.ends_on)  # named as on its day
    version = UnitVersion.objects.on(report.ends_on).filter(unit_id=report.unit_id).first()
    statistics = statistics_of(report)
    sections = []
    for number, section in enumerate(sections_of(report)):
        block = statistics.blocks.get(section.block) if section.block else None
        if section.block and block is None:
            continue
        text = None if section.block else report.texts.get(section.key, "")
        sections.append((ROMAN[len(sections)] if number < len(ROMAN) else str(number + 1), section, text, block))
    return Draft(report, version.name if version else "", heading, subject_of(report), _dated(heading, report, today),
                 sections, statistics)  # fmt: skip


def _table(document, columns, rows, widths=None):
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, columns):
        cell_lines(cell, [(text, True)], size=12)
    for values in rows:
        cells = table.add_row().cells
        for index, (cell, text) in enumerate(zip(cells, values)):
            align = WD_ALIGN_PARAGRAPH.LEFT if index == (1 if len(columns) > 2 else 0) else WD_ALIGN_PARAGRAPH.CENTER
            cell_lines(cell, [(str(text), False)], align=align, size=12)
    if widths:
        _widths(table, widths)
    return table


def _widths(table, widths) -> None:
    """Column widths in cm, set on the grid and on every cell (Word reads the one, LibreOffice the other)."""
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = Cm(width)


def report_docx(draft: Draft) -> bytes:
    document = a4_document(14)
    head = draft.heading
    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(header, [7.5, 8.5])
    left, right = header.rows[0].cells
    cell_lines(left, [(head.superior_name, False), (head.issuer_name, True), ("*", False),
                      (draft.number_symbol, False)], size=13)  # fmt: skip
    cell_lines(right, [("ĐẢNG CỘNG SẢN VIỆT NAM", True, False, True), ("", False), (draft.dated, False, True)], size=13)

    paragraph(document, "", space_after=6)
    paragraph(document, "BÁO CÁO", bold=True, size=15, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    paragraph(document, draft.subject, bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=0)
    paragraph(document, "-----", align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)

    for number, section, text, block in draft.sections:
        paragraph(document, f"{number}. {section.title.upper()}", bold=True, size=14, space_after=4)
        if block is not None:
            if block["rows"]:
                _table(document, ["Nội dung", "Số liệu"], block["rows"], widths=[10, 6])
            if block.get("table"):
                paragraph(document, "", space_after=2)
                _table(document, block["table"]["columns"], block["table"]["rows"], widths=[1, 6.5, 2.5, 2.5, 2, 2.5])
            paragraph(document, "", space_after=4)
        else:
            for line in (text or "").splitlines() or [""]:
                paragraph(document, line, size=14, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=1, space_after=4)

    paragraph(document, "", space_after=6)
    bottom = document.add_table(rows=1, cols=2)
    _widths(bottom, [7.5, 8.5])
    left, right = bottom.rows[0].cells
    cell_lines(left, [("Nơi nhận:", True, False, True)] + [(line, False) for line in head.recipients],
               align=WD_ALIGN_PARAGRAPH.LEFT, size=12)  # fmt: skip
    cell_lines(right, [(head.authority, True), (head.signer_title, True), ("", False), ("", False), ("", False),
                       (head.signer_name, True)], size=14)  # fmt: skip
    return to_bytes(document)


_WHOLE = re.compile(r"\d{1,3}(\.\d{3})*")


def _cell_value(text: str):
    """A formatted whole number back to a number, for Excel to sum and sort; other text as is."""
    return int(text.replace(".", "")) if _WHOLE.fullmatch(text) else text


def report_xlsx(draft: Draft) -> bytes:
    sections = []
    for number, section, _, block in draft.sections:
        if block is None:
            continue
        rows = [[label, _cell_value(text)] for label, text in block["rows"]]
        if block.get("table"):
            rows += [[row[1], _cell_value(row[3]), row[2], row[4], row[5]] for row in block["table"]["rows"]]
        sections.append((f"{number}. {section.title}", rows))
    return xlsx.workbook(
        sheet_title="Số liệu báo cáo",
        heading=[
            draft.unit_name.upper(),
            f"SỐ LIỆU BÁO CÁO: {draft.subject.upper()}",
            f"Số liệu tính đến ngày {vn.format_date(draft.report.ends_on)}",
        ],  # fmt: skip
        columns=[("Nội dung", 55), ("Kết quả", 22), ("Mức chỉ tiêu", 18), ("% chỉ tiêu", 12), ("Đánh giá", 18)],
        rows=[],
        sections=sections,
    )


def file_name(draft: Draft, extension: str) -> str:
    return f"Bao cao {draft.report.report_type.code} {draft.report.period} {vn.fold(draft.unit_name)}.{extension}"
