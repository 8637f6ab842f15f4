"""Date expressions resolved against the publication date (rules in docs/events.md, "Dates")."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import product

import pytest

from communique.events.dates import MONTHS, NEAR_FUTURE, WEEKDAYS, ResolvedDate, resolve

THURSDAY = date(2024, 8, 29)
DAYS_OF_2024 = [date(2024, 1, 1) + timedelta(days=n) for n in range(366)]
MONTH_NAMES = [date(2024, month, 1).strftime("%B").lower() for month in range(1, 13)]


def test_publication_day_is_a_thursday() -> None:
    assert THURSDAY.weekday() == WEEKDAYS.index("thursday")
    assert [MONTHS[name] for name in MONTH_NAMES] == list(range(1, 13))


@pytest.mark.parametrize(
    ("phrase", "value", "precision"),
    [
        ("Thursday", "2024-08-29", "day"),
        ("on Thursday", "2024-08-29", "day"),
        ("Monday", "2024-08-26", "day"),
        ("on Friday", "2024-08-23", "day"),
        ("next Monday", "2024-09-02", "day"),
        ("next Thursday", "2024-09-05", "day"),
        ("November", "2023-11", "month"),
        ("in March", "2024-03", "month"),
        ("in 2018", "2018", "year"),
        ("2018", "2018", "year"),
        ("Aug. 29", "2024-08-29", "day"),
        ("on 3 September", "2024-09-03", "day"),
        ("Dec. 25", "2023-12-25", "day"),
        ("March 3, 2023", "2023-03-03", "day"),
        ("June 2023", "2023-06", "month"),
        ("today", "2024-08-29", "day"),
        ("yesterday", "2024-08-28", "day"),
        ("tomorrow", "2024-08-30", "day"),
        ("last year", "2023", "year"),
        ("this year", "2024", "year"),
        ("later this year", "2024", "year"),
        ("next year", "2025", "year"),
        ("last month", "2024-07", "month"),
        ("this month", "2024-08", "month"),
        ("next month", "2024-09", "month"),
        ("2024-05-01", "2024-05-01", "day"),
        # counted back from publication, at the unit's precision
        ("three years ago", "2021", "year"),
        ("two days ago", "2024-08-27", "day"),
        ("a week ago", "2024-08-22", "day"),
        ("five months ago", "2024-03", "month"),
    ],
)
def test_resolve(phrase: str, value: str, precision: str) -> None:
    assert resolve(phrase, THURSDAY) == ResolvedDate(value, precision)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("phrase", "past", "future"),
    [
        ("November", "2023-11", "2024-11"),
        ("in March", "2024-03", "2025-03"),
        ("August", "2024-08", "2024-08"),
        ("September", "2024-09", "2024-09"),  # starts within NEAR_FUTURE: this year's
        ("December", "2023-12", "2024-12"),
    ],
)
def test_month_past_by_default_future_when_asked(phrase: str, past: str, future: str) -> None:
    assert resolve(phrase, THURSDAY) == ResolvedDate(past, "month")
    assert resolve(phrase, THURSDAY, future=True) == ResolvedDate(future, "month")


def test_next_month_and_next_year_change_year_at_the_end_of_december() -> None:
    new_year_eve = date(2024, 12, 31)
    assert resolve("next month", new_year_eve) == ResolvedDate("2025-01", "month")
    assert resolve("last month", date(2024, 1, 2)) == ResolvedDate("2023-12", "month")
    assert resolve("next year", new_year_eve) == ResolvedDate("2025", "year")


@pytest.mark.parametrize(
    "phrase",
    [
        "three-day",
        "the final day",
        "the first in years",
        "months",
        "the 1990s",
        "1990s",
        "two weeks",
        "the weekend",
        "the 29th",
        "2024-02-30",
        "Feb. 30",
        "March and April",
        "2018 and 2019",
        "",
        "  ",
    ],
)
def test_durations_and_vague_phrases_are_no_date(phrase: str) -> None:
    assert resolve(phrase, THURSDAY) is None
    assert resolve(phrase, THURSDAY, future=True) is None


def test_weekday_is_the_latest_such_day() -> None:
    for published, (index, name) in product(DAYS_OF_2024, enumerate(WEEKDAYS)):
        for phrase in (name, name.capitalize(), f"on {name.capitalize()}"):
            resolved = resolve(phrase, published)
            assert resolved is not None, (phrase, published)
            assert resolved.precision == "day"
            when = date.fromisoformat(resolved.value)
            assert timedelta(0) <= published - when <= timedelta(days=6), (phrase, published)
            assert when.weekday() == index, (phrase, published)
        following = resolve(f"next {name}", published)
        assert following is not None, published
        when = date.fromisoformat(following.value)
        assert timedelta(days=1) <= when - published <= timedelta(days=7), (name, published)
        assert when.weekday() == index


def test_month_keeps_its_precision() -> None:
    for published, (number, name) in product(DAYS_OF_2024, enumerate(MONTH_NAMES, start=1)):
        for phrase in (name, name.capitalize(), f"in {name.capitalize()}"):
            past = resolve(phrase, published)
            future = resolve(phrase, published, future=True)
            assert past is not None, (phrase, published)
            assert future is not None, (phrase, published)
            for resolved in (past, future):
                assert resolved.precision == "month", (phrase, published)
                assert re.fullmatch(rf"\d{{4}}-{number:02d}", resolved.value), (phrase, published)
            # The past reading starts before publication (or within a week after it) and less
            # than a year before; the future one is the first such month from publication on.
            assert date.fromisoformat(past.value + "-01") <= published + NEAR_FUTURE
            assert -1 <= months_between(past.value, published) <= 11
            assert -11 <= months_between(future.value, published) <= 0


def months_between(month: str, published: date) -> int:
    """How many months ``published`` is after ``month`` ("YYYY-MM")."""
    year, number = (int(part) for part in month.split("-"))
    return (published.year - year) * 12 + published.month - number


def test_month_representative_day_is_inside_it() -> None:
    assert ResolvedDate("2024-11", "month").representative == date(2024, 11, 15)
    assert ResolvedDate("2018", "year").representative == date(2018, 7, 1)
    assert ResolvedDate("2024-08-29", "day").representative == THURSDAY


# --- known defects ----------------------------------------------------------------------------


def test_last_weekday_on_that_weekday_is_a_week_before() -> None:
    assert resolve("last Thursday", THURSDAY) == ResolvedDate("2024-08-22", "day")


@pytest.mark.parametrize(
    ("phrase", "value"), [("Jan. 2", "2025-01-02"), ("January", "2025-01")], ids=["day", "month"]
)
def test_week_of_grace_crosses_the_new_year(phrase: str, value: str) -> None:
    assert resolve("Sept. 3", THURSDAY) == ResolvedDate("2024-09-03", "day")  # the same rule
    resolved = resolve(phrase, date(2024, 12, 29))
    assert resolved is not None
    assert resolved.value == value


@pytest.mark.parametrize("phrase", ["coming Monday", "this coming Monday", "upcoming Monday"])
def test_coming_weekday_is_after_publication(phrase: str) -> None:
    assert resolve(phrase, THURSDAY) == ResolvedDate("2024-09-02", "day")
