"""The demo's congress resolutions: the committee's 2020–2025 resolution with the reference's 9
targets (7 computed from the records, 2 judged by hand with evidence), 3 breakthroughs and 3 groups
of key tasks; its 2025–2030 resolution; each grassroots committee's own 2020–2025 resolution; and
the "Dân vận khéo" registrations: by 30/09/2024, 40 of the 62 grassroots organisations had
registered a model (64,5%), themselves or through one of their cells."""

from __future__ import annotations

import datetime
import io
import random
from decimal import Decimal

from django.core.files.base import ContentFile
from docx import Document

from dangbo.orgs.models import CELL_KINDS, Term, UnitKind
from dangbo.ratings.figures import GRASSROOTS_KINDS
from dangbo.targets.models import (
    Basis,
    Comparator,
    ManualValue,
    Method,
    ModelRegistration,
    PartKind,
    RegistrationResult,
    Resolution,
    ResolutionPart,
    Target,
)

date = datetime.date
REGISTERED_TCCS = 40  # of 62 on 30/09/2024 (the reference: 64,5%)

BREAKTHROUGHS = [
    "Nâng cao chất lượng sinh hoạt chi bộ gắn với thực hiện nhiệm vụ chính trị của cơ quan, đơn vị",
    "Đẩy mạnh chuyển đổi số trong công tác xây dựng Đảng và quản lý đảng viên",
    "Xây dựng đội ngũ cán bộ, đảng viên, nhất là người đứng đầu, đủ phẩm chất, năng lực, uy tín",
]
TASK_GROUPS = [
    "Xây dựng Đảng bộ trong sạch, vững mạnh về chính trị, tư tưởng, đạo đức, tổ chức và cán bộ",
    "Lãnh đạo thực hiện nhiệm vụ chính trị, cải cách hành chính, nâng cao chất lượng phục vụ nhân dân, doanh nghiệp",
    "Lãnh đạo các đoàn thể, công tác dân vận, xây dựng cơ quan, đơn vị văn hóa",
]
# (name, measure, value, comparator, basis, indicator or None for a target judged by hand, part)
TARGETS_2020 = [
    ("Kết nạp ít nhất 800 đảng viên mới trong nhiệm kỳ", "đảng viên", 800, Comparator.AT_LEAST, Basis.CUMULATIVE,
     "admissions", ("task_group", 1)),
    ("100% chi bộ duy trì nền nếp sinh hoạt chi bộ theo quy định", "%", 100, Comparator.AT_LEAST, Basis.YEARLY,
     "meetings", ("breakthrough", 1)),
    ("Hằng năm ít nhất 95% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên", "%", 95, Comparator.AT_LEAST,
     Basis.YEARLY, "tccs_good_or_better", ("task_group", 1)),
    ("Không có tổ chức cơ sở đảng không hoàn thành nhiệm vụ", "tổ chức", 0, Comparator.AT_MOST, Basis.YEARLY,
     "tccs_failed", ("task_group", 1)),
    ("Hằng năm ít nhất 97% đảng viên hoàn thành tốt nhiệm vụ trở lên", "%", 97, Comparator.AT_LEAST, Basis.YEARLY,
     "members_good_or_better", ("breakthrough", 3)),
    ("Hằng năm có từ 15% đảng viên hoàn thành xuất sắc nhiệm vụ", "%", 15, Comparator.AT_LEAST, Basis.YEARLY,
     "members_excellent", ("breakthrough", 3)),
    ("Ít nhất 60% tổ chức cơ sở đảng đăng ký xây dựng mô hình “Dân vận khéo”", "%", 60, Comparator.AT_LEAST, Basis.END,
     "dan_van_kheo", ("task_group", 3)),
    ("100% cán bộ, đảng viên được học tập, quán triệt nghị quyết của Đảng", "%", 100, Comparator.AT_LEAST, Basis.END,
     None, ("task_group", 1)),
    ("100% cơ quan, đơn vị ứng dụng phần mềm quản lý văn bản, hồ sơ công việc", "%", 100, Comparator.AT_LEAST,
     Basis.END, None, ("breakthrough", 2)),
]  # fmt: skip
TARGETS_2025 = [
    ("Kết nạp ít nhất 850 đảng viên mới trong nhiệm kỳ", "đảng viên", 850, Comparator.AT_LEAST, Basis.CUMULATIVE,
     "admissions", None),
    ("100% chi bộ duy trì nền nếp sinh hoạt chi bộ theo quy định", "%", 100, Comparator.AT_LEAST, Basis.YEARLY,
     "meetings", None),
    ("Hằng năm ít nhất 95% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên", "%", 95, Comparator.AT_LEAST,
     Basis.YEARLY, "tccs_good_or_better", None),
    ("Hằng năm ít nhất 97% đảng viên hoàn thành tốt nhiệm vụ trở lên", "%", 97, Comparator.AT_LEAST, Basis.YEARLY,
     "members_good_or_better", None),
    ("Ít nhất 70% tổ chức cơ sở đảng đăng ký xây dựng mô hình “Dân vận khéo”", "%", 70, Comparator.AT_LEAST, Basis.END,
     "dan_van_kheo", None),
    ("Ít nhất 45% đảng viên có trình độ lý luận chính trị trung cấp trở lên", "%", 45, Comparator.AT_LEAST, Basis.END,
     "theory_intermediate", None),
]  # fmt: skip
MODELS = [
    ("Cơ quan thân thiện, phục vụ nhân dân tận tình", "Cải cách hành chính"),
    ("Một cửa điện tử, không giấy tờ", "Chuyển đổi số"),
    ("Đồng hành cùng doanh nghiệp", "Kinh tế"),
    ("Vì người nghèo, không để ai bị bỏ lại phía sau", "An sinh xã hội"),
    ("Đảng viên gương mẫu nơi cư trú", "Xây dựng Đảng"),
    ("Tuyến phố văn minh, sạch đẹp", "Văn hóa – xã hội"),
]


def _evidence(title: str, lines: list[str]) -> ContentFile:
    """A real Word document as the evidence of a value judged by hand."""
    document = Document()
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return ContentFile(buffer.getvalue(), name="minh-chung.docx")


def _resolution(term: Term, title: str, number: str, targets, parts=True) -> list[Target]:
    resolution = Resolution.objects.create(term=term, title=title, number=number, adopted_on=term.starts_on)
    made = {}
    if parts:
        for kind, titles in ((PartKind.BREAKTHROUGH, BREAKTHROUGHS), (PartKind.TASK_GROUP, TASK_GROUPS)):
            for order, part_title in enumerate(titles, 1):
                made[(kind.value, order)] = ResolutionPart.objects.create(
                    resolution=resolution, kind=kind, order=order, title=part_title
                )
    rows = []
    for order, (name, measure, value, comparator, basis, indicator, part) in enumerate(targets, 1):
        rows.append(Target(
            resolution=resolution, order=order, name=name, measure=measure, target_value=Decimal(value),
            comparator=comparator, basis=basis, method=Method.INDICATOR if indicator else Method.MANUAL,
            indicator=indicator or "", part=made.get(part) if part else None,
        ))  # fmt: skip
    return Target.objects.bulk_create(rows)


def write_targets(builder, reference_day: date, horizon: date, seed: int) -> dict:
    rng = random.Random(seed)
    root = builder.root
    terms = {t.name: t for t in Term.objects.filter(committee_id=root.unit_id)}
    first = _resolution(terms["2020–2025"], "Nghị quyết Đại hội đại biểu Đảng bộ lần thứ VI, nhiệm kỳ 2020–2025",
                        "01-NQ/ĐH", TARGETS_2020)  # fmt: skip
    _resolution(terms["2025–2030"], "Nghị quyết Đại hội đại biểu Đảng bộ lần thứ VII, nhiệm kỳ 2025–2030",
                "01-NQ/ĐH", TARGETS_2025)  # fmt: skip
    manual = [t for t in first if t.method == Method.MANUAL]
    values = [
        (manual[0], date(2022, 12, 31), "96.50", "Báo cáo kết quả học tập, quán triệt nghị quyết năm 2022."),
        (manual[0], date(2024, 6, 30), "100", "Báo cáo sơ kết 6 tháng đầu năm 2024: 100% cán bộ, đảng viên."),
        (manual[1], date(2023, 12, 31), "82", "Báo cáo chuyển đổi số năm 2023 của Văn phòng Đảng ủy."),
        (manual[1], date(2024, 9, 15), "91.5", "Báo cáo chuyển đổi số 9 tháng năm 2024."),
    ]
    for target, as_of, value, note in values:
        ManualValue.objects.create(
            target=target, unit_id=root.unit_id, as_of=as_of, value=Decimal(value), note=note,
            evidence=_evidence(target.name, [note, f"Số liệu tính đến ngày {as_of:%d/%m/%Y}: {value}%."]),
        )  # fmt: skip
    resolutions = 2
    for committee in builder.units:
        if committee.kind != UnitKind.GRASSROOTS_COMMITTEE:
            continue
        term = Term.objects.filter(committee_id=committee.unit_id, name="2020–2025").first()
        if term is None:
            continue
        admissions = 5 * max(1, round(sum(1 for c in builder.counted_cells if c.parent is committee) * 0.6))
        own = [(f"Kết nạp ít nhất {admissions} đảng viên mới trong nhiệm kỳ", "đảng viên", admissions,
                Comparator.AT_LEAST, Basis.CUMULATIVE, "admissions", None), *TARGETS_2020[1:3], TARGETS_2020[4]]
        _resolution(term, "Nghị quyết Đại hội Đảng bộ cơ sở nhiệm kỳ 2020–2025", "01-NQ/ĐH", own, parts=False)
        resolutions += 1
    return {"resolutions": resolutions, "registrations": _registrations(builder, rng, reference_day, horizon)}


def _registrations(builder, rng, reference_day: date, horizon: date) -> int:
    """40 of the grassroots organisations of 30/09/2024 registered during the term up to that day,
    a third of them through one of their cells; a few registered again later, and a few others
    only after the reference day."""
    term_start = date(2020, 10, 15)
    grassroots = [u for u in builder.units if u.kind in GRASSROOTS_KINDS and u.exists_on(reference_day)]
    grassroots.sort(key=lambda u: u.unit_id)
    chosen = rng.sample(grassroots, REGISTERED_TCCS)
    cells_of = {}
    for cell in builder.units:
        if cell.kind in CELL_KINDS and cell.exists_on(reference_day) and cell.founded <= term_start:
            parent = cell.parent_on(reference_day)
            if parent is not None and parent.kind in GRASSROOTS_KINDS:
                cells_of.setdefault(parent.unit_id, []).append(cell)
    rows = []

    def add(unit, day, result):
        name, field = rng.choice(MODELS)
        rows.append(ModelRegistration(unit_id=unit.unit_id, year=day.year, registered_on=day, name=name, field=field,
                                      result=result))  # fmt: skip

    for i, tccs in enumerate(chosen):
        day = term_start + datetime.timedelta(days=rng.randint(60, (reference_day - term_start).days - 1))
        cells = cells_of.get(tccs.unit_id, [])
        who = rng.choice(cells) if cells and i % 3 == 0 else tccs
        recognised = day.year < reference_day.year and rng.random() < 0.6
        add(who, day, RegistrationResult.RECOGNISED if recognised else RegistrationResult.REGISTERED)
    later = [g for g in grassroots if g not in chosen and g.exists_on(horizon)]
    for tccs in rng.sample(later, min(8, len(later))):
        add(tccs, reference_day + datetime.timedelta(days=rng.randint(30, (horizon - reference_day).days - 1)),
            RegistrationResult.REGISTERED)  # fmt: skip
    ModelRegistration.objects.bulk_create(rows)
    return len(rows)
