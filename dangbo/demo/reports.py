"""The demo's reports: the committee's schedule (the monthly, quarterly, six-monthly and yearly
reports and the monthly report on the situation of opinion from its grassroots organisations, due
on set days), its letterhead, and the history — every grassroots organisation's monthly reports of
2024, both kinds (a few late, a few missing, a few returned and sent again), the answers to an
ad-hoc request on the situation of opinion after typhoon No. 3 (09/2024), the reports of 10/2026
still coming in; and the committee's own monthly reports of 2024, its consolidated report for
09/2024 completed and numbered, its nine-month report drafted, and its reports either side of the
term change of 08/2025 (numbering starts again from 01).

The grassroots organisations' history is written in bulk as the actions would have written it on
its days: those reports keep their statistics to be read from the records as of their period's
end. The committee's own reports go through the actions (opened, edited, completed)."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from dangbo.accounts.models import Role, User
from dangbo.lib import vn
from dangbo.orgs.models import UnitKind, UnitVersion
from dangbo.reports import actions, defaults, periods
from dangbo.reports.models import AdHocRequest, Letterhead, Report, ReportType, Schedule, SectionSpec, Status, Step

date = datetime.date
GRASSROOTS = [UnitKind.GRASSROOTS_COMMITTEE, UnitKind.GRASSROOTS_CELL]
SCHEDULE = [("thang", 5), ("tu-tuong", 5), ("quy", 10), ("sau-thang", 10), ("nam", 15)]
LATE_IN_SEPTEMBER, MISSING_IN_SEPTEMBER = 4, 2

OPINION = [
    "Cán bộ, đảng viên tư tưởng ổn định, tin tưởng vào sự lãnh đạo của Đảng, chấp hành nghiêm chủ trương, "
    "chính sách của Đảng, pháp luật của Nhà nước.",
    "Tình hình tư tưởng của cán bộ, đảng viên ổn định; đoàn kết, thống nhất cao trong thực hiện nhiệm vụ chính trị.",
    "Cán bộ, đảng viên phấn khởi, yên tâm công tác; một số đảng viên còn băn khoăn về việc sắp xếp tổ chức bộ máy.",
]
RUMOURS = [
    "Cán bộ, đảng viên quan tâm đến việc sắp xếp, tinh gọn tổ chức bộ máy và chính sách đối với người dôi dư.",
    "Dư luận quan tâm đến giá cả thị trường, công tác phòng, chống tham nhũng, tiêu cực.",
    "Không có vấn đề nổi cộm; dư luận đồng tình với các chủ trương của thành phố.",
]
RESULTS = [
    "Hoàn thành các nhiệm vụ chuyên môn trong tháng; tổ chức sinh hoạt chi bộ đúng quy định.",
    "Lãnh đạo hoàn thành nhiệm vụ chính trị của cơ quan; triển khai học tập nghị quyết của cấp trên.",
    "Duy trì nền nếp sinh hoạt, thực hiện tốt quy chế làm việc; chăm lo công tác phát triển đảng viên.",
]
PLANS = [
    "Tiếp tục lãnh đạo thực hiện nhiệm vụ chính trị; chuẩn bị nội dung sinh hoạt chi bộ tháng tới.",
    "Tập trung hoàn thành các chỉ tiêu năm; tiếp tục công tác tạo nguồn phát triển đảng viên.",
]
TYPHOON = [
    "Tình hình tư tưởng, tâm trạng của cán bộ, đảng viên sau cơn bão số 3",
    "Thiệt hại và việc khắc phục hậu quả tại cơ quan, đơn vị",
    "Kiến nghị, đề xuất",
]
COMMITTEE_TEXTS = {
    "tinh-hinh": "Tình hình tư tưởng của cán bộ, đảng viên trong Đảng bộ Khối ổn định, tin tưởng vào sự lãnh đạo "
    "của Trung ương và Thành ủy. Các cấp ủy cơ sở chủ động lãnh đạo cán bộ, đảng viên, đoàn viên, hội viên chấp hành "
    "nghiêm kỷ luật, kỷ cương hành chính công vụ; tập trung khắc phục hậu quả cơn bão số 3.",
    "han-che": "Một số tổ chức cơ sở đảng gửi báo cáo chưa đúng thời hạn; chất lượng sinh hoạt chi bộ ở một số nơi "
    "chưa cao.",
    "phuong-huong": "Tiếp tục lãnh đạo thực hiện các chỉ tiêu Nghị quyết Đại hội; tập trung công tác phát triển đảng "
    "viên để hoàn thành chỉ tiêu nhiệm kỳ; chuẩn bị đại hội đảng bộ các cấp nhiệm kỳ 2025–2030.",
    "kien-nghi": "Đề nghị Thường trực Thành ủy cho phép Đảng ủy Khối phối hợp với Trường Chính trị thành phố mở lớp "
    "trung cấp lý luận chính trị cho cán bộ, đảng viên trong quy hoạch.",
}


def _at(day: date, hour: int = 9):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class History:
    """The grassroots organisations' reports written in bulk, numbered as `actions` numbers them: in the
    order they were sent."""

    def __init__(self, rng: random.Random, khoi: User | None, people: dict[int, User]):
        self.rng, self.khoi, self.people = rng, khoi, people
        self.reports, self.steps = [], []
        self.numbers: dict[tuple, int] = {}

    def number(self) -> None:
        """Numbers in the order of issue, as `actions` gives them when each is sent: by the first
        sending across all types (a unit's reports are added type by type, so the ad-hoc report sent
        on 18/09/2024 would otherwise come after the monthly reports of the whole year)."""
        terms: dict[tuple, object] = {}
        issued = sorted((r for r in self.reports if r.first_sent_at is not None),
                        key=lambda r: (r.first_sent_at, r.report_type.order, r.report_type_id))  # fmt: skip
        for report in issued:
            day = report.issued_on
            if (report.unit_id, day) not in terms:
                terms[report.unit_id, day] = actions.term_on(report.unit_id, day)
            term = terms[report.unit_id, day]
            key = (report.unit_id, report.symbol, term.pk if term else None, None if term else day.year)
            self.numbers[key] = self.numbers.get(key, 0) + 1
            report.number, report.term = self.numbers[key], term

    def add(self, report_type, unit: UnitVersion, key, start, end, due, sent: date | None, texts, to_unit, fate,
            request=None):  # fmt: skip
        """fate: accepted, submitted (waiting), returned_then_accepted."""
        report = Report(report_type=report_type, unit_id=unit.unit_id, to_unit_id=to_unit, period=key, starts_on=start,
                        ends_on=end, due_on=due, texts=texts, request=request, status=Status.DRAFT)  # fmt: skip
        author = self.people.get(unit.unit_id)
        opened = min(sent or due, due) - datetime.timedelta(days=2)
        steps = [(Step.Kind.CREATED, author, _at(opened), "")]
        if sent is not None:
            report.symbol, report.issued_on = report_type.symbol, sent  # numbered in `write`, in order of issue
            report.issuer_symbol = "CB" if unit.kind == UnitKind.GRASSROOTS_CELL else "ĐU"
            report.first_sent_at = report.sent_at = _at(sent)
            steps.append((Step.Kind.SENT, author, _at(sent), ""))
            if fate == "returned_then_accepted":
                comment = "Đề nghị bổ sung số liệu phát triển đảng viên và đánh giá hạn chế."
                steps += [(Step.Kind.RETURNED, self.khoi, _at(sent, 14), comment),
                          (Step.Kind.SENT, author, _at(sent + datetime.timedelta(days=1)), ""),
                          (Step.Kind.ACCEPTED, self.khoi, _at(sent + datetime.timedelta(days=2)), "")]  # fmt: skip
                report.sent_at = _at(sent + datetime.timedelta(days=1))
                report.status = Status.ACCEPTED
            elif fate == "accepted":
                steps.append((Step.Kind.ACCEPTED, self.khoi, _at(sent + datetime.timedelta(days=1), 15), ""))
                report.status = Status.ACCEPTED
            else:
                report.status = Status.SUBMITTED
            if report.status == Status.ACCEPTED:
                report.decided_at, report.decided_by = steps[-1][2], self.khoi
        self.reports.append(report)
        self.steps.append(steps)

    def write(self) -> int:
        self.number()
        Report.objects.bulk_create(self.reports, batch_size=1000)
        Step.objects.bulk_create(
            [Step(report=report, kind=kind, by=by, at=at, comment=comment)
             for report, steps in zip(self.reports, self.steps) for kind, by, at, comment in steps],
            batch_size=2000,
        )  # fmt: skip
        return len(self.reports)


def _texts(rng: random.Random) -> dict:
    return {"tinh-hinh": rng.choice(OPINION), "ket-qua": rng.choice(RESULTS), "han-che": "",
            "phuong-huong": rng.choice(PLANS), "kien-nghi": ""}  # fmt: skip


def write_reports(builder, horizon: date, seed: int, logins: bool = True) -> dict:
    rng = random.Random(seed)
    root = builder.root.unit_id
    Letterhead.objects.create(
        unit_id=root, issuer_name="ĐẢNG ỦY KHỐI", symbol="ĐUK", place="Hải Phòng", authority="T/M BAN THƯỜNG VỤ",
        signer_title="BÍ THƯ", signer_name="Nguyễn Văn Thành",
        recipients="- Thành ủy Hải Phòng (để báo cáo),\n- Ban Tổ chức Thành ủy,\n- Các đảng ủy, chi bộ cơ sở,\n"
        "- Lưu Văn phòng Đảng ủy Khối.",
    )  # fmt: skip
    if not ReportType.objects.exists():  # a test emptied the database, migrations' rows included
        defaults.create(ReportType, SectionSpec)
    types = {t.code: t for t in ReportType.objects.all()}
    for code, due_day in SCHEDULE:
        Schedule.objects.create(superior_id=root, report_type=types[code], reporter_kinds=GRASSROOTS, due_day=due_day)
    khoi = User.objects.filter(username="khoi").first() if logins else None
    people = {u.unit_id: u for u in User.objects.filter(role__in=[Role.GRASSROOTS_STAFF])} if logins else {}
    history = History(rng, khoi, people)
    monthly = types["thang"]

    def grassroots_on(day):
        rows = UnitVersion.objects.on(day).filter(parent_id=root, kind__in=GRASSROOTS).order_by("unit_id")
        return list(rows)

    # The month before the demo's last day is the one whose reports are coming in.
    last_month = vn.add_months(horizon.replace(day=1), -1)
    current_key = f"{last_month:%Y-%m}"
    months = [periods.parse("month", f"2024-{m:02d}") for m in range(1, 13)] + [periods.parse("month", current_key)]
    for period in months:
        units = grassroots_on(period.ends_on)
        due = period.due_on(5)
        september = period.key == "2024-09"
        current = period.key == current_key
        late = set(rng.sample(range(len(units)), LATE_IN_SEPTEMBER if september else rng.randint(0, 3)))
        missing = set(rng.sample(sorted(set(range(len(units))) - late),
                                 MISSING_IN_SEPTEMBER if september else rng.randint(0, 2)))  # fmt: skip
        for index, unit in enumerate(units):
            if current and unit.unit_id == builder.coso.unit_id:
                continue  # coso's report of that month is still to be written (the demo's walk-through)
            if index in missing:
                continue
            if index in late:
                sent = due + datetime.timedelta(days=rng.randint(1, 9))
            else:
                sent = due - datetime.timedelta(days=rng.randint(0, 4))
            if current:
                fate = "submitted" if index % 3 else "accepted"
            else:
                fate = "returned_then_accepted" if rng.random() < 0.04 else "accepted"
            history.add(monthly, unit, period.key, period.starts_on, period.ends_on, due, sent, _texts(rng), root, fate)
            opinion = {"tinh-hinh": rng.choice(OPINION), "du-luan": rng.choice(RUMOURS), "kien-nghi": ""}
            history.add(types["tu-tuong"], unit, period.key, period.starts_on, period.ends_on, due, sent, opinion, root,
                        fate)  # fmt: skip

    # An ad-hoc request: the situation of opinion after typhoon No. 3.
    request = AdHocRequest.objects.create(
        superior_id=root, title="Báo cáo nhanh tình hình tư tưởng của cán bộ, đảng viên sau cơn bão số 3",
        questions=TYPHOON, reporter_kinds=GRASSROOTS, starts_on=date(2024, 9, 7), ends_on=date(2024, 9, 12),
        due_on=date(2024, 9, 16), created_by=khoi,
    )  # fmt: skip
    ad_hoc = types["dot-xuat"]
    for index, unit in enumerate(grassroots_on(request.ends_on)):
        if index % 9 == 4:
            continue
        sent = request.due_on - datetime.timedelta(days=rng.randint(0, 3)) if index % 11 else date(2024, 9, 18)
        texts = {"q1": rng.choice(OPINION), "q2": "Một số cây xanh, mái che bị hư hỏng; đơn vị đã khắc phục xong, "
                 "hoạt động trở lại bình thường.", "q3": ""}  # fmt: skip
        history.add(ad_hoc, unit, f"dx{request.pk}", request.starts_on, request.ends_on, request.due_on, sent, texts,
                    root, "accepted", request)  # fmt: skip
    written = history.write()

    # The committee's own reports: monthly in 2024 up to September, completed early in the next month.
    own = []
    for month in range(1, 10):
        period = periods.parse("month", f"2024-{month:02d}")
        day = period.due_on(7)
        report = actions.open_report(khoi, root, monthly, period.key, today=day)
        if month == 9:
            texts = {**report.texts, **COMMITTEE_TEXTS}
            report = actions.save_texts(khoi, report, texts)
        own.append(actions.complete(khoi, report, now=_at(day, 16)))
    nine_months = actions.open_report(khoi, root, types["quy"], "2024-Q3", today=date(2024, 10, 14))
    actions.save_texts(khoi, nine_months, {**nine_months.texts, **COMMITTEE_TEXTS})
    # Either side of the term change of 20/08/2025: the August report is the new term's number 01.
    for key in ("2025-07", "2025-08"):
        period = periods.parse("month", key)
        day = period.due_on(7)
        own.append(actions.complete(khoi, actions.open_report(khoi, root, monthly, key, today=day), now=_at(day, 16)))
    return {"reports": written + len(own) + 1}
