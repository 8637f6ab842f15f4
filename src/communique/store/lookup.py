"""Single-item reads of the store, for the web app and anyone else: one merged event, one
report, one article with its reports and titles, one actor and its events, the number of events
a filter matches (for pagination), the schema version. SQLAlchemy Core on the store's tables
and filters, every value a bound parameter, inside the store's read transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from communique.records import Event
from communique.store import schema
from communique.store.query import Filters, conditions
from communique.store.rows import event_dicts, event_from_report, utc
from communique.store.store import Store


def count_events(store: Store, filters: Filters) -> int:
    """How many merged events ``filters`` select, counted in SQL."""
    events = schema.events
    with store._read() as connection:
        statement = select(func.count()).select_from(events)
        statement = statement.where(*conditions(connection, filters))
        return int(connection.scalar(statement) or 0)


def event(store: Store, event_id: str) -> dict[str, Any] | None:
    """One merged event as ``Store.events`` gives it, or None."""
    events, reports, articles = schema.events, schema.event_reports, schema.articles
    statement = (
        select(events, reports.c.sentence, reports.c.article_id, articles.c.url)
        .join(reports, reports.c.id == events.c.first_report)
        .join(articles, articles.c.id == reports.c.article_id)
        .where(events.c.id == event_id)
    )
    with store._read() as connection:
        found = list(event_dicts(connection.execute(statement)))
    return found[0] if found else None


def report_of(store: Store, report_id: str) -> Event | None:
    """One coded event (a report) by its id."""
    reports = schema.event_reports
    with store._read() as connection:
        row = connection.execute(select(reports).where(reports.c.id == report_id)).mappings()
        first = row.first()
    return event_from_report(first) if first is not None else None


def article(store: Store, article_id: str) -> dict[str, Any] | None:
    """An article's stored fields (``published`` as YYYY-MM-DD), or None."""
    table = schema.articles
    with store._read() as connection:
        row = connection.execute(select(table).where(table.c.id == article_id)).mappings().first()
    if row is None:
        return None
    record = dict(row)
    record["published"] = row["published"].isoformat() if row["published"] else None
    record["ingested_at"] = utc(row["ingested_at"]).isoformat()
    return record


def article_titles(store: Store, article_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Title, URL, source and date of each article named."""
    table = schema.articles
    columns = (table.c.id, table.c.title, table.c.url, table.c.source, table.c.published)
    with store._read() as connection:
        rows = connection.execute(select(*columns).where(table.c.id.in_(article_ids[:500])))
        return {
            row.id: {
                "title": row.title,
                "url": row.url,
                "source": row.source,
                "published": row.published.isoformat() if row.published else None,
            }
            for row in rows
        }


def article_reports(store: Store, article_id: str) -> list[dict[str, Any]]:
    """The events an article reports: report id, merged event id, sentence, trigger, codes."""
    reports = schema.event_reports
    columns = (
        reports.c.id,
        reports.c.event_id,
        reports.c.sentence_index,
        reports.c.span_start,
        reports.c.span_end,
        reports.c.trigger,
        reports.c.source_code,
        reports.c.target_code,
        reports.c.cameo_code,
        reports.c.cameo_name,
        reports.c.date,
    )
    statement = (
        select(*columns)
        .where(reports.c.article_id == article_id)
        .order_by(reports.c.sentence_index, reports.c.span_start, reports.c.id)
    )
    with store._read() as connection:
        return [dict(row) for row in connection.execute(statement).mappings()]


def actor(store: Store, code: str) -> dict[str, Any] | None:
    """An actor code: the names reported under it (with mentions), and how many merged
    events it is the source and the target of; None when no report names it."""
    actors, events = schema.actors, schema.events
    with store._read() as connection:
        names = [
            dict(row)
            for row in connection.execute(
                select(actors).where(actors.c.code == code).order_by(
                    actors.c.mentions.desc(), actors.c.name
                ).limit(50)
            ).mappings()
        ]
        if not names:
            return None
        as_source = connection.scalar(
            select(func.count()).select_from(events).where(events.c.source_code == code)
        )
        as_target = connection.scalar(
            select(func.count()).select_from(events).where(events.c.target_code == code)
        )
    return {
        "code": code,
        "country": names[0].get("country"),
        "sector": names[0].get("sector"),
        "names": names,
        "events_as_source": int(as_source or 0),
        "events_as_target": int(as_target or 0),
    }


def actor_events(
    store: Store, code: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the merged events an actor code is a party to (newest first), and the total."""
    events, reports, articles = schema.events, schema.event_reports, schema.articles
    either = or_(events.c.source_code == code, events.c.target_code == code)
    ordering = (events.c.date_start.desc().nulls_last(), events.c.id.desc())
    chosen = (
        select(events.c.id).where(either).order_by(*ordering).offset(offset).limit(limit)
    ).subquery("chosen")
    statement = (
        select(events, reports.c.sentence, reports.c.article_id, articles.c.url)
        .join_from(chosen, events, events.c.id == chosen.c.id)
        .join(reports, reports.c.id == events.c.first_report)
        .join(articles, articles.c.id == reports.c.article_id)
        .order_by(*ordering)
    )
    with store._read() as connection:
        page = list(event_dicts(connection.execute(statement)))
        total = connection.scalar(select(func.count()).select_from(events).where(either))
    return page, int(total or 0)


def schema_version(store: Store) -> str | None:
    """The name of the last migration applied."""
    applied = store.migrations()
    return applied[-1][0] if applied else None
