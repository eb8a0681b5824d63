"""The streamed .xlsx reader on a workbook written as Excel writes it (shared strings, rich text,
phonetic guides, date styles built in and custom, a formula with its cached value, cells skipped),
by hand, so nothing of openpyxl's own writing is assumed."""

import datetime
import io
import zipfile

import pytest

from dangbo.exchange import sheetxml

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

PARTS = {
    "[Content_Types].xml": "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
    "xl/workbook.xml": f"""<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><workbookPr/>
        <sheets><sheet name="Hướng dẫn" sheetId="1" r:id="rId1"/><sheet name="Đảng viên" sheetId="2" r:id="rId2"/>
        </sheets></workbook>""",
    "xl/_rels/workbook.xml.rels": f"""<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
        <Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>
        <Relationship Id="rId2" Type="{RELS}/worksheet" Target="/xl/worksheets/sheet2.xml"/>
        <Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>
        <Relationship Id="rId4" Type="{RELS}/styles" Target="styles.xml"/></Relationships>""",
    "xl/sharedStrings.xml": f"""<sst xmlns="{MAIN}"><si><t>Họ và tên</t></si><si><t>Ngày sinh</t></si>
        <si><r><t>Nguyễn </t></r><r><rPr><b/></rPr><t>Thị Hường</t></r><rPh><t>x</t></rPh></si>
        <si><t xml:space="preserve"> 001190000001 </t></si></sst>""",
    "xl/styles.xml": f"""<styleSheet xmlns="{MAIN}"><numFmts count="1">
        <numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>
        <cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>""",
    "xl/worksheets/sheet1.xml": f"""<worksheet xmlns="{MAIN}"><sheetData/></worksheet>""",
    "xl/worksheets/sheet2.xml": f"""<worksheet xmlns="{MAIN}"><dimension ref="A1:E4"/><sheetData>
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>
        <row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3" s="1"><v>32874</v></c><c r="C3" s="2"><v>45000</v></c>
          <c r="E3" t="s"><v>3</v></c></row>
        <row r="4"><c r="A4" t="inlineStr"><is><t>Lê Văn Tám</t></is></c><c r="B4"><f>DATE(1990,1,1)</f><v>32874</v></c>
          <c r="C4"><v>12345678901</v></c><c r="D4" t="b"><v>1</v></c><c r="E4" t="e"><v>#N/A</v></c></row>
    </sheetData></worksheet>""",
}


def _book(parts=PARTS) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def test_values_as_excel_holds_them():
    book = sheetxml.open_workbook(_book())
    assert book.sheets == [("Hướng dẫn", "xl/worksheets/sheet1.xml"), ("Đảng viên", "xl/worksheets/sheet2.xml")]
    assert sheetxml.declared_rows(book, "xl/worksheets/sheet2.xml") == 4
    rows = {n: cells for n, cells in sheetxml.rows(book, "xl/worksheets/sheet2.xml")}
    assert sorted(rows) == [1, 3, 4]
    assert [c.value for c in rows[1]] == ["Họ và tên", "Ngày sinh"]
    third = rows[3]
    assert third[0].value == "Nguyễn Thị Hường"  # rich text runs joined, the phonetic guide left out
    assert third[1].value == datetime.datetime(1990, 1, 1)  # built-in date format 14
    assert third[2].value.date() == datetime.date(2023, 3, 15)  # custom dd/mm/yyyy
    assert third[3] is None and third[4].value == " 001190000001 "
    fourth = rows[4]
    assert fourth[0].value == "Lê Văn Tám"
    assert fourth[1].formula == "DATE(1990,1,1)" and fourth[1].column == "B"
    assert fourth[2].value == 12345678901 and isinstance(fourth[2].value, int)
    assert fourth[3].value is True and fourth[4].value == "#N/A"
    assert list(sheetxml.rows(book, "xl/worksheets/sheet1.xml")) == []
    book.close()


def test_a_broken_part_is_a_bad_workbook_not_a_crash():
    with pytest.raises(sheetxml.BadWorkbook):
        sheetxml.open_workbook(io.BytesIO(b"PK\x03\x04 not really a zip"))
    with pytest.raises(sheetxml.BadWorkbook):
        sheetxml.open_workbook(_book({k: v for k, v in PARTS.items() if k != "xl/workbook.xml"}))
    cut = {**PARTS, "xl/worksheets/sheet2.xml": PARTS["xl/worksheets/sheet2.xml"][:400]}
    book = sheetxml.open_workbook(_book(cut))
    with pytest.raises(sheetxml.BadWorkbook):
        list(sheetxml.rows(book, "xl/worksheets/sheet2.xml"))


def test_entities_are_never_expanded():
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c SYSTEM "file:///etc/passwd">]>'
            f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&b;&c;</t></is></c>'
            "</row></sheetData></worksheet>")  # fmt: skip
    book = sheetxml.open_workbook(_book({**PARTS, "xl/worksheets/sheet2.xml": bomb}))
    values = [c.value for _, cells in sheetxml.rows(book, "xl/worksheets/sheet2.xml") for c in cells]
    assert values == [""] or "root:" not in "".join(v or "" for v in values)
    assert all("aaaaaaaaaa" not in (v or "") for v in values)
