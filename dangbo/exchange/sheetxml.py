"""The cells of an .xlsx workbook read straight from its XML parts, row by row.

openpyxl's read-only mode streams too, but builds an object for every cell (a rich-text object for
every inline string, as write-only files and many exporters produce) and scans a sheet twice when
the file declares no size: half a minute for a 250.000-member list becomes several. Here lxml's
iterparse walks each sheet once and drops each row once read, so memory holds the shared strings
and one row. Entities are not resolved and the network is never used, whatever the file says.
"""

from __future__ import annotations

import datetime
import functools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
STRICT_REL = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


class BadWorkbook(Exception):
    """The file is a zip but not a readable workbook."""


@dataclass
class Cell:
    """What a row holds at one position: the value, and the formula when the cell has one."""

    value: object
    formula: str | None = None
    column: str = ""


@dataclass
class Workbook:
    archive: zipfile.ZipFile
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (title, part path), in order
    strings: list[str] = field(default_factory=list)
    dates: set[int] = field(default_factory=set)  # style indexes whose number format is a date
    epoch: datetime.datetime = CALENDAR_WINDOWS_1900

    def close(self):
        self.archive.close()


def _parse(archive: zipfile.ZipFile, name: str):
    with archive.open(name) as part:
        return etree.parse(part, _parser())


def _parser():
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


_LOCAL: dict = {}  # tag → local name: a sheet has few tags, met millions of times


def _local(tag) -> str:
    local = _LOCAL.get(tag)
    if local is None:
        local = _LOCAL[tag] = tag.rpartition("}")[2] if isinstance(tag, str) else ""
    return local


def open_workbook(source) -> Workbook:
    """The sheets, shared strings and date styles of an .xlsx (path or binary file object)."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BadWorkbook(type(error).__name__) from None
    try:
        book = Workbook(archive)
        names = set(archive.namelist())
        workbook = _find(names, "xl/workbook.xml")
        root = _parse(archive, workbook).getroot()
        base = posixpath.dirname(workbook)
        rels_name = posixpath.join(base, "_rels", posixpath.basename(workbook) + ".rels")
        targets = {}
        if rels_name in names:
            for rel in _parse(archive, rels_name).getroot():
                target = rel.get("Target", "")
                absolute = target.startswith("/")
                path = target.lstrip("/") if absolute else posixpath.normpath(posixpath.join(base, target))
                targets[rel.get("Id")] = (rel.get("Type", "").rpartition("/")[2], path)
        for element in root.iter():
            tag = _local(element.tag)
            if tag == "workbookPr" and element.get("date1904") in ("1", "true"):
                book.epoch = CALENDAR_MAC_1904
            elif tag == "sheet":
                kind, path = targets.get(element.get(REL) or element.get(STRICT_REL), ("", ""))
                if path in names:
                    book.sheets.append((element.get("name", ""), path))
        for kind, path in targets.values():
            if kind == "sharedStrings" and path in names:
                book.strings = _shared_strings(archive, path)
            elif kind == "styles" and path in names:
                book.dates = _date_styles(archive, path)
        return book
    except (KeyError, etree.XMLSyntaxError, ValueError) as error:
        archive.close()
        raise BadWorkbook(type(error).__name__) from None


def _find(names: set[str], wanted: str) -> str:
    if wanted in names:
        return wanted
    raise KeyError(wanted)


def _shared_strings(archive: zipfile.ZipFile, path: str) -> list[str]:
    strings = []
    with archive.open(path) as part:
        for _, item in etree.iterparse(part, events=("end",), tag="{*}si", resolve_entities=False,
                                       no_network=True, huge_tree=True):  # fmt: skip
            strings.append(_text(item))
            item.clear()
            while item.getprevious() is not None:
                del item.getparent()[0]
    return strings


def _text(element) -> str:
    """The text of a string item: its runs, without the phonetic guides (rPh)."""
    return "".join(t.text or "" for t in element.iter("{*}t") if _local(t.getparent().tag) != "rPh")


def _date_styles(archive: zipfile.ZipFile, path: str) -> set[int]:
    root = _parse(archive, path).getroot()
    formats = dict(BUILTIN_FORMATS)
    dates = set()
    for element in root.iter("{*}numFmt"):
        formats[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
    for container in root.iter("{*}cellXfs"):
        for index, xf in enumerate(x for x in container if _local(x.tag) == "xf"):
            code = formats.get(int(xf.get("numFmtId", "0")), "")
            if code and is_date_format(code):
                dates.add(index)
    return dates


_COLUMN = re.compile(r"[A-Z]+")


@functools.lru_cache(maxsize=1024)
def _column_of(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _letters(reference: str) -> str:
    return reference.rstrip("0123456789")


def _column_index(reference: str) -> int:
    letters = _letters(reference)
    if not letters or not _COLUMN.fullmatch(letters):
        raise ValueError(reference)
    return _column_of(letters)


_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s+ref=\"[A-Z]*\d*:?[A-Z]*(\d+)\"")


def declared_rows(book: Workbook, path: str) -> int | None:
    """The last row the sheet declares at its top (Excel and LibreOffice write it), if it does."""
    with book.archive.open(path) as part:
        found = _DIMENSION.search(part.read(4096))
    return int(found.group(1)) if found else None


def rows(book: Workbook, path: str) -> Iterator[tuple[int, list[Cell | None]]]:
    """(row number, cells by position) for every row the sheet holds, in order; positions without a
    cell are None. Raises BadWorkbook if the XML breaks off."""
    number = 0
    try:
        with book.archive.open(path) as part:
            for _, row in etree.iterparse(part, events=("end",), tag="{*}row", resolve_entities=False,
                                          no_network=True, huge_tree=True):  # fmt: skip
                number = int(row.get("r") or number + 1)
                cells: list[Cell | None] = []
                for position, c in enumerate(row):
                    if _local(c.tag) != "c":
                        continue
                    reference = c.get("r")
                    index = _column_index(reference) if reference else position
                    while len(cells) < index:
                        cells.append(None)
                    cells.append(_cell(book, c, reference or ""))
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
                yield number, cells
    except (etree.XMLSyntaxError, zipfile.BadZipFile, KeyError, IndexError, ValueError, EOFError) as error:
        raise BadWorkbook(type(error).__name__) from None


def _cell(book: Workbook, c, reference: str) -> Cell:
    kind = c.get("t", "n")
    value = formula = None
    for child in c:
        tag = _local(child.tag)
        if tag == "v":
            value = child.text
        elif tag == "f":
            formula = child.text or "="
        elif tag == "is":
            value = _text(child)
    column = _letters(reference)
    if value is None or kind == "inlineStr":
        return Cell(value, formula, column)
    if kind == "s":
        value = book.strings[int(value)]
    elif kind == "n":
        number = float(value)
        style = int(c.get("s", "0"))
        if style in book.dates:
            value = from_excel(number, book.epoch)
        else:
            value = int(number) if number.is_integer() and "E" not in value.upper() and "." not in value else number
    elif kind == "b":
        value = value == "1"
    elif kind == "d":
        value = datetime.datetime.fromisoformat(value.rstrip("Z"))
    # "str" (a formula's cached text) and "e" (an error such as #N/A) stay as their text.
    return Cell(value, formula, column)
