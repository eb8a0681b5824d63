"""manage.py import_workbook FILE [FILE …] [--unit CODE] [--dry-run]: the import of the exchange
workbook (or its sheets as CSV files) for large first loads, with the same checks and report as the
import page. All or nothing."""

import sys
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from dangbo.exchange.columns import SHEET_MEMBERS
from dangbo.exchange.importer import ImportRefused, keep_batch, run_import
from dangbo.exchange.reader import FileRefused, open_book
from dangbo.lib import vn


class Command(BaseCommand):
    help = "Nhập sổ trao đổi (.xlsx hoặc các tệp CSV của các sheet): đơn vị, đảng viên, biến động."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="tệp .xlsx, hoặc các tệp CSV đặt tên theo sheet")
        parser.add_argument("--unit", help="mã đơn vị: chỉ nhập trong cây của đơn vị này")
        parser.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra và báo cáo, không ghi")
        parser.add_argument("--allow-namesakes", action="store_true",
                            help="tạo hồ sơ mới cả khi trùng họ tên và ngày sinh với hồ sơ khác (đã kiểm tra)")

    def handle(self, *args, files, unit, dry_run, allow_namesakes, **options):
        started = time.monotonic()
        for name in files:
            if not Path(name).is_file():
                raise CommandError(f"Không có tệp {name}.")
        try:
            book = open_book([(Path(name).name, name) for name in files])
        except FileRefused as error:
            raise CommandError(error.problem.message) from None
        members = book.sheets.get(SHEET_MEMBERS)
        self._total = members.last_row - members.header_row if members and members.last_row else None
        progress = self._progress if self.stdout.isatty() or options.get("verbosity", 1) > 1 else None
        try:
            plan = run_import(book, commit=not dry_run, allow_namesakes=allow_namesakes, top_code=unit,
                              progress=progress)  # fmt: skip
        except ImportRefused as refused:
            self._report(refused.plan)
            raise CommandError(f"Không nhập: {len(refused.plan.problems)} lỗi, không ghi gì." if refused.plan.problems
                               else "Không nhập: có hồ sơ trùng họ tên và ngày sinh; kiểm tra rồi chạy lại với "
                               "--allow-namesakes.") from None  # fmt: skip
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        finally:
            book.close()
        self._report(plan)
        seconds = time.monotonic() - started
        if dry_run:
            self.stdout.write(f"Chạy thử: không ghi gì ({vn.format_number(seconds, 1)} giây).")
        elif plan.changes_anything:
            keep_batch(None, None, files, plan)
            self.stdout.write(self.style.SUCCESS(f"Đã nhập xong trong {vn.format_number(seconds, 1)} giây."))
        else:
            self.stdout.write("Không có gì thay đổi.")

    def _progress(self, what: str, done: int):
        """A progress bar over the rows the file declares, else a running count."""
        if self._total:
            share = min(done / self._total, 1)
            bar = "█" * round(share * 30) + "·" * (30 - round(share * 30))
            line = f"{what}: {bar} {vn.format_number(done)}/{vn.format_number(self._total)} ({round(share * 100)}%)"
        else:
            line = f"{what}: {vn.format_number(done)}"
        sys.stderr.write(f"\r{line}   ")
        sys.stderr.flush()
        if done >= (self._total or float("inf")):
            sys.stderr.write("\n")

    def _report(self, plan):
        c = plan.counts()
        self.stdout.write(
            f"Đơn vị: {c['units_new']} mới, {c['units_updated']} cập nhật, {c['units_unchanged']} không đổi. "
            f"Đảng viên: {vn.format_number(c['members_new'])} mới, {vn.format_number(c['members_updated'])} cập nhật, "
            f"{vn.format_number(c['members_unchanged'])} không đổi. "
            f"Biến động thêm: {vn.format_number(c['events_added'])}."
        )
        for same in plan.namesakes[:50]:
            self.stdout.write(f"  Có thể trùng: sheet “Đảng viên”, dòng {same.row}: {same.name} — {same.reason}")
        for problem in plan.problems[:200]:
            where = problem.where()
            value = f" [{problem.value}]" if problem.value else ""
            self.stdout.write(f"  {where + ': ' if where else ''}{problem.message}{value}")
        if len(plan.problems) > 200:
            self.stdout.write(f"  … và {len(plan.problems) - 200} lỗi khác.")
