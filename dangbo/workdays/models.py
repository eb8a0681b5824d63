"""The working-day calendar: only the exceptions are stored.

A day is a working day when it has a `CalendarDay` row and that row says so, or, without a row,
when it is Monday to Friday. Rows therefore record the days off that fall on weekdays (holidays,
nghỉ bù, swapped days) and the Saturdays or Sundays worked to make up for a swap (làm bù). A holiday
that falls on a weekend may be recorded too, for the record; it changes nothing.

The rows are data, not code: Tết moves every year and the government announces each year's
schedule a few months ahead, so administrators keep them up to date in the back office. The
computations are in `dangbo.workdays.calendar`.
"""

from __future__ import annotations

from django.db import models


class CalendarDay(models.Model):
    day = models.DateField("ngày", unique=True)
    name = models.CharField(
        "tên",
        max_length=128,
        help_text="Ví dụ: “Tết Nguyên đán”, “Nghỉ bù Quốc khánh”, “Làm bù cho ngày 29/4”.",
    )
    is_working_day = models.BooleanField(
        "là ngày làm việc",
        default=False,
        help_text="Đánh dấu cho ngày thứ Bảy hoặc Chủ nhật phải đi làm bù; để trống cho ngày nghỉ.",
    )

    class Meta:
        verbose_name = "ngày nghỉ/ngày làm bù"
        verbose_name_plural = "ngày nghỉ/ngày làm bù"
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} — {self.name}"
