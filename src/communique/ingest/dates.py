"""Reading publication dates given by users and by document metadata."""

from __future__ import annotations

import re
from datetime import date, datetime

from communique.errors import Errors, InputError

_ISO_PREFIX = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def parse_date(value: object, *, where: str) -> date:
    """A date from ``YYYY-MM-DD`` (a time part after it is ignored), a date or a datetime."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _ISO_PREFIX.match(str(value)) if isinstance(value, str) else None
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    raise InputError(Errors.E009.format(where=where, value=value), where=where)
