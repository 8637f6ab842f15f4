"""The event store: articles, their coded events, and the events merged across articles.

    >>> store = Store.open("events.db")  # doctest: +SKIP
    >>> store.add_batch([(article, coder.code_article(article))])  # doctest: +SKIP
    >>> store.events(dyad=("USA", "CHN"), since=date(2024, 1, 1), limit=20)  # doctest: +SKIP

One schema through SQLAlchemy Core, on a SQLite file by default (zero set-up) or PostgreSQL by
URL. Writers are serialised (SQLite's write lock taken at ``BEGIN IMMEDIATE``; a PostgreSQL
advisory lock), so a batch sees every batch committed before it; readers never wait for them
(SQLite runs in WAL mode). Each ``add_batch`` is one transaction: a process killed in the
middle of one leaves the database as it was before it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, bindparam, func, select
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite

from communique.records import Article, Event
from communique.store import aggregate, merge, migrations, schema
from communique.store import engine as engines
from communique.store.errors import ReadOnlyStoreError, StoreError, StoreErrors
from communique.store.query import Filters, Order, conditions, events_query, pair
from communique.store.rows import event_dicts, event_from_report, report_row, utc

# Values per IN (...) list, well under SQLite's limit on bound parameters.
CHUNK = 500
# Rows of merged events and reports buffered before they are written.
FLUSH_ROWS = 5_000


@dataclass(frozen=True)
class BatchResult:
    """What one ``add_batch`` stored: ``events_new`` is the change in the number of merged
    events (reports joining known events add reports, not events)."""

    new_articles: int
    already_present: int
    events_new: int
    reports_new: int


class Store:
    """A database of articles, coded events (reports) and merged events."""

    def __init__(
        self, engine: Engine, *, display_url: str, window_days: int, read_only: bool
    ) -> None:
        self.engine = engine
        self.display_url = display_url
        self.window_days = window_days
        self.read_only = read_only

    # ----------------------------------------------------------------------------------------
    # Opening

    @classmethod
    def open(
        cls,
        url: str | os.PathLike[str] | None = None,
        *,
        create: bool = True,
        read_only: bool = False,
        window_days: int = merge.DEFAULT_WINDOW_DAYS,
    ) -> Store:
        """Open (and create or migrate) the database at ``url``.

        ``url``: None for ``$COMMUNIQUE_DB``, else ``communique.db`` in the current folder; a
        file path or ``sqlite:///PATH`` for SQLite (``sqlite://`` alone: in memory);
        ``postgresql://…`` (any ``postgresql+driver://`` or ``postgres://``; the psycopg driver
        is used). ``create=False``: fail unless a communique database is already there.
        ``read_only=True``: only queries; a SQLite file is opened read-only. ``window_days``:
        the merge window (see ``communique.store.merge``).
        """
        target = engines.resolve(url)
        if target.is_sqlite:
            engines.check_sqlite_file(target, create=create, read_only=read_only)
            engine = engines.sqlite_engine(target.path, read_only=read_only)
        else:
            assert target.url is not None
            engine = engines.server_engine(target.url)
        store = cls(
            engine, display_url=target.display, window_days=window_days, read_only=read_only
        )
        try:
            store._prepare(create=create)
        except BaseException:
            engine.dispose()
            raise
        return store

    @classmethod
    def open_to_read(
        cls, url: str | os.PathLike[str] | None = None, *, create: bool = False
    ) -> Store:
        """Open a database to query it: migrated if need be, as :meth:`open` does, but one
        that cannot be written (a read-only file or folder) is still opened, read-only, as it
        is. ``create``: make a missing database (a server that also takes writes does)."""
        try:
            return cls.open(url, create=create)
        except ReadOnlyStoreError:
            return cls.open(url, create=False, read_only=True)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return str(self.engine.dialect.name)

    def _prepare(self, *, create: bool) -> None:
        with self._read() as connection:
            done = migrations.applied(connection)
        if done is None and not create:
            raise StoreError(StoreErrors.E061.format(url=self.display_url))
        if newer := migrations.unknown(done):
            raise StoreError(StoreErrors.E054.format(url=self.display_url, names=", ".join(newer)))
        if todo := migrations.pending(done):
            if self.read_only:
                names = ", ".join(migration.name for migration in todo)
                raise StoreError(StoreErrors.E055.format(url=self.display_url, names=names))
            with self._errors():
                migrations.migrate(self._write)

    # ----------------------------------------------------------------------------------------
    # Connections and errors

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A connection in a read transaction (one consistent snapshot on SQLite)."""
        with self._errors(), self._connect() as connection, connection.begin():
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A connection in a write transaction, writers serialised."""
        if self.read_only:
            detail = "opened read-only"
            raise ReadOnlyStoreError(StoreErrors.E051.format(url=self.display_url, detail=detail))
        with self._errors(), self._connect() as connection:
            connection.execution_options(communique_write=True)
            with connection.begin():
                migrations.lock_writers(connection)
                yield connection

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            connection = self.engine.connect()
        except sa_exc.DBAPIError as error:
            if self.dialect == "sqlite":
                raise engines.translate(error, self.display_url) from error
            raise StoreError(
                StoreErrors.E050.format(url=self.display_url, detail=engines.detail_of(error))
            ) from error
        with connection:
            yield connection

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sa_exc.DBAPIError as error:
            raise engines.translate(error, self.display_url) from error

    # ----------------------------------------------------------------------------------------
    # Writing

    def known_articles(self, ids: Iterable[str]) -> set[str]:
        """The ids among ``ids`` of articles already stored."""
        wanted = list(dict.fromkeys(ids))
        with self._read() as connection:
            return _known(connection, wanted)

    def add_batch(self, items: Sequence[tuple[Article, list[Event]]]) -> BatchResult:
        """Store articles with their coded events, merging the events, in ONE transaction.

        An article already stored (or given twice) is skipped whole, its events included: the
        store keeps the coding it first got. Adding the same items again adds nothing.
        """
        batch, repeated = _unique_articles(items)
        now = datetime.now(UTC)
        with self._write() as connection:
            present = _known(connection, list(batch))
            fresh = [item for key, item in batch.items() if key not in present]
            if not fresh:
                return BatchResult(0, len(present) + repeated, 0, 0)
            _insert_articles(connection, [article for article, _ in fresh], now)
            reports = _new_reports(fresh, now)
            merger = _Merger(connection, window_days=self.window_days)
            events_new = merger.add(reports)
            _count_actors(connection, reports)
        return BatchResult(
            new_articles=len(fresh),
            already_present=len(present) + repeated,
            events_new=events_new,
            reports_new=len(reports),
        )

    def remerge(self) -> int:
        """Regroup every report into events with this store's window; the number of events."""
        with self._write() as connection:
            keys = connection.scalars(select(schema.event_reports.c.merge_key).distinct()).all()
            merger = _Merger(connection, window_days=self.window_days)
            for key in keys:
                merger.regroup(key, _Region(), [])
            merger.flush()
            return int(connection.scalar(select(func.count()).select_from(schema.events)) or 0)

    # ----------------------------------------------------------------------------------------
    # Reading

    def events(
        self,
        *,
        dyad: Sequence[str] | None = None,
        since: date | None = None,
        until: date | None = None,
        code: str | None = None,
        actor: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
        order: Order = "newest",
    ) -> list[dict[str, Any]]:
        """Merged events, newest first (``order="oldest"``: oldest first), as flat dicts.

        ``dyad``: (source, target) actor-code prefixes, in this direction: ``("USA", "CHN")``
        takes USA, USAGOV, USAMIL… acting on CHN, CHNGOV…; an empty string matches any actor.
        ``since``/``until``: events whose date (a day, month or year) overlaps the range,
        inclusive; undated events are then left out. ``code``: CAMEO code prefix (``"04"``,
        ``"042"``). ``actor``: a substring, any case, of either actor's name or code.

        Each dict has the event's fields (``event_id``, ``date``, ``date_precision``,
        ``source_code``, ``source_name``, …, ``cameo_code``, ``goldstein``, ``location``…), its
        counts (``reports``, ``articles``, ``sources``) and its first report's ``sentence``,
        ``article_id`` and ``report_id``.
        """
        filters = Filters(
            dyad=pair(dyad) if dyad else None, since=since, until=until, code=code, actor=actor
        )
        with self._read() as connection:
            statement = events_query(connection, filters, order, limit=limit, offset=offset)
            return list(event_dicts(connection.execute(statement)))

    def iter_events(
        self, filters: Filters | None = None, *, order: Order = "oldest", lead: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Every merged event matching ``filters``, streamed (for exports). ``lead=True`` adds
        ``lead``: whether one of its reports is the first sentence of its article."""
        with self._read() as connection:
            statement = events_query(connection, filters or Filters(), order, lead=lead)
            result = connection.execution_options(yield_per=1000).execute(statement)
            yield from event_dicts(result)

    def reports(self, event_id: str) -> list[Event]:
        """The reports of one merged event, as coded events, earliest first."""
        reports = schema.event_reports
        statement = (
            select(reports)
            .where(reports.c.event_id == event_id)
            .order_by(reports.c.date_start, reports.c.id)
        )
        with self._read() as connection:
            return [event_from_report(row) for row in connection.execute(statement).mappings()]

    def iter_reports(self, filters: Filters | None = None) -> Iterator[tuple[str, Event]]:
        """(merged event id, coded event) for every report of the events matching ``filters``."""
        reports, events = schema.event_reports, schema.events
        with self._read() as connection:
            statement = (
                select(reports)
                .join(events, events.c.id == reports.c.event_id)
                .where(*conditions(connection, filters or Filters()))
                .order_by(events.c.date_start, events.c.id, reports.c.date_start, reports.c.id)
            )
            result = connection.execution_options(yield_per=1000).execute(statement)
            for row in result.mappings():
                yield row["event_id"], event_from_report(row)

    def counts(self) -> dict[str, int]:
        """Numbers of ``articles``, merged ``events`` and ``reports`` stored."""
        tables = {
            "articles": schema.articles,
            "events": schema.events,
            "reports": schema.event_reports,
        }
        with self._read() as connection:
            return {
                name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in tables.items()
            }

    # ----------------------------------------------------------------------------------------
    # Aggregates for communique.analysis (SQL in aggregate.py)

    def period_counts(
        self, dyad: tuple[str, str], *, by: aggregate.Period, scope: aggregate.Scope
    ) -> list[dict[str, Any]]:
        """Events from ``dyad[0]`` to ``dyad[1]`` per period and quad class."""
        with self._read() as connection:
            return aggregate.period_counts(connection, dyad, by=by, scope=scope)

    def actor_counts(self, scope: aggregate.Scope, *, limit: int) -> list[dict[str, Any]]:
        """Actors (code, name) by the number of events they take part in."""
        with self._read() as connection:
            return aggregate.actor_counts(connection, scope, limit=limit)

    def country_pair_counts(self, scope: aggregate.Scope) -> list[dict[str, Any]]:
        """Events per (source country, target country)."""
        with self._read() as connection:
            return aggregate.country_pair_counts(connection, scope)

    def edge_weights(
        self, scope: aggregate.Scope, *, min_weight: int = 1, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Directed edges between actor codes with their event counts and mean Goldstein."""
        with self._read() as connection:
            return aggregate.edge_weights(connection, scope, min_weight=min_weight, limit=limit)

    def reports_between(
        self, countries: tuple[str, str], *, codes: Sequence[str], modalities: Sequence[str]
    ) -> list[dict[str, Any]]:
        """Reports of events between two countries with given codes and modalities."""
        with self._read() as connection:
            return aggregate.reports_between(
                connection, countries, codes=codes, modalities=modalities
            )

    def migrations(self) -> list[tuple[str, datetime]]:
        """The migrations applied to this database, with when, in order."""
        table = schema.schema_version
        with self._read() as connection:
            statement = select(table.c.name, table.c.applied_at).order_by(table.c.name)
            rows = connection.execute(statement)
            return [(name, utc(applied_at)) for name, applied_at in rows]


# --------------------------------------------------------------------------------------------
# Writing articles, reports and actors


def _chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _known(connection: Connection, ids: Sequence[str]) -> set[str]:
    table = schema.articles
    found: set[str] = set()
    for chunk in _chunks(ids):
        found.update(connection.scalars(select(table.c.id).where(table.c.id.in_(chunk))))
    return found


def _unique_articles(
    items: Sequence[tuple[Article, list[Event]]],
) -> tuple[dict[str, tuple[Article, list[Event]]], int]:
    """The items by article id (the first of repeats wins), and how many were repeats."""
    batch: dict[str, tuple[Article, list[Event]]] = {}
    repeated = 0
    for article, events in items:
        if article.id in batch:
            repeated += 1
            continue
        for coded in events:
            if coded.article_id != article.id:
                raise ValueError(
                    StoreErrors.E063.format(
                        article=article.id, event=coded.event_id, other=coded.article_id
                    )
                )
        batch[article.id] = (article, events)
    return batch, repeated


def _insert(connection: Connection, table: Any) -> Any:
    """An INSERT for the connection's dialect (with ON CONFLICT support)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _insert_articles(connection: Connection, articles: list[Article], now: datetime) -> None:
    rows = [
        {
            "id": article.id,
            "external_id": getattr(article, "external_id", None),
            "title": article.title,
            "url": article.url,
            "source": article.source,
            "published": article.published,
            "text": article.text,
            "ingested_at": now,
        }
        for article in articles
    ]
    connection.execute(_insert(connection, schema.articles).on_conflict_do_nothing(), rows)


def _new_reports(fresh: list[tuple[Article, list[Event]]], now: datetime) -> list[dict[str, Any]]:
    """Report rows of the new articles' events, each once, with what merging needs to know
    of its article (``ingested_at``, ``article_source``)."""
    rows: dict[str, dict[str, Any]] = {}
    for article, events in fresh:
        for coded in events:
            row = report_row(coded)
            row.update(ingested_at=now, article_source=article.source)
            rows.setdefault(coded.event_id, row)
    return list(rows.values())


def _count_actors(connection: Connection, reports: list[dict[str, Any]]) -> None:
    mentions: Counter[tuple[str, str]] = Counter()
    details: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    for report in reports:
        for side in ("source", "target"):
            key = (report[f"{side}_code"], report[f"{side}_name"])
            mentions[key] += 1
            details.setdefault(key, (report[f"{side}_country"], report[f"{side}_sector"]))
    if not mentions:
        return
    rows = [
        {"code": code, "name": name, "country": country, "sector": sector, "mentions": count}
        for (code, name), count in sorted(mentions.items())
        for country, sector in [details[(code, name)]]
    ]
    statement = _insert(connection, schema.actors)
    statement = statement.on_conflict_do_update(
        index_elements=["code", "name"],
        set_={"mentions": schema.actors.c.mentions + statement.excluded.mentions},
    )
    connection.execute(statement, rows)


# --------------------------------------------------------------------------------------------
# Merging reports into events (the rule is in merge.py)


@dataclass(frozen=True)
class _Region:
    """The part of one merge key's timeline to regroup: reports dated from ``start`` on
    (day precision), reports of the given ``dates`` (month, year), or all (undated, remerge)."""

    start: date | None = None
    dates: tuple[str, ...] | None = None


REPORT_COLUMNS = [
    column.name for column in schema.event_reports.columns if column.name != "event_id"
]


@dataclass
class _Merger:
    """Regroups the regions new reports fall in, and writes the events that result."""

    connection: Connection
    window_days: int
    events: list[dict[str, Any]] = field(default_factory=list)
    new_reports: list[dict[str, Any]] = field(default_factory=list)
    moved: list[dict[str, str]] = field(default_factory=list)
    stale: set[str] = field(default_factory=set)
    delta: int = 0

    def add(self, reports: list[dict[str, Any]]) -> int:
        """Merge new report rows into the stored events; the change in the event count."""
        by_key: dict[str, list[dict[str, Any]]] = {}
        for report in reports:
            by_key.setdefault(report["merge_key"], []).append(report)
        for key in sorted(by_key):
            self.regroup(key, self._region(key, by_key[key]), by_key[key])
        self.flush()
        return self.delta

    def _region(self, key: str, reports: list[dict[str, Any]]) -> _Region:
        precision = reports[0]["date_precision"]
        if precision is None:
            return _Region()
        if precision != "day":
            return _Region(dates=tuple(sorted({report["date"] for report in reports})))
        earliest = min(report["date_start"] for report in reports)
        events = schema.events
        before = self.connection.scalar(
            select(func.max(events.c.date_start)).where(
                events.c.merge_key == key, events.c.date_start <= earliest
            )
        )
        # Nothing before the last event starting on or before the earliest new report can
        # change: the sweep reaches that event's start whatever comes after it.
        return _Region(start=before or earliest)

    def regroup(self, key: str, region: _Region, new: list[dict[str, Any]]) -> None:
        stored = self._stored(key, region)
        before = {report["event_id"] for report in stored}
        articles = {
            report["article_id"]: {
                "ingested_at": utc(report["ingested_at"]),
                "source": report["article_source"],
            }
            for report in [*stored, *new]
        }
        after: set[str] = set()
        for group in merge.clusters([*stored, *new], window_days=self.window_days):
            row = merge.event_row(group, articles)
            after.add(row["id"])
            self.events.append(row)
            for report in group:
                if "event_id" not in report:
                    self.new_reports.append({**report, "event_id": row["id"]})
                elif report["event_id"] != row["id"]:
                    self.moved.append({"report": report["id"], "event": row["id"]})
        self.stale |= before - after
        self.delta += len(after) - len(before)
        if len(self.events) + len(self.new_reports) + len(self.moved) >= FLUSH_ROWS:
            self.flush()

    def _stored(self, key: str, region: _Region) -> list[dict[str, Any]]:
        reports, articles = schema.event_reports, schema.articles
        condition: ColumnElement[bool] = reports.c.merge_key == key
        if region.start is not None:
            condition = and_(condition, reports.c.date_start >= region.start)
        if region.dates is not None:
            condition = and_(condition, reports.c.date.in_(region.dates))
        statement = (
            select(
                reports,
                articles.c.ingested_at,
                articles.c.source.label("article_source"),
            )
            .join(articles, articles.c.id == reports.c.article_id)
            .where(condition)
        )
        return [dict(row) for row in self.connection.execute(statement).mappings()]

    def flush(self) -> None:
        connection = self.connection
        if self.events:
            statement = _insert(connection, schema.events)
            columns = [column.name for column in schema.events.columns if column.name != "id"]
            statement = statement.on_conflict_do_update(
                index_elements=["id"],
                set_={name: statement.excluded[name] for name in columns},
            )
            connection.execute(statement, self.events)
        if self.new_reports:
            rows = [
                {name: report[name] for name in [*REPORT_COLUMNS, "event_id"]}
                for report in self.new_reports
            ]
            connection.execute(
                _insert(connection, schema.event_reports).on_conflict_do_nothing(), rows
            )
        if self.moved:
            table = schema.event_reports
            connection.execute(
                table.update()
                .where(table.c.id == bindparam("report"))
                .values(event_id=bindparam("event")),
                self.moved,
            )
        for chunk in _chunks(sorted(self.stale)):
            connection.execute(schema.events.delete().where(schema.events.c.id.in_(chunk)))
        self.events, self.new_reports, self.moved, self.stale = [], [], [], set()
