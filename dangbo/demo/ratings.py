"""The demo's quality ratings: yearly rounds 2020–2024 decided and calibrated to the reference (each
year more than 95% of grassroots organisations good or better and none failed; more than 97% of
members good or better, 18–19% excellent; the 20% quota held in every grassroots organisation),
and a 2025 round with scores under way: self-assessments written, some cells' proposals made,
nothing decided yet."""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.utils import timezone

from dangbo.members.models import StintKind
from dangbo.orgs.models import CELL_KINDS, UnitKind
from dangbo.ratings.discipline import apply_discipline
from dangbo.ratings.figures import GRASSROOTS_KINDS, excellent_allowed
from dangbo.ratings.models import (
    Discipline,
    DisciplineForm,
    Level,
    MemberRating,
    PeriodKind,
    RatingPeriod,
    Scheme,
    UnitRating,
)

from .meetings import _insert

date = datetime.date
YEARS = range(2020, 2025)
ROUND_2025 = 2025


def _grassroots_of(spec, day):
    """The grassroots organisation a unit belonged to on `day` (itself when it is one)."""
    unit = spec
    while unit is not None and unit.kind not in GRASSROOTS_KINDS:
        unit = unit.parent_on(day)
    return unit


def _levels(rng: random.Random, n: int, excellent_share: float, done_share: float, failed_share: float,
            percent: int = 20) -> list[str]:  # fmt: skip
    """n levels in random order: a few failed and done, the rest good or better, excellent close to
    `excellent_share` of all and within the quota."""
    failed = sum(rng.random() < failed_share for _ in range(n))
    done = sum(rng.random() < done_share for _ in range(n - failed))
    good_or_better = n - failed - done
    excellent = min(round(excellent_share * n), excellent_allowed(good_or_better, percent))
    levels = [Level.EXCELLENT] * excellent + [Level.GOOD] * (good_or_better - excellent)
    levels += [Level.DONE] * done + [Level.FAILED] * failed
    rng.shuffle(levels)
    return levels


def write_ratings(builder, horizon: date, seed: int) -> dict:
    rng = random.Random(seed)
    specs = {u.unit_id: u for u in builder.units}
    timelines = {m.pk: t for m, t in zip(builder.members, builder.timelines)}
    written = {"rating_periods": 0, "member_ratings": 0, "unit_ratings": 0}
    for year in [*YEARS, ROUND_2025]:
        end = date(year, 12, 31)
        scored = year >= ROUND_2025
        period = RatingPeriod.objects.create(
            name=f"Đánh giá, xếp loại chất lượng năm {year}", kind=PeriodKind.YEAR, year=year,
            starts_on=date(year, 1, 1), ends_on=end, scheme=Scheme.SCORE if scored else Scheme.LEVELS,
        )  # fmt: skip
        written["rating_periods"] += 1
        day = min(end, horizon)
        decided_at = timezone.make_aware(datetime.datetime(year, 12, 20, 9, 0))
        by_grassroots = defaultdict(list)
        for stint in builder.stint_rows:
            if stint.kind != StintKind.OFFICIAL or not (stint.start <= day and (stint.end is None or day < stint.end)):
                continue
            grassroots = _grassroots_of(specs[stint.unit_id], day)
            by_grassroots[grassroots.unit_id].append((stint.member_id, stint.unit_id))
        rows = []
        for grassroots_id, people in sorted(by_grassroots.items()):
            people.sort()
            rated = [(m, c) for m, c in people if not timelines[m].exempted_on(day)]
            exempted = [(m, c) for m, c in people if timelines[m].exempted_on(day)]
            levels = _levels(rng, len(rated), rng.uniform(0.180, 0.192), 0.018, 0.003)
            for (member_id, cell_id), level in zip(rated, levels):
                row = {"period_id": period.pk, "member_id": member_id, "cell_id": cell_id,
                       "grassroots_id": grassroots_id, "exempted": False}  # fmt: skip
                if scored:
                    row.update(_round_2025(rng, level, specs[cell_id], builder, horizon))
                else:
                    row.update(self_level=level, proposed_level=level, decided_level=level, decided_at=decided_at)
                rows.append(row)
            rows += [{"period_id": period.pk, "member_id": m, "cell_id": c, "grassroots_id": grassroots_id,
                      "exempted": True} for m, c in exempted]  # fmt: skip
        _write(MemberRating, rows)
        written["member_ratings"] += len(rows)
        written["unit_ratings"] += _rate_units(rng, builder, period, day, None if scored else decided_at)
    return written


def _round_2025(rng, level: str, cell, builder, horizon: date) -> dict:
    """Under way: every member wrote a self-assessment with a score; the cells of coso's committee
    other than chibo's made their proposals; nothing is decided."""
    low = {Level.EXCELLENT: 90, Level.GOOD: 72, Level.DONE: 55, Level.FAILED: 40}[level]
    score = min(100, low + rng.randint(0, 8))
    row = {"self_score": score, "self_level": level, "self_text": "Bản tự kiểm điểm đã nộp chi bộ."}
    if cell is not builder.chibo and _grassroots_of(cell, horizon) is builder.coso:
        row.update(proposed_score=score, proposed_level=level)
    return row


def _rate_units(rng, builder, period, day, decided_at) -> int:
    """The grassroots organisations (decided by the superior) and the cells and sub-committees of
    each grassroots committee (decided by it), each group within the quota; none failed among the
    grassroots ones. Without `decided_at` (the round under way), self-assessments only."""
    groups = defaultdict(list)
    for spec in builder.units:
        if not spec.exists_on(day) or spec.kind == UnitKind.SUPERIOR:
            continue
        if spec.kind in GRASSROOTS_KINDS:
            groups[("superior", builder.root.unit_id)].append((spec, spec))
        else:
            groups[("grassroots", _grassroots_of(spec, day).unit_id)].append((spec, _grassroots_of(spec, day)))
    rows = []
    for (body, _), units in sorted(groups.items(), key=lambda g: g[0]):
        done_share, failed_share = (0.03, 0.0) if body == "superior" else (0.03, 0.004)
        levels = _levels(rng, len(units), rng.uniform(0.16, 0.19), done_share, failed_share)
        for (spec, grassroots), level in zip(sorted(units, key=lambda u: u[0].unit_id), levels):
            row = {"period_id": period.pk, "unit_id": spec.unit_id, "kind": spec.kind,
                   "grassroots_id": grassroots.unit_id}  # fmt: skip
            if decided_at is not None:
                row.update(self_level=level, decided_level=level, decided_at=decided_at)
            elif rng.random() < 0.7:  # the round under way: most have assessed themselves, with a score
                low = {Level.EXCELLENT: 90, Level.GOOD: 72, Level.DONE: 55, Level.FAILED: 40}[level]
                row.update(self_level=level, self_score=min(100, low + rng.randint(0, 8)))
            rows.append(row)
    _write(UnitRating, rows)
    return len(rows)


def _write(model, rows: list[dict]) -> None:
    defaults = {f.attname: f.get_default() for f in model._meta.concrete_fields}
    columns = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
    _insert(model, columns, [tuple(row.get(c, defaults[c]) for c in columns) for row in rows])


DISCIPLINE_REASONS = [
    "Vi phạm quy định về những điều đảng viên không được làm.",
    "Thiếu trách nhiệm trong lãnh đạo, chỉ đạo thực hiện nhiệm vụ được giao.",
    "Vi phạm nguyên tắc tập trung dân chủ, quy chế làm việc.",
    "Không thực hiện đúng quy định về kê khai tài sản, thu nhập.",
]


def write_disciplines(seed: int) -> int:
    """A few disciplinary decisions each year, against members and once against a cell, chosen
    among those not rated excellent so the decided years stay lawful; the 2025 round gets its caps
    marked (a member whose cap shows on the round page)."""
    rng = random.Random(seed)
    rows = []
    for period in RatingPeriod.objects.filter(kind=PeriodKind.YEAR).order_by("year"):
        level = "decided_level" if period.year < ROUND_2025 else "self_level"
        candidates = list(
            MemberRating.unscoped.filter(period=period, exempted=False, **{f"{level}__in": [Level.GOOD, Level.DONE]})
            .order_by("pk").values_list("member_id", "cell_id")
        )  # fmt: skip
        calm = UnitRating.objects.filter(period=period).exclude(**{level: Level.EXCELLENT})
        calm = set(calm.values_list("unit_id", flat=True))
        for i, (member_id, cell_id) in enumerate(rng.sample(candidates, min(8, len(candidates)))):
            day = period.starts_on + datetime.timedelta(days=rng.randint(30, 300))
            leads = i == 0 and cell_id in calm  # one secretary a year, of a cell not rated excellent
            rows.append(Discipline(
                member_id=member_id, leader_of_id=cell_id if leads else None, decided_on=day,
                form=rng.choice([DisciplineForm.REPRIMAND, DisciplineForm.REPRIMAND, DisciplineForm.WARNING]),
                decision=f"{rng.randint(10, 99)}-QĐ/UBKT", body="Ủy ban Kiểm tra Đảng ủy cơ sở",
                reason=rng.choice(DISCIPLINE_REASONS),
            ))  # fmt: skip
        if period.year == 2022:  # a cell reprimanded: neither it nor the organisation above it excellent
            cells = UnitRating.objects.filter(period=period, unit_id__in=calm, grassroots_id__in=calm)
            cell = cells.filter(kind__in=CELL_KINDS).order_by("pk").first()
            if cell is not None:
                rows.append(Discipline(
                    unit_id=cell.unit_id, form=DisciplineForm.REPRIMAND, decided_on=date(2022, 6, 14),
                    decision="27-QĐ/UBKTĐUK", body="Ủy ban Kiểm tra Đảng ủy Khối",
                    reason="Buông lỏng lãnh đạo, để đảng viên vi phạm kéo dài.",
                ))  # fmt: skip
    Discipline.unscoped.bulk_create(rows)
    for period in RatingPeriod.objects.all():
        apply_discipline(period)
    return len(rows)
