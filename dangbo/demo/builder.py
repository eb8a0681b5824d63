"""The demo committee: a deterministic, realistic superior committee calibrated to the reference.

As of REFERENCE_DAY (30/09/2024) the default build holds exactly the reference figures (DOMAIN §11):
62 TCCS, 10 sub-committees and 442 attached cells, 4,466 members, 653 of them admitted since the
start of the 2020–2025 term. Around that day the tree and the membership change: units founded,
dissolved, moved and renamed between 2020 and 2026, members who left before and joined after.
`members=N` builds a committee of the same shape scaled to N members (for benchmarks).

The builder writes in bulk for speed (a national-size committee has hundreds of thousands of rows);
it runs on an empty database only, and leaves one audit entry for the whole load.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.admissions.models import Candidate
from dangbo.audit.log import record
from dangbo.lib import vn
from dangbo.meetings.cell_years import refresh as refresh_cell_years
from dangbo.members.events import ADMISSION_MAX_AGE_MONTHS, READMISSION_WAIT_MONTHS, replay
from dangbo.members.models import Event, EventKind, Member, Stint, TheoryLevel
from dangbo.members.quality import refresh_quality_flags
from dangbo.members.tallies import refresh_tallies
from dangbo.orgs.models import PATH_WIDTH, Term, Unit, UnitKind, UnitVersion, path_segment
from dangbo.ratings.models import refresh_level_tallies
from dangbo.tasks.reminders import send as send_reminders

from . import names
from .days import HORIZON, REFERENCE_DAY
from .meetings import write_meetings
from .ratings import write_disciplines, write_ratings
from .reports import write_reports
from .targets import write_targets
from .tasks import write_tasks

date = datetime.date
BASE_FOUNDED = date(1997, 1, 1)
TERM_2020 = (date(2020, 10, 15), date(2025, 8, 20))
REFERENCE = {"grassroots": 62, "committees": 38, "sub_committees": 10, "attached_cells": 442,
             "members": 4466, "admissions": 653}  # fmt: skip
SEED = 20241016
DEMO_PASSWORD = "demo"
DEMO_LOGINS = [
    ("khoi", "Cán bộ Đảng ủy cấp trên cơ sở, toàn Đảng bộ"),
    ("coso", "Cán bộ một đảng bộ cơ sở"),
    ("chibo", "Bí thư một chi bộ trực thuộc"),
    ("xem", "Người xem số liệu tổng hợp, toàn Đảng bộ"),
    ("admin", "Quản trị hệ thống (superuser)"),
]


@dataclass(eq=False)
class UnitSpec:
    name: str
    kind: str
    parent: UnitSpec | None
    founded: date = BASE_FOUNDED
    dissolved: date | None = None
    moves: list[tuple[date, UnitSpec]] = field(default_factory=list)
    renames: list[tuple[date, str]] = field(default_factory=list)
    code: str | None = None
    unit_id: int | None = None

    def exists_on(self, day: date) -> bool:
        return self.founded <= day and (self.dissolved is None or day < self.dissolved)

    def exists_over(self, start: date, end: date | None) -> bool:
        return self.founded <= start and (self.dissolved is None or (end is not None and end <= self.dissolved))

    def parent_on(self, day: date) -> UnitSpec | None:
        parent = self.parent
        for when, new_parent in self.moves:
            if when <= day:
                parent = new_parent
        return parent

    def name_on(self, day: date) -> str:
        name = self.name
        for when, new_name in self.renames:
            if when <= day:
                name = new_name
        return name

    def path_on(self, day: date) -> str:
        parent = self.parent_on(day)
        return (parent.path_on(day) if parent else "") + path_segment(self.unit_id)

    def change_days(self) -> set[date]:
        days = {when for when, _ in self.moves} | {when for when, _ in self.renames}
        parent = self.parent
        while parent:
            days |= {when for when, _ in parent.moves}
            parent = parent.parent
        return {d for d in days if self.exists_on(d) and d != self.founded}


def spec_versions(specs, decision=lambda start: "") -> list[UnitVersion]:
    """The versions of planned units (their ids given): one per span between their changes."""
    versions = []
    for spec in specs:
        days = sorted({spec.founded} | spec.change_days())
        for start, end in zip(days, days[1:] + [spec.dissolved]):
            parent = spec.parent_on(start)
            path = spec.path_on(start)
            versions.append(UnitVersion(
                unit_id=spec.unit_id, name=spec.name_on(start), kind=spec.kind, form_id=getattr(spec, "form", None),
                parent_id=parent.unit_id if parent else None, path=path, depth=len(path) // PATH_WIDTH - 1,
                valid_from=start, valid_to=end, decision=decision(start),
            ))  # fmt: skip
    return versions


def _random_day(rng: random.Random, start: date, end: date) -> date:
    """A day in [start, end)."""
    return start + datetime.timedelta(days=rng.randrange(max((end - start).days, 1)))


def _weighted(rng: random.Random, pairs):
    values, weights = zip(*pairs)
    return rng.choices(values, weights)[0]


def _allocate(rng: random.Random, total: int, weights: list[float], minimum: int) -> list[int]:
    """Split `total` into integers proportional to `weights`, each at least `minimum`, summing exactly."""
    spare = total - minimum * len(weights)
    scale = spare / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: shares[i] - counts[i], reverse=True)
    for i in order[: spare - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


class DemoBuilder:
    def __init__(self, members: int = REFERENCE["members"], seed: int = SEED, horizon: date = HORIZON):
        self.rng = random.Random(seed)
        self.horizon = horizon
        self.target_members = members
        self.scale = members / REFERENCE["members"]
        self.units: list[UnitSpec] = []
        self.members: list[Member] = []
        self.stints: list[tuple[int, UnitSpec, date, date | None]] = []  # member index, unit, start, end
        # Members whose gap between two stints is a leaving and a return, not a transfer.
        self.returns: dict[int, str] = {}
        self.hosted: list[tuple[int, UnitSpec, date, date]] = []  # members of other trees hosted here
        self.not_recognised: set[int] = set()  # probationary members the cell does not recognise

    # --- the tree --------------------------------------------------------------------------------

    def _add(self, *args, **kwargs) -> UnitSpec:
        spec = UnitSpec(*args, **kwargs)
        self.units.append(spec)
        return spec

    def _scaled(self, key: str) -> int:
        return max(1, round(REFERENCE[key] * self.scale))

    def plan_tree(self) -> None:
        rng = self.rng
        root = self._add("Đảng bộ Khối các cơ quan thành phố", UnitKind.SUPERIOR, None, date(1990, 1, 1), code="DBK")
        # July 2025: the bloc committees were replaced; ours continues under its new name.
        root.renames.append((date(2025, 7, 1), "Đảng bộ các cơ quan Đảng thành phố"))
        self.root = root
        # Small committees keep the few units the demo's story needs (moves, merges, personas).
        n_committees = max(8, self._scaled("committees"))
        n_grassroots = max(n_committees + 2, self._scaled("grassroots"))
        n_subs = max(2, self._scaled("sub_committees"))
        n_cells = max(3 * (n_committees + n_subs), self._scaled("attached_cells"))

        def numbered(pool, i, prefix):
            base = pool[i % len(pool)]
            return f"{prefix} {base}" + (f" {i // len(pool) + 1}" if i >= len(pool) else "")

        committees = [
            self._add(numbered(names.COMMITTEE_NAMES, i, "Đảng bộ"), UnitKind.GRASSROOTS_COMMITTEE, root)
            for i in range(n_committees)
        ]
        committees[-1].founded = date(2021, 3, 15)  # founded during the term, still counted
        grassroots_cells = [
            self._add(numbered(names.CELL_ORG_NAMES, i, "Chi bộ"), UnitKind.GRASSROOTS_CELL, root)
            for i in range(n_grassroots - n_committees)
        ]
        self.coso = committees[0]
        # Sub-committees: two in each of the first committees; one founded during the term.
        subs = []
        for i in range(n_subs):
            parent = committees[i // 2]
            subs.append(
                self._add(
                    f"Đảng bộ bộ phận {names.SUB_COMMITTEE_NAMES[i % 2 + 2 * (i // 2 % 2)]}",
                    UnitKind.SUB_COMMITTEE,
                    parent,
                )
            )
        subs[-1].founded = date(2020, 11, 1)
        # Attached cells, spread over committees and sub-committees with uneven sizes.
        holders = committees + subs
        weights = [rng.uniform(0.5, 2.0) if h.kind == UnitKind.GRASSROOTS_COMMITTEE else 0.6 for h in holders]
        per_holder = _allocate(rng, n_cells, weights, 2)
        cells = []
        for holder, count in zip(holders, per_holder):
            for j in range(count):
                cell = self._add(
                    f"Chi bộ {numbered(names.DEPARTMENT_NAMES, j, '').strip()}", UnitKind.ATTACHED_CELL, holder
                )
                cells.append(cell)
        for cell in rng.sample(cells, min(6, len(cells))):
            cell.founded = _random_day(rng, date(2020, 6, 1), date(2024, 6, 1))
        self.chibo = next(c for c in cells if c.parent is self.coso and c.founded == BASE_FOUNDED)
        # One cell moved from one committee to another (the count is unchanged).
        moved = next(c for c in cells if c.parent is committees[3] and c.founded == BASE_FOUNDED)
        moved.moves.append((date(2022, 4, 1), committees[4]))
        # Changes that the reference day does not count: dissolved before it, founded after it.
        gone_cell = self._add(
            "Chi bộ Ban Quản lý các dự án giao thông",
            UnitKind.GRASSROOTS_CELL,
            root,
            date(2005, 1, 1),
            date(2022, 6, 30),
        )
        gone_attached = [
            self._add(
                "Chi bộ Phòng Quản lý công sản", UnitKind.ATTACHED_CELL, committees[1], BASE_FOUNDED, date(2021, 8, 1)
            ),
            self._add(
                "Chi bộ Trung tâm Thẩm định", UnitKind.ATTACHED_CELL, committees[2], BASE_FOUNDED, date(2023, 1, 1)
            ),
        ]
        new_committee = self._add(
            "Đảng bộ Sở Ngoại vụ và Hợp tác quốc tế", UnitKind.GRASSROOTS_COMMITTEE, root, date(2025, 3, 1)
        )
        new_cells = [
            self._add("Chi bộ Phòng Lãnh sự", UnitKind.ATTACHED_CELL, new_committee, date(2025, 3, 1)),
            self._add("Chi bộ Phòng Hợp tác quốc tế", UnitKind.ATTACHED_CELL, new_committee, date(2025, 3, 1)),
            self._add("Chi bộ Phòng Chuyển đổi số", UnitKind.ATTACHED_CELL, committees[0], date(2025, 11, 1)),
            self._add("Chi bộ Trung tâm Dữ liệu", UnitKind.ATTACHED_CELL, committees[5], date(2026, 3, 2)),
        ]
        # A committee merged into another on 01/07/2025: its cells move, then it is dissolved.
        merged, receiver = committees[6], committees[7]
        merged.dissolved = date(2025, 7, 1)
        for spec in self.units:
            if spec.parent is merged:
                spec.moves.append((merged.dissolved, receiver))
        for spec in self.units:  # parents first: nothing is founded before the unit it sits in
            if spec.parent and spec.founded < spec.parent.founded:
                spec.founded = spec.parent.founded
        self.counted_cells = [c for c in cells + grassroots_cells if c.exists_on(REFERENCE_DAY)]
        self.gone_cells = [gone_cell, *gone_attached]
        self.new_cells = new_cells

    # --- members ---------------------------------------------------------------------------------

    def _person(self, sex: str, birth: date, admitted: date) -> Member:
        rng = self.rng
        index = len(self.members)
        family = _weighted(rng, names.FAMILY_NAMES)
        middle = rng.choice(names.MIDDLE_NAMES[sex])
        given = rng.choice(names.GIVEN_NAMES[sex])
        official = vn.add_years(admitted, 1)
        century = 0 if birth.year < 2000 else 2
        age_then = vn.age_on(birth, REFERENCE_DAY)
        theory = _weighted(
            rng,
            [
                (TheoryLevel.NONE, 14),
                (TheoryLevel.ELEMENTARY, 42),
                (TheoryLevel.INTERMEDIATE, 30 + age_then // 2),
                (TheoryLevel.ADVANCED, age_then // 4),
                (TheoryLevel.BACHELOR, 3),
            ],
        )
        member = Member(
            family_name=family, middle_name=middle, given_name=given, sex=sex, birth_date=birth,
            ethnicity=_weighted(rng, names.ETHNICITIES), religion="Không",
            home_town=f"{rng.choice(names.HOME_TOWNS)}", residence=f"{rng.choice(names.HOME_TOWNS)}",
            citizen_id=f"031{century + (sex == 'F')}{birth.year % 100:02d}{index:06d}",
            education="12/12", qualification=rng.choice(names.QUALIFICATIONS), theory_level=theory,
            foreign_language=rng.choice(names.LANGUAGES), occupation=_weighted(rng, [(o, w) for o, w in
                                                                                   zip(names.OCCUPATIONS, (6, 3, 1))]),
            admitted_on=admitted, official_on=official if official <= self.horizon else None,
            card_number=f"{(10_000_019 + index * 7_919) % 100_000_000:08d}", background_number=f"{index + 1:06d}",
        )  # fmt: skip
        member.refresh_derived()
        self.members.append(member)
        return member

    def _birth_for(self, admitted: date, low: int = 20, high: int = 34) -> date:
        return vn.add_years(admitted, -self.rng.randint(low, high)) - datetime.timedelta(days=self.rng.randrange(365))

    def _other_cell(self, cell: UnitSpec, start: date, end: date) -> UnitSpec | None:
        for _ in range(20):
            other = self.rng.choice(self.counted_cells)
            if other is not cell and other.exists_over(start, end):
                return other
        return None

    def plan_members(self) -> None:
        rng = self.rng
        total = self.target_members
        cells = self.counted_cells
        weights = [rng.uniform(4, 20) if c.kind == UnitKind.ATTACHED_CELL else rng.uniform(8, 30) for c in cells]
        if total < 3 * len(cells):
            raise ValueError(f"Cần ít nhất {3 * len(cells)} đảng viên cho {len(cells)} chi bộ.")
        per_cell = _allocate(rng, total, weights, 3)
        slots = [cell for cell, count in zip(cells, per_cell) for _ in range(count)]
        in_term = set(rng.sample(range(total), round(REFERENCE["admissions"] * self.scale)))
        term_start = TERM_2020[0]
        for i, cell in enumerate(slots):
            sex = "F" if rng.random() < 0.52 else "M"
            if i in in_term:
                admitted = _random_day(rng, max(term_start, cell.founded), REFERENCE_DAY + datetime.timedelta(days=1))
                birth = self._birth_for(admitted, 21, 33)
                index = len(self.members)
                self._person(sex, birth, admitted)
                self._history(index, cell, admitted)
                continue
            age = rng.randint(24, 59)
            birth = vn.add_years(REFERENCE_DAY, -age) - datetime.timedelta(days=rng.randrange(365))
            earliest = vn.add_years(birth, 19)
            latest = min(vn.add_years(birth, 38), term_start - datetime.timedelta(days=1))
            if latest <= earliest:
                earliest = vn.add_years(birth, 18)
                latest = term_start - datetime.timedelta(days=1)
            admitted = _random_day(rng, earliest, latest)
            index = len(self.members)
            self._person(sex, birth, admitted)
            # Members come into a cell when it is founded or later (transferred from elsewhere).
            start = max(admitted, cell.founded)
            if start == admitted and rng.random() < 0.25:
                start = max(_random_day(rng, vn.add_years(admitted, 1), REFERENCE_DAY), admitted)
                start = min(start, REFERENCE_DAY - datetime.timedelta(days=30))
            self._history(index, cell, max(start, admitted))
        self._former_members()
        self._newcomers()
        self._returning_members()
        self._hosted_members()
        self.chibo_named = self._name_chibo_member()

    def _history(self, index: int, cell: UnitSpec, start: date) -> None:
        """A counted member's stints: maybe a prior cell (transfer within the tree), the current cell
        from `start`, maybe leaving or moving after the reference day."""
        rng = self.rng
        member = self.members[index]
        if start > member.admitted_on:
            # Before `start` the member was in another of our cells (or outside the tree).
            prior_start = max(member.admitted_on, BASE_FOUNDED)
            gone = [g for g in self.gone_cells
                    if g.exists_over(prior_start, g.dissolved) and cell.founded <= g.dissolved <= start]  # fmt: skip
            if gone and rng.random() < 0.15:
                prior = rng.choice(gone)
                self.stints.append((index, prior, prior_start, prior.dissolved))
                start = prior.dissolved
            elif prior_start < start and rng.random() < 0.6:
                prior = self._other_cell(cell, prior_start, start)
                if prior:
                    self.stints.append((index, prior, prior_start, start))
        end = None
        roll = rng.random()
        if roll < 0.04:  # left the tree after the reference day (transfer out, retirement, death)
            end = _random_day(rng, REFERENCE_DAY + datetime.timedelta(days=1), self.horizon)
        elif roll < 0.06:  # moved to another cell after the reference day
            end = _random_day(rng, REFERENCE_DAY + datetime.timedelta(days=1), self.horizon)
            later = self._other_cell(cell, end, None)
            if later and cell.exists_over(start, end):
                self.stints.append((index, later, end, None))
            else:
                end = None
        if cell.dissolved and (end is None or end > cell.dissolved):
            end = cell.dissolved
        self.stints.append((index, cell, start, end))

    def _former_members(self) -> None:
        """Members who left before the reference day: they count on earlier dates only."""
        rng = self.rng
        for _ in range(round(0.06 * self.target_members)):
            cell = rng.choice(self.counted_cells + self.gone_cells)
            birth = vn.add_years(REFERENCE_DAY, -rng.randint(30, 75))
            admitted = _random_day(rng, vn.add_years(birth, 20), min(vn.add_years(birth, 40), TERM_2020[0]))
            start = max(admitted, cell.founded)
            stop = cell.dissolved or REFERENCE_DAY
            if start >= stop - datetime.timedelta(days=60):
                continue
            end = _random_day(rng, max(start + datetime.timedelta(days=30), date(2018, 1, 1)), stop)
            if end <= start:
                continue
            index = len(self.members)
            self._person("F" if rng.random() < 0.5 else "M", birth, admitted)
            self.stints.append((index, cell, start, end))

    def _newcomers(self) -> None:
        """Members who arrive after the reference day: new admissions and transfers in."""
        rng = self.rng
        later_cells = [c for c in self.counted_cells if c.dissolved is None] + self.new_cells
        for i in range(round(0.05 * self.target_members)):
            cell = self.new_cells[i % len(self.new_cells)] if i < 4 * len(self.new_cells) else rng.choice(later_cells)
            start = _random_day(rng, max(REFERENCE_DAY + datetime.timedelta(days=1), cell.founded), self.horizon)
            if i < 3 * len(self.new_cells) and cell.founded > REFERENCE_DAY:
                start = cell.founded  # a cell is founded with its first members
            if rng.random() < 0.5:
                admitted = start
                birth = self._birth_for(admitted, 21, 32)
            else:
                birth = vn.add_years(REFERENCE_DAY, -rng.randint(25, 55))
                admitted = _random_day(rng, vn.add_years(birth, 20), min(start, vn.add_years(birth, 40)))
            index = len(self.members)
            self._person("F" if rng.random() < 0.52 else "M", birth, admitted)
            self.stints.append((index, cell, start, None))
            if admitted == start < date(2025, 6, 1) and len(self.not_recognised) < max(2, self.target_members // 2000):
                self.not_recognised.add(index)

    def _returning_members(self) -> None:
        """A few who left before the reference day come back after it: readmitted or restored.

        Readmission follows Quy định 294-QĐ/TW, điểm 3.5 (see `events`): the first comes back by a
        restoration, the others are readmitted at least 36 months after they left and aged 60 at
        most, so they are chosen among those who left in one stint early enough and young enough."""
        rng = self.rng
        later_cells = [c for c in self.counted_cells if c.dissolved is None]
        earliest, latest = date(2025, 1, 6), date(2026, 6, 1)
        stints_of: dict[int, list] = {}
        for i, _, _, end in self.stints:
            stints_of.setdefault(i, []).append(end)
        former = sorted(
            i for i, ends in stints_of.items()
            if len(ends) == 1 and ends[0] is not None and ends[0] <= REFERENCE_DAY
            and vn.add_months(ends[0], READMISSION_WAIT_MONTHS) <= latest
            and vn.months_between(self.members[i].birth_date, latest) <= ADMISSION_MAX_AGE_MONTHS
        )  # fmt: skip
        for n, index in enumerate(rng.sample(former, min(4, len(former)))):
            back = earliest if n == 0 else max(earliest, vn.add_months(stints_of[index][0], READMISSION_WAIT_MONTHS))
            start = _random_day(rng, back, latest)
            self.stints.append((index, rng.choice(later_cells), start, None))
            self.returns[index] = EventKind.RESTORATION if n == 0 else EventKind.READMISSION

    def _hosted_members(self) -> None:
        """Members of other committees who hold party activity here for a while (not counted here)."""
        rng = self.rng
        for _ in range(max(3, round(0.004 * self.target_members))):
            cell = rng.choice([c for c in self.counted_cells if c.dissolved is None])
            start = _random_day(rng, date(2024, 1, 1), self.horizon)
            birth = vn.add_years(start, -rng.randint(25, 50))
            admitted = _random_day(rng, vn.add_years(birth, 20), min(start, vn.add_years(birth, 40)))
            index = len(self.members)
            self._person("F" if rng.random() < 0.5 else "M", birth, admitted)
            self.hosted.append((index, cell, start, vn.add_months(start, rng.choice([6, 9, 12, 18, 24]))))

    def _name_chibo_member(self) -> Member:
        """Give one member of chibo's cell the name used in the search examples."""
        index = next(i for i, cell, start, end in self.stints
                     if cell is self.chibo and start <= REFERENCE_DAY and end is None)  # fmt: skip
        member = self.members[index]
        member.sex = "F"
        member.family_name, member.middle_name, member.given_name = "Nguyễn", "Thị", "Hường"
        member.refresh_derived()
        return member

    def _renew_and_flaw(self) -> None:
        """New chip cards for a third of the members (the old number kept), and a few records as real
        lists have them, for the data quality page: an old 9-digit identity card number (CMND), a
        residence or home town not filled in, a card number with two digits too many. Chosen by
        position, not by the random generator, and touching no field that a figure counts (status,
        dates, sex, age, theory level), so every figure of the demo stays the same."""
        for index, member in enumerate(self.members):
            if index % 3 == 0:
                member.old_card_number = member.card_number
                member.card_number = f"{(100_000_000_003 + index * 7_919) % 10**12:012d}"
            if index % 211 == 17:
                member.citizen_id = f"03{index:07d}"
            if index % 157 == 31:
                member.residence = ""
            if index % 263 == 45:
                member.home_town = ""
            if index % 307 == 89:
                member.card_number += "00"

    # --- writing ---------------------------------------------------------------------------------

    def _events_for(self, index: int) -> list[Event]:
        """The membership events that produce a member's planned history: the admission (here, or
        outside when the first stint starts later), the ceremony and recognition, the transfers
        between stints, a leaving after the last one, and now and then an exemption or a temporary
        transfer. Some recent admissions still wait for their ceremony or their recognition."""
        rng = self.rng
        member = self.members[index]
        spans = sorted(((unit, start, end) for i, unit, start, end in self._stints_by_member.get(index, ())),
                       key=lambda s: s[1])  # fmt: skip
        admitted = member.admitted_on
        events: list[tuple[date, int, dict]] = []  # (day, order on that day, fields)

        def add(kind, day, order=1, **fields):
            events.append((day, order, dict(kind=kind, effective_on=day, **fields)))

        def decision(day, body="Đảng ủy"):
            return {"decision_number": f"{rng.randint(10, 999)}-QĐ/ĐU", "decided_on": day, "issuing_body": body}

        ceremony = admitted + datetime.timedelta(days=rng.randint(7, 30))
        if admitted > self.horizon - datetime.timedelta(days=45) and rng.random() < 0.6:
            ceremony = None  # decided lately, the ceremony is still to come
        elif ceremony > self.horizon:
            ceremony = None
        first_unit, first_start, _ = spans[0] if spans else (None, None, None)
        if first_start == admitted:
            add(EventKind.ADMISSION, admitted, 0, unit_id=first_unit.unit_id, ceremony_on=ceremony,
                **decision(admitted))  # fmt: skip
        else:
            add(EventKind.ADMISSION, admitted, 0, other_side=rng.choice(names.OUTSIDE_COMMITTEES),
                ceremony_on=ceremony, **decision(admitted, "Đảng ủy cấp trên"))  # fmt: skip
        last_end = spans[-1][2] if spans else None
        # The first day out of the Party: the end of the last stint, or of the first when they return.
        leaves_on = spans[0][2] if index in self.returns else last_end
        for (unit, _, end), (next_unit, next_start, _) in zip(spans, spans[1:]):
            if end == next_start and index not in self.returns:
                add(EventKind.TRANSFER_WITHIN, end, 2, unit_id=next_unit.unit_id, from_unit_id=unit.unit_id,
                    **decision(end))  # fmt: skip
            elif index in self.returns:
                add(EventKind.REMOVAL if self.returns[index] == EventKind.READMISSION else EventKind.EXPULSION,
                    end, 3, **decision(end))  # fmt: skip
                if self.returns[index] == EventKind.READMISSION:
                    again = next_start + datetime.timedelta(days=rng.randint(7, 20))
                    add(EventKind.READMISSION, next_start, 0, unit_id=next_unit.unit_id, ceremony_on=again,
                        **decision(next_start))  # fmt: skip
                    if vn.add_years(again, 1) <= self.horizon:
                        add(EventKind.RECOGNITION, vn.add_years(again, 1), 1, **decision(vn.add_years(again, 1)))
                else:
                    add(EventKind.RESTORATION, next_start, 0, unit_id=next_unit.unit_id,
                        **decision(next_start, "Ủy ban Kiểm tra Thành ủy"))  # fmt: skip
            else:
                add(EventKind.TRANSFER_OUT, end, 2, from_unit_id=unit.unit_id,
                    other_side=rng.choice(names.OUTSIDE_COMMITTEES), **decision(end))  # fmt: skip
                add(EventKind.TRANSFER_IN, next_start, 2, unit_id=next_unit.unit_id,
                    other_side=rng.choice(names.OUTSIDE_COMMITTEES), **decision(next_start))  # fmt: skip
        if first_start is not None and first_start != admitted:
            add(EventKind.TRANSFER_IN, first_start, 2, unit_id=first_unit.unit_id,
                other_side=events[0][2]["other_side"], **decision(first_start))  # fmt: skip
        ends = ceremony and vn.add_years(ceremony, 1)
        # Recognition on the day probation ends, while still in the Party; a few are overdue.
        now = self.horizon
        overdue = ends and now - datetime.timedelta(days=150) < ends < now - datetime.timedelta(days=50)
        in_party = ends and ends <= self.horizon and (leaves_on is None or ends < leaves_on)
        if in_party and index in self.not_recognised:
            day = ends + datetime.timedelta(days=rng.randint(10, 40))
            add(EventKind.NON_RECOGNITION, day, 3, note="Không đủ tư cách đảng viên chính thức.", **decision(day))
        elif in_party and not (overdue and rng.random() < 0.5):
            # Decided a few days to weeks later, but not after the demo's day: a decision is recorded
            # once it is made (the actions refuse a decision dated ahead).
            decided = min(ends + datetime.timedelta(days=rng.randint(3, 40)), self.horizon)
            add(EventKind.RECOGNITION, ends, 1, **decision(decided))
        if last_end is not None and index not in self.returns:
            probationary = not ends or last_end < ends
            age = vn.age_on(member.birth_date, last_end)
            if probationary:
                kind = EventKind.NON_RECOGNITION if ends and last_end >= ends else EventKind.REMOVAL
            else:
                kind = _weighted(rng, [(EventKind.TRANSFER_OUT, 55), (EventKind.DEATH, 4 + age // 3),
                                       (EventKind.REMOVAL, 8), (EventKind.RESIGNATION, 3), (EventKind.EXPULSION, 3)])
            fields = decision(last_end)
            if kind == EventKind.TRANSFER_OUT:
                fields.update(from_unit_id=spans[-1][0].unit_id, other_side=rng.choice(names.OUTSIDE_COMMITTEES))
            add(kind, last_end, 3, **fields)
        # Now and then, within the last stint: an exemption (older members) or a temporary transfer.
        if spans:
            unit, start, end = spans[-1]
            until = end or self.horizon
            roll = rng.random()
            if roll < 0.03 and vn.age_on(member.birth_date, until) >= 60:
                day = _random_day(rng, max(start, vn.add_years(member.birth_date, 60)), until)
                add(EventKind.EXEMPTION, day, 2, **decision(day, "Chi bộ"))
            elif roll < 0.05 and (until - start).days > 400:
                day = _random_day(rng, start, until - datetime.timedelta(days=400))
                add(EventKind.TEMPORARY_AWAY, day, 2, ends_on=vn.add_months(day, rng.choice([3, 6, 12])),
                    other_side=rng.choice(names.OUTSIDE_COMMITTEES), **decision(day))  # fmt: skip
        events.sort(key=lambda e: (e[0], e[1]))
        return [Event(member=member, **fields) for _, _, fields in events]

    def _hosted_events(self, index: int, cell: UnitSpec, start: date, end: date) -> list[Event]:
        member = self.members[index]
        home = self.rng.choice(names.OUTSIDE_COMMITTEES)
        ceremony = member.admitted_on + datetime.timedelta(days=14)
        events = [Event(member=member, kind=EventKind.ADMISSION, effective_on=member.admitted_on,
                        other_side=home, ceremony_on=ceremony, decided_on=member.admitted_on)]  # fmt: skip
        if vn.add_years(ceremony, 1) <= start:
            events.append(Event(member=member, kind=EventKind.RECOGNITION, effective_on=vn.add_years(ceremony, 1)))
        note = "Sinh hoạt tạm thời trong thời gian đi công tác."
        events.append(Event(member=member, kind=EventKind.TEMPORARY_HOSTED, effective_on=start, ends_on=end,
                            unit_id=cell.unit_id, other_side=home, note=note))  # fmt: skip
        return events

    def write(self) -> dict:
        # Every unit has a code, which the exchange workbook uses to name it (the top one, DBK).
        codes = [spec.code or f"DV{index:05d}" for index, spec in enumerate(self.units)]
        created = Unit.objects.bulk_create([Unit(code=code) for code in codes])
        for spec, unit in zip(self.units, created):
            spec.unit_id = unit.pk
        versions = UnitVersion.objects.bulk_create(spec_versions(self.units), batch_size=2000)
        self._stints_by_member: dict[int, list] = {}
        for stint in self.stints:
            self._stints_by_member.setdefault(stint[0], []).append(stint)
        histories = [self._events_for(i) for i in range(len(self.members))]
        for index, cell, start, end in self.hosted:
            histories[index] = self._hosted_events(index, cell, start, end)
        # The stints are the replay of the events, as for any member recorded through the actions.
        rows, self.timelines = [], []
        for member, events in zip(self.members, histories):
            timeline = replay(events, born_on=member.birth_date)
            self.timelines.append(timeline)
            member.official_on = timeline.official_on
            rows.extend(Stint.of(member=member, unit_id=s.unit_id, kind=s.kind, status=s.status, start=s.start,
                                 end=s.end, decided_on=s.decided_on, ceremony_on=s.ceremony_on)
                        for s in timeline.stints)  # fmt: skip
        self._renew_and_flaw()
        Member.unscoped.bulk_create(self.members, batch_size=2000)
        refresh_quality_flags()
        Event.unscoped.bulk_create([e for events in histories for e in events], batch_size=5000)
        Stint.unscoped.bulk_create(rows, batch_size=5000)
        self.stint_rows = rows
        refresh_tallies()
        for committee in [self.root] + [u for u in self.units if u.kind == UnitKind.GRASSROOTS_COMMITTEE]:
            if committee.founded <= TERM_2020[0] and committee.exists_on(TERM_2020[0]):
                Term.objects.create(
                    committee_id=committee.unit_id, name="2020–2025", starts_on=TERM_2020[0], ends_on=TERM_2020[1]
                )
            if committee.exists_on(TERM_2020[1]):
                Term.objects.create(committee_id=committee.unit_id, name="2025–2030", starts_on=TERM_2020[1])
        return {"units": len(self.units), "versions": len(versions), "members": len(self.members), "stints": len(rows),
                "events": sum(map(len, histories))}  # fmt: skip

    def write_candidates(self) -> int:
        """Outstanding non-members followed by cells, at every stage of the pipeline: some with an
        awareness certificate about to expire or expired, some with a complete dossier (one of
        them in chibo's cell, ready for coso to admit)."""
        rng = self.rng
        cells = [c for c in self.counted_cells if c.dissolved is None]
        rows = []
        for i in range(max(12, round(0.015 * self.target_members))):
            cell = self.chibo if i < 2 else rng.choice(cells)
            sex = "F" if rng.random() < 0.55 else "M"
            birth = vn.add_years(self.horizon, -rng.randint(20, 40)) - datetime.timedelta(days=rng.randrange(365))
            identified = _random_day(rng, date(2021, 1, 1), self.horizon - datetime.timedelta(days=60))
            stage = i % 4 if i >= 2 else 3
            course = None
            if stage >= 1:
                if i % 9 == 4:  # certificate about to expire, or already expired
                    course = vn.add_years(self.horizon, -5) + datetime.timedelta(days=rng.randint(-40, 80))
                else:
                    course = _random_day(rng, max(identified, date(2022, 1, 1)), self.horizon)
            dossier = ["1-KNĐ", "2-KNĐ", "3-KNĐ", "5-KNĐ", "6-KNĐ", "8-KNĐ"] if stage == 3 else (
                ["1-KNĐ", "2-KNĐ"] if stage == 2 else [])  # fmt: skip
            if stage == 3 and birth.year > self.horizon.year - 30:
                dossier.insert(3, "4-KNĐ")
            candidate = Candidate(
                family_name=_weighted(rng, names.FAMILY_NAMES), middle_name=rng.choice(names.MIDDLE_NAMES[sex]),
                given_name=rng.choice(names.GIVEN_NAMES[sex]), sex=sex, birth_date=birth,
                citizen_id=f"031{2 * (birth.year >= 2000) + (sex == 'F')}{birth.year % 100:02d}{900_000 + i:06d}",
                home_town=rng.choice(names.HOME_TOWNS), residence=rng.choice(names.HOME_TOWNS),
                qualification=rng.choice(names.QUALIFICATIONS), occupation=names.OCCUPATIONS[0],
                cell_id=cell.unit_id, identified_on=max(identified, cell.founded), course_passed_on=course,
                dossier=dossier,
            )  # fmt: skip
            candidate.refresh_derived()
            rows.append(candidate)
        Candidate.unscoped.bulk_create(rows)
        return len(rows)

    def create_logins(self) -> None:
        def login(username, first, last, role="", unit=None, **extra):
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@dangbo.local",
                role=role,
                unit_id=unit.unit_id if unit else None,
                **extra,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()

        login("khoi", "Hà", "Trần Thu", Role.SUPERIOR_STAFF, self.root)
        login("coso", "Minh", "Lê Văn", Role.GRASSROOTS_STAFF, self.coso)
        login("chibo", "Lan", "Phạm Thị", Role.CELL_SECRETARY, self.chibo)
        login("xem", "Thanh tra", "Đoàn", Role.VIEWER, self.root)
        login("admin", "Quản trị", "", is_staff=True, is_superuser=True)


def _analyze() -> None:
    """On PostgreSQL, let the planner see the rows just written (not committed yet, so the autovacuum
    cannot analyze them): the targets, tasks and reports below read them, and planned as
    for empty tables, one count of the admissions joined with the cells' versions ran over 20 s at
    250,000 members."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# The demo's counts as its audit entry shows them (the page shows a snapshot's keys as they are).
SUMMARY_LABELS = {
    "units": "Tổ chức đảng", "versions": "Phiên bản tổ chức", "members": "Hồ sơ đảng viên",
    "stints": "Quá trình sinh hoạt", "events": "Sự kiện đảng tịch", "candidates": "Quần chúng ưu tú",
    "meetings": "Buổi sinh hoạt", "attendance": "Điểm danh", "cell_years": "Năm sinh hoạt của chi bộ",
    "rating_periods": "Đợt xếp loại", "member_ratings": "Xếp loại đảng viên",
    "unit_ratings": "Xếp loại tổ chức", "level_tallies": "Bảng tổng hợp xếp loại", "disciplines": "Kỷ luật",
    "resolutions": "Nghị quyết", "registrations": "Đăng ký dân vận khéo", "tasks": "Nhiệm vụ",
    "task_updates": "Cập nhật nhiệm vụ", "extensions": "Gia hạn", "reports": "Báo cáo",
    "occurrences": "Lần lặp nhiệm vụ", "reminders": "Nhắc việc", "report_reminders": "Nhắc báo cáo",
    "people": "Người nhận nhắc", "emails": "Thư điện tử", "seed": "Hạt giống ngẫu nhiên",
    "target_members": "Số đảng viên dự kiến",
}  # fmt: skip


@transaction.atomic
def build_demo(
    members: int = REFERENCE["members"], seed: int = SEED, logins: bool = True, today: date = HORIZON
) -> dict:
    """The demo committee, its history written up to `today` (the demo's "now": meetings after it
    are planned, tasks due after it open, the reminders are those of its morning)."""
    builder = DemoBuilder(members=members, seed=seed, horizon=today)
    builder.plan_tree()
    builder.plan_members()
    stats = builder.write()
    stats["candidates"] = builder.write_candidates()
    stats.update(write_meetings(builder, today, REFERENCE_DAY, seed + 4))
    stats["cell_years"] = refresh_cell_years()  # the meetings were written in bulk
    stats.update(write_ratings(builder, today, seed + 5))
    stats["level_tallies"] = refresh_level_tallies()  # the ratings were written in bulk
    _analyze()
    stats["disciplines"] = write_disciplines(seed + 6)
    stats.update(write_targets(builder, REFERENCE_DAY, today, seed + 7))
    stats.update(write_tasks(builder, today, seed + 8))
    if logins:
        builder.create_logins()
    stats.update(write_reports(builder, today, seed + 9, logins))
    if logins:
        # The reminders of the demo's last day, as the daily command would have sent them (in the
        # app; the emails of a day long past are dropped).
        dropped = mail.get_connection("django.core.mail.backends.dummy.EmailBackend")
        morning = timezone.make_aware(datetime.datetime(today.year, today.month, today.day, 6))
        stats.update(send_reminders(today, morning, dropped))
    root = Unit.objects.get(pk=builder.root.unit_id)
    summary = {**stats, "seed": seed, "target_members": members}
    record(None, "load_demo", root, None, {SUMMARY_LABELS.get(key, key): value for key, value in summary.items()})
    stats.update(root=builder.root.unit_id, coso=builder.coso.unit_id, chibo=builder.chibo.unit_id)
    return stats
