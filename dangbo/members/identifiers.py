"""What a citizen ID and a party card number look like: one place for the rules, read by the
import (a row by row check in Python) and by the data quality page (the same rules as SQL
conditions over every member at once).

- Citizen ID (CCCD): 12 digits. The 9-digit identity card number (CMND) of before 2016 is still
  found in old records: the import takes it, the quality page lists it as invalid until replaced.
- Party card: 8 digits on the old cards, 12 on the chip cards issued since 2025 (Chỉ thị
  51-CT/TW); anything else is neither."""

from __future__ import annotations

CITIZEN_ID_DIGITS = 12
OLD_IDENTITY_CARD_DIGITS = 9  # CMND
OLD_CARD_DIGITS = 8
NEW_CARD_DIGITS = 12
CARD_DIGITS = (OLD_CARD_DIGITS, NEW_CARD_DIGITS)
CARD_MAX_LENGTH = 16  # Member.card_number


def _digits(text: str | None, widths) -> bool:
    return bool(text) and text.isascii() and text.isdigit() and len(text) in widths


def is_citizen_id(text: str | None) -> bool:
    """A valid CCCD: exactly 12 ASCII digits."""
    return _digits(text, (CITIZEN_ID_DIGITS,))


def is_accepted_identity(text: str | None) -> bool:
    """What the import takes as an identity number: a CCCD or an old 9-digit CMND."""
    return _digits(text, (CITIZEN_ID_DIGITS, OLD_IDENTITY_CARD_DIGITS))


def is_accepted_card(text: str | None) -> bool:
    """What the import takes as a card number: digits, as long as the record holds (16). One of
    another length than 8 or 12 is kept as written and listed on the quality page."""
    return _digits(text, range(1, CARD_MAX_LENGTH + 1))


def is_card_number(text: str | None) -> bool:
    """A party card number of either format: 8 digits (old card) or 12 (new chip card)."""
    return _digits(text, CARD_DIGITS)


def is_new_card_number(text: str | None) -> bool:
    return _digits(text, (NEW_CARD_DIGITS,))


def sql_digits(column: str, widths, vendor: str) -> str:
    """An SQL condition true when `column` (an expression, not NULL) is ASCII digits of one of
    `widths`: the same rule as `_digits`, for a query over every member. SQLite has no regular
    expressions of its own (Django's REGEXP calls back into Python for each row): GLOB runs natively."""
    widths = tuple(widths)
    if vendor == "postgresql":
        return "(" + " OR ".join(f"{column} ~ '^[0-9]{{{w}}}$'" for w in widths) + ")"
    lengths = ", ".join(str(w) for w in widths)
    return f"(length({column}) IN ({lengths}) AND {column} NOT GLOB '*[^0-9]*')"
