"""Selecting merged events: the filters of ``Store.events`` and exports, as SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Connection, Select, and_, false, or_, select, text, true

from communique.store import schema

# The longest span a coded date covers (a leap year), to bound date ranges for indexes.
LONGEST_SPAN = timedelta(days=366)

Order = Literal["newest", "oldest"]
# Codes a dyad prefix is expanded to at most, before it is left a range.
MAX_EXPANDED = 64


@dataclass(frozen=True)
class Filters:
    """Which merged events a query or an export selects (see ``Store.events``)."""

    dyad: tuple[str, str] | None = None
    since: date | None = None
    until: date | None = None
    code: str | None = None
    actor: str | None = None


def pair(dyad: Sequence[str]) -> tuple[str, str]:
    if len(dyad) != 2:
        raise ValueError(f"a dyad is (source, target), got {tuple(dyad)!r}")
    return (dyad[0], dyad[1])


def _upper(prefix: str) -> str:
    """The least string above every string that starts with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _prefix(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range an index can answer."""
    return and_(column >= prefix, column < _upper(prefix))


def codes_with_prefix(connection: Connection, column: Any, prefix: str) -> list[str] | None:
    """The distinct values of an indexed code column of ``events`` that start with
    ``prefix``, found in one statement that skips through the index (a seek per value); None
    when there are more than ``MAX_EXPANDED``."""
    name = column.name
    assert name in ("source_code", "target_code")  # an identifier in the SQL below
    skip = text(
        f"""
        WITH RECURSIVE codes(code) AS (
            SELECT (SELECT {name} FROM events WHERE {name} >= :prefix AND {name} < :upper
                    ORDER BY {name} LIMIT 1)
            UNION ALL
            SELECT (SELECT {name} FROM events WHERE {name} > codes.code AND {name} < :upper
                    ORDER BY {name} LIMIT 1)
            FROM codes WHERE codes.code IS NOT NULL
        )
        SELECT code FROM codes WHERE code IS NOT NULL LIMIT :most
        """
    )
    found = list(
        connection.scalars(
            skip, {"prefix": prefix, "upper": _upper(prefix), "most": MAX_EXPANDED + 1}
        )
    )
    return found if len(found) <= MAX_EXPANDED else None


def _actor_code(connection: Connection, column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``. As a list of the codes that do, a dyad and a date
    range become one index seek per pair of codes (a range on the first column of an index
    would leave the second and the date unused)."""
    codes = codes_with_prefix(connection, column, prefix)
    if codes is None:
        return _prefix(column, prefix)
    return column.in_(codes) if codes else false()


def conditions(connection: Connection, filters: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions on ``events`` for ``filters`` (see ``Store.events``)."""
    events = schema.events
    conditions: list[ColumnElement[bool]] = []
    if filters.dyad:
        source, target = (side.strip().upper() for side in filters.dyad)
        if source:
            conditions.append(_actor_code(connection, events.c.source_code, source))
        if target:
            conditions.append(_actor_code(connection, events.c.target_code, target))
    # An event overlaps [since, until] when it ends on or after since and starts on or before
    # until. The redundant bounds let either date index (date_start alone, date_end after a
    # dyad) answer both.
    if filters.since:
        conditions.append(events.c.date_end >= filters.since)
        conditions.append(events.c.date_start > filters.since - LONGEST_SPAN)
    if filters.until:
        conditions.append(events.c.date_start <= filters.until)
        conditions.append(events.c.date_end < filters.until + LONGEST_SPAN)
    if code := (filters.code or "").strip():
        conditions.append(_prefix(events.c.cameo_code, code))
    if needle := (filters.actor or "").strip():
        columns = (
            events.c.source_name,
            events.c.target_name,
            events.c.source_code,
            events.c.target_code,
        )
        conditions.append(or_(*(column.icontains(needle, autoescape=True) for column in columns)))
    return conditions or [true()]


def events_query(
    connection: Connection,
    filters: Filters,
    order: Order,
    *,
    limit: int | None = None,
    offset: int = 0,
    lead: bool = False,
) -> Select[Any]:
    """Merged events with their first report's sentence, article id and URL (and ``lead``:
    whether one of its reports is the first sentence of its article).

    The events are chosen, sorted and cut to ``limit`` by their ids first (the indexes hold
    what that needs), and only the rows of that page are then read and joined.
    """
    events, reports, articles = schema.events, schema.event_reports, schema.articles
    chosen = (
        select(events.c.id)
        .where(*conditions(connection, filters))
        .order_by(*_ordering(events, order))
        .offset(offset)
        .limit(limit)
        .subquery("chosen")
    )
    statement = (
        select(events, reports.c.sentence, reports.c.article_id, articles.c.url)
        .join_from(chosen, events, events.c.id == chosen.c.id)
        .join(reports, reports.c.id == events.c.first_report)
        .join(articles, articles.c.id == reports.c.article_id)
        .order_by(*_ordering(events, order))
    )
    if lead:
        statement = statement.add_columns(_in_lead(events).label("lead"))
    return statement


def _ordering(events: Any, order: Order) -> list[Any]:
    if order == "newest":
        return [events.c.date_start.desc().nulls_last(), events.c.id.desc()]
    return [events.c.date_start.asc().nulls_last(), events.c.id.asc()]


def _in_lead(events: Any) -> Any:
    lead = schema.event_reports.alias("lead_report")
    return (
        select(lead.c.id)
        .where(lead.c.event_id == events.c.id, lead.c.sentence_index == 0)
        .correlate(events)
        .exists()
    )
