"""Who has reported: for a committee, one report type and one period, every unit that owes it a
report (its direct sub-units of the kinds its schedule names, as they stood at the period's end),
with its report's state and whether it came on time, late, or not at all."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from dangbo.lib import vn
from dangbo.orgs.models import UnitVersion

from . import periods
from .models import AdHocRequest, Report, ReportType, Schedule, Status

TIMELINESS = {
    "on_time": "Đúng hạn",
    "late": "Muộn",
    "missing": "Chưa nộp, quá hạn",
    "waiting": "Chưa đến hạn",
}


@dataclass
class Line:
    unit_id: int
    name: str
    report: Report | None
    due_on: datetime.date | None
    timeliness: str

    @property
    def timeliness_label(self) -> str:
        return TIMELINESS[self.timeliness]

    @property
    def sent_on(self) -> datetime.date | None:
        sent = self.report.first_sent_at if self.report else None
        return _local_day(sent) if sent else None


def _local_day(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


def timeliness(report: Report | None, due_on: datetime.date | None, today: datetime.date) -> str:
    """On time: first sent by the due day (a report returned and sent again keeps its first date)."""
    sent = report.first_sent_at if report else None
    if sent is not None:
        return "on_time" if due_on is None or _local_day(sent) <= due_on else "late"
    return "missing" if due_on is not None and today > due_on else "waiting"


def expected(superior_id: int, kinds, day: datetime.date) -> list[tuple[int, str]]:
    """(unit id, name) of the direct sub-units of the kinds given on `day`, by name."""
    rows = UnitVersion.objects.on(day).filter(parent_id=superior_id, kind__in=list(kinds))
    return sorted(rows.values_list("unit_id", "name"), key=lambda row: vn.text_sort_key(row[1]))


def terms_of(superior_id: int, report_type: ReportType, period_key: str, request: AdHocRequest | None = None):
    """(reporter kinds, due day) a committee set for a report: its request's, or its schedule's;
    None when it asks for no such report."""
    if request is not None:
        return request.reporter_kinds, request.due_on
    schedule = Schedule.objects.filter(superior_id=superior_id, report_type=report_type, active=True).first()
    if schedule is None:
        return None
    period = periods.parse(report_type.period_kind, period_key)
    return (schedule.reporter_kinds, period.due_on(schedule.due_day)) if period else None


def board(superior_id: int, report_type: ReportType, period_key: str, ends_on: datetime.date,
          request: AdHocRequest | None = None, today: datetime.date | None = None) -> list[Line]:  # fmt: skip
    """One line per unit that owes the report, the units as they stood at `ends_on`. Three queries."""
    terms = terms_of(superior_id, report_type, period_key, request)
    if terms is None:
        return []
    kinds, due_on = terms
    today = today or timezone.localdate()
    units = expected(superior_id, kinds, ends_on)
    reports = {
        r.unit_id: r
        for r in Report.objects.filter(report_type=report_type, period=period_key, unit_id__in=[u for u, _ in units])
    }
    lines = []
    for unit_id, name in units:
        report = reports.get(unit_id)
        if report is not None and (report.first_sent_at is None or _local_day(report.first_sent_at) > today):
            report = None  # a draft not yet sent is the unit's own business; one sent later is not known yet
        lines.append(Line(unit_id, name, report, due_on, timeliness(report, due_on, today)))
    return lines


def summary(lines: list[Line]) -> dict[str, int]:
    counts = {key: 0 for key in TIMELINESS}
    for line in lines:
        counts[line.timeliness] += 1
    counts["expected"] = len(lines)
    counts["accepted"] = sum(1 for line in lines if line.report and line.report.status == Status.ACCEPTED)
    return counts


def board_counts(unit_id: int, report: Report, today: datetime.date):
    """The statistics block of a committee's report: how its units had reported the same period by
    `today` (the day the report is drafted or sent)."""
    lines = board(unit_id, report.report_type, report.period, report.ends_on, report.request, today=today)
    counts = summary(lines)
    late = [line.name for line in lines if line.timeliness == "late"]
    missing = [line.name for line in lines if line.timeliness == "missing"]
    rows = [
        ["Đơn vị phải báo cáo", vn.format_number(counts["expected"])],
        ["Nộp đúng hạn", vn.format_number(counts["on_time"])],
        ["Nộp muộn", vn.format_number(counts["late"]) + (f" ({'; '.join(late)})" if late else "")],
        ["Chưa nộp", vn.format_number(counts["missing"] + counts["waiting"])
         + (f" ({'; '.join(missing)})" if missing else "")],
    ]  # fmt: skip
    return rows, counts
