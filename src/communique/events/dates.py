"""Resolving date expressions against the article's publication date.

Rules (documented in docs/events.md):
- a weekday is the latest such day on or before publication ("on Thursday"); with "next" the
  first such day after it;
- a month without a day is in the past (the latest such month up to publication) unless the
  text points to the future ("to be held in November", "will meet in March", "next month");
- a bare year is a year; a full date is a day; a day and month without year take the year that
  keeps them on the right side of publication;
- the precision (day, month, year) is kept: a month never becomes its first day;
- durations and vague phrases ("three-day", "in years", "the final day") resolve to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from spacy.tokens import Doc, Token

from communique.records import DatePrecision

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_FILLER = re.compile(
    r"\b(the|on|in|of|at|during|since|by|this|that|earlier|later|late|early|mid|around)\b|[,.]"
)
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d|21\d\d)$")
_NUMBER = re.compile(r"^(\d{1,2}|\d{4})(st|nd|rd|th)?$")
# A date a few days after publication with no sign of the future is still this year's.
NEAR_FUTURE = timedelta(days=7)
_NON_DATE_WORDS = {"next", "last", "coming", "upcoming"}
NUMBER_WORDS = {
    word: number
    for number, word in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"], start=1
    )
} | {"a": 1, "an": 1}


@dataclass(frozen=True)
class ResolvedDate:
    value: str
    precision: DatePrecision

    @property
    def representative(self) -> date:
        """A day inside the period, used to look up who held which office then."""
        if self.precision == "day":
            return date.fromisoformat(self.value)
        if self.precision == "month":
            return date.fromisoformat(self.value + "-15")
        return date(int(self.value), 7, 1)


@dataclass(frozen=True)
class DateMention:
    """A date expression in the text, read both ways: as past and as future.

    Which reading an event takes depends on the event (an intended meeting "in November" is
    the coming November) and on the clause around the date ("to be held in November").
    """

    index: int  # the position of the expression's head word (not the Token: no cycles)
    text: str
    past: ResolvedDate
    future: ResolvedDate
    future_context: bool

    def reading(self, *, future: bool) -> ResolvedDate:
        return self.future if future or self.future_context else self.past


def date_mentions(
    doc: Doc, published: date | None, *, future_context: Callable[[Token], bool]
) -> list[DateMention]:
    """Every DATE entity of ``doc`` that denotes a point in time, resolved against ``published``.

    ``future_context`` is a callable telling whether the clause around a token looks ahead.
    """
    if published is None:
        return []
    mentions = []
    for entity in doc.ents:
        if entity.label_ != "DATE":
            continue
        past = resolve(entity.text, published)
        future = resolve(entity.text, published, future=True)
        if past is None or future is None:
            continue
        ahead = future_context(entity.root)
        mentions.append(DateMention(entity.root.i, entity.text, past, future, ahead))
    return mentions


def day(value: date) -> ResolvedDate:
    return ResolvedDate(value.isoformat(), "day")


def resolve(phrase: str, published: date, *, future: bool = False) -> ResolvedDate | None:
    """The date ``phrase`` denotes, read relative to ``published``; None when it is no date."""
    words = _words(phrase)
    if not words:
        return None
    future = future or words[0] in {"next", "coming", "upcoming"}
    relative = _relative(words, published, future=future)
    if relative is not None:
        return relative
    return _absolute(words, published, future=future)


def _words(phrase: str) -> list[str]:
    text = phrase.lower().replace("’", "'")
    text = " ".join(w if _ISO.match(w) else w.replace("-", " ") for w in text.split())
    return _FILLER.sub(" ", text).split()


def _number(word: str) -> int | None:
    match = _NUMBER.match(word)
    return int(match[1]) if match else None


def _relative(words: list[str], published: date, *, future: bool) -> ResolvedDate | None:
    joined = " ".join(words)
    simple = {
        "today": day(published),
        "tonight": day(published),
        "morning": day(published),
        "yesterday": day(published - timedelta(days=1)),
        "tomorrow": day(published + timedelta(days=1)),
        "last year": ResolvedDate(str(published.year - 1), "year"),
        "next year": ResolvedDate(str(published.year + 1), "year"),
        "year": ResolvedDate(str(published.year), "year"),
        "last month": _month(_shift_month(published, -1)),
        "next month": _month(_shift_month(published, 1)),
        "month": _month(published),
    }
    if joined in simple:
        return simple[joined]
    if len(words) <= 2 and words[-1] in WEEKDAYS:
        if words[0] == "last":
            return day(_weekday(words[-1], published - timedelta(days=1), after=False))
        upcoming = words[0] in {"next", "coming", "upcoming"}
        return day(_weekday(words[-1], published, after=upcoming, ahead=future))
    return _ago(words, published)


def _ago(words: list[str], published: date) -> ResolvedDate | None:
    """ "three years ago", "two days ago": counted back from publication, at that precision."""
    if len(words) != 3 or words[2] != "ago":
        return None
    count = NUMBER_WORDS.get(words[0]) or (int(words[0]) if words[0].isdigit() else None)
    unit = words[1].rstrip("s")
    if count is None:
        return None
    if unit == "day":
        return day(published - timedelta(days=count))
    if unit == "week":
        return day(published - timedelta(weeks=count))
    if unit == "month":
        return _month(_shift_month(published, -count))
    if unit == "year":
        return ResolvedDate(str(published.year - count), "year")
    return None


def _absolute(words: list[str], published: date, *, future: bool) -> ResolvedDate | None:
    if len(words) == 1 and (match := _ISO.match(words[0])):
        try:
            return day(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return None
    months = [MONTHS[w] for w in words if w in MONTHS]
    numbers = [n for w in words if (n := _number(w)) is not None]
    known = set(MONTHS) | set(WEEKDAYS) | _NON_DATE_WORDS
    if any(w not in known and _number(w) is None for w in words):
        return None
    years = [n for n in numbers if _YEAR.match(str(n))]
    days = [n for n in numbers if 1 <= n <= 31]
    if len(months) > 1 or len(years) > 1:
        return None
    if months:
        return _with_month(months[0], days, years, published, future=future)
    if years and len(numbers) == 1:
        return ResolvedDate(str(years[0]), "year")
    return None


def _with_month(
    month: int, days: list[int], years: list[int], published: date, *, future: bool
) -> ResolvedDate | None:
    if years:
        year = years[0]
    elif future:
        year = published.year + (1 if month < published.month else 0)
    else:
        year = _nearest_year(month, days[0] if days else 1, published)
    if days:
        try:
            return day(date(year, month, days[0]))
        except ValueError:
            return None
    return ResolvedDate(f"{year:04d}-{month:02d}", "month")


def _nearest_year(month: int, day_of_month: int, published: date) -> int:
    """The year of a past date, allowing for dates a few days after publication (also across
    the new year: "Jan. 2" in a report of December 29 is the coming January)."""
    day_of_month = min(day_of_month, 28)
    coming = date(published.year + 1, month, day_of_month)
    if coming - published <= NEAR_FUTURE:
        return published.year + 1
    this_year = date(published.year, month, day_of_month)
    return published.year - (1 if this_year > published + NEAR_FUTURE else 0)


def _weekday(name: str, published: date, *, after: bool, ahead: bool = False) -> date:
    """The latest such day on or before publication; "next X" the first after it; a weekday
    in a sentence about the future the first on or after it."""
    target = WEEKDAYS.index(name)
    if after:
        return published + timedelta(days=(target - published.weekday() - 1) % 7 + 1)
    if ahead:
        return published + timedelta(days=(target - published.weekday()) % 7)
    return published - timedelta(days=(published.weekday() - target) % 7)


def _shift_month(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month(value: date) -> ResolvedDate:
    return ResolvedDate(f"{value.year:04d}-{value.month:02d}", "month")
