"""Official days off for the public sector in Vietnam, 2020–2026, and a provisional 2027.

Sources: Bộ luật Lao động 2012 (Điều 115) and 2019 (Điều 112) for the holidays and the nghỉ bù rule
(a holiday on a Saturday or Sunday gives a day off on the next working day), and for each year the
public-sector schedule announced by Bộ Lao động – Thương binh và Xã hội (to 2025) or Bộ Nội vụ (from
2025) after the Prime Minister's approval: the Tết days off and any hoán đổi (a weekday off, worked
back on a Saturday). The dates were checked against press reports of those announcements (Hà Nội
Mới, VietnamPlus, Thanh Niên, Báo Bảo hiểm xã hội, VTC…) and against the nghỉ bù dates of the
python-holidays library; where no report could be found the commonly reported public-sector
schedule is used. Unverified entries are said so below, next to them.

Each entry is (date, name, is_working_day):
- is_working_day False: a day off — a holiday, a nghỉ bù, or a weekday swapped off.
- is_working_day True: a Saturday or Sunday worked to make up for a swapped weekday (làm bù).
Holidays that fall on a weekend are listed too (they change nothing by themselves, but the nghỉ bù
that follows names them).

This list is loaded ONCE, by migration 0002_seed_holidays. After that the data lives in the
database: administrators correct it and add each new year in the back office (Lịch ngày làm việc →
ngày nghỉ/ngày làm bù) when that year's schedule is announced. Editing this file changes only new
installs; an existing database needs the change in the back office or a new data migration.

Known gaps, to be completed in the back office:
- 2026, Quốc khánh: 1/9 and 2/9 are days off. Press reports of the Bộ Nội vụ announcement speak of a
  5-day break from Saturday 29/8, which implies Monday 31/8 is swapped with a làm bù Saturday; that
  Saturday could not be confirmed, so neither 31/8 nor the Saturday is listed.
- 2027: only the fixed-date holidays, the nghỉ bù they imply, and a provisional Tết ("dự kiến").
  Giỗ Tổ Hùng Vương, the second Quốc khánh day and any hoán đổi are announced later.
- Ngày Văn hóa Việt Nam (24/11): chosen as a paid day off by Nghị quyết 80-NQ/TW (2026), but not a
  holiday until the Bộ luật Lao động is amended; add it when that takes effect.
"""

from __future__ import annotations

from datetime import date

TET = "Tết Nguyên đán"
NEW_YEAR = "Tết Dương lịch"
HUNG_KINGS = "Giỗ Tổ Hùng Vương"
VICTORY = "Ngày Chiến thắng (30/4)"
LABOUR = "Ngày Quốc tế Lao động (1/5)"
NATIONAL = "Quốc khánh"
PROVISIONAL = " (dự kiến)"


def _bu(holiday: str) -> str:
    return f"Nghỉ bù {holiday}"


HOLIDAYS: list[tuple[date, str, bool]] = [
    # --- 2020 (Labour Code 2012: one day for Quốc khánh) --------------------------------------
    (date(2020, 1, 1), NEW_YEAR, False),  # Wednesday
    # Tết Canh Tý: off from Thursday 23/1 (29 tháng Chạp) to Wednesday 29/1 (mùng 5).
    (date(2020, 1, 23), f"{TET} Canh Tý", False),
    (date(2020, 1, 24), f"{TET} Canh Tý", False),
    (date(2020, 1, 27), f"{TET} Canh Tý", False),
    (date(2020, 1, 28), f"{TET} Canh Tý", False),
    (date(2020, 1, 29), f"{TET} Canh Tý", False),
    (date(2020, 4, 2), HUNG_KINGS, False),  # Thursday
    (date(2020, 4, 30), VICTORY, False),  # Thursday
    (date(2020, 5, 1), LABOUR, False),  # Friday
    (date(2020, 9, 2), NATIONAL, False),  # Wednesday
    # --- 2021 (Labour Code 2019: two days for Quốc khánh) --------------------------------------
    (date(2021, 1, 1), NEW_YEAR, False),  # Friday
    # Tết Tân Sửu: off from Wednesday 10/2 (29 tháng Chạp) to Tuesday 16/2 (mùng 5).
    (date(2021, 2, 10), f"{TET} Tân Sửu", False),
    (date(2021, 2, 11), f"{TET} Tân Sửu", False),
    (date(2021, 2, 12), f"{TET} Tân Sửu", False),
    (date(2021, 2, 15), f"{TET} Tân Sửu", False),
    (date(2021, 2, 16), f"{TET} Tân Sửu", False),
    (date(2021, 4, 21), HUNG_KINGS, False),  # Wednesday
    (date(2021, 4, 30), VICTORY, False),  # Friday
    (date(2021, 5, 1), LABOUR, False),  # Saturday
    (date(2021, 5, 3), _bu(LABOUR), False),
    (date(2021, 9, 2), NATIONAL, False),  # Thursday
    (date(2021, 9, 3), NATIONAL, False),
    # --- 2022 -----------------------------------------------------------------------------------
    (date(2022, 1, 1), NEW_YEAR, False),  # Saturday
    (date(2022, 1, 3), _bu(NEW_YEAR), False),
    # Tết Nhâm Dần: five days, Monday 31/1 (29 tháng Chạp) to Friday 4/2 (mùng 4);
    # with the weekends, Saturday 29/1 to Sunday 6/2.
    (date(2022, 1, 31), f"{TET} Nhâm Dần", False),
    (date(2022, 2, 1), f"{TET} Nhâm Dần", False),
    (date(2022, 2, 2), f"{TET} Nhâm Dần", False),
    (date(2022, 2, 3), f"{TET} Nhâm Dần", False),
    (date(2022, 2, 4), f"{TET} Nhâm Dần", False),
    (date(2022, 4, 10), HUNG_KINGS, False),  # Sunday
    (date(2022, 4, 11), _bu(HUNG_KINGS), False),
    (date(2022, 4, 30), VICTORY, False),  # Saturday
    (date(2022, 5, 1), LABOUR, False),  # Sunday
    (date(2022, 5, 2), _bu(VICTORY), False),
    (date(2022, 5, 3), _bu(LABOUR), False),
    (date(2022, 9, 1), NATIONAL, False),  # Thursday
    (date(2022, 9, 2), NATIONAL, False),  # Friday
    # --- 2023 -----------------------------------------------------------------------------------
    (date(2023, 1, 1), NEW_YEAR, False),  # Sunday
    (date(2023, 1, 2), _bu(NEW_YEAR), False),
    # Tết Quý Mão: off from Friday 20/1 (29 tháng Chạp) to Thursday 26/1 (mùng 5).
    (date(2023, 1, 20), f"{TET} Quý Mão", False),
    (date(2023, 1, 23), f"{TET} Quý Mão", False),
    (date(2023, 1, 24), f"{TET} Quý Mão", False),
    (date(2023, 1, 25), f"{TET} Quý Mão", False),
    (date(2023, 1, 26), f"{TET} Quý Mão", False),
    (date(2023, 4, 29), HUNG_KINGS, False),  # Saturday
    (date(2023, 4, 30), VICTORY, False),  # Sunday
    (date(2023, 5, 1), LABOUR, False),  # Monday
    (date(2023, 5, 2), _bu(HUNG_KINGS), False),
    (date(2023, 5, 3), _bu(VICTORY), False),
    (date(2023, 9, 1), NATIONAL, False),  # Friday
    (date(2023, 9, 2), NATIONAL, False),  # Saturday
    (date(2023, 9, 4), _bu(NATIONAL), False),
    # --- 2024 -----------------------------------------------------------------------------------
    (date(2024, 1, 1), NEW_YEAR, False),  # Monday
    # Tết Giáp Thìn: off from Thursday 8/2 (29 tháng Chạp) to Wednesday 14/2 (mùng 5).
    (date(2024, 2, 8), f"{TET} Giáp Thìn", False),
    (date(2024, 2, 9), f"{TET} Giáp Thìn", False),
    (date(2024, 2, 12), f"{TET} Giáp Thìn", False),
    (date(2024, 2, 13), f"{TET} Giáp Thìn", False),
    (date(2024, 2, 14), f"{TET} Giáp Thìn", False),
    (date(2024, 4, 18), HUNG_KINGS, False),  # Thursday
    # Swap (Công văn 2450/VPCP-KGVX): Monday 29/4 off, worked back on Saturday 4/5.
    (date(2024, 4, 29), "Nghỉ hoán đổi (làm bù thứ Bảy 4/5)", False),
    (date(2024, 4, 30), VICTORY, False),  # Tuesday
    (date(2024, 5, 1), LABOUR, False),  # Wednesday
    (date(2024, 5, 4), "Làm bù cho ngày 29/4", True),
    (date(2024, 9, 2), NATIONAL, False),  # Monday
    (date(2024, 9, 3), NATIONAL, False),
    # --- 2025 -----------------------------------------------------------------------------------
    (date(2025, 1, 1), NEW_YEAR, False),  # Wednesday
    # Tết Ất Tỵ: five days, Monday 27/1 (28 tháng Chạp) to Friday 31/1 (mùng 3);
    # with the weekends, Saturday 25/1 to Sunday 2/2.
    (date(2025, 1, 27), f"{TET} Ất Tỵ", False),
    (date(2025, 1, 28), f"{TET} Ất Tỵ", False),
    (date(2025, 1, 29), f"{TET} Ất Tỵ", False),
    (date(2025, 1, 30), f"{TET} Ất Tỵ", False),
    (date(2025, 1, 31), f"{TET} Ất Tỵ", False),
    (date(2025, 4, 7), HUNG_KINGS, False),  # Monday
    # Swap: Saturday 26/4 worked, Friday 2/5 off.
    (date(2025, 4, 26), "Làm bù cho ngày 2/5", True),
    (date(2025, 4, 30), VICTORY, False),  # Wednesday
    (date(2025, 5, 1), LABOUR, False),  # Thursday
    (date(2025, 5, 2), "Nghỉ hoán đổi (làm bù thứ Bảy 26/4)", False),
    (date(2025, 9, 1), NATIONAL, False),  # Monday
    (date(2025, 9, 2), NATIONAL, False),  # Tuesday
    # --- 2026 -----------------------------------------------------------------------------------
    (date(2026, 1, 1), NEW_YEAR, False),  # Thursday
    # Swap (Công văn 12729/VPCP-KGVX): Friday 2/1 off, worked back on Saturday 10/1.
    (date(2026, 1, 2), "Nghỉ hoán đổi (làm bù thứ Bảy 10/1)", False),
    (date(2026, 1, 10), "Làm bù cho ngày 2/1", True),
    # Tết Bính Ngọ (Thông báo 9441/TB-BNV): five days, Monday 16/2 (29 tháng Chạp) to
    # Friday 20/2 (mùng 4); with the weekends, Saturday 14/2 to Sunday 22/2.
    (date(2026, 2, 16), f"{TET} Bính Ngọ", False),
    (date(2026, 2, 17), f"{TET} Bính Ngọ", False),
    (date(2026, 2, 18), f"{TET} Bính Ngọ", False),
    (date(2026, 2, 19), f"{TET} Bính Ngọ", False),
    (date(2026, 2, 20), f"{TET} Bính Ngọ", False),
    (date(2026, 4, 26), HUNG_KINGS, False),  # Sunday
    (date(2026, 4, 27), _bu(HUNG_KINGS), False),
    (date(2026, 4, 30), VICTORY, False),  # Thursday
    (date(2026, 5, 1), LABOUR, False),  # Friday
    # Quốc khánh: Tuesday 1/9 and Wednesday 2/9. Monday 31/8 and its làm bù: see "Known gaps".
    (date(2026, 9, 1), NATIONAL, False),
    (date(2026, 9, 2), NATIONAL, False),
    # --- 2027: provisional, nothing announced yet ----------------------------------------------
    (date(2027, 1, 1), NEW_YEAR, False),  # Friday
    # Tết Đinh Mùi: mùng 1 is Saturday 6/2/2027. Provisional, laid out like 2024 (whose mùng 1
    # was also a Saturday): off from Thursday 4/2 to Wednesday 10/2.
    (date(2027, 2, 4), f"{TET} Đinh Mùi{PROVISIONAL}", False),
    (date(2027, 2, 5), f"{TET} Đinh Mùi{PROVISIONAL}", False),
    (date(2027, 2, 8), f"{TET} Đinh Mùi{PROVISIONAL}", False),
    (date(2027, 2, 9), f"{TET} Đinh Mùi{PROVISIONAL}", False),
    (date(2027, 2, 10), f"{TET} Đinh Mùi{PROVISIONAL}", False),
    (date(2027, 4, 30), VICTORY, False),  # Friday
    (date(2027, 5, 1), LABOUR, False),  # Saturday
    (date(2027, 5, 3), _bu(LABOUR) + PROVISIONAL, False),
    (date(2027, 9, 2), NATIONAL, False),  # Thursday
]
