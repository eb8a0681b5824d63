"""Write a unit's report of a period as a Word document (or PDF through LibreOffice, or its
statistics as Excel, by the extension of --out), for automation. The report opened in dangbo is
written as it stands; a period with none yet is written as a draft from the records, not saved."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangbo.lib import partydoc, vn
from dangbo.orgs.models import Unit, UnitVersion
from dangbo.reports import actions, periods
from dangbo.reports.documents import draft_of, report_docx, report_xlsx
from dangbo.reports.models import PeriodKind, Report, ReportType


class Command(BaseCommand):
    help = "Xuất báo cáo của một đơn vị trong một kỳ ra tệp Word (.docx), PDF hoặc Excel (số liệu)."

    def add_arguments(self, parser):
        parser.add_argument("--type", required=True, help="loại báo cáo: thang, quy, sau-thang, nam, tu-tuong")
        parser.add_argument("--period", required=True, help="kỳ: YYYY-MM, YYYY-Qn, YYYY-Hn hoặc YYYY")
        parser.add_argument("--unit", help="mã hoặc số hiệu đơn vị (mặc định: cấp cao nhất)")
        parser.add_argument("--out", required=True, help="tệp ghi ra: .docx, .pdf hoặc .xlsx")

    def handle(self, *args, type, period, unit, out, **options):
        report_type = ReportType.objects.filter(code=type).exclude(period_kind=PeriodKind.AD_HOC).first()
        if report_type is None:
            codes = ", ".join(ReportType.objects.exclude(period_kind=PeriodKind.AD_HOC).values_list("code", flat=True))
            raise CommandError(f"Không có loại báo cáo “{type}” (các loại: {codes}).")
        found = periods.parse(report_type.period_kind, period)
        if found is None:
            raise CommandError(f"Kỳ báo cáo “{period}” không hợp lệ cho {report_type.name.lower()}.")
        unit_id = self._unit(unit, found.ends_on)
        report = Report.objects.filter(report_type=report_type, unit_id=unit_id, period=found.key).first()
        if report is None:
            report = self._preview(report_type, unit_id, found)
        draft = draft_of(report)
        path = Path(out)
        if path.suffix.lower() == ".xlsx":
            content = report_xlsx(draft)
        else:
            content = report_docx(draft)
            if path.suffix.lower() == ".pdf":
                try:
                    content = partydoc.to_pdf(content)
                except partydoc.PdfError as error:
                    raise CommandError(f"LibreOffice không chuyển được tài liệu sang PDF: {error}") from error
                if content is None:
                    raise CommandError("Máy chưa cài LibreOffice nên không xuất được PDF.")
        path.write_bytes(content)
        state = "bản nháp, chưa lưu" if report.pk is None else report.get_status_display().lower()
        number = f", {report.number_symbol}" if report.number else ""
        self.stdout.write(f"Đã ghi {path} ({draft.unit_name}: {draft.subject}; {state}{number}).")

    def _unit(self, given, day) -> int:
        if not given:
            top = UnitVersion.objects.on(day).filter(parent__isnull=True).order_by("depth").first()
            if top is None:
                raise CommandError("Chưa có tổ chức nào vào cuối kỳ báo cáo.")
            return top.unit_id
        found = Unit.objects.filter(code=given).first() or (
            Unit.objects.filter(pk=given).first() if given.isdigit() else None
        )
        if found is None:
            raise CommandError(f"Không có đơn vị “{given}”.")
        if not UnitVersion.objects.on(day).filter(unit_id=found.pk).exists():
            raise CommandError(f"Đơn vị “{given}” không tồn tại vào ngày cuối kỳ báo cáo {vn.format_date(day)}.")
        return found.pk

    def _preview(self, report_type, unit_id, period) -> Report:
        try:
            start, end, to_unit, due_on = actions.place_of(unit_id, report_type, period.key)
        except ValidationError:  # nobody asks it of this unit: written all the same, addressed to nobody
            start, end, to_unit, due_on = period.starts_on, period.ends_on, None, None
        report = Report(report_type=report_type, unit_id=unit_id, to_unit_id=to_unit, period=period.key,
                        starts_on=start, ends_on=end, due_on=due_on)  # fmt: skip
        report.texts = actions.drafted_texts(report, actions.statistics_of(report))
        return report
