"""Reading publication dates given by users and by document metadata.

Accepted: ISO dates with or without a time (``2024-08-29``, ``2024-08-29T10:00:00Z``), the
Reuters archive form ``26-FEB-1987 16:03:15.46``, e-mail/RSS dates (``Thu, 29 Aug 2024
10:00:00 GMT``) and written dates (``August 29, 2024``, ``29 August 2024``). Only the calendar
day is kept: times and zones are dropped, never shifted.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from email.utils import parsedate_tz

from communique.errors import Errors, InputError

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
_ISO_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_DAY_MONTH_YEAR = re.compile(r"^\s*(\d{1,2})[-\s]([A-Za-z]{3,9})\.?[-\s,]+(\d{4})\b")
_MONTH_DAY_YEAR = re.compile(r"^\s*([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})\b")


def parse_date(value: object, *, where: str) -> date:
    """A calendar date from the forms listed above, a ``date`` or a ``datetime``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    parsed = _parse_text(value) if isinstance(value, str) else None
    if parsed is None:
        raise InputError(Errors.E009.format(where=where, value=value), where=where)
    return parsed


def _parse_text(text: str) -> date | None:
    for parse in (_iso, _day_month_year, _month_day_year, _email):
        try:
            parsed = parse(text)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed
    return None


def _iso(text: str) -> date | None:
    match = _ISO_PREFIX.match(text)
    return date(int(match[1]), int(match[2]), int(match[3])) if match else None


def _day_month_year(text: str) -> date | None:
    match = _DAY_MONTH_YEAR.match(text)
    if not match or match[2].lower() not in MONTHS:
        return None
    return date(int(match[3]), MONTHS[match[2].lower()], int(match[1]))


def _month_day_year(text: str) -> date | None:
    match = _MONTH_DAY_YEAR.match(text)
    if not match or match[1].lower() not in MONTHS:
        return None
    return date(int(match[3]), MONTHS[match[1].lower()], int(match[2]))


def _email(text: str) -> date | None:
    parts = parsedate_tz(text)
    if parts is None:
        return None
    return date(parts[0], parts[1], parts[2])
