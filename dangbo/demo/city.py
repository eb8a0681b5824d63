"""The city demo: Hải Phòng's party organisation around the demo committee, across the 2025 reform.

Calibrated to public figures (DOMAIN §2 and §11): before 01/07/2025 the city committee (Đảng bộ
thành phố Hải Phòng) held 15 district-level committees (7 urban districts, the city of Thủy Nguyên,
An Dương, 6 rural districts) and its blocs — the agencies' bloc (Đảng bộ Khối các cơ quan thành
phố, which is the detailed demo committee of `builder.py`), the enterprises' bloc, the army and the
police committees; the province of Hải Dương had its own committee with 12 district-level
committees and blocs. Commune and ward party committees were grassroots committees under the
districts. On 01/07/2025 the districts and the blocs other than the agencies' were dissolved, Hải
Dương's organisation joined Hải Phòng's, and 114 commune, ward and special-zone committees and the
city People's Committee's committee (Đảng bộ UBND thành phố, 53 TCCS and 19,522 members) were
founded directly under the city; the grassroots organisations moved under them. On 30/09/2025 the
city holds 118 committees directly under it and 243,544 members.

`scale` scales the members and, with them, the grassroots organisations and cells (about 28
members a cell); the committees above the grassroots are the same at every scale (118 under the
city after the merger), so a test builds the whole shape in seconds. The commune names are
generated, plausible, not the real list.

The rest of the city is simpler than the demo committee: members with their admission,
recognition, transfers and leaving (the stints are the replay of those events, as for the demo), no
meetings, ratings, tasks or reports.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat

from dangbo.accounts.models import Role, User
from dangbo.audit.log import record
from dangbo.lib import bulk, vn
from dangbo.members.events import replay
from dangbo.members.models import Event, EventKind, Member, Stint, StintKind, TheoryLevel
from dangbo.members.quality import refresh_flags_of_new
from dangbo.members.tallies import refresh_tallies
from dangbo.orgs.models import Term, Unit, UnitForm, UnitKind, UnitVersion, path_segment

from . import names
from .builder import DEMO_PASSWORD, SUMMARY_LABELS, UnitSpec, _allocate, _weighted, build_demo, spec_versions
from .days import HORIZON

date = datetime.date
MERGER = date(2025, 7, 1)
CITY_DAY = date(2025, 9, 30)  # the day of the public figures the city is calibrated to
CITY_MEMBERS = 243_544
COMMITTEES_UNDER_CITY = 118
CITY_FOUNDED = date(1955, 5, 13)  # Hải Phòng's units: members admitted since are admitted here
PROVINCE_FOUNDED = date(1997, 1, 1)  # Hải Dương re-established: earlier members came from Hải Hưng
SEED = 20250701
MEMBERS_PER_CELL = 28

CITY_LOGINS = [
    ("thanhuy", "Cán bộ Văn phòng Thành ủy, toàn Đảng bộ thành phố"),
    ("xemtp", "Người xem số liệu tổng hợp, toàn Đảng bộ thành phố"),
]

# (code, name, kind, at the top, may sit under, order): the forms the city needs, as data.
FORMS = [
    ("thanh_pho", "Đảng bộ thành phố trực thuộc Trung ương", UnitKind.SUPERIOR, True, [], 1),
    ("tinh", "Đảng bộ tỉnh", UnitKind.SUPERIOR, True, [], 2),
    ("huyen", "Đảng bộ huyện, quận, thị xã, thành phố thuộc tỉnh", UnitKind.SUPERIOR, False,
     ["thanh_pho", "tinh"], 3),
    ("xa", "Đảng bộ xã, phường, đặc khu", UnitKind.SUPERIOR, False, ["thanh_pho"], 4),
]  # fmt: skip
# Where the statute's default forms may also sit in a city.
DEFAULT_FORM_PARENTS = {
    UnitKind.SUPERIOR: ["thanh_pho", "tinh"],
    UnitKind.GRASSROOTS_COMMITTEE: ["huyen", "xa"],
    UnitKind.GRASSROOTS_CELL: ["huyen", "xa"],
}

# District-level units: (name until 2025, renamed on 01/01/2025 or None, weight ~ population in
# thousands, urban: its new units are wards). The weights share the communes' members.
HAI_PHONG_DISTRICTS = [
    ("Đảng bộ quận Hồng Bàng", None, 170, True), ("Đảng bộ quận Ngô Quyền", None, 180, True),
    ("Đảng bộ quận Lê Chân", None, 230, True), ("Đảng bộ quận Hải An", None, 150, True),
    ("Đảng bộ quận Kiến An", None, 120, True), ("Đảng bộ quận Đồ Sơn", None, 50, True),
    ("Đảng bộ quận Dương Kinh", None, 60, True),
    ("Đảng bộ huyện Thủy Nguyên", "Đảng bộ thành phố Thủy Nguyên", 400, True),
    ("Đảng bộ huyện An Dương", "Đảng bộ quận An Dương", 200, True),
    ("Đảng bộ huyện An Lão", None, 150, False), ("Đảng bộ huyện Kiến Thụy", None, 150, False),
    ("Đảng bộ huyện Tiên Lãng", None, 160, False), ("Đảng bộ huyện Vĩnh Bảo", None, 190, False),
    ("Đảng bộ huyện Cát Hải", None, 35, None), ("Đảng bộ huyện Bạch Long Vĩ", None, 2, None),
]  # fmt: skip
HAI_DUONG_DISTRICTS = [
    ("Đảng bộ thành phố Hải Dương", None, 510, True), ("Đảng bộ thành phố Chí Linh", None, 230, True),
    ("Đảng bộ thị xã Kinh Môn", None, 210, True), ("Đảng bộ huyện Nam Sách", None, 130, False),
    ("Đảng bộ huyện Kim Thành", None, 140, False), ("Đảng bộ huyện Thanh Hà", None, 160, False),
    ("Đảng bộ huyện Cẩm Giàng", None, 150, False), ("Đảng bộ huyện Bình Giang", None, 120, False),
    ("Đảng bộ huyện Gia Lộc", None, 140, False), ("Đảng bộ huyện Tứ Kỳ", None, 170, False),
    ("Đảng bộ huyện Ninh Giang", None, 150, False), ("Đảng bộ huyện Thanh Miện", None, 130, False),
]  # fmt: skip
# The blocs other than the demo committee: (name, province, members, TCCS at scale 1, where its
# grassroots organisations go on 01/07/2025). Those bound for the People's Committee's committee
# make its 53 TCCS and 19,522 members (02/07/2025).
BLOCS = [
    ("Đảng bộ Khối Doanh nghiệp thành phố", "hp", 9_000, 25, "ubnd"),
    ("Đảng bộ Quân sự thành phố", "hp", 4_200, 30, None),
    ("Đảng bộ Công an thành phố", "hp", 5_100, 34, None),
    ("Đảng bộ Khối các cơ quan tỉnh", "hd", 6_000, 16, "ubnd"),
    ("Đảng bộ Khối Doanh nghiệp tỉnh", "hd", 4_522, 12, "ubnd"),
    ("Đảng bộ Quân sự tỉnh", "hd", 2_600, 20, "Đảng bộ Quân sự thành phố"),
    ("Đảng bộ Công an tỉnh", "hd", 3_100, 24, "Đảng bộ Công an thành phố"),
]
SPECIAL_ZONES = {"Đảng bộ huyện Cát Hải": "Cát Hải", "Đảng bộ huyện Bạch Long Vĩ": "Bạch Long Vĩ"}
NAME_HEADS = ["An", "Tân", "Hồng", "Vĩnh", "Kiến", "Thái", "Hòa", "Quang", "Minh", "Đại", "Ngũ", "Hưng", "Phú",
              "Tiên", "Bình", "Nam", "Lạc", "Đông", "Tây", "Thanh", "Thuận", "Trường", "Kim", "Cẩm", "Gia",
              "Hợp", "Lê", "Quốc", "Tứ", "Việt"]  # fmt: skip
NAME_TAILS = ["Hưng", "Thịnh", "Phong", "Lộc", "Hòa", "Bình", "Thành", "Tiến", "Lợi", "Phúc", "Sơn", "Hải",
              "Long", "Khê", "Lâm", "Xuyên", "Đồng", "Trung", "Tường", "Giang"]  # fmt: skip
AGENCIES = ["Ủy ban nhân dân", "Phòng Tài chính - Kế hoạch", "Phòng Giáo dục và Đào tạo", "Trung tâm Y tế",
            "Phòng Tài nguyên và Môi trường", "Kho bạc Nhà nước", "Chi cục Thuế", "Viện Kiểm sát nhân dân",
            "Tòa án nhân dân", "Trường Trung học phổ thông", "Bệnh viện Đa khoa",
            "Ngân hàng Chính sách xã hội"]  # fmt: skip
COMMUNE_NAMES = [f"{head} {tail}" for head in NAME_HEADS for tail in NAME_TAILS if head != tail]
ENTERPRISES = ["Công ty Cảng", "Công ty Cấp nước", "Công ty Điện lực", "Tổng công ty Đóng tàu", "Công ty Xi măng",
               "Công ty Môi trường đô thị", "Công ty Công viên cây xanh", "Công ty Xổ số kiến thiết",
               "Công ty Thoát nước", "Công ty Vận tải", "Công ty Dược phẩm", "Công ty Chiếu sáng đô thị"]  # fmt: skip
ARMY = ["Bộ Chỉ huy", "Trung đoàn 50", "Trung đoàn 43", "Tiểu đoàn Pháo binh", "Đại đội Trinh sát",
        "Ban Chỉ huy Quân sự", "Kho Vũ khí", "Trường Quân sự", "Đồn Biên phòng", "Hải đội Dân quân"]  # fmt: skip
POLICE = ["Phòng Tham mưu", "Phòng Cảnh sát giao thông", "Phòng Cảnh sát hình sự", "Phòng An ninh nội địa",
          "Phòng Hậu cần", "Phòng Cảnh sát phòng cháy và chữa cháy", "Trại tạm giam", "Phòng Cảnh sát cơ động",
          "Phòng Quản lý xuất nhập cảnh", "Phòng Cảnh sát kinh tế"]  # fmt: skip
PROVINCE_AGENCIES = ["Sở Tài chính", "Sở Xây dựng", "Sở Y tế", "Sở Giáo dục và Đào tạo", "Sở Công Thương",
                     "Sở Nông nghiệp", "Sở Nội vụ", "Sở Tư pháp", "Văn phòng Ủy ban nhân dân tỉnh", "Thanh tra tỉnh",
                     "Báo Hải Dương", "Đài Phát thanh và Truyền hình", "Bệnh viện Đa khoa tỉnh",
                     "Trường Chính trị tỉnh"]  # fmt: skip
# The names of each bloc's grassroots organisations.
BLOC_POOLS = {"Doanh": ENTERPRISES, "Quân sự": ARMY, "Công an": POLICE, "cơ quan": PROVINCE_AGENCIES}


@dataclass(eq=False)
class CitySpec(UnitSpec):
    form: str | None = None
    province: str = "hp"


class CityBuilder:
    def __init__(self, scale: float = 1.0, seed: int = SEED, horizon: date = HORIZON):
        self.rng = random.Random(seed)
        self.scale = scale
        self.horizon = horizon
        self.units: list[CitySpec] = []
        self.cells: list[tuple[CitySpec, int]] = []  # each cell with its members counted on CITY_DAY
        self.members: list[Member] = []
        self.plans: list[tuple] = []  # (member index, cell, start, end): one stint each

    def _add(self, name, kind, parent, founded=CITY_FOUNDED, **fields) -> CitySpec:
        spec = CitySpec(name, kind, parent, founded, **fields)
        self.units.append(spec)
        return spec

    # --- the tree --------------------------------------------------------------------------------

    def plan_tree(self, demo_members_on_city_day: int) -> None:
        rng = self.rng
        self.root = self._add("Đảng bộ thành phố Hải Phòng", UnitKind.SUPERIOR, None, form="thanh_pho", code="HP")
        self.province = self._add("Đảng bộ tỉnh Hải Dương", UnitKind.SUPERIOR, None, PROVINCE_FOUNDED,
                                  dissolved=MERGER, form="tinh", province="hd", code="HD")  # fmt: skip
        self.ubnd = self._add("Đảng bộ Ủy ban nhân dân thành phố", UnitKind.SUPERIOR, self.root, MERGER)
        rest = round((CITY_MEMBERS - demo_members_on_city_day) * self.scale)
        bloc_members = [round(b[2] * self.scale) for b in BLOCS]
        district_rows = [(row, "hp") for row in HAI_PHONG_DISTRICTS] + [(row, "hd") for row in HAI_DUONG_DISTRICTS]
        district_members = _allocate(rng, rest - sum(bloc_members), [row[2] for row, _ in district_rows], 0)
        # The new communes: two special zones, the other 112 shared by weight (at least one each).
        communes_left = COMMITTEES_UNDER_CITY - 4 - len(SPECIAL_ZONES)
        plain = [(row, p) for row, p in district_rows if row[0] not in SPECIAL_ZONES]
        shares = _allocate(rng, communes_left, [row[2] for row, _ in plain], 1)
        communes_of = {row[0]: n for (row, _), n in zip(plain, shares)} | {name: 1 for name in SPECIAL_ZONES}
        commune_names = iter(rng.sample(COMMUNE_NAMES, COMMITTEES_UNDER_CITY))
        blocs = {}
        for name, province, *_ in BLOCS:
            parent = self.root if province == "hp" else self.province
            founded = CITY_FOUNDED if province == "hp" else PROVINCE_FOUNDED
            stays = name in ("Đảng bộ Quân sự thành phố", "Đảng bộ Công an thành phố")
            blocs[name] = self._add(name, UnitKind.SUPERIOR, parent, founded, dissolved=None if stays else MERGER,
                                    province=province)  # fmt: skip
        for (name, _, _, tccs, goes), members in zip(BLOCS, bloc_members):
            bloc = blocs[name]
            n_tccs = max(1, round(tccs * self.scale))
            pool = next(pool for word, pool in BLOC_POOLS.items() if word in name)
            grassroots = self._grassroots(bloc, n_tccs, members, pool)
            if goes:
                receiver = self.ubnd if goes == "ubnd" else blocs[goes]
                for spec in grassroots:
                    spec.moves.append((MERGER, receiver))
        for ((name, renamed, _, urban), province), members in zip(district_rows, district_members):
            parent = self.root if province == "hp" else self.province
            founded = CITY_FOUNDED if province == "hp" else PROVINCE_FOUNDED
            district = self._add(name, UnitKind.SUPERIOR, parent, founded, dissolved=MERGER, form="huyen",
                                 province=province)  # fmt: skip
            if renamed:
                district.renames.append((date(2025, 1, 1), renamed))
            n_communes = communes_of[name]
            communes = []
            for _ in range(n_communes):
                if name in SPECIAL_ZONES:
                    title = f"Đảng bộ đặc khu {SPECIAL_ZONES[name]}"
                else:
                    title = f"Đảng bộ {'phường' if urban else 'xã'} {next(commune_names)}"
                communes.append(self._add(title, UnitKind.SUPERIOR, self.root, MERGER, form="xa"))
            # About six cells a grassroots organisation, and at least one for each new commune.
            n_tccs = max(n_communes + 1, round(members / MEMBERS_PER_CELL / 6))
            grassroots = self._grassroots(district, n_tccs, members, AGENCIES, urban=urban)
            # Each new commune takes a share of the district's grassroots organisations.
            for i, spec in enumerate(grassroots):
                spec.moves.append((MERGER, communes[i % n_communes]))
        self.commune_count = sum(communes_of.values())

    def _grassroots(self, holder: CitySpec, n_tccs: int, members: int, pool, urban=None) -> list[CitySpec]:
        """`n_tccs` grassroots organisations under `holder` with about MEMBERS_PER_CELL members a
        cell: commune committees with their village cells (districts), agencies' committees and
        cells; the members are shared among the cells."""
        rng = self.rng
        committees = max(1, round(n_tccs * 0.6))
        # Every committee holds at least one attached cell.
        n_cells = max(n_tccs, round(members / MEMBERS_PER_CELL))
        province, founded = holder.province, holder.founded
        place = holder.name.removeprefix("Đảng bộ ")  # "quận Hồng Bàng"
        tccs, cells = [], []
        # Commune and ward committees of a district: generated names, distinct within the district.
        places = rng.sample(COMMUNE_NAMES, min(committees, len(COMMUNE_NAMES)))

        def numbered(i):
            return pool[i % len(pool)] + (f" số {i // len(pool) + 1}" if i >= len(pool) else "")

        for i in range(n_tccs):
            if i < committees:
                if holder.form == "huyen":
                    title = f"Đảng bộ {'phường' if urban else 'xã'} {places[i % len(places)]}"
                    title += f" {i // len(places) + 1}" if i >= len(places) else ""
                else:
                    title = f"Đảng bộ {numbered(i)}"
                kind = UnitKind.GRASSROOTS_COMMITTEE
            else:
                title = f"Chi bộ {numbered(i - committees)}" + (f" {place}" if holder.form == "huyen" else "")
                kind = UnitKind.GRASSROOTS_CELL
            spec = self._add(title, kind, holder, founded, province=province)
            tccs.append(spec)
            if kind == UnitKind.GRASSROOTS_CELL:
                cells.append(spec)
        per_committee = _allocate(rng, n_cells - len(cells), [rng.uniform(0.5, 2.0) for _ in range(committees)], 1)
        word = "Tổ dân phố" if urban else "Thôn"
        departments = names.DEPARTMENT_NAMES
        for committee, count in zip(tccs, per_committee):
            for j in range(count):
                if holder.form == "huyen":
                    name = f"Chi bộ {word} số {j + 1}"
                else:
                    name = f"Chi bộ {departments[j % len(departments)]}"
                    name += f" {j // len(departments) + 1}" if j >= len(departments) else ""
                cells.append(self._add(name, UnitKind.ATTACHED_CELL, committee, founded, province=province))
        weights = [rng.uniform(0.6, 1.6) for _ in cells]
        if members:
            for cell, count in zip(cells, _allocate(rng, members, weights, 0)):
                self.cells.append((cell, count))
        return tccs

    # --- members ---------------------------------------------------------------------------------

    def _person(self, sex: str, birth: date, admitted: date, province: str) -> int:
        rng = self.rng
        index = len(self.members)
        age = vn.age_on(birth, CITY_DAY)
        theory = _weighted(rng, [(TheoryLevel.NONE, 20), (TheoryLevel.ELEMENTARY, 45),
                                 (TheoryLevel.INTERMEDIATE, 20 + age // 3), (TheoryLevel.ADVANCED, age // 8),
                                 (TheoryLevel.BACHELOR, 2)])  # fmt: skip
        town = "Hải Phòng" if province == "hp" else "Hải Dương"
        serial = 100_000 + index  # the demo's members and candidates use other numbers
        member = Member(
            family_name=_weighted(rng, names.FAMILY_NAMES), middle_name=rng.choice(names.MIDDLE_NAMES[sex]),
            given_name=rng.choice(names.GIVEN_NAMES[sex]), sex=sex, birth_date=birth, religion="Không",
            home_town=town if rng.random() < 0.8 else rng.choice(names.HOME_TOWNS), residence=town,
            citizen_id=f"{'031' if province == 'hp' else '030'}{(0 if birth.year < 2000 else 2) + (sex == 'F')}"
                       f"{birth.year % 100:02d}{serial:06d}",
            education="12/12", qualification=rng.choice(names.QUALIFICATIONS), theory_level=theory,
            occupation=rng.choice(names.OCCUPATIONS), admitted_on=admitted,
            card_number=f"{(20_000_003 + serial * 7_919) % 100_000_000:08d}", background_number=f"{serial:06d}",
        )  # fmt: skip
        member.refresh_derived()
        self.members.append(member)
        return index

    def _admission_for(self, birth: date, latest: date) -> date | None:
        earliest = vn.add_years(birth, 18)
        latest = min(latest, vn.add_years(birth, 45))
        if latest <= earliest:
            return None
        return earliest + datetime.timedelta(days=self.rng.randrange((latest - earliest).days))

    def plan_members(self) -> None:
        """The members counted on CITY_DAY in each cell (some leave after it), those who left before
        it (3%) and those who arrive after it (2%)."""
        rng = self.rng
        day = datetime.timedelta(days=1)
        for cell, count in self.cells:
            province = cell.province
            for _ in range(count):
                sex = "F" if rng.random() < 0.42 else "M"
                while True:
                    birth = vn.add_years(CITY_DAY, -rng.randint(22, 88)) - datetime.timedelta(days=rng.randrange(365))
                    admitted = self._admission_for(birth, CITY_DAY - day)
                    if admitted:
                        break
                index = self._person(sex, birth, admitted, province)
                start = max(admitted, cell.founded)
                end = None
                if rng.random() < 0.02:  # leaves after the calibration day
                    end = CITY_DAY + datetime.timedelta(days=rng.randrange(1, max(2, (self.horizon - CITY_DAY).days)))
                self.plans.append((index, cell, start, end))
        cells = [cell for cell, _ in self.cells]
        for _ in range(round(0.03 * len(self.members))):  # left before the calibration day
            cell = rng.choice(cells)
            birth = vn.add_years(CITY_DAY, -rng.randint(40, 90))
            admitted = self._admission_for(birth, date(2018, 1, 1))
            start = max(admitted, cell.founded)
            end = start + datetime.timedelta(days=rng.randrange(400, max(401, (CITY_DAY - start).days)))
            index = self._person("F" if rng.random() < 0.4 else "M", birth, admitted, cell.province)
            self.plans.append((index, cell, start, end))
        for _ in range(round(0.02 * len(self.members))):  # admitted after it
            cell = rng.choice(cells)
            start = CITY_DAY + datetime.timedelta(days=rng.randrange(1, max(2, (self.horizon - CITY_DAY).days)))
            birth = vn.add_years(start, -rng.randint(20, 35))
            index = self._person("F" if rng.random() < 0.5 else "M", birth, start, cell.province)
            self.plans.append((index, cell, start, None))

    def _events(self, index: int, cell: CitySpec, start: date, end: date | None) -> list[Event]:
        rng = self.rng
        member = self.members[index]
        admitted = member.admitted_on
        events = []

        def decision(day, body="Đảng ủy"):
            return {"decision_number": f"{rng.randint(10, 999)}-QĐ/ĐU", "decided_on": day, "issuing_body": body}

        ceremony = admitted + datetime.timedelta(days=rng.randint(7, 30))
        if ceremony > self.horizon:
            ceremony = None
        if start == admitted:
            events.append(Event(member=member, kind=EventKind.ADMISSION, effective_on=admitted, unit_id=cell.unit_id,
                                ceremony_on=ceremony, **decision(admitted)))  # fmt: skip
        else:
            elsewhere = "Đảng bộ tỉnh Hải Hưng" if admitted < PROVINCE_FOUNDED <= start else rng.choice(
                names.OUTSIDE_COMMITTEES)  # fmt: skip
            events.append(Event(member=member, kind=EventKind.ADMISSION, effective_on=admitted, other_side=elsewhere,
                                ceremony_on=ceremony, **decision(admitted, "Đảng ủy cấp trên")))  # fmt: skip
        ends = ceremony and vn.add_years(ceremony, 1)
        recognised = ends and ends <= self.horizon and (end is None or ends < end)
        if recognised and ends < start:
            events.append(Event(member=member, kind=EventKind.RECOGNITION, effective_on=ends,
                                **decision(ends, "Đảng ủy cấp trên")))  # fmt: skip
        if start != admitted:
            events.append(Event(member=member, kind=EventKind.TRANSFER_IN, effective_on=start, unit_id=cell.unit_id,
                                other_side=events[0].other_side, **decision(start)))  # fmt: skip
        if recognised and ends >= start:
            events.append(
                Event(
                    member=member,
                    kind=EventKind.RECOGNITION,
                    effective_on=ends,
                    **decision(min(ends + datetime.timedelta(days=rng.randint(3, 40)), self.horizon)),
                )
            )
        if end is not None:
            if not recognised:
                events.append(Event(member=member, kind=EventKind.REMOVAL, effective_on=end, **decision(end)))
            elif vn.age_on(member.birth_date, end) >= 70 and rng.random() < 0.7:
                events.append(Event(member=member, kind=EventKind.DEATH, effective_on=end, **decision(end)))
            else:
                events.append(Event(member=member, kind=EventKind.TRANSFER_OUT, effective_on=end,
                                    from_unit_id=cell.unit_id, other_side=rng.choice(names.OUTSIDE_COMMITTEES),
                                    **decision(end)))  # fmt: skip
        return events

    # --- writing ---------------------------------------------------------------------------------

    def write_tree(self, demo_root: int) -> list[UnitVersion]:
        # Every unit has a code, by which the exchange workbook names it (the demo's are DV…).
        units = [Unit(code=spec.code or f"TP{index:05d}") for index, spec in enumerate(self.units)]
        bulk.insert(Unit, units)
        for spec, unit in zip(self.units, units):
            spec.unit_id = unit.pk
        versions = spec_versions(self.units, lambda start: "Quyết định của Bộ Chính trị" if start == MERGER else "")
        bulk.insert(UnitVersion, versions)
        # The demo committee becomes the city's agencies' bloc: its subtree's paths start with the city's.
        root_path = path_segment(self.root.unit_id)
        UnitVersion.objects.filter(unit_id=demo_root).update(parent_id=self.root.unit_id)
        UnitVersion.objects.filter(path__startswith=path_segment(demo_root)).update(
            path=Concat(Value(root_path), F("path")), depth=F("depth") + 1
        )
        return versions

    def write_members(self) -> dict:
        histories = [[] for _ in self.members]
        for index, cell, start, end in self.plans:
            histories[index] = self._events(index, cell, start, end)
        # The stints are the replay of the events, as for any member recorded through the actions.
        timelines = []
        for member, events in zip(self.members, histories):
            timeline = replay(events, born_on=member.birth_date)
            member.official_on = timeline.official_on
            timelines.append(timeline)
        bulk.insert(Member, self.members)
        stints = []
        for member, events, timeline in zip(self.members, histories, timelines):
            for event in events:
                event.member_id = member.pk
            stints.extend(Stint.of(member_id=member.pk, unit_id=s.unit_id, kind=s.kind, status=s.status,
                                   start=s.start, end=s.end, decided_on=s.decided_on, ceremony_on=s.ceremony_on)
                          for s in timeline.stints)  # fmt: skip
        events = [event for history in histories for event in history]
        bulk.insert(Event, events)
        bulk.insert(Stint, stints)
        refresh_flags_of_new(self.members[0].pk, self.members[-1].pk)
        return {"members": len(self.members), "events": len(events), "stints": len(stints)}


def ensure_forms() -> None:
    """The forms of organisation the city needs, with where they may sit (idempotent)."""
    for code, name, kind, at_top, _, order in FORMS:
        UnitForm.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "at_top": at_top,
                                                            "order": order})  # fmt: skip
    for code, _, _, _, parents, _ in FORMS:
        if parents:
            UnitForm.objects.get(code=code).parents.add(*parents)
    for code, parents in DEFAULT_FORM_PARENTS.items():
        UnitForm.objects.get(code=code).parents.add(*parents)


def members_on(unit_path: str, day: date) -> int:
    """Members holding official activity on `day` in the cells under `unit_path` on that day."""
    cells = UnitVersion.objects.on(day).under(unit_path).values("unit_id")
    return (Stint.unscoped.filter(kind=StintKind.OFFICIAL, unit_id__in=cells).open_on(day)
            .values("member_id").distinct().count())  # fmt: skip


@transaction.atomic
def build_city(
    scale: float = 1.0, seed: int = SEED, logins: bool = True, today: date = HORIZON, demo: dict | None = None
) -> dict:
    """The city around the demo committee, its history written up to `today`. `demo`: the ids of a
    demo committee already built (`build_demo`'s answer); by default it is built first."""
    if demo is None:
        demo = build_demo(today=today, logins=logins)
    ensure_forms()
    demo_root = UnitVersion.objects.filter(unit_id=demo["root"]).order_by("valid_from").first()
    demo_members = members_on(demo_root.path, CITY_DAY)
    builder = CityBuilder(scale=scale, seed=seed, horizon=today)
    builder.plan_tree(demo_members)
    builder.plan_members()
    versions = builder.write_tree(demo["root"])
    stats = {"units": len(builder.units), "versions": len(versions)}
    stats.update(builder.write_members())
    refresh_tallies()
    root = builder.root.unit_id
    Term.objects.create(committee_id=root, name="2020–2025", starts_on=date(2020, 10, 16), ends_on=date(2025, 10, 14))
    Term.objects.create(committee_id=root, name="2025–2030", starts_on=date(2025, 10, 14))
    if logins:
        create_city_logins(root)
    summary = {**stats, "scale": scale, "seed": seed}
    labels = SUMMARY_LABELS | {"scale": "Tỉ lệ so với Đảng bộ thành phố thật"}
    record(None, "load_demo", Unit.objects.get(pk=root), None,
           {labels.get(key, key): value for key, value in summary.items()})  # fmt: skip
    stats.update(root=root, province=builder.province.unit_id, ubnd=builder.ubnd.unit_id, demo_root=demo["root"],
                 communes=builder.commune_count)  # fmt: skip
    return stats


def create_city_logins(root: int) -> None:
    for username, first, last, role in [("thanhuy", "Hoa", "Nguyễn Thị", Role.SUPERIOR_STAFF),
                                        ("xemtp", "Thành ủy", "Văn phòng", Role.VIEWER)]:  # fmt: skip
        user = User(username=username, first_name=first, last_name=last, email=f"{username}@dangbo.local", role=role,
                    unit_id=root)  # fmt: skip
        user.set_password(DEMO_PASSWORD)
        user.save()
