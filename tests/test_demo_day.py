"""The demo's "today" (`load_demo --today`), and the suite's pinned clock."""

import datetime

import pytest
from django.core.management.base import CommandError
from django.utils import timezone

from dangbo.demo.days import HORIZON
from dangbo.demo.management.commands.load_demo import _demo_day


def test_the_suite_runs_on_the_demo_s_last_day():
    assert timezone.localdate() == HORIZON
    assert datetime.date.today() == HORIZON


def test_the_demo_day_defaults_to_today_and_reads_both_formats():
    assert _demo_day(None) == HORIZON
    assert _demo_day("2027-12-07") == datetime.date(2027, 12, 7)
    assert _demo_day("07/12/2027") == datetime.date(2027, 12, 7)


@pytest.mark.parametrize("raw", ["2024-09-30", "2024-10-15", "31/02/2027", "hôm qua", "9999-12-31"])
def test_a_demo_day_before_the_reference_figures_or_not_a_date_is_refused(raw):
    with pytest.raises(CommandError, match="không dùng được"):
        _demo_day(raw)
