"""Excel workbooks (.xlsx, opened by Excel and LibreOffice) for the lists users exchange.

One plain layout for every list: the issuing unit and title on top, a header row that repeats on
every printed page, real dates and numbers in the cells (formatted the Vietnamese way, so they sort
and filter as such), wrapped text, landscape A4.

Every cell is written through `_put`, which keeps typed text as text: a name that begins like a
formula (`=HYPERLINK(…)`) must never become a live formula in a list a user opens.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from . import vn

DATE_FORMAT = "dd/mm/yyyy"
NUMBER_FORMAT = "#,##0"
_thin = Side(style="thin", color="999999")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
WRAP_TOP = Alignment(vertical="top", wrap_text=True)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Leading characters with which Excel or LibreOffice read a typed value as a formula (or DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _put(sheet, row: int, column: int, value):
    """Write `value` into a cell. Text that begins like a formula stays text: the cell is typed as a
    string (openpyxl would type it as a formula) and carries Excel's quote prefix, which both Excel
    and LibreOffice honour, so even editing the cell does not turn it into a formula. The value
    itself is unchanged (a leading apostrophe in it would show)."""
    return _as_text(sheet.cell(row=row, column=column, value=value), value)


def streamed(sheet, value):
    """What `_put` is to a sheet of a write-only workbook (which streams a large list, row by row,
    in bounded memory): a plain value as it is, a date as a cell formatted dd/mm/yyyy, text that
    begins like a formula as a cell typed as a string with the quote prefix (write-only sheets type
    every "=…" as a formula otherwise)."""
    if isinstance(value, datetime.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return _as_text(WriteOnlyCell(sheet, value=value), value)
    return value


def _as_text(cell, value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def workbook(
    *,
    sheet_title: str,
    heading: Sequence[str],
    columns: Sequence[tuple[str, float]],
    rows: Iterable[Sequence],
    sections: Sequence[tuple[str, Iterable[Sequence]]] = (),
) -> bytes:
    """The .xlsx bytes of one sheet: `heading` lines, a header of (title, width) `columns`, the
    `rows`, then each (title, rows) of `sections` under a title row of its own."""
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    for line, text in enumerate(heading, start=1):
        _put(sheet, line, 1, text).font = Font(bold=line <= 2, size=13 if line == 2 else 11)
        sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=len(columns))
        sheet.cell(row=line, column=1).alignment = Alignment(horizontal="center", wrap_text=True)
    header_row = len(heading) + 2
    for index, (title, width) in enumerate(columns, start=1):
        cell = _put(sheet, header_row, index, title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.row_dimensions[header_row].height = 45
    line = header_row + 1
    for title, section_rows in [(None, rows), *sections]:
        if title:
            cell = _put(sheet, line, 1, title)
            cell.font = Font(bold=True)
            sheet.merge_cells(start_row=line, start_column=1, end_row=line, end_column=len(columns))
            line += 1
        for values in section_rows:
            for index, value in enumerate(values, start=1):
                cell = _put(sheet, line, index, value)
                cell.border = BORDER
                cell.alignment = WRAP_TOP
                if isinstance(value, datetime.date):
                    cell.number_format = DATE_FORMAT
                elif isinstance(value, int):
                    cell.number_format = NUMBER_FORMAT
            line += 1
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def response(content: bytes, filename: str, content_type: str = XLSX_TYPE) -> HttpResponse:
    """An HTTP download of a file (a workbook unless told); the name is given in UTF-8 (filename*)
    and, for clients that read only `filename`, without diacritics."""
    reply = HttpResponse(content, content_type=content_type)
    plain = "".join(c if c.isascii() and c not in '"\\' else "_" for c in vn.fold(filename))
    reply["Content-Disposition"] = f'attachment; filename="{plain}"; filename*=UTF-8\'\'{quote(filename)}'
    return reply
