"""The demo committee: calibrated to the reference, consistent, deterministic."""

import datetime

from django.db import connection

from dangbo.accounts.models import Role, User
from dangbo.demo.builder import REFERENCE_DAY, TERM_2020, DemoBuilder
from dangbo.members.models import Member
from dangbo.orgs.models import CELL_KINDS, Term, UnitVersion


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_admissions_since_the_start_of_the_term(demo):
    """653 members were admitted in the tree between the start of the term and 30/09/2024."""
    (count,) = rows(
        """SELECT COUNT(*) FROM members_member m WHERE m.admitted_on >= %s AND m.admitted_on <= %s
           AND EXISTS (SELECT 1 FROM members_stint s WHERE s.member_id = m.id AND s.start = m.admitted_on)""",
        [TERM_2020[0], REFERENCE_DAY],
    )[0]
    assert count == 653


def test_no_member_holds_two_official_stints_on_one_day(demo):
    overlapping = rows(
        """SELECT a.id, b.id FROM members_stint a JOIN members_stint b
           ON a.member_id = b.member_id AND a.id < b.id AND a.kind = 'official' AND b.kind = 'official'
           AND a.start < COALESCE(b."end", '9999-12-31') AND b.start < COALESCE(a."end", '9999-12-31')"""
    )
    assert overlapping == []


def test_stints_follow_admission_and_sit_in_cells_that_exist(demo):
    assert rows(
        """SELECT COUNT(*) FROM members_stint s JOIN members_member m ON m.id = s.member_id
           WHERE s.start < m.admitted_on"""
    ) == [(0,)]
    versions = {}
    for v in UnitVersion.objects.order_by("valid_from"):
        versions.setdefault(v.unit_id, []).append(v)
    from dangbo.members.models import Stint

    for stint in Stint.unscoped.all():
        history = versions[stint.unit_id]
        assert history[0].valid_from <= stint.start, stint
        end = history[-1].valid_to
        assert end is None or (stint.end is not None and stint.end <= end), stint
        assert history[0].kind in CELL_KINDS


def test_every_version_sits_under_a_parent_that_exists_then(demo):
    for version in UnitVersion.objects.exclude(parent=None):
        covering = UnitVersion.objects.filter(unit_id=version.parent_id, valid_from__lte=version.valid_from)
        parent = covering.order_by("-valid_from").first()
        assert parent is not None, version
        assert parent.valid_to is None or parent.valid_to > version.valid_from, version
        assert version.path.startswith(parent.path), version
        assert version.depth == parent.depth + 1


def test_history_around_the_reference_day(demo):
    day = REFERENCE_DAY
    left_before = Member.unscoped.exclude(stints__end__isnull=True).exclude(stints__end__gt=day).count()
    joined_after = Member.unscoped.exclude(stints__start__lte=day).count()
    assert left_before > 100
    assert joined_after > 100
    founded = UnitVersion.objects.filter(valid_from__gte=datetime.date(2020, 1, 1)).values("unit_id").distinct()
    dissolved = UnitVersion.objects.filter(valid_to__gte=datetime.date(2020, 1, 1)).values("unit_id").distinct()
    assert founded.count() >= 8
    assert dissolved.count() >= 8  # dissolved, moved or renamed


def test_demo_logins(demo):
    expected = {
        "khoi": (Role.SUPERIOR_STAFF, demo["root"]),
        "coso": (Role.GRASSROOTS_STAFF, demo["coso"]),
        "chibo": (Role.CELL_SECRETARY, demo["chibo"]),
        "xem": (Role.VIEWER, demo["root"]),
    }
    for username, (role, unit_id) in expected.items():
        user = User.objects.get(username=username)
        assert (user.role, user.unit_id) == (role, unit_id)
        assert user.check_password("demo")
    assert User.objects.get(username="admin").is_superuser
    assert UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["chibo"]).kind == "attached_cell"
    assert UnitVersion.objects.on(REFERENCE_DAY).get(unit_id=demo["coso"]).kind == "grassroots_committee"


def test_terms(demo):
    names = set(Term.objects.filter(committee_id=demo["root"]).values_list("name", flat=True))
    assert names == {"2020–2025", "2025–2030"}


def test_the_plan_is_deterministic():
    def plan(seed):
        builder = DemoBuilder(members=1500, seed=seed)
        builder.plan_tree()
        builder.plan_members()
        return [(m.full_name, m.birth_date, m.admitted_on) for m in builder.members]

    assert plan(7) == plan(7)
    assert plan(7) != plan(8)


def test_a_larger_committee_keeps_the_shape():
    builder = DemoBuilder(members=44_660)
    builder.plan_tree()
    builder.plan_members()
    counted = [u for u in builder.units if u.exists_on(REFERENCE_DAY)]
    kinds = [u.kind for u in counted]
    assert kinds.count("attached_cell") == 4420
    assert kinds.count("grassroots_committee") + kinds.count("grassroots_cell") == 620
    current = {
        i for i, _, start, end in builder.stints if start <= REFERENCE_DAY and (end is None or end > REFERENCE_DAY)
    }
    assert len(current) == 44_660


def test_demo_histories_are_events_back_to_the_admission(demo):
    """Every member's first event is their admission; 653 admissions into the tree between the start
    of the term and 30/09/2024, counted from the events by hand-written SQL; the stints are the
    replay of the events."""
    from dangbo.members.actions import timeline_of

    assert rows(
        """SELECT COUNT(*) FROM members_member m WHERE NOT EXISTS (
             SELECT 1 FROM members_event e WHERE e.member_id = m.id AND e.kind = 'admission'
             AND e.effective_on = m.admitted_on
             AND NOT EXISTS (SELECT 1 FROM members_event f
                             WHERE f.member_id = m.id AND f.effective_on < e.effective_on))"""
    ) == [(0,)]
    (admissions,) = rows(
        """SELECT COUNT(*) FROM members_event WHERE kind = 'admission' AND unit_id IS NOT NULL
           AND cancelled_at IS NULL AND effective_on >= %s AND effective_on <= %s""",
        [TERM_2020[0], REFERENCE_DAY],
    )[0]
    assert admissions == 653
    for member in Member.unscoped.order_by("pk")[::97]:
        derived = sorted((s.unit_id, s.kind, s.status, s.start, s.end) for s in timeline_of(member).stints)
        stored = sorted(member.stints.values_list("unit_id", "kind", "status", "start", "end"))
        assert derived == stored, member.pk


def test_demo_has_every_kind_of_event_and_live_deadlines(demo):
    from dangbo.admissions.deadlines import pipeline_deadlines
    from dangbo.demo.builder import HORIZON
    from dangbo.members.models import EventKind

    kinds = {kind for (kind,) in rows("SELECT DISTINCT kind FROM members_event")}
    assert kinds == set(EventKind.values)
    root = UnitVersion.objects.on(HORIZON).get(unit_id=demo["root"])
    counts = pipeline_deadlines(root, HORIZON, names=False).counts()
    assert all(counts[key] > 0 for key in ("ceremonies", "probations", "overdue_recognitions", "certificates")), counts


def test_demo_readmissions_keep_the_rule(demo):
    """Quy định 294-QĐ/TW, điểm 3.5: each readmission comes at least 36 months after the person left
    the Party, at most once, aged 60 or less counted in months; read by hand-written SQL."""
    readmissions = rows(
        """SELECT r.member_id, r.effective_on, m.birth_date,
                  (SELECT MAX(o.effective_on) FROM members_event o
                   WHERE o.member_id = r.member_id AND o.cancelled_at IS NULL AND o.effective_on <= r.effective_on
                   AND o.kind IN ('removal', 'expulsion', 'resignation', 'non_recognition')),
                  (SELECT COUNT(*) FROM members_event a WHERE a.member_id = r.member_id AND a.kind = 'readmission'
                   AND a.cancelled_at IS NULL)
           FROM members_event r JOIN members_member m ON m.id = r.member_id
           WHERE r.kind = 'readmission' AND r.cancelled_at IS NULL ORDER BY r.member_id"""
    )
    assert len(readmissions) >= 2  # the demo shows the case

    def as_date(value):
        return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)

    for member_id, back, birth, left, times in readmissions:
        back, birth, left = as_date(back), as_date(birth), as_date(left)
        waited = (back.year - left.year) * 12 + back.month - left.month - (back.day < left.day)
        age = (back.year - birth.year) * 12 + back.month - birth.month - (back.day < birth.day)
        assert waited >= 36, (member_id, left, back)
        assert age <= 720, (member_id, birth, back)
        assert times == 1, member_id
