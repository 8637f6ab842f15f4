"""Aggregating merged events in SQL, for ``communique.analysis``.

Each function takes a connection in a read transaction and returns plain rows (dicts); the
counting, grouping and ordering happen in the database, so that the analyses stay fast on a
million events. Only events reported as happening are counted: modality ``asserted`` and not
negated (a planned or denied meeting is not a meeting); ``reports_between`` takes the
modalities it is asked for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    cast,
    false,
    func,
    or_,
    select,
    union_all,
)

from communique.store import schema
from communique.store.query import Filters, conditions

Period = Literal["month", "week"]

# Dates precise enough to place an event in a period: a year says nothing of its month.
PRECISIONS: dict[str, tuple[str, ...]] = {"month": ("day", "month"), "week": ("day",)}


@dataclass(frozen=True)
class Scope:
    """Which events an aggregate counts: dates overlapping [since, until], and optionally
    only those with an actor of ``country`` (ISO3)."""

    since: date | None = None
    until: date | None = None
    country: str | None = None


def happened() -> list[ColumnElement[bool]]:
    """Events reported as having taken place."""
    events = schema.events
    return [events.c.modality == "asserted", events.c.negated == false()]


def _scoped(connection: Connection, scope: Scope) -> list[ColumnElement[bool]]:
    events = schema.events
    found = [*conditions(connection, Filters(since=scope.since, until=scope.until)), *happened()]
    if scope.country:
        found.append(
            or_(events.c.source_country == scope.country, events.c.target_country == scope.country)
        )
    return found


def period_of(connection: Connection, by: Period) -> ColumnElement[str]:
    """The period an event starts in: ``YYYY-MM``, or the Monday of its ISO week."""
    start = schema.events.c.date_start
    if connection.dialect.name == "postgresql":
        if by == "month":
            return func.to_char(start, "YYYY-MM")
        return func.to_char(func.date_trunc("week", start), "YYYY-MM-DD")
    if by == "month":
        return func.strftime("%Y-%m", start)
    # SQLite's %w counts from Sunday (0); days back to Monday are (%w + 6) % 7.
    back = (cast(func.strftime("%w", start), Integer) + 6) % 7
    return func.date(start, func.printf("-%d days", back))


def period_counts(
    connection: Connection, dyad: tuple[str, str], *, by: Period, scope: Scope
) -> list[dict[str, Any]]:
    """Per period and quad class of the events from ``dyad[0]`` to ``dyad[1]`` (actor-code
    prefixes): ``count``, ``goldstein_sum``, ``goldstein_n`` (events with a score) and
    ``weight`` (the sum of absolute Goldstein scores)."""
    events = schema.events
    period = period_of(connection, by).label("period")
    statement = (
        select(
            period,
            events.c.quad_class,
            func.count().label("count"),
            func.sum(events.c.goldstein).label("goldstein_sum"),
            func.count(events.c.goldstein).label("goldstein_n"),
            func.sum(func.abs(events.c.goldstein)).label("weight"),
        )
        .where(
            *conditions(connection, Filters(dyad=dyad, since=scope.since, until=scope.until)),
            *happened(),
            events.c.date_precision.in_(PRECISIONS[by]),
        )
        .group_by(period, events.c.quad_class)
        .order_by(period, events.c.quad_class)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def actor_counts(connection: Connection, scope: Scope, *, limit: int) -> list[dict[str, Any]]:
    """Actors (code, name) by the number of events they take part in, most first."""
    events = schema.events
    where = _scoped(connection, scope)
    sides = [
        select(
            events.c[f"{side}_code"].label("code"),
            events.c[f"{side}_name"].label("name"),
            events.c[f"{side}_country"].label("country"),
        ).where(*where)
        for side in ("source", "target")
    ]
    both = union_all(*sides).subquery("sides")
    statement = select(both.c.code, both.c.name, func.count().label("events"))
    if scope.country:
        statement = statement.where(both.c.country == scope.country)
    statement = (
        statement.group_by(both.c.code, both.c.name)
        .order_by(func.count().desc(), both.c.code, both.c.name)
        .limit(limit)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def country_pair_counts(connection: Connection, scope: Scope) -> list[dict[str, Any]]:
    """Events per (source country, target country), two different countries."""
    events = schema.events
    source, target = events.c.source_country, events.c.target_country
    statement = (
        select(source.label("source"), target.label("target"), func.count().label("events"))
        .where(*_scoped(connection, scope), source.is_not(None), target.is_not(None))
        .where(source != target)
        .group_by(source, target)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def edge_weights(
    connection: Connection, scope: Scope, *, min_weight: int, limit: int | None
) -> list[dict[str, Any]]:
    """Directed edges between actor codes: ``events`` and ``goldstein`` (mean), heaviest
    first; an actor acting on its own code (``USAGOV`` on ``USAGOV``) is left out."""
    events = schema.events
    source, target = events.c.source_code, events.c.target_code
    count = func.count()
    statement = (
        select(
            source.label("source"),
            target.label("target"),
            count.label("events"),
            func.avg(events.c.goldstein).label("goldstein"),
        )
        .where(*_scoped(connection, scope), source != target)
        .group_by(source, target)
        .having(count >= min_weight)
        .order_by(count.desc(), source, target)
        .limit(limit)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]


def reports_between(
    connection: Connection,
    countries: tuple[str, str],
    *,
    codes: Sequence[str],
    modalities: Sequence[str],
) -> list[dict[str, Any]]:
    """Every report of an event between the two countries, in either direction, whose CAMEO
    code is one of ``codes`` and modality one of ``modalities``, not negated; with its
    article's ``published`` date and its merged event's id. Reports, not merged events: two
    reports of one happening may name its parties differently ("a top military official",
    "Gen. Zhang"), and the analysis chooses between them."""
    reports, events, articles = schema.event_reports, schema.events, schema.articles
    first, second = countries
    direction = [Filters(dyad=(first, second)), Filters(dyad=(second, first))]
    between = or_(*(and_(*conditions(connection, filters)) for filters in direction))
    statement = (
        select(reports, articles.c.published)
        .join(events, events.c.id == reports.c.event_id)
        .join(articles, articles.c.id == reports.c.article_id)
        .where(
            between,
            reports.c.cameo_code.in_(list(codes)),
            reports.c.modality.in_(list(modalities)),
            reports.c.negated == false(),
        )
        .order_by(reports.c.date_start, reports.c.id)
    )
    return [dict(row) for row in connection.execute(statement).mappings()]
