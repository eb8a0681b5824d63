"""The data quality page (/chat-luong-du-lieu/): every check counted against a count made here in
Python from the records, per sub-unit and in total, with flawed records written by the tests; the
lists behind the counts, the download of exactly those members, the clean share, the scope of each
persona, and the page's queries."""

import datetime
import io
import re
from collections import Counter

import openpyxl
import pytest

from dangbo.exchange import columns as c
from dangbo.lib import vn
from dangbo.lib.http import today
from dangbo.members.figures import counted_stints
from dangbo.members.models import Member, MemberStatus, Stint, TheoryLevel
from dangbo.members.quality import build_quality, checks
from dangbo.members.tallies import refresh_tallies
from dangbo.orgs.models import PATH_WIDTH, Unit, UnitKind, UnitVersion, path_segment

DAY = datetime.timedelta(days=1)


# --- an independent count ------------------------------------------------------------------------


def _blank(value) -> bool:
    return not (value or "").strip()


def expected_flags(member: Member, status: str, duplicates: Counter, day: datetime.date) -> set[str]:
    """The checks a record fails, written out again from the rules (not from the page's SQL)."""
    flags = set()
    cid, card = member.citizen_id or "", member.card_number or ""
    if _blank(cid):
        flags.add("no_citizen_id")
    elif not re.fullmatch(r"[0-9]{12}", cid):
        flags.add("bad_citizen_id")
    if not re.fullmatch(r"[0-9]{12}", card):
        flags.add("no_new_card")
    if card and not re.fullmatch(r"[0-9]{8}|[0-9]{12}", card):
        flags.add("bad_card")
    if member.birth_date is None:
        flags.add("no_birth_date")
    if _blank(member.home_town):
        flags.add("no_home_town")
    if _blank(member.residence):
        flags.add("no_residence")
    if member.theory_level not in TheoryLevel.values:
        flags.add("no_theory")
    if member.official_on and not 365 <= (member.official_on - member.admitted_on).days <= 426:
        flags.add("bad_official_gap")
    if vn.age_on(member.birth_date, member.admitted_on) < 18:
        flags.add("admitted_young")
    if any(d is not None and d > day for d in (member.birth_date, member.admitted_on, member.official_on)):
        flags.add("future_date")
    if status == MemberStatus.OFFICIAL and member.official_on is None:
        flags.add("official_no_date")
    if duplicates[member.search_name, member.birth_date] > 1:
        flags.add("duplicate")
    return flags


UNCLEAN = {c.key for c in checks() if c.unclean}


def expected_table(root: UnitVersion, on: datetime.date) -> dict[int, dict]:
    """{sub-unit id: {"total", "clean", check: count}} counted member by member."""
    duplicates = Counter(Member.unscoped.values_list("search_name", "birth_date"))
    width = len(root.path) + PATH_WIDTH
    paths = dict(UnitVersion.objects.on(on).under(root.path).values_list("unit_id", "path"))
    table: dict[int, Counter] = {}
    stints = counted_stints(root, on).select_related("member").distinct()
    for stint in stints:
        bucket = int(paths[stint.unit_id][:width][-PATH_WIDTH:])
        row = table.setdefault(bucket, Counter())
        flags = expected_flags(stint.member, stint.status, duplicates, today())
        row["total"] += 1
        row.update(flags)
        if not flags & UNCLEAN:
            row["clean"] += 1
    return table


def flawed_member(cell_id: int, **fields) -> Member:
    """A record of a member counted in `cell_id` today (official since 2011), clean unless `fields`
    say otherwise."""
    number = Member.unscoped.count() + 1
    values = dict(family_name="Kiểm", middle_name="Tra", given_name=f"Thử {number}", sex="M",
                  birth_date=datetime.date(1985, 3, 4), home_town="Hải Phòng", residence="Hải Phòng",
                  citizen_id=f"0991{number:08d}", card_number=f"{number:08d}",
                  admitted_on=datetime.date(2010, 5, 6), official_on=datetime.date(2011, 5, 20))  # fmt: skip
    values.update(fields)
    member = Member(**values)
    member.save()
    status = MemberStatus.OFFICIAL if member.official_on or fields.get("official") is not False else "probationary"
    Stint.of(member=member, unit_id=cell_id, status=status, start=datetime.date(2015, 1, 1)).save()
    return member


def cell_of(unit_id: int) -> int:
    path = UnitVersion.objects.on(today()).get(unit_id=unit_id).path
    return (UnitVersion.objects.on(today()).under(path).filter(kind=UnitKind.ATTACHED_CELL)
            .order_by("path").values_list("unit_id", flat=True).first())  # fmt: skip


@pytest.fixture
def flawed(demo):
    """Records with every kind of flaw in coso's committee, and a member left in a cell of it
    dissolved last year: {check: member}."""
    cell = cell_of(demo["coso"])
    day = today()
    some = Member.unscoped.exclude(pk__in=Stint.unscoped.filter(unit_id=cell).values("member_id")).order_by("pk")[5]
    members = {
        "bad_citizen_id": flawed_member(cell, citizen_id="12345678901"),
        "bad_card": flawed_member(cell, card_number="1234"),
        "no_citizen_id": flawed_member(cell, citizen_id=None),
        "no_theory": flawed_member(cell, theory_level=""),
        "bad_official_gap": flawed_member(cell, official_on=datetime.date(2013, 1, 1)),
        "admitted_young": flawed_member(cell, birth_date=datetime.date(1993, 1, 1)),  # 17 at admission
        "future_date": flawed_member(cell, admitted_on=day + 10 * DAY, official_on=None),
        "official_no_date": flawed_member(cell, official_on=None),
        "duplicate": flawed_member(cell, family_name=some.family_name, middle_name=some.middle_name,
                                   given_name=some.given_name, birth_date=some.birth_date),  # fmt: skip
    }
    coso = UnitVersion.objects.on(day).get(unit_id=demo["coso"])
    gone = Unit.objects.create(code="GIAI-THE")
    UnitVersion.objects.create(unit=gone, name="Chi bộ Đã giải thể", kind=UnitKind.ATTACHED_CELL,
                               parent_id=demo["coso"], path=coso.path + path_segment(gone.pk), depth=coso.depth + 1,
                               valid_from=datetime.date(2012, 1, 1), valid_to=datetime.date(2025, 6, 1))  # fmt: skip
    orphan = flawed_member(cell)
    Stint.unscoped.filter(member=orphan).update(unit_id=gone.pk)
    members["cell_gone"] = orphan
    members["cell"] = cell
    refresh_tallies()  # the stints were written here, not through the actions
    return members


# --- the counts ------------------------------------------------------------------------------------


def test_every_check_is_counted_as_the_records_say(demo, flawed):
    on = today()
    root = UnitVersion.objects.on(on).get(unit_id=demo["root"])
    quality = build_quality(root, on)
    expected = expected_table(root, on)
    rows = {row.unit_id: row for row in quality.rows}
    for unit_id, counts in expected.items():
        row = rows[unit_id]
        assert row.total == counts["total"], row.name
        assert row.clean == counts["clean"], row.name
        for check in quality.checks:
            if check.key != "cell_gone":
                assert row.counts[check.key] == counts[check.key], (row.name, check.key)
    assert quality.total.total == sum(r["total"] for r in expected.values()) == counted_stints(root, on).count()
    # The flawed records are all in coso's committee, one of each kind, beside what the demo has.
    coso = rows[demo["coso"]]
    for key in ("bad_citizen_id", "bad_card", "no_citizen_id", "no_theory", "bad_official_gap", "admitted_young",
                "official_no_date", "duplicate"):
        assert coso.counts[key] >= 1, key
    assert coso.counts["cell_gone"] == 1 and quality.total.counts["cell_gone"] == 1
    assert coso.records == coso.total + 1
    # The demo's own flaws (a few old identity card numbers, missing addresses, new cards for a third).
    assert quality.total.counts["bad_citizen_id"] > 1 and quality.total.counts["no_residence"] > 0
    assert 0 < quality.total.counts["no_new_card"] < quality.total.total


def test_a_cells_own_page_has_its_one_row(demo, flawed):
    cell = UnitVersion.objects.on(today()).get(unit_id=flawed["cell"])
    quality = build_quality(cell, today())
    assert [row.unit_id for row in quality.rows] == [cell.unit_id]
    assert quality.total.counts["bad_card"] == 1
    assert quality.total.total == counted_stints(cell, today()).count()


def test_the_clean_share_is_clean_records_over_all_records(demo, flawed):
    on = today()
    root = UnitVersion.objects.on(on).get(unit_id=demo["root"])
    quality = build_quality(root, on)
    for row in quality.rows:
        if row.records:
            assert row.clean_share == vn.percent(row.clean, row.total + row.counts["cell_gone"])
    shares = [row.clean_share for row in quality.rows if row.clean_share is not None]
    assert shares == sorted(shares)  # worst first
    total = quality.total
    assert total.clean == sum(r.clean for r in quality.rows) and total.clean < total.records
    expected = vn.format_percent(vn.percent(total.clean, total.records), 1)
    assert re.fullmatch(r"\d{2},\d%|100%", expected)


# --- the pages -------------------------------------------------------------------------------------


def list_ids(client, url) -> list[int]:
    ids = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        ids += [int(pk) for pk in re.findall(r'data-member="(\d+)"', html)]
        following = re.search(r'<a href="([^"]+)">Trang sau', html)
        url = ("/chat-luong-du-lieu/danh-sach/" + following.group(1).replace("&amp;", "&")) if following else None
    return ids


def test_the_page_links_each_count_to_its_members_and_the_download_holds_them(as_user, demo, flawed):
    client = as_user("khoi")
    response = client.get("/chat-luong-du-lieu/")
    html = response.content.decode()
    assert response.status_code == 200 and "Chất lượng dữ liệu đảng viên" in html and "% hồ sơ sạch" in html
    link = f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&amp;check=bad_card&amp;date={today().isoformat()}"
    assert link in html
    on = today()
    coso = UnitVersion.objects.on(on).get(unit_id=demo["coso"])
    duplicates = Counter(Member.unscoped.values_list("search_name", "birth_date"))
    by_check: dict[str, set[int]] = {}
    for stint in counted_stints(coso, on).select_related("member"):
        for flag in expected_flags(stint.member, stint.status, duplicates, on):
            by_check.setdefault(flag, set()).add(stint.member_id)
    for key in ("bad_card", "bad_citizen_id", "duplicate", "no_new_card"):
        ids = list_ids(client, link.replace("&amp;", "&").replace("bad_card", key))
        assert len(ids) == len(set(ids)) and set(ids) == by_check[key], key
    assert list_ids(client, link.replace("&amp;", "&").replace("bad_card", "cell_gone")) == [flawed["cell_gone"].pk]
    # Sorted by given name.
    ids = list_ids(client, link.replace("&amp;", "&").replace("bad_card", "no_new_card"))
    keys = dict(Member.unscoped.filter(pk__in=ids).values_list("pk", "sort_key"))
    assert [keys[i] for i in ids] == sorted(keys[i] for i in ids)
    # The list of every unclean record is the union of the checks that count against cleanliness.
    unclean = set().union(*(v for k, v in by_check.items() if k in UNCLEAN)) | {flawed["cell_gone"].pk}
    assert set(list_ids(client, link.replace("&amp;", "&").replace("bad_card", "any"))) == unclean

    download = client.get(f"/chat-luong-du-lieu/tai-ve/?unit={demo['coso']}&check=bad_citizen_id")
    assert download.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    rows = list(book[c.SHEET_MEMBERS].iter_rows(values_only=True))
    titles = [col.title for col in c.COLUMNS[c.SHEET_MEMBERS]]
    position = titles.index(next(col.title for col in c.COLUMNS[c.SHEET_MEMBERS] if col.key == "citizen_id"))
    got = {str(row[position]) for row in rows[1:]}
    wanted = set(Member.unscoped.filter(pk__in=by_check["bad_citizen_id"]).values_list("citizen_id", flat=True))
    assert got == wanted and "12345678901" in got


def test_the_page_takes_a_few_queries(as_user, demo, flawed, django_assert_max_num_queries):
    client = as_user("khoi")
    client.get("/chat-luong-du-lieu/")  # the session and the user loaded once
    with django_assert_max_num_queries(12):
        assert client.get("/chat-luong-du-lieu/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(f"/chat-luong-du-lieu/?unit={demo['coso']}").status_code == 200
    with django_assert_max_num_queries(12):
        url = f"/chat-luong-du-lieu/danh-sach/?unit={demo['root']}&check=no_new_card"
        assert client.get(url).status_code == 200


def test_the_page_shows_vietnamese_numbers(as_user, demo, flawed):
    html = as_user("khoi").get("/chat-luong-du-lieu/").content.decode()
    on = today()
    quality = build_quality(UnitVersion.objects.on(on).get(unit_id=demo["root"]), on)
    assert vn.format_number(quality.total.records) in html and "." in vn.format_number(quality.total.records)
    assert vn.format_percent(quality.total.clean_share, 1) in html and "," in vn.format_percent(
        quality.total.clean_share, 1)


def test_scope(as_user, client, demo, flawed, outsider):
    coso = f"/chat-luong-du-lieu/?unit={demo['coso']}"
    # An outsider: their own cell, not coso's committee, nor its lists.
    as_user(outsider[0])
    assert client.get("/chat-luong-du-lieu/").status_code == 200
    assert client.get(coso).status_code == 404
    assert client.get(f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&check=any").status_code == 404
    assert client.get(f"/chat-luong-du-lieu/tai-ve/?unit={demo['coso']}&check=any").status_code == 404
    # The viewer: the counts, no person behind them.
    as_user("xem")
    html = client.get("/chat-luong-du-lieu/").content.decode()
    assert "% hồ sơ sạch" in html and "danh-sach" not in html
    assert client.get(f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&check=bad_card").status_code == 404
    assert client.get(f"/chat-luong-du-lieu/tai-ve/?unit={demo['coso']}&check=bad_card").status_code == 404
    # The cell secretary: their cell.
    as_user("chibo")
    response = client.get("/chat-luong-du-lieu/")
    assert response.status_code == 200 and client.get(coso).status_code == 404
    # coso: their committee, an unknown check is 404.
    as_user("coso")
    assert client.get(coso).status_code == 200
    assert client.get(f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&check=nope").status_code == 404
    assert client.get(f"/chat-luong-du-lieu/danh-sach/?unit={demo['root']}&check=any").status_code == 404


def test_the_list_of_unclean_records_says_what_each_fails(as_user, demo, flawed):
    client = as_user("coso")
    html = client.get(f"/chat-luong-du-lieu/danh-sach/?unit={flawed['cell']}&check=any").content.decode()

    def row(key):
        return re.search(rf'data-member="{flawed[key].pk}".*?</tr>', html, re.S).group(0)

    assert "Số thẻ sai định dạng" in row("bad_card") and "CCCD" not in row("bad_card")
    assert "Ngày trong tương lai" in row("future_date") and "Chính thức thiếu ngày" in row("future_date")
    assert "Vào Đảng dưới 18 tuổi" in row("admitted_young")
    html = client.get(f"/chat-luong-du-lieu/danh-sach/?unit={flawed['cell']}&check=admitted_young").content.decode()
    assert "vào Đảng 06/05/2010 (17 tuổi)" in row("admitted_young")


def test_a_past_list_hides_what_the_scope_no_longer_sees(as_user, demo, flawed):
    """A member flagged in coso's committee a year ago who has since moved to another committee:
    coso's list of that day names them without today's citizen ID."""
    from dangbo.members.models import Stint

    member = flawed["bad_citizen_id"]
    elsewhere = UnitVersion.objects.on(today()).exclude(
        path__startswith=UnitVersion.objects.on(today()).get(unit_id=demo["coso"]).path
    ).filter(kind=UnitKind.ATTACHED_CELL).order_by("path").first()
    moved = today() - 30 * DAY
    Stint.unscoped.filter(member=member).update(end=moved)
    Stint.of(member=member, unit_id=elsewhere.unit_id, status="official", start=moved).save()
    client = as_user("coso")
    past = (today() - 365 * DAY).isoformat()
    html = client.get(f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&check=bad_citizen_id&date={past}")
    html = html.content.decode()
    row = re.search(rf'data-member="{member.pk}".*?</tr>', html, re.S).group(0)
    assert "12345678901" not in row and "không hiển thị" in row
    assert "12345678901" in as_user("khoi").get(
        f"/chat-luong-du-lieu/danh-sach/?unit={demo['coso']}&check=bad_citizen_id&date={past}").content.decode()


def test_a_large_subtree_leaves_the_new_cards_to_its_sub_units(as_user, demo, monkeypatch):
    from dangbo.members import quality

    monkeypatch.setattr(quality, "NEW_CARD_COUNTED_UP_TO", 100)
    on = today()
    root = build_quality(UnitVersion.objects.on(on).get(unit_id=demo["root"]), on)
    assert root.total.counts["no_new_card"] is None and all(r.counts["no_new_card"] is None for r in root.rows)
    cell = build_quality(UnitVersion.objects.on(on).get(unit_id=demo["chibo"]), on)
    assert cell.total.counts["no_new_card"] == sum(
        1 for s in counted_stints(cell.root, on).select_related("member")
        if not re.fullmatch(r"[0-9]{12}", s.member.card_number or "")
    )
    assert 'check=no_new_card' in as_user("khoi").get("/chat-luong-du-lieu/").content.decode()
    assert "danh-sach" not in as_user("xem").get("/chat-luong-du-lieu/").content.decode()
