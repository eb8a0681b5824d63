"""Tallies are derived data: on every date they must equal a direct count over the stints."""

import datetime
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from dangbo.demo.builder import REFERENCE_DAY
from dangbo.lib import vn
from dangbo.members import actions
from dangbo.members.figures import subtree_figures
from dangbo.members.models import Member, Stint, UnitTally
from dangbo.members.tallies import birthday, refresh_tallies, tally_intervals
from dangbo.orgs.models import UnitVersion

BASE = datetime.date(2000, 1, 1)


def direct(stints, day):
    """Count by hand: which stints hold on `day`, and each one's measures that day."""
    counts = Counter()
    for s in stints:
        if s["start"] <= day and (s["end"] is None or day < s["end"]):
            age = vn.age_on(s["member__birth_date"], day)
            band = next(k for lo, hi, k in [(0, 30, "18_30"), (31, 40, "31_40"), (41, 50, "41_50"),
                                            (51, 60, "51_60"), (61, 70, "61_70"), (71, 999, "71_plus")]
                        if lo <= age <= hi)  # fmt: skip
            counts.update(["total", s["status"], "female" if s["member__sex"] == "F" else "male",
                           f"age_{band}", f"theory_{s['member__theory_level']}"])  # fmt: skip
    return +counts


def at(intervals, day):
    for start, end, counts in intervals:
        if start <= day and (end is None or day < end):
            return counts
    return Counter()


stint = st.builds(
    lambda start, length, birth_offset, sex, status, theory: {
        "start": BASE + datetime.timedelta(days=start),
        "end": None if length is None else BASE + datetime.timedelta(days=start + length),
        "member__birth_date": datetime.date(1940, 2, 29) + datetime.timedelta(days=birth_offset),
        "member__sex": sex,
        "status": status,
        "member__theory_level": theory,
    },
    st.integers(0, 9000),
    st.one_of(st.none(), st.integers(1, 9000)),
    st.integers(0, 20000),
    st.sampled_from("MF"),
    st.sampled_from(["official", "probationary"]),
    st.sampled_from(["none", "so_cap", "trung_cap", "cao_cap", "cu_nhan"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(stint, max_size=12), st.lists(st.integers(-10, 20000), min_size=1, max_size=10))
def test_intervals_equal_a_direct_count_on_any_day(stints, offsets):
    items = [(s["start"], s["end"], s["status"], s["member__sex"], s["member__birth_date"],
              s["member__theory_level"]) for s in stints]  # fmt: skip
    intervals = tally_intervals(items)
    days = [BASE + datetime.timedelta(days=o) for o in offsets]
    # Also every day on which something changes, and the day before it.
    for s in stints:
        days += [s["start"], s["start"] - datetime.timedelta(days=1)]
        days += [birthday(s["member__birth_date"], y) for y in (31, 41, 51, 61, 71)]
    for day in days:
        assert at(intervals, day) == direct(stints, day), day
    # Intervals do not overlap, are not empty, and equal neighbours are merged.
    for (a_start, a_end, a_counts), (b_start, _, b_counts) in zip(intervals, intervals[1:]):
        assert a_end is not None and a_start < a_end <= b_start
        assert not (a_end == b_start and a_counts == b_counts)


def test_birthday_on_29_february():
    assert birthday(datetime.date(2000, 2, 29), 31) == datetime.date(2031, 3, 1)
    assert birthday(datetime.date(2000, 2, 29), 32) == datetime.date(2032, 2, 29)
    assert vn.age_on(datetime.date(2000, 2, 29), datetime.date(2031, 2, 28)) == 30


def test_recorded_events_update_the_figures(demo):
    cell = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["chibo"])
    before = subtree_figures(cell, REFERENCE_DAY)[cell.path]["total"]
    fields = dict(family_name="Trần", given_name="Mới", sex="M", birth_date=datetime.date(1990, 5, 5))
    member = actions.admit(None, fields, unit=cell.unit, effective_on=datetime.date(2024, 1, 1))
    actions.transfer_out(None, member, effective_on=datetime.date(2025, 1, 1), other_side="Đảng bộ Quận Lê Chân")
    assert subtree_figures(cell, REFERENCE_DAY)[cell.path]["total"] == before + 1
    assert subtree_figures(cell, datetime.date(2025, 1, 1)).get(cell.path, Counter())["total"] == (
        Stint.unscoped.official().open_on(datetime.date(2025, 1, 1)).filter(unit_id=cell.unit_id).count()
    )


def test_refresh_is_idempotent_and_matches_the_stints(demo):
    rows = list(UnitTally.objects.order_by("unit_id", "valid_from").values_list())
    refresh_tallies()
    again = list(UnitTally.objects.order_by("unit_id", "valid_from").values_list())
    assert [r[1:] for r in rows] == [r[1:] for r in again]
    assert Member.unscoped.exists()


def test_figures_follow_tree_changes(demo):
    """Move a cell with its members to another committee, found a cell, dissolve an empty one:
    every level's figures on every date still equal the counts over stints and versions."""
    from dangbo.orgs import actions as tree
    from tests.test_overview import hand_member_counts, hand_unit_counts

    def check(days):
        for day in days:
            for version in UnitVersion.objects.on(day).filter(unit_id__in=[demo["root"], demo["coso"], target.unit_id]):
                figures = subtree_figures(version, day)
                for path, counts in figures.items():
                    if path == version.path:
                        continue
                    assert counts["total"] == hand_member_counts(path, day)["total"], (version, path, day)
                    expected_units = sum(hand_unit_counts(path, day).values()) + 1
                    assert sum(v for k, v in counts.items() if k.startswith("units_")) == expected_units

    cell = UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["chibo"])
    other = UnitVersion.objects.on(REFERENCE_DAY).filter(kind="grassroots_committee").exclude(unit_id=demo["coso"])
    target = other.order_by("path").last()
    moved_on = datetime.date(2026, 1, 5)
    tree.change_unit(None, cell.unit, on=moved_on, parent=target.unit)
    founded = tree.found_unit(None, name="Chi bộ Mới", kind="attached_cell", parent=target.unit, on=moved_on)
    tree.dissolve_unit(None, founded, on=datetime.date(2026, 6, 1))
    check([REFERENCE_DAY, moved_on - datetime.timedelta(days=1), moved_on, datetime.date(2026, 6, 1)])


def _all_figures(days):
    """Every unit's figures on every day: {(unit, day): counts}."""
    result = {}
    for day in days:
        for version in UnitVersion.objects.on(day).exclude(kind="superior"):
            result[(version.unit_id, day)] = subtree_figures(version, day).get(version.path, {})
    return result


def test_events_adjust_the_tallies_exactly_as_a_full_refresh(demo):
    """Recording events moves the tallies by the member's own difference (no full recount); every
    figure of every unit on every day around the changes equals a refresh from the stints."""
    d = datetime.date
    coso_cell = UnitVersion.objects.on(d(2026, 1, 1)).get(unit_id=demo["chibo"])
    other = (
        UnitVersion.objects.on(d(2026, 1, 1))
        .filter(kind="attached_cell")
        .exclude(path__startswith=coso_cell.path[:16])
        .first()
    )
    born = d(1966, 3, 10)  # turns 60 in the middle of the story: an age band changes too
    fields = dict(family_name="Đỗ", given_name="Thử", sex="F", birth_date=born, theory_level="trung_cap")
    member = actions.admit(None, fields, unit=coso_cell.unit, effective_on=d(2024, 2, 1), ceremony_on=d(2024, 2, 20))
    actions.recognise(None, member)
    actions.transfer_within(None, member, unit=other.unit, effective_on=d(2025, 5, 5))
    actions.transfer_within(None, member, unit=coso_cell.unit, effective_on=d(2026, 2, 2))
    actions.expel(None, member, effective_on=d(2026, 6, 1))
    actions.restore(None, member, unit=other.unit, effective_on=d(2026, 8, 1))
    actions.cancel_latest_event(None, member, "Nhập nhầm")
    days = [d(2024, 1, 31), d(2024, 2, 1), d(2025, 2, 20), d(2025, 5, 4), d(2025, 5, 5), d(2026, 2, 2),
            d(2026, 3, 10), d(2026, 5, 31), d(2026, 6, 1), d(2026, 8, 1), d(2030, 1, 1)]  # fmt: skip
    adjusted = _all_figures(days)
    refresh_tallies()
    assert _all_figures(days) == adjusted
    # And the member did move the figures (the comparison is not between two empty sets).
    assert adjusted[(other.unit_id, d(2025, 5, 5))]["total"] == adjusted[(other.unit_id, d(2025, 5, 4))]["total"] + 1
