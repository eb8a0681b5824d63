"""The exchange workbook taken out (exchange.export) and its empty template: the sheets and headers,
figures recomputed by hand, text kept as text, the dated scope, histories that replay by themselves,
bounded queries, and the pages with every persona."""

import datetime
import io
import shutil
import subprocess
from collections import defaultdict
from types import SimpleNamespace

import openpyxl
import pytest
from django.db import connection

from dangbo.audit.models import AuditEntry
from dangbo.demo.builder import REFERENCE_DAY
from dangbo.exchange import columns as c
from dangbo.exchange.export import write_workbook
from dangbo.lib.http import today
from dangbo.members.events import replay
from dangbo.members.models import Event, Member, StintKind
from dangbo.orgs.models import Unit, UnitVersion


def export(unit_id, on, **options):
    buffer = io.BytesIO()
    counts = write_workbook(buffer, Unit.objects.get(pk=unit_id), on, **options)
    return counts, read(buffer.getvalue())


def read(content: bytes) -> dict:
    """{sheet: (header, rows as dicts by column key)}, dates as dates."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    sheets = {}
    for name, columns in c.COLUMNS.items():
        rows = list(book[name].iter_rows(values_only=True))
        keys = [col.key for col in columns]
        values = [
            {k: v.date() if isinstance(v, datetime.datetime) else v for k, v in zip(keys, [*row, *[None] * len(keys)])}
            for row in rows[1:]
        ]
        sheets[name] = ([t for t in rows[0] if t is not None], values)
    sheets["names"] = book.sheetnames
    return sheets


def hand(sql, params) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


KINDS = {label: kind for kind, label in Event._meta.get_field("kind").choices}


def replayed(sheets) -> dict:
    """Each member's exported history replayed: {citizen ID or card: Timeline}. Fails on a history
    that does not replay, or on a cell that is not in the Tổ chức sheet."""
    codes = {row["code"] for row in sheets[c.SHEET_UNITS][1]}
    histories = defaultdict(list)
    for row in sheets[c.SHEET_EVENTS][1]:
        assert row["unit_code"] is None or row["unit_code"] in codes, row
        histories[row["citizen_id"] or row["card_number"]].append(
            SimpleNamespace(kind=KINDS[row["kind"]], effective_on=row["effective_on"], unit_id=row["unit_code"],
                            from_unit_id=None, other_side=row["other_side"] or "", ceremony_on=row["ceremony_on"],
                            ends_on=row["ends_on"])  # fmt: skip
        )
    return {key: replay(events) for key, events in histories.items()}


def test_the_whole_tree_as_of_the_reference_day_counts_as_the_records_do(demo):
    on = REFERENCE_DAY
    counts, sheets = export(demo["root"], on)
    assert sheets["names"] == [c.SHEET_HELP, c.SHEET_UNITS, c.SHEET_MEMBERS, c.SHEET_EVENTS]
    for name, columns in c.COLUMNS.items():
        assert sheets[name][0] == [col.title for col in columns]
        assert counts[{c.SHEET_UNITS: "units", c.SHEET_MEMBERS: "members", c.SHEET_EVENTS: "events"}[name]] == len(
            sheets[name][1]
        )
    [(members,)] = hand("SELECT COUNT(DISTINCT member_id) FROM members_stint WHERE start <= %s", [on])
    assert counts["members"] == members > 4466
    # One row a version, but for versions that differ from the one before only in their hidden path
    # (when a unit above moves, every unit under it gets a new version).
    [(versions,)] = hand(
        """SELECT COUNT(*) FROM orgs_unitversion v WHERE v.valid_from <= %s AND NOT EXISTS (
             SELECT 1 FROM orgs_unitversion p WHERE p.unit_id = v.unit_id AND p.valid_to = v.valid_from
             AND p.name = v.name AND p.kind = v.kind AND p.decision = v.decision
             AND COALESCE(p.parent_id, 0) = COALESCE(v.parent_id, 0))""",
        [on],
    )
    [(moved,)] = hand("SELECT COUNT(*) FROM orgs_unitversion WHERE valid_from <= %s", [on])
    assert counts["units"] == versions <= moved
    # The events of those members (not of one admitted outside who came in later, after the day).
    [(events,)] = hand(
        """SELECT COUNT(*) FROM members_event e WHERE e.effective_on <= %s AND e.cancelled_at IS NULL
           AND EXISTS (SELECT 1 FROM members_stint s WHERE s.member_id = e.member_id AND s.start <= %s)""",
        [on, on],
    )
    assert counts["events"] == events
    rows = sheets[c.SHEET_MEMBERS][1]
    # Counted on the day (official activity in a cell) as the overview counts them.
    [(counted,)] = hand(
        """SELECT COUNT(*) FROM members_stint
           WHERE kind = 'official' AND start <= %s AND ("end" IS NULL OR "end" > %s)""",
        [on, on],
    )
    assert sum(row["status"] == "Đang sinh hoạt" for row in rows) >= counted == 4466
    # By given name, as Member.sort_key orders them.
    keys = dict(Member.unscoped.values_list("citizen_id", "sort_key"))
    assert [keys[row["citizen_id"]] for row in rows] == sorted(keys[row["citizen_id"]] for row in rows)
    # Dates are real dates shown dd/mm/yyyy; the top unit has no superior.
    book = openpyxl.load_workbook(io.BytesIO(_content(demo["root"], on)))
    birth = book[c.SHEET_MEMBERS].cell(2, [col.key for col in c.MEMBER_COLUMNS].index("birth_date") + 1)
    assert birth.number_format == "dd/mm/yyyy"
    assert isinstance(birth.value, datetime.datetime)
    assert book[c.SHEET_MEMBERS].freeze_panes == "A2"
    assert book[c.SHEET_MEMBERS]["A1"].font.b
    top = [row for row in sheets[c.SHEET_UNITS][1] if row["parent"] is None]
    assert {row["code"] for row in top} == {Unit.objects.get(pk=demo["root"]).code}


def _content(unit_id, on, **options) -> bytes:
    buffer = io.BytesIO()
    write_workbook(buffer, Unit.objects.get(pk=unit_id), on, **options)
    return buffer.getvalue()


def test_the_whole_tree_replays_to_the_records_stints(demo):
    """The whole tree's export is the records: each member's history replays to their stints as of
    the day, status and dates to theirs."""
    on = today()
    _, sheets = export(demo["root"], on)
    timelines = replayed(sheets)
    codes = dict(Unit.objects.values_list("pk", "code"))
    by_key = {}
    for member in Member.unscoped.prefetch_related("stints"):
        stints = sorted((codes[s.unit_id], s.kind, s.status, s.start, s.end) for s in member.stints.all()
                        if s.start <= on)  # fmt: skip
        by_key[member.citizen_id or member.card_number] = stints
    assert len(timelines) == len(sheets[c.SHEET_MEMBERS][1])
    for key, timeline in timelines.items():
        stints = sorted((s.unit_id, s.kind, s.status, s.start, s.end) for s in timeline.stints)
        assert stints == by_key[key], key
    for row in sheets[c.SHEET_MEMBERS][1]:
        timeline = timelines[row["citizen_id"] or row["card_number"]]
        assert row["official_on"] == timeline.official_on
        assert row["admitted_on"] == timeline.admitted_on


def test_an_earlier_day_has_nothing_after_it(demo):
    on = datetime.date(2022, 3, 31)
    counts, sheets = export(demo["root"], on)
    assert all(row["effective_on"] <= on for row in sheets[c.SHEET_EVENTS][1])
    units = sheets[c.SHEET_UNITS][1]
    assert all(row["valid_from"] <= on for row in units)
    assert all(row["valid_to"] is None or row["valid_to"] <= on for row in units)
    # A period running past the day is open.
    [(running,)] = hand("SELECT COUNT(*) FROM orgs_unitversion WHERE valid_from <= %s AND valid_to > %s", [on, on])
    [(open_,)] = hand("SELECT COUNT(*) FROM orgs_unitversion WHERE valid_from <= %s AND valid_to IS NULL", [on])
    assert sum(row["valid_to"] is None for row in units) == running + open_
    assert counts["events"] < Event.unscoped.active().count()


def _committee_members(unit_id, on) -> set:
    """Members with a stint overlapping a version of the unit's subtree, up to `on` (hand SQL)."""
    sql = """
        SELECT DISTINCT m.citizen_id FROM members_stint s
        JOIN members_member m ON m.id = s.member_id
        JOIN orgs_unitversion v ON v.unit_id = s.unit_id
        JOIN orgs_unitversion r ON r.unit_id = %s AND v.path LIKE r.path || '%%'
        WHERE s.start <= %s
          AND v.valid_from < COALESCE(s."end", '9999-12-31') AND COALESCE(v.valid_to, '9999-12-31') > s.start
          AND r.valid_from < COALESCE(s."end", '9999-12-31') AND COALESCE(r.valid_to, '9999-12-31') > s.start
          AND r.valid_from < COALESCE(v.valid_to, '9999-12-31') AND COALESCE(r.valid_to, '9999-12-31') > v.valid_from
          AND GREATEST_START <= %s
    """
    greatest = "CASE WHEN s.start > v.valid_from THEN (CASE WHEN s.start > r.valid_from THEN s.start ELSE r.valid_from END) ELSE (CASE WHEN v.valid_from > r.valid_from THEN v.valid_from ELSE r.valid_from END) END"  # noqa: E501
    return {row[0] for row in hand(sql.replace("GREATEST_START", greatest), [unit_id, on, on])}


def _merged_committee() -> tuple[int, int, datetime.date]:
    """(the committee merged into another, the receiving one, the day): the demo's cells that moved."""
    day = datetime.date(2025, 7, 1)
    moved = UnitVersion.objects.filter(valid_from=day, kind="attached_cell").exclude(parent_id=None).first()
    before = UnitVersion.objects.get(unit_id=moved.unit_id, valid_to=day)
    return before.parent_id, moved.parent_id, day


@pytest.mark.parametrize("which", ["coso", "receiver", "merged", "chibo"])
def test_a_sub_unit_export_lists_its_members_and_every_history_replays_alone(demo, which):
    merged, receiver, day = _merged_committee()
    unit_id = {"coso": demo["coso"], "receiver": receiver, "merged": merged, "chibo": demo["chibo"]}[which]
    on = today()
    counts, sheets = export(unit_id, on)
    rows = sheets[c.SHEET_MEMBERS][1]
    assert {row["citizen_id"] for row in rows} == _committee_members(unit_id, on)
    assert counts["members"] == len(rows) > 0
    timelines = replayed(sheets)  # replays, and names no cell outside the file
    periods = defaultdict(list)
    for unit in sheets[c.SHEET_UNITS][1]:
        periods[unit["code"]].append((unit["valid_from"], unit["valid_to"]))
    top = Unit.objects.get(pk=unit_id).code
    assert {u["code"] for u in sheets[c.SHEET_UNITS][1] if u["parent"] is None} == {top}
    for key, timeline in timelines.items():
        for stint in timeline.stints:
            if stint.kind != StintKind.OFFICIAL:
                continue  # (a temporary stint across a cell's move is shown as it began)
            # Each official stint lies in its cell's periods in the file, as an import requires.
            assert any(a <= stint.start and (b is None or (stint.end is not None and stint.end <= b))
                       for a, b in periods[stint.unit_id]), (key, stint)  # fmt: skip
    counted = {row["citizen_id"] for row in rows if row["status"] == "Đang sinh hoạt"}
    official_now = {k for k, t in timelines.items() if t.home is not None}
    assert official_now <= counted
    if which == "receiver":  # the cells that came in with their members: a transfer in on that day
        moved_in = [r for r in sheets[c.SHEET_EVENTS][1] if r["effective_on"] == day and r["kind"] ==
                    "Chuyển sinh hoạt chính thức đến" and r["note"] and "thay đổi tổ chức" in r["note"]]  # fmt: skip
        assert moved_in
    if which == "merged":  # dissolved: its members went with their cells
        assert all(row["status"] != "Đang sinh hoạt" for row in rows)
        assert {row["status_on"] for row in rows if row["status"] == "Đã chuyển đi"} >= {day}


def test_the_members_asked_for_only(demo):
    ids = list(Member.unscoped.order_by("pk").values_list("pk", flat=True)[:5])
    counts, sheets = export(demo["root"], today(), member_ids=ids)
    assert counts["members"] == 5
    wanted = set(Member.unscoped.filter(pk__in=ids).values_list("citizen_id", flat=True))
    assert {row["citizen_id"] for row in sheets[c.SHEET_MEMBERS][1]} == wanted
    assert {row["citizen_id"] for row in sheets[c.SHEET_EVENTS][1]} == wanted


@pytest.mark.parametrize("text", ['=HYPERLINK("http://example.com","x")', "+84 912 345 678", "-1+2", "@SUM(A1:A9)"])
def test_a_name_like_a_formula_is_written_as_text(demo, text):
    member = Member.unscoped.filter(stints__unit_id=demo["chibo"]).first()
    member.other_name = text
    member.save()
    book = openpyxl.load_workbook(io.BytesIO(_content(demo["chibo"], today())))
    cells = [cell for row in book[c.SHEET_MEMBERS].iter_rows() for cell in row if cell.value == member.other_name]
    assert len(cells) == 1
    assert cells[0].data_type == "s" and cells[0].quotePrefix


def test_queries_do_not_grow_with_the_members(demo, django_assert_max_num_queries):
    from dangbo.exchange.export import CHUNK

    on = today()
    root = Unit.objects.get(pk=demo["root"])
    chunks = -(-Member.unscoped.count() // CHUNK)
    with django_assert_max_num_queries(4 + 4 * chunks):
        write_workbook(io.BytesIO(), root, on)
    for unit_id in (demo["chibo"], demo["coso"]):  # a cell and a committee: the same few queries
        unit = Unit.objects.get(pk=unit_id)
        with django_assert_max_num_queries(9):
            write_workbook(io.BytesIO(), unit, on)


# --- the pages -------------------------------------------------------------------------------------


def _download(client, unit_id, on):
    return client.get("/xuat-du-lieu/tai-ve/", {"unit": unit_id, "date": on.isoformat()})


def test_the_export_page_and_download_with_each_persona(as_user, demo, outsider):
    on = REFERENCE_DAY
    for username, unit_id in [("khoi", demo["root"]), ("coso", demo["coso"]), ("chibo", demo["chibo"])]:
        client = as_user(username)
        page = client.get("/xuat-du-lieu/")
        assert page.status_code == 200
        assert f'value="{unit_id}" selected' in page.content.decode()
        response = _download(client, unit_id, on)
        assert response.status_code == 200, username
        assert response["Content-Disposition"].startswith("attachment")
        code = Unit.objects.get(pk=unit_id).code
        assert f"Du-lieu-dang-vien_{code}_{on:%d-%m-%Y}.xlsx" in response["Content-Disposition"]
        sheets = read(b"".join(response.streaming_content))
        assert sheets[c.SHEET_MEMBERS][1]
        entry = AuditEntry.objects.filter(action="export_workbook").latest("pk")
        assert entry.actor.username == username and entry.target_id == str(unit_id)
        assert entry.after["members"] == len(sheets[c.SHEET_MEMBERS][1]) and entry.after["date"] == on.isoformat()
    assert _download(as_user("coso"), demo["root"], on).status_code == 404
    assert _download(as_user("chibo"), demo["coso"], on).status_code == 404
    assert _download(as_user(outsider[0]), demo["chibo"], on).status_code == 404
    client = as_user("xem")
    assert client.get("/xuat-du-lieu/").status_code == 404
    assert _download(client, demo["root"], on).status_code == 404
    before = AuditEntry.objects.filter(action="export_workbook").count()
    assert _download(as_user("khoi"), 10**9, on).status_code == 404
    assert AuditEntry.objects.filter(action="export_workbook").count() == before


def test_a_member_who_left_is_in_the_export_of_a_day_they_were_there(as_user, demo):
    """The dated scope: a member who moved from coso's committee to another one is in coso's export
    of a day before, without the personal data the committee no longer sees, and not in one after."""
    coso_paths = list(UnitVersion.objects.filter(unit_id=demo["coso"]).values_list("path", flat=True))
    rows = Event.unscoped.active().filter(kind="transfer_within").select_related("member")
    for event in rows.order_by("effective_on"):
        before = UnitVersion.objects.on(event.effective_on - datetime.timedelta(days=1)).get(unit_id=event.from_unit_id)
        after = UnitVersion.objects.on(event.effective_on).get(unit_id=event.unit_id)
        if any(before.path.startswith(p) for p in coso_paths) and not any(after.path.startswith(p) for p in coso_paths):
            break
    else:
        pytest.fail("no member moved out of coso's committee in the demo")
    member, left = event.member, event.effective_on
    client = as_user("coso")
    earlier = read(b"".join(_download(client, demo["coso"], left - datetime.timedelta(days=1)).streaming_content))
    names = {row["full_name"]: row for row in earlier[c.SHEET_MEMBERS][1]}
    assert names[member.full_name]["status"] == "Đang sinh hoạt"
    assert names[member.full_name]["citizen_id"] is None  # coso sees them as one who left it
    later = read(b"".join(_download(client, demo["coso"], left).streaming_content))
    row = next(r for r in later[c.SHEET_MEMBERS][1] if r["full_name"] == member.full_name)
    assert (row["status"], row["status_on"]) == ("Đã chuyển đi", left)
    # The superior committee's staff see the whole record, and where the member went.
    own = read(b"".join(_download(as_user("khoi"), demo["coso"], left).streaming_content))
    assert member.citizen_id in {r["citizen_id"] for r in own[c.SHEET_MEMBERS][1]}
    went = [r for r in own[c.SHEET_EVENTS][1] if r["citizen_id"] == member.citizen_id and r["effective_on"] == left]
    assert [(r["kind"], r["unit_code"]) for r in went] == [("Chuyển sinh hoạt chính thức đi", None)]
    assert went[0]["other_side"] == UnitVersion.objects.on(left).get(unit_id=event.unit_id).name


def test_the_template(as_user, demo):
    response = as_user("coso").get("/nhap-du-lieu/mau.xlsx")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == [c.SHEET_HELP, c.SHEET_UNITS, c.SHEET_MEMBERS, c.SHEET_EVENTS]
    for name, columns in c.COLUMNS.items():
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == [col.title for col in columns]
        assert sheet.max_row == 1  # no example row among the data
    guide = "\n".join(str(cell.value) for row in book[c.SHEET_HELP].iter_rows() for cell in row if cell.value)
    for columns in c.COLUMNS.values():
        for column in columns:
            assert column.title in guide
    for words in ("Số CCCD", "dd/mm/yyyy", "2024-09-30", "CSV", "UTF-8", "lần thứ hai", "không bao giờ tự gộp"):
        assert words in guide or words == "dd/mm/yyyy", words
    # The coded columns offer their lists: every unit kind, from the guide's own cells.
    checks = {str(v.sqref): v.formula1 for v in book[c.SHEET_UNITS].data_validations.dataValidation}
    assert checks, "no list to pick from"
    [(where, formula)] = [(k, f) for k, f in checks.items() if k.startswith("C")]
    cells = book[c.SHEET_HELP][formula.split("!")[1].replace("$", "")]
    assert [row[0].value for row in cells] == ["Đảng bộ cấp trên cơ sở", "Đảng bộ cơ sở", "Chi bộ cơ sở",
                                               "Đảng bộ bộ phận", "Chi bộ trực thuộc"]  # fmt: skip
    assert as_user("chibo").get("/nhap-du-lieu/mau.xlsx").status_code == 403
    assert as_user("xem").get("/nhap-du-lieu/mau.xlsx").status_code == 404
    as_user("khoi").logout()
    assert as_user("khoi").get("/nhap-du-lieu/mau.xlsx").status_code == 200


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice is not installed")
def test_libreoffice_opens_the_export(demo, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(_content(demo["chibo"], today()))
    subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
                   check=True, timeout=120)  # fmt: skip
    assert (tmp_path / "export.csv").exists()
