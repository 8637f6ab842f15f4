"""The tables of the event store, in SQLAlchemy Core, for SQLite and PostgreSQL alike.

* ``articles``: one row per article, keyed by ``Article.id`` (a content hash).
* ``event_reports``: every coded event as one article reports it, keyed by ``Event.event_id``.
  It keeps the whole coding (actors, codes, date, place, provenance), so an ``Event`` can be
  rebuilt from it and the merged events recomputed from reports alone.
* ``events``: one row per happening, the reports merged across articles (see ``merge.py``);
  derived from ``event_reports``, with the attributes of its first report and the counts of
  its reports, articles and sources.
* ``actors``: each actor (code, name) with the number of reports naming it.
* ``schema_version``: the named migrations applied to the database, with their times.

Dates: ``date`` is the event date as coded (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, never
widened or narrowed); ``date_start``/``date_end`` are the first and last day it covers, for
range queries and the merge window.

Actor codes compare byte-wise (collation "C" on PostgreSQL, SQLite's default BINARY), so a
prefix such as ``USA`` is a range ``['USA', 'USB')`` an index can answer.

This module describes the current shape of the tables; ``migrations.py`` creates and changes
them (version 1 from the frozen copy in ``schema_v1.py``), and a test checks that the two agree.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeEngine

#: A code column: byte-wise ordering on PostgreSQL as on SQLite, so prefix ranges use indexes.
Code: TypeEngine[str] = String().with_variant(String(collation="C"), "postgresql")


def define_tables(metadata: MetaData) -> MetaData:
    """Add the store's tables to ``metadata`` (used by the initial migration and by queries)."""
    _articles(metadata)
    _events(metadata)
    _reports(metadata)
    _actors(metadata)
    _schema_version(metadata)
    return metadata


def _articles(metadata: MetaData) -> Table:
    return Table(
        "articles",
        metadata,
        Column("id", String, primary_key=True),
        Column("external_id", String),
        Column("title", Text),
        Column("url", Text),
        Column("source", String),
        Column("published", Date),
        Column("text", Text, nullable=False),
        Column("ingested_at", DateTime(timezone=True), nullable=False),
        Index("ix_articles_published", "published"),
        Index("ix_articles_external_id", "external_id"),
    )


def _actor_columns(side: str) -> list[Column[object]]:
    return [
        Column(f"{side}_code", Code, nullable=False),
        Column(f"{side}_name", String, nullable=False),
        Column(f"{side}_country", Code),
        Column(f"{side}_sector", Code),
    ]


def _classification_columns() -> list[Column[object]]:
    """What the CAMEO code says of an event (after ``cameo_code``, and on events its family)."""
    return [
        Column("cameo_root", Code, nullable=False),
        Column("cameo_name", String, nullable=False),
        Column("goldstein", Float),
        Column("quad_class", SmallInteger),
        Column("plover_type", String),
        Column("plover_mode", String),
    ]


def _location_columns() -> list[Column[object]]:
    return [
        Column("location_name", String),
        Column("location_country", Code),
        Column("location_lat", Float),
        Column("location_lon", Float),
    ]


def _title_columns() -> list[Column[object]]:
    """The actors' offices or role phrases (``Actor.title``), added by ``0002_actor_titles``:
    null in reports stored before it."""
    return [Column("source_title", String), Column("target_title", String)]


def _events(metadata: MetaData) -> Table:
    return Table(
        "events",
        metadata,
        Column("id", String, primary_key=True),
        # source|target|code family|precision|modality|negated: reports merge only within one.
        Column("merge_key", Code, nullable=False),
        *_actor_columns("source"),
        *_actor_columns("target"),
        Column("cameo_code", Code, nullable=False),
        Column("cameo_family", Code, nullable=False),
        *_classification_columns(),
        Column("date", String),
        Column("date_precision", String),
        Column("date_start", Date),
        Column("date_end", Date),
        Column("modality", String, nullable=False),
        Column("negated", Boolean, nullable=False),
        *_location_columns(),
        Column("resolved", Boolean, nullable=False),
        Column("report_count", Integer, nullable=False),
        Column("article_count", Integer, nullable=False),
        Column("source_count", Integer, nullable=False),
        # The report the event takes its attributes from: its earliest (no foreign key, so
        # events and reports can be rewritten in either order inside a transaction).
        Column("first_report", String, nullable=False),
        Column("first_seen", DateTime(timezone=True), nullable=False),
        *_title_columns(),
        # Queries choose events by dyad and date, sort them by date_start and id, and only
        # then read the rows of one page: these indexes answer the choosing and sorting alone.
        # date_end leads the dates: "since" is the usual bound, and an event overlaps it by
        # its end.
        Index("ix_events_dyad_date", "source_code", "target_code", "date_end", "date_start", "id"),
        Index("ix_events_target_date", "target_code", "date_end", "date_start", "id"),
        Index("ix_events_date", "date_start", "date_end", "id"),
        Index("ix_events_merge_key", "merge_key", "date_start"),
        Index("ix_events_cameo", "cameo_code"),
    )


def _reports(metadata: MetaData) -> Table:
    return Table(
        "event_reports",
        metadata,
        Column("id", String, primary_key=True),
        Column("event_id", String, ForeignKey("events.id"), nullable=False),
        Column("article_id", String, ForeignKey("articles.id"), nullable=False),
        Column("merge_key", Code, nullable=False),
        Column("sentence_index", Integer, nullable=False),
        Column("sentence", Text, nullable=False),
        Column("span_start", Integer, nullable=False),
        Column("span_end", Integer, nullable=False),
        Column("trigger", String, nullable=False),
        Column("rule", String, nullable=False),
        Column("date", String),
        Column("date_precision", String),
        Column("date_basis", String),
        Column("date_start", Date),
        Column("date_end", Date),
        *_actor_columns("source"),
        Column("source_text", String, nullable=False),
        Column("source_resolved", Boolean, nullable=False),
        *_actor_columns("target"),
        Column("target_text", String, nullable=False),
        Column("target_resolved", Boolean, nullable=False),
        Column("cameo_code", Code, nullable=False),
        *_classification_columns(),
        Column("plover_context", Text),  # JSON list
        *_location_columns(),
        Column("location_kind", String),
        Column("modality", String, nullable=False),
        Column("negated", Boolean, nullable=False),
        Column("quote", Text),
        *_title_columns(),
        Index("ix_reports_event", "event_id"),
        Index("ix_reports_article", "article_id"),
        Index("ix_reports_merge_key", "merge_key", "date_start"),
    )


def _actors(metadata: MetaData) -> Table:
    return Table(
        "actors",
        metadata,
        Column("code", Code, primary_key=True),
        Column("name", String, primary_key=True),
        Column("country", Code),
        Column("sector", Code),
        Column("mentions", Integer, nullable=False),
        Index("ix_actors_name", "name"),
    )


def _schema_version(metadata: MetaData) -> Table:
    return Table(
        "schema_version",
        metadata,
        Column("name", String, primary_key=True),
        Column("applied_at", DateTime(timezone=True), nullable=False),
    )


metadata = define_tables(MetaData())
articles = metadata.tables["articles"]
events = metadata.tables["events"]
event_reports = metadata.tables["event_reports"]
actors = metadata.tables["actors"]
schema_version = metadata.tables["schema_version"]
