"""Every Excel export keeps typed text as text: a name that begins like a formula (=, +, -, @, a tab
or a carriage return) is written as a string cell with its value unchanged, never as a formula."""

import io

import openpyxl
import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat

from dangbo.demo.builder import REFERENCE_DAY
from dangbo.lib import xlsx
from dangbo.members.models import Member
from dangbo.orgs.models import UnitVersion
from dangbo.reports.models import Report

PAYLOADS = ['=HYPERLINK("http://example.com/x","bấm vào") ', "+1+2 ", "-3+4 ", "@SUM(A1) ", "\tTab ", "\rCR "]


def _exports(client, demo) -> dict[str, bytes]:
    report = Report.objects.filter(unit_id=demo["root"]).order_by("pk").first()
    urls = {
        "register": ("/dang-vien/so-danh-sach/", {"date": REFERENCE_DAY.isoformat()}),
        "badges": ("/huy-hieu/", {"xuat": "xlsx"}),
        "ratings": ("/xep-loai/", {"nam": 2023, "xlsx": 1}),
        "report": (f"/bao-cao/{report.pk}/so-lieu.xlsx", {}),
    }
    contents = {}
    for name, (url, params) in urls.items():
        response = client.get(url, params)
        assert response.status_code == 200, name
        assert response["Content-Type"] == xlsx.XLSX_TYPE, name
        contents[name] = response.content
    return contents


def _cells(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
def test_names_that_look_like_formulas_stay_text_in_every_export(as_user, demo, payload):
    # Every unit and every member is named with the payload first, so whatever each export shows of
    # them begins with it.
    UnitVersion.objects.update(name=Concat(Value(payload), F("name")))
    Member.unscoped.update(family_name=Concat(Value(payload), F("family_name")))
    root_names = set(UnitVersion.objects.filter(unit_id=demo["root"]).values_list("name", flat=True))
    root_names |= {name.upper() for name in root_names}
    for name, content in _exports(as_user("khoi"), demo).items():
        cells = _cells(content)
        written = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith(payload[0])]
        assert written, name  # at least the unit's name in the heading
        for cell in written:
            assert cell.data_type == "s", (name, cell.coordinate, cell.value)
            # Excel's quote prefix: editing the cell in Excel or LibreOffice keeps it text.
            assert cell.quotePrefix, (name, cell.coordinate, cell.value)
            assert cell.value.startswith(payload) or cell.value.startswith(payload.upper()), (name, cell.value)
        # The heading names the unit exactly as stored (in capitals where the form says so).
        assert root_names & {cell.value for cell in cells}, name
        # Numbers and dates are not made text.
        assert any(isinstance(cell.value, int) and cell.data_type == "n" for cell in cells), name


def test_text_that_only_contains_formula_characters_is_written_as_before():
    content = xlsx.workbook(sheet_title="t", heading=["Đơn vị"], columns=[("Tên", 10), ("Số", 5)],
                            rows=[["Lê A=B", 3], ["a-b", -2]])  # fmt: skip
    cells = {cell.value: cell for cell in _cells(content)}
    assert cells["Lê A=B"].data_type == "s" and not cells["Lê A=B"].quotePrefix
    assert cells[-2].data_type == "n"
