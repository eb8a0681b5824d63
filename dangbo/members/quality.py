"""The quality of the member records of a subtree as of a date (`/chat-luong-du-lieu/`): per direct
sub-unit, how many records lack a key field, hold an invalid value, may be the same person twice,
or sit in a cell that no longer exists, and the share of clean records.

The records examined are those of the members counted in the subtree on the day (official
activity in a cell of the subtree, as the overview counts them). Read live, joining every counted
member to their stint and cell took 2–3 s at 250,000 members on SQLite; so each record keeps the
checks it failed when last written (`quality_flags`, see below), the members counted come from the
tallies (as the overview's), and the page joins only the flagged members, grouped by sub-unit;
one more query finds the members left in dissolved cells.
Possible duplicates are looked up among all members of the tree (same folded name and birth date),
through the index on both.

The same conditions list the members behind each count (`flagged`), and the download of that list
is the exchange workbook of exactly those members, to be corrected and imported again."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from dangbo.lib import vn
from dangbo.orgs.labels import unit_labels
from dangbo.orgs.models import CELL_KINDS, PATH_WIDTH, UnitVersion, latest_names, path_after

from .identifiers import CARD_DIGITS, CITIZEN_ID_DIGITS, NEW_CARD_DIGITS, sql_digits
from .models import TheoryLevel

# An official date "about 12 months after admission": probation runs 12 months from the ceremony,
# held within 30 working days of the decision (about six weeks, more over Tết), and recognition
# takes effect at its end. So from one year (365 days: 12 months are never fewer) to 14 months
# (426 days) after the admission date; outside that window the dates are worth checking.
OFFICIAL_MIN_DAYS = 365
OFFICIAL_MAX_DAYS = 426
ADMISSION_MIN_AGE = 18


@dataclass(frozen=True)
class Check:
    key: str
    label: str  # the column's heading
    group: str  # "missing", "invalid", "other"
    # The condition on a row of m (member), s (the stint), as SQL; %(today)s is the only parameter.
    condition: str = field(repr=False)
    # The offending value shown in the list of members.
    shows: str = ""
    # Whether it makes a record unclean. The new card is being issued to every member (Chỉ thị
    # 51-CT/TW): an 8-digit card is valid until then, so its count shows the progress only.
    unclean: bool = True


def _checks(vendor: str) -> list[Check]:
    def days_between(start, end):
        if vendor == "postgresql":
            return f"({end} - {start})"
        return f"(julianday({end}) - julianday({start}))"

    def years_after(day, years):
        if vendor == "postgresql":
            return f"CAST({day} + INTERVAL '{years} years' AS date)"
        return f"date({day}, '+{years} years')"

    theory = ", ".join(f"'{level}'" for level in TheoryLevel.values)
    blank = "COALESCE(TRIM({}), '') = ''"
    card = "COALESCE(m.card_number, '')"
    return [
        Check("no_citizen_id", "Số CCCD", "missing", blank.format("m.citizen_id"), "citizen_id"),
        Check("no_new_card", "Số thẻ mới", "missing",
              f"NOT {sql_digits(card, (NEW_CARD_DIGITS,), vendor)}", "card_number",
              unclean=False),  # fmt: skip
        Check("no_birth_date", "Ngày sinh", "missing", "m.birth_date IS NULL", "birth_date"),
        Check("no_home_town", "Quê quán", "missing", blank.format("m.home_town"), "home_town"),
        Check("no_residence", "Nơi cư trú", "missing", blank.format("m.residence"), "residence"),
        Check("no_theory", "Lý luận chính trị", "missing", f"COALESCE(m.theory_level, '') NOT IN ({theory})",
              "theory_level"),  # fmt: skip
        Check("bad_citizen_id", "CCCD không đủ 12 số", "invalid",
              f"NOT ({blank.format('m.citizen_id')}) "
              f"AND NOT {sql_digits('m.citizen_id', (CITIZEN_ID_DIGITS,), vendor)}",
              "citizen_id"),  # fmt: skip
        Check("bad_card", "Số thẻ sai định dạng", "invalid",
              f"NOT ({blank.format('m.card_number')}) AND NOT {sql_digits('m.card_number', CARD_DIGITS, vendor)}",
              "card_number"),  # fmt: skip
        Check("bad_official_gap", "Ngày chính thức lệch 12 tháng", "invalid",
              f"m.official_on IS NOT NULL AND ({days_between('m.admitted_on', 'm.official_on')} < {OFFICIAL_MIN_DAYS} "
              f"OR {days_between('m.admitted_on', 'm.official_on')} > {OFFICIAL_MAX_DAYS})",
              "official_gap"),  # fmt: skip
        Check("admitted_young", "Vào Đảng dưới 18 tuổi", "invalid",
              f"m.admitted_on < {years_after('m.birth_date', ADMISSION_MIN_AGE)}", "admitted_age"),
        Check("future_date", "Ngày trong tương lai", "invalid",
              "(m.birth_date > %(today)s OR m.admitted_on > %(today)s OR m.official_on > %(today)s)", "dates"),
        Check("official_no_date", "Chính thức thiếu ngày", "invalid",
              "s.status = 'official' AND m.official_on IS NULL", "official_on"),
        Check("duplicate", "Có thể trùng", "other",
              "EXISTS (SELECT 1 FROM members_member d WHERE d.search_name = m.search_name "
              "AND d.birth_date = m.birth_date AND d.id <> m.id)", "duplicate"),
        # Stints left open in a dissolved cell: counted in no unit, found by `_ORPHANS_SQL`.
        Check("cell_gone", CELL_GONE_LABEL, "other", "", "cell"),
    ]


def checks() -> list[Check]:
    return _checks(connection.vendor)


def check_by_key(key: str) -> Check | None:
    if key == ANY:
        return None
    return next((c for c in checks() if c.key == key), None)


# --- stored flags ----------------------------------------------------------------------------------
#
# Joining every counted member to their stint and cell takes seconds at 250,000 members (0,6 s for
# the bare count on SQLite, 2–3 s with the checks). So each member record carries the checks it
# failed when it was last written (`quality_flags`, a bit per check), recomputed by one statement
# (`refresh_quality_flags`) that Member.save, the import's bulk writes and the demo call; the page
# then joins only the flagged members (a partial index), and takes the members counted from the
# tallies, as the overview does, counting the stored bits. The two checks that depend on more
# than the record are tested again on the flagged rows: a date that has since ceased to be in the
# future, and "official without a date", whose status is the stint's on the day. (Testing every
# condition again instead, the duplicates' lookup above all, tripled the page's time.)


def _unclean_checks() -> list[Check]:
    return [c for c in checks() if c.condition and c.unclean]


def _stored_condition(check: Check) -> str:
    # The status is the stint's: the record keeps "no official date", the page asks the stint.
    return "m.official_on IS NULL" if check.key == "official_no_date" else check.condition


def flag_bits() -> dict[str, int]:
    return {check.key: 1 << index for index, check in enumerate(_unclean_checks())}


def _page_condition(check: Check, bits: dict[str, int]) -> str:
    """The condition the page counts, on the flagged rows: the stored bit, and for the checks that
    depend on the day or on the stint, the condition itself too."""
    stored = f"(m.quality_flags & {bits[check.key]}) <> 0"
    if check.key == "future_date":
        return f"{stored} AND ({check.condition})"
    if check.key == "official_no_date":
        return f"{stored} AND s.status = 'official'"
    return stored


def refresh_quality_flags(where: str = "", params: dict | None = None) -> None:
    """Recompute `quality_flags` of the members matching `where` (SQL on m; every member when
    empty), in one statement. Possible duplicates depend on the other records: callers include the
    members sharing a name with those written (`refresh_flags_of`)."""
    bits = flag_bits()
    flags = " + ".join(f"CASE WHEN {_stored_condition(c)} THEN {bits[c.key]} ELSE 0 END" for c in _unclean_checks())
    sql = f"UPDATE members_member AS m SET quality_flags = {flags}" + (f" WHERE {where}" if where else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"today": _today(), **(params or {})})


def refresh_flags_of(names) -> None:
    """The flags of every member whose folded name is one of `names` (those written, and those
    who may have become or ceased to be their namesakes)."""
    names = sorted({name for name in names if name is not None})
    for first in range(0, len(names), 500):
        part = names[first : first + 500]
        params = {f"n{i}": name for i, name in enumerate(part)}
        refresh_quality_flags("m.search_name IN ({})".format(", ".join(f"%(n{i})s" for i in range(len(part)))),
                              params)  # fmt: skip


def refresh_flags_of_new(low: int, high: int) -> None:
    """The flags of the members just inserted with ids low..high, and of those who became their
    namesakes (same folded name and birth date): the only records whose flags such an insert can
    change. Found from the new rows through the (name, birth date) index, not by name alone: a
    city's list repeats its common names thousands of times, and refreshing every member of a
    name at each chunk of an import rewrote most of the table each time."""
    refresh_quality_flags(
        "m.id IN (SELECT d.id FROM members_member n JOIN members_member d "
        "ON d.search_name = n.search_name AND d.birth_date = n.birth_date "
        "WHERE n.id BETWEEN %(low)s AND %(high)s)",
        {"low": low, "high": high},
    )


ANY = "any"  # any check that makes a record unclean: the complement of the clean ones
ANY_LABEL = "Hồ sơ chưa sạch"
CELL_GONE_LABEL = "Chi bộ không còn"

# The members counted in the subtree on the day: official activity open that day, in a unit whose
# version of that day lies under the root (a range of the path index).
_COUNTED_FROM = """
FROM members_stint s
JOIN orgs_unitversion v ON v.unit_id = s.unit_id
  AND v.valid_from <= %(day)s AND (v.valid_to IS NULL OR v.valid_to > %(day)s)
JOIN members_member m ON m.id = s.member_id
WHERE s.kind = 'official' AND s.start <= %(day)s AND (s."end" IS NULL OR s."end" > %(day)s)
  AND v.path >= %(low)s AND v.path < %(high)s
"""

# The same, for the flagged members only (the partial index on quality_flags), driven from them to
# their stints by the (member, start) index: SQLite takes CROSS JOIN as the join order; PostgreSQL,
# left to choose, scanned every stint to hash them against the flagged members (140 ms at 250,000
# members), and is led by a LATERAL subquery instead.
_FLAGGED_FROM_SQLITE = """
FROM members_member m
CROSS JOIN members_stint s
CROSS JOIN orgs_unitversion v
WHERE m.quality_flags > 0 AND s.member_id = m.id
  AND s.kind = 'official' AND s.start <= %(day)s AND (s."end" IS NULL OR s."end" > %(day)s)
  AND v.unit_id = s.unit_id AND v.valid_from <= %(day)s AND (v.valid_to IS NULL OR v.valid_to > %(day)s)
  AND v.path >= %(low)s AND v.path < %(high)s
"""
_FLAGGED_FROM_POSTGRESQL = """
FROM members_member m
CROSS JOIN LATERAL (
    SELECT * FROM members_stint open WHERE open.member_id = m.id
      AND open.kind = 'official' AND open.start <= %(day)s AND (open."end" IS NULL OR open."end" > %(day)s)
    OFFSET 0  -- kept a subquery: pulled up into the join, it is hashed again
) s
JOIN orgs_unitversion v ON v.unit_id = s.unit_id
  AND v.valid_from <= %(day)s AND (v.valid_to IS NULL OR v.valid_to > %(day)s)
WHERE m.quality_flags > 0 AND v.path >= %(low)s AND v.path < %(high)s
"""


def _flagged_from() -> str:
    return _FLAGGED_FROM_POSTGRESQL if connection.vendor == "postgresql" else _FLAGGED_FROM_SQLITE


# Above this many members counted in a subtree, the new card (2 in 3 members of the demo still
# hold an old one) is not counted on the page: counting it reads every member. The list still
# lists them, and each sub-unit's page counts them.
NEW_CARD_COUNTED_UP_TO = 30_000

# Stints open on the day in a cell of the subtree that was dissolved before it: the cell's last
# version ended on or before the day and no version of it is valid that day. Few cells are
# dissolved, so this starts from their versions and reads their stints by the (unit, start) index.
_ORPHANS_FROM = """
FROM orgs_unitversion v
JOIN members_stint s ON s.unit_id = v.unit_id
JOIN members_member m ON m.id = s.member_id
WHERE v.valid_to IS NOT NULL AND v.valid_to <= %(day)s AND v.path >= %(low)s AND v.path < %(high)s
  AND NOT EXISTS (SELECT 1 FROM orgs_unitversion w WHERE w.unit_id = v.unit_id AND w.valid_from >= v.valid_to
                  AND w.valid_from <= %(day)s)
  AND s.kind = 'official' AND s.start < v.valid_to AND (s."end" IS NULL OR s."end" > %(day)s)
"""


def _params(root: UnitVersion, on: datetime.date) -> dict:
    return {"day": on, "today": _today(), "low": root.path, "high": path_after(root.path)}


def _today() -> datetime.date:
    from dangbo.lib.http import today

    return today()


def _bucket_width(root: UnitVersion) -> int:
    """Rows are the root's direct sub-units; a cell has only its own row."""
    return len(root.path) if root.kind in CELL_KINDS else len(root.path) + PATH_WIDTH


@dataclass
class Row:
    unit_id: int
    name: str
    kind: str
    total: int = 0  # members counted in the sub-unit on the day
    counts: dict[str, int] = field(default_factory=dict)
    clean: int = 0

    @property
    def records(self) -> int:
        """The records examined: the members counted, and those left in a dissolved cell."""
        return self.total + self.counts.get("cell_gone", 0)

    @property
    def unclean(self) -> int:
        return self.records - self.clean

    @property
    def clean_share(self) -> Decimal | None:
        return vn.percent(self.clean, self.records)


@dataclass
class Quality:
    root: UnitVersion
    on: datetime.date
    checks: list[Check]
    rows: list[Row]
    total: Row


def build_quality(root: UnitVersion, on: datetime.date) -> Quality:
    """The quality table of `root`'s subtree on `on`: a row per direct sub-unit (the root's own
    row when it is a cell), worst first, and the total. Four queries whatever the size of the
    tree: the sub-units, their members counted (the tallies), the flagged members' checks, the
    members of dissolved cells; a fifth counts the new cards in a subtree of up to
    NEW_CARD_COUNTED_UP_TO members."""
    from .figures import subtree_figures

    all_checks = checks()
    flagged = [c for c in all_checks if c.condition and c.unclean]
    width = _bucket_width(root)
    params = _params(root, on)
    buckets: dict[str, Row] = {}
    columns = ("unit_id", "name", "kind", "path")
    if root.kind in CELL_KINDS:
        children = [(root.unit_id, root.name, root.kind, root.path)]
    else:
        children = UnitVersion.objects.on(on).filter(parent_id=root.unit_id).values_list(*columns)
    for unit_id, name, kind, path in children:
        buckets[path[:width]] = Row(unit_id, name, kind)

    def row_of(bucket: str) -> Row:
        return buckets.get(bucket) or buckets.setdefault(bucket, _row_of_path(bucket))

    for path, figures in subtree_figures(root, on).items():
        row_of(path[:width]).total += figures["total"]
    bits = flag_bits()
    unclean = " OR ".join(f"({_page_condition(c, bits)})" for c in flagged)
    sums = ", ".join(f"SUM(CASE WHEN {_page_condition(c, bits)} THEN 1 ELSE 0 END)" for c in flagged)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT substr(v.path, 1, {width}), SUM(CASE WHEN {unclean} THEN 1 ELSE 0 END), {sums} "
                       f"{_flagged_from()} GROUP BY 1", params)  # fmt: skip
        for bucket, failing, *values in cursor.fetchall():
            row = row_of(bucket)
            row.counts.update(zip((c.key for c in flagged), (int(v or 0) for v in values)))
            row.counts["_unclean"] = int(failing or 0)
        cursor.execute(f"SELECT substr(v.path, 1, {width}), COUNT(DISTINCT s.member_id) {_ORPHANS_FROM} GROUP BY 1",
                       params)  # fmt: skip
        for bucket, count in cursor.fetchall():
            row_of(bucket).counts["cell_gone"] = count
        new_card = next(c for c in all_checks if c.key == "no_new_card")
        counted = sum(row.total for row in buckets.values())
        new_cards_counted = counted <= NEW_CARD_COUNTED_UP_TO
        if new_cards_counted:
            cursor.execute(f"SELECT substr(v.path, 1, {width}), SUM(CASE WHEN {new_card.condition} THEN 1 ELSE 0 END) "
                           f"{_COUNTED_FROM} GROUP BY 1", params)  # fmt: skip
            for bucket, count in cursor.fetchall():
                row_of(bucket).counts["no_new_card"] = int(count or 0)
    missing_names = [row for row in buckets.values() if not row.name]
    if missing_names:  # a sub-unit dissolved before the day, named by its last name
        names = latest_names([row.unit_id for row in missing_names])
        for row in missing_names:
            row.name = names.get(row.unit_id, "")
    rows = list(buckets.values())
    for row in rows:
        for check in all_checks:
            row.counts.setdefault(check.key, 0)
        row.clean = row.total - row.counts.pop("_unclean", 0)
        if not new_cards_counted:
            row.counts["no_new_card"] = None
    rows.sort(key=lambda r: (r.clean_share is None, r.clean_share or 0, vn.text_sort_key(r.name)))
    total = Row(root.unit_id, root.name, root.kind)
    total.total = sum(r.total for r in rows)
    total.clean = sum(r.clean for r in rows)
    total.counts = {c.key: sum(r.counts[c.key] or 0 for r in rows) for c in all_checks}
    if not new_cards_counted:
        total.counts["no_new_card"] = None
    return Quality(root=root, on=on, checks=all_checks, rows=rows, total=total)


def _row_of_path(bucket: str) -> Row:
    return Row(int(bucket[-PATH_WIDTH:]), "", "")


# --- the members behind a count ----------------------------------------------------------------


@dataclass
class Flagged:
    member_id: int
    full_name: str
    unit_id: int
    value: str  # the offending value, as the list shows it
    unit_name: str = ""


_MEMBER_COLUMNS = ("m.id, m.family_name, m.middle_name, m.given_name, m.sort_key, s.unit_id, m.citizen_id, "
                   "m.card_number, m.birth_date, m.home_town, m.residence, m.theory_level, m.admitted_on, "
                   "m.official_on, s.status")  # fmt: skip


def _flagged_sql(root: UnitVersion, check: Check | None, select: str, flags: bool = False) -> str:
    """The SQL of the members of the subtree behind a count (check None: every unclean one; with
    `flags`, a column per unclean check saying whether the record fails it)."""
    if check is not None and check.key == "cell_gone":
        return f"SELECT DISTINCT {select} {_ORPHANS_FROM}"
    bits = flag_bits()
    if check is not None:
        if check.unclean:
            return f"SELECT {select} {_flagged_from()} AND ({_page_condition(check, bits)})"
        return f"SELECT {select} {_COUNTED_FROM} AND ({check.condition})"
    unclean = [c for c in checks() if c.condition and c.unclean]
    condition = " OR ".join(f"({_page_condition(c, bits)})" for c in unclean)
    columns = counted = orphaned = ""
    if flags:
        columns = "".join(f", CASE WHEN {_page_condition(c, bits)} THEN 1 ELSE 0 END AS flag_{c.key}"
                          for c in unclean)
        counted, orphaned = f"{columns}, 0 AS flag_cell_gone", f"{columns}, 1"
    return (f"SELECT {select}{counted} {_flagged_from()} AND ({condition}) "
            f"UNION SELECT {select}{orphaned} {_ORPHANS_FROM}")  # fmt: skip


def flagged_ids(root: UnitVersion, on: datetime.date, check: Check | None) -> list[int]:
    """The ids of the members behind the count of `check` (None: every unclean record) in
    `root`'s subtree on `on`. One query."""
    with connection.cursor() as cursor:
        cursor.execute(_flagged_sql(root, check, "m.id"), _params(root, on))
        return sorted({row[0] for row in cursor.fetchall()})


def flagged_page(root: UnitVersion, on: datetime.date, check: Check | None, offset: int, limit: int):
    """(count, [Flagged]) for one page of the members behind a count, by given name (sort_key).
    Four queries: the count, the page, its cells' names and what they belong to."""
    params = _params(root, on)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({_flagged_sql(root, check, 'm.id, s.unit_id')}) q", params)
        count = cursor.fetchone()[0]
        sql = _flagged_sql(root, check, _MEMBER_COLUMNS, flags=True)
        cursor.execute(f"SELECT * FROM ({sql}) q ORDER BY 5, 1 LIMIT {int(limit)} OFFSET {int(offset)}", params)
        rows = cursor.fetchall()
    result = [_flagged(row, check) for row in rows]
    names = unit_labels({f.unit_id for f in result}, on) if result else {}
    for item in result:
        item.unit_name = names.get(item.unit_id, "")
    return count, result


def _as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


THEORY = dict(TheoryLevel.choices)


def _flagged(row, check: Check | None) -> Flagged:
    (pk, family, middle, given, _, unit_id, cid, card, birth, home, residence, theory, admitted, official,
     status, *failed) = row  # fmt: skip
    birth, admitted, official = _as_date(birth), _as_date(admitted), _as_date(official)
    shows = check.shows if check is not None else ""
    dates = f"sinh {vn.format_date(birth)}, vào Đảng {vn.format_date(admitted)}" + (
        f", chính thức {vn.format_date(official)}" if official else ""
    )
    values = {
        "citizen_id": cid or "(trống)",
        "card_number": card or "(trống)",
        "birth_date": vn.format_date(birth) or "(trống)",
        "home_town": home or "(trống)",
        "residence": residence or "(trống)",
        "theory_level": THEORY.get(theory, theory or "(trống)"),
        "official_gap": f"vào Đảng {vn.format_date(admitted)}, chính thức {vn.format_date(official)}"
        + (f" ({(official - admitted).days} ngày)" if official and admitted else ""),
        "admitted_age": f"sinh {vn.format_date(birth)}, vào Đảng {vn.format_date(admitted)}"
        + (f" ({vn.age_on(birth, admitted)} tuổi)" if birth and admitted else ""),
        "dates": dates,
        "official_on": "đang sinh hoạt chính thức, chưa có ngày chính thức",
        "duplicate": f"sinh {vn.format_date(birth)}",
        "cell": "chi bộ đã giải thể",
    }
    if check is None:  # every unclean record: which checks it fails
        labels = [c.label for c in checks() if c.condition and c.unclean] + [CELL_GONE_LABEL]
        value = "; ".join(label for label, flag in zip(labels, failed) if flag)
    else:
        value = values.get(shows, dates)
    return Flagged(pk, vn.full_name(family, middle, given), unit_id, value)
