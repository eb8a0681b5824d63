"""NUL and other control characters in every query parameter and every form of the application never
give a 5xx (PostgreSQL refuses NUL in text: run this file on PostgreSQL too, see the README).

Every form is found on its page and posted back with control characters in each of its fields."""

import datetime

import lxml.html
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangbo.accounts.models import User
from dangbo.admissions.models import Candidate
from dangbo.lib.forms import clean_query, clean_text
from dangbo.meetings.models import Meeting
from dangbo.members.models import Stint
from dangbo.ratings.models import RatingPeriod
from dangbo.reports.actions import open_report
from dangbo.reports.models import Report, ReportType
from dangbo.targets.models import Method, Target
from dangbo.tasks.models import Task

DIRTY = "a\x00b\x01c\x1fd\x7fe"
# Control characters at the start and alone, as a fuzzer sends them.
VALUES = [DIRTY, "\x00", "\x00\x00abc", "x\x0b\x0c\x1b\x9f"]


@pytest.fixture
def ids(demo):
    chibo = demo["chibo"]
    member = Stint.unscoped.filter(unit_id=chibo, end__isnull=True).order_by("member_id").first().member_id
    held = Meeting.unscoped.filter(cell_id=chibo, held_on__isnull=False).order_by("-held_on").first()
    planned = Meeting.unscoped.filter(cell_id=chibo, held_on__isnull=True).order_by("planned_on").first()
    coso = User.objects.get(username="coso")
    draft = open_report(coso, demo["coso"], ReportType.objects.get(code="thang"), "2026-11",
                        today=datetime.date(2026, 11, 10))  # fmt: skip
    return {
        "draft": draft.pk,
        "chibo": chibo,
        "coso": demo["coso"],
        "member": member,
        "candidate": Candidate.unscoped.filter(cell_id=chibo).order_by("pk").first().pk,
        "held": held.pk,
        "planned": planned.pk,
        "task": Task.objects.filter(responsible_unit_id=demo["coso"]).order_by("pk").first().pk,
        "report": Report.objects.filter(unit_id=demo["coso"]).order_by("pk").first().pk,
        # A target judged by hand, of the root's 2020–2025 term: its page has the form of a value.
        "target": Target.objects.filter(method=Method.MANUAL, resolution__term__committee_id=demo["root"],
                                        resolution__term__name="2020–2025").order_by("pk").first().pk,
        "period": RatingPeriod.objects.order_by("-year").first().pk,
    }


# Each page and the query parameters it reads.
GET_PARAMETERS = [
    ("/", ["date", "page"]),
    ("/to-chuc/{coso}/", ["date", "page"]),
    ("/dang-vien/", ["q", "unit", "status", "sex", "age", "page", "date"]),
    ("/dang-vien/{member}/", ["date"]),
    ("/dang-vien/so-danh-sach/", ["unit", "date"]),
    ("/huy-hieu/", ["dip", "unit", "xuat"]),
    ("/ket-nap/", ["q", "stage", "page"]),
    ("/sinh-hoat/", ["cell", "month", "status", "page"]),
    ("/sinh-hoat/tuan-thu/", ["from", "to", "unit"]),
    ("/sinh-hoat/chi-bo/{chibo}/", ["from", "to"]),
    ("/sinh-hoat/{held}/ghi-bien-ban/", ["ngay"]),
    ("/xep-loai/", ["nam", "unit", "xlsx"]),
    ("/xep-loai/dot/{period}/", ["tccs", "chibo", "page"]),
    ("/xep-loai/ky-luat/", ["dang-vien", "page"]),
    ("/chi-tieu/", ["unit", "date"]),
    ("/chi-tieu/{target}/", ["unit", "date", "records", "sort", "page"]),
    ("/chi-tieu/dan-van-kheo/", ["unit", "page"]),
    ("/nhiem-vu/", ["q", "view", "trang-thai", "han", "page"]),
    ("/nhiem-vu/bang/", ["unit"]),
    ("/nhiem-vu/lich/", ["thang"]),
    ("/nhiem-vu/thong-ke/", ["from", "to", "unit"]),
    ("/bao-cao/", ["loai", "ky"]),
    ("/bao-cao/theo-doi/", ["unit", "loai", "ky", "yeu-cau"]),
    ("/thong-bao/", ["page"]),
    ("/dang-nhap/", ["next"]),
]


@pytest.mark.parametrize("path, names", GET_PARAMETERS, ids=[p for p, _ in GET_PARAMETERS])
def test_control_characters_in_every_parameter(as_user, ids, path, names):
    client = as_user("coso")
    url = path.format(**ids)
    for name in names:
        for value in VALUES:
            response = client.get(url, {name: value})
            assert response.status_code < 500, (url, name, value)


@pytest.mark.parametrize("path", ["/dang-vien/", "/ket-nap/", "/nhiem-vu/"])
def test_a_search_with_a_nul_finds_what_the_text_around_it_finds(as_user, path):
    client = as_user("coso")
    dirty = client.get(path, {"q": "Nguy\x00ễn"})
    clean = client.get(path, {"q": "Nguyễn"})
    assert dirty.status_code == clean.status_code == 200
    assert dirty.context["page"].paginator.count == clean.context["page"].paginator.count


# Pages whose forms are posted back (persona, page).
FORM_PAGES = [
    ("coso", "/ket-nap/moi/"),
    ("coso", "/ket-nap/{candidate}/"),
    ("coso", "/sinh-hoat/moi/"),
    ("coso", "/sinh-hoat/{planned}/ke-hoach/"),
    ("coso", "/sinh-hoat/{held}/ghi-bien-ban/"),
    ("coso", "/sinh-hoat/{held}/"),
    ("coso", "/dang-vien/{member}/"),
    ("coso", "/dang-vien/{member}/su-kien/exemption/"),
    ("coso", "/dang-vien/{member}/su-kien/transfer_out/"),
    ("khoi", "/xep-loai/dot/"),
    ("coso", "/xep-loai/dot/{period}/"),
    ("coso", "/xep-loai/ky-luat/"),
    ("khoi", "/chi-tieu/{target}/?date=2024-09-30"),
    ("coso", "/chi-tieu/dan-van-kheo/"),
    ("coso", "/nhiem-vu/moi/"),
    ("coso", "/nhiem-vu/{task}/"),
    ("coso", "/bao-cao/"),
    ("coso", "/bao-cao/{report}/"),
    ("coso", "/bao-cao/{draft}/"),
    ("khoi", "/bao-cao/dot-xuat/moi/"),
    ("coso", "/thong-bao/"),
]


def _forms(html: str, page: str) -> list[tuple[str, dict, list[str]]]:
    """(action, fields, file fields) of every POST form of a page, fields filled as the page has them."""
    found = []
    for form in lxml.html.fromstring(html).xpath("//form"):
        if (form.get("method") or "get").lower() != "post":
            continue
        fields, files = {}, []
        for element in form.xpath(".//input|.//select|.//textarea"):
            name = element.get("name")
            if not name or name == "csrfmiddlewaretoken":
                continue
            kind = (element.get("type") or "").lower()
            if kind == "file":
                files.append(name)
            elif kind in ("checkbox", "radio"):
                if element.get("checked") is not None:
                    fields.setdefault(name, element.get("value", "on"))
            elif element.tag == "select":
                chosen = element.xpath(".//option[@selected]") or element.xpath(".//option")
                fields[name] = chosen[0].get("value", "") if chosen else ""
            elif element.tag == "textarea":
                fields[name] = element.text_content()
            else:
                fields[name] = element.get("value", "")
        found.append((form.get("action") or page, fields, files))
    return found


@pytest.mark.parametrize("username, path", FORM_PAGES, ids=[p for _, p in FORM_PAGES])
def test_control_characters_in_every_field_of_every_form(as_user, ids, settings, tmp_path, username, path):
    settings.MEDIA_ROOT = tmp_path
    client = as_user(username)
    page = path.format(**ids)
    response = client.get(page)
    assert response.status_code == 200, page
    forms = _forms(response.content.decode(), page)
    assert forms, page
    for action, fields, files in forms:
        for name in fields:
            # Each field in turn, the others as the page filled them.
            data = fields | {name: (fields[name] or "") + DIRTY}
            response = client.post(action, data)
            assert response.status_code < 500, (page, action, name)
        # All fields at once, and a file whose name carries control characters.
        data = {name: DIRTY for name in fields}
        data |= {name: SimpleUploadedFile("t\x00\x01p.pdf", b"%PDF-1.4 x", "application/pdf") for name in files}
        response = client.post(action, data)
        assert response.status_code < 500, (page, action, "all")


def test_the_cleaner_keeps_tabs_and_line_breaks_and_drops_the_rest():
    assert clean_text("Dòng 1\r\n\tDòng 2\x00\x08\x0b\x0c\x1f\x7f\x85") == "Dòng 1\r\n\tDòng 2"
    from django.http import QueryDict

    query = QueryDict("q=a%00b&q=c&k%01=v")
    cleaned = clean_query(query)
    assert cleaned.getlist("q") == ["ab", "c"] and cleaned["k"] == "v"
    plain = QueryDict("q=abc")
    assert clean_query(plain) is plain
