"""The parameters of the API and the pages, each validated strictly before any query runs.

Patterns go into the OpenAPI schema (so clients and property-based tests know them), and a
value that breaks one gets a message saying what is expected (``HINTS``).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Query

from communique.web.errors import ApiError

COUNTRY_PATTERN = r"^[A-Za-z]{3}$"
DYAD_PATTERN = r"^[A-Za-z]{3}-[A-Za-z]{3}$"
CAMEO_PATTERN = r"^[0-9]{2,4}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
ACTOR_CODE_PATTERN = r"^[A-Za-z0-9]{1,16}$"
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
# Free text goes to the database as a bound parameter; control characters (NUL above all,
# which PostgreSQL refuses in text) are turned away here.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000

#: What to write instead, by parameter name, when a value does not match its pattern.
HINTS = {
    "dyad": "give two 3-letter country codes joined by '-', source first, like USA-CHN",
    "a": "give a 3-letter country code (ISO 3166 alpha-3), like USA",
    "b": "give a 3-letter country code (ISO 3166 alpha-3), like CHN",
    "country": "give a 3-letter country code (ISO 3166 alpha-3), like USA",
    "code": "give a CAMEO code or prefix: 2 to 4 digits, like 04 or 042",
    "since": "give a date as YYYY-MM-DD, like 2024-01-31",
    "until": "give a date as YYYY-MM-DD, like 2024-12-31",
    "as_of": "give a date as YYYY-MM-DD, like 2024-12-31",
    "actor": "give text without control characters",
    "actor_code": "give an actor code: letters and digits, like USAGOV",
    "event_id": "give an event id as listed by /api/events",
    "article_id": "give an article id as listed in an event's reports",
    "event": "give an event id as listed by /api/events",
}

Dyad = Annotated[
    str | None,
    Query(
        pattern=DYAD_PATTERN,
        description="Source and target countries, in this direction: `USA-CHN`.",
        examples=["USA-CHN"],
    ),
]
Since = Annotated[
    str | None,
    Query(pattern=DATE_PATTERN, description="Events on or after this day (YYYY-MM-DD)."),
]
Until = Annotated[
    str | None,
    Query(pattern=DATE_PATTERN, description="Events on or before this day (YYYY-MM-DD)."),
]
Code = Annotated[
    str | None,
    Query(pattern=CAMEO_PATTERN, description="CAMEO code prefix, 2–4 digits: `04`, `042`."),
]
ActorText = Annotated[
    str | None,
    Query(
        max_length=80,
        pattern=TEXT_PATTERN,
        description="Text an actor's name or code contains (any case).",
    ),
]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1–{MAX_LIMIT}.")
]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="Items to skip (for the next page).")
]
CountryA = Annotated[str, Path(pattern=COUNTRY_PATTERN, description="Country code, ISO3.")]
CountryB = Annotated[str, Path(pattern=COUNTRY_PATTERN, description="Country code, ISO3.")]
Country = Annotated[
    str | None,
    Query(pattern=COUNTRY_PATTERN, description="Only actors of this country (ISO3)."),
]
EventId = Annotated[str, Path(pattern=ID_PATTERN, description="A merged event's id.")]
ArticleId = Annotated[str, Path(pattern=ID_PATTERN, description="An article's id.")]
ActorCode = Annotated[
    str, Path(pattern=ACTOR_CODE_PATTERN, description="An actor code: `USAGOV`, `CHNMIL`.")
]
HighlightEvent = Annotated[
    str | None,
    Query(pattern=ID_PATTERN, description="Mark this event's sentence and trigger in the text."),
]


def day(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD parameter as a date; an impossible day (2024-02-30) is a 422 naming it."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ApiError(422, f"query parameter {name}: {value!r} is not a day of the calendar; "
                            f"{HINTS.get(name, 'give YYYY-MM-DD')}") from error


def date_range(since: str | None, until: str | None) -> tuple[date | None, date | None]:
    first, last = day(since, "since"), day(until, "until")
    if first and last and first > last:
        raise ApiError(422, f"query parameter since ({first}) is after until ({last}); "
                            "swap them or drop one")
    return first, last


def dyad_pair(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    source, target = value.upper().split("-")
    return source, target


def country(value: str) -> str:
    return value.upper()
