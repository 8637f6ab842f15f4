"""Checking a store's database: is it whole, and do its tables agree with each other?

    >>> store = open_store("events.db")  # doctest: +SKIP
    >>> report = check(store)  # doctest: +SKIP
    >>> report.clean, report.to_dict()["checks"][0]["name"]  # doctest: +SKIP
    (True, 'schema')

``check`` only reads, in one snapshot, and never migrates: ``open_store`` opens a database
read-only without applying pending migrations (``Store.open`` would refuse or apply them), so
the doctor can describe a database as it finds it. The checks, in order:

* ``schema``: the migrations applied are all known and none is pending; the tables and their
  columns are those of that version (a column no migration recorded is a half-applied change);
* ``integrity`` (SQLite only): ``PRAGMA integrity_check`` (``quick_check`` when asked) and
  ``PRAGMA foreign_key_check``;
* ``orphans``: reports whose article or merged event is missing, merged events without
  reports, events whose first report is not one of theirs;
* ``duplicates``: reports that are the same coded event stored twice. A report's id is a
  content hash of its article, sentence number, trigger offset, CAMEO code and both actors'
  codes and names, so two rows with these equal are one event under two ids;
* ``event counts``: each merged event's ``report_count``, ``article_count`` and
  ``source_count`` against its reports, and its merge key against theirs;
* ``actor counts``: each actor's ``mentions`` against the reports naming it.

The data checks need the tables; when some are missing they are skipped, saying so.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    MetaData,
    Select,
    String,
    and_,
    cast,
    distinct,
    func,
    inspect,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy import exc as sa_exc

from communique.store import engine as engines
from communique.store import merge, migrations, schema, schema_v1
from communique.store.errors import StoreError, StoreErrors
from communique.store.store import Store

#: Ids (or messages) shown for each problem; the count says how many there are.
EXAMPLES = 5

Status = Literal["ok", "problems", "skipped"]


@dataclass(frozen=True)
class Problem:
    """One kind of inconsistency: ``count`` rows (or messages) like ``examples``."""

    code: str
    message: str
    count: int
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "count": self.count,
            "examples": list(self.examples),
        }


@dataclass(frozen=True)
class Check:
    """One check: what it looked at (``detail``) and what it found wrong."""

    name: str
    detail: str
    problems: tuple[Problem, ...] = ()
    skipped: str | None = None

    @property
    def status(self) -> Status:
        if self.skipped is not None:
            return "skipped"
        return "problems" if self.problems else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.skipped or self.detail,
            "problems": [problem.to_dict() for problem in self.problems],
        }


@dataclass(frozen=True)
class DoctorReport:
    """What ``check`` found in one database."""

    database: str
    dialect: str
    counts: dict[str, int]
    migrations: dict[str, list[str]]
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> list[Problem]:
        return [problem for check in self.checks for problem in check.problems]

    def to_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "dialect": self.dialect,
            "clean": self.clean,
            "counts": self.counts,
            "migrations": self.migrations,
            "checks": [check.to_dict() for check in self.checks],
        }


# --------------------------------------------------------------------------------------------
# Opening and reading


def open_store(url: str | os.PathLike[str] | None = None) -> Store:
    """Open a communique database read-only, as it is: no migration is applied.

    Raises ``StoreError`` when there is no database, or no communique database, at ``url``.
    """
    target = engines.resolve(url)
    if target.is_sqlite:
        engines.check_sqlite_file(target, create=False, read_only=True)
        engine = engines.sqlite_engine(target.path, read_only=True)
    else:
        assert target.url is not None
        engine = engines.server_engine(target.url)
    store = Store(
        engine,
        display_url=target.display,
        window_days=merge.DEFAULT_WINDOW_DAYS,
        read_only=True,
    )
    try:
        with snapshot(store) as connection:
            if migrations.applied(connection) is None:
                raise StoreError(StoreErrors.E061.format(url=target.display))
    except BaseException:
        engine.dispose()
        raise
    return store


@contextmanager
def snapshot(store: Store) -> Iterator[Connection]:
    """A read-only transaction seeing one state of the database for every check."""
    try:
        with store.engine.connect() as connection:
            if store.dialect == "postgresql":
                # Checks compare tables with each other: they must see the same commit.
                connection = connection.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            transaction = connection.begin()
            try:
                yield connection
            finally:
                # Nothing to commit; and a damaged file can fail even a read's COMMIT.
                transaction.rollback()
    except sa_exc.DBAPIError as error:
        raise engines.translate(error, store.display_url) from error


def check(store: Store, *, quick: bool = False) -> DoctorReport:
    """Check the database of ``store``, reading only; ``quick``: SQLite's ``quick_check``
    (no comparison of indexes with their tables) instead of the full ``integrity_check``."""
    with snapshot(store) as connection:
        applied = migrations.applied(connection) or []
        present = set(inspect(connection).get_table_names())
        checks = [
            _guarded(connection, "schema", lambda: _schema(connection, applied, present)),
            _guarded(connection, "integrity", lambda: _integrity(connection, quick=quick)),
        ]
        missing = sorted(set(schema.metadata.tables) - present)
        counts: dict[str, int] = {}
        if missing:
            reason = f"skipped: the tables {', '.join(missing)} are missing"
            checks += [Check(name, "", skipped=reason) for name in DATA_CHECKS]
        else:
            checks += [
                _guarded(connection, name, partial(run, connection))
                for name, run in DATA_CHECKS.items()
            ]
            with suppress(sa_exc.DatabaseError):
                counts = _counts(connection)
    return DoctorReport(
        database=store.display_url,
        dialect=store.dialect,
        counts=counts,
        migrations={
            "applied": applied,
            "pending": [migration.name for migration in migrations.pending(applied)],
            "unknown": migrations.unknown(applied),
        },
        checks=tuple(checks),
    )


def _guarded(connection: Connection, name: str, run: Callable[[], Check]) -> Check:
    """Run one check; a database too damaged to answer it is a problem found, not a failure
    of the doctor (a savepoint keeps the other checks going, on PostgreSQL too)."""
    try:
        with connection.begin_nested():
            return run()
    except sa_exc.DatabaseError as error:
        if isinstance(error, sa_exc.OperationalError) and not _damaged(error):
            raise  # locked, unreachable…: the database cannot be checked now
        message = f"error reading the database: {engines.detail_of(error)}"
        return Check(name, "stopped by an error", (Problem("unreadable", message, 1),))


def _damaged(error: sa_exc.DBAPIError) -> bool:
    detail = engines.detail_of(error).lower()
    return "malformed" in detail or "corrupt" in detail


def _counts(connection: Connection) -> dict[str, int]:
    tables = {
        "articles": schema.articles,
        "reports": schema.event_reports,
        "events": schema.events,
        "actors": schema.actors,
    }
    return {
        name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
        for name, table in tables.items()
    }


def _count(connection: Connection, statement: Select[Any]) -> int:
    return int(connection.scalar(select(func.count()).select_from(statement.subquery())) or 0)


def _problem(connection: Connection, code: str, message: str, ids: Select[Any]) -> list[Problem]:
    """A problem for the rows ``ids`` selects (one column, an id), or none when it is empty."""
    count = _count(connection, ids)
    if not count:
        return []
    examples = connection.scalars(ids.order_by(ids.selected_columns[0]).limit(EXAMPLES))
    return [Problem(code, message, count, tuple(str(value) for value in examples))]


# --------------------------------------------------------------------------------------------
# Schema and integrity


def _schema(connection: Connection, applied: list[str], present: set[str]) -> Check:
    pending = [migration.name for migration in migrations.pending(applied)]
    unknown = migrations.unknown(applied)
    problems: list[Problem] = []
    if pending:
        message = (
            "migrations not applied yet (a command that writes, such as `communique ingest`, "
            "applies them)"
        )
        problems.append(Problem("pending_migrations", message, len(pending), tuple(pending)))
    if unknown:
        message = "migrations unknown to this communique (written by a newer version)"
        problems.append(Problem("unknown_migrations", message, len(unknown), tuple(unknown)))
    missing_tables = sorted(set(schema.metadata.tables) - present)
    if missing_tables:
        message = "tables missing"
        problems.append(
            Problem("missing_tables", message, len(missing_tables), tuple(missing_tables))
        )
    expected = _expected_tables(applied, pending, unknown)
    if expected is not None:
        problems += _column_problems(connection, expected, present)
    detail = f"{len(applied)} migrations applied ({', '.join(applied) or 'none'})"
    return Check("schema", detail, tuple(problems))


def _expected_tables(applied: list[str], pending: list[str], unknown: list[str]) -> MetaData | None:
    """The tables this database should have, when its version is one we know the shape of."""
    if unknown:
        return None
    if not pending:
        return schema.metadata
    if applied == [migrations.MIGRATIONS[0].name]:
        return schema_v1.define_tables(MetaData())
    return None


def _column_problems(
    connection: Connection, expected: MetaData, present: set[str]
) -> list[Problem]:
    """Columns missing from the tables, and columns no applied migration added (what a
    migration applied without its ``schema_version`` row would leave)."""
    inspector = inspect(connection)
    missing: list[str] = []
    extra: list[str] = []
    for name, table in sorted(expected.tables.items()):
        if name not in present:
            continue
        found = {column["name"] for column in inspector.get_columns(name)}
        wanted = {column.name for column in table.columns}
        missing += [f"{name}.{column}" for column in sorted(wanted - found)]
        extra += [f"{name}.{column}" for column in sorted(found - wanted)]
    problems: list[Problem] = []
    if missing:
        message = "columns missing for this schema version"
        problems.append(
            Problem("missing_columns", message, len(missing), tuple(missing[:EXAMPLES]))
        )
    if extra:
        message = "columns no applied migration created (a half-applied change?)"
        problems.append(Problem("unexpected_columns", message, len(extra), tuple(extra[:EXAMPLES])))
    return problems


def _integrity(connection: Connection, *, quick: bool) -> Check:
    if connection.dialect.name != "sqlite":
        return Check("integrity", "", skipped=f"not applicable on {connection.dialect.name}")
    pragma = "quick_check" if quick else "integrity_check"
    messages = [str(row[0]) for row in connection.exec_driver_sql(f"PRAGMA {pragma}")]
    problems: list[Problem] = []
    if messages != ["ok"]:
        message = f"PRAGMA {pragma} found damage in the database file"
        problems.append(
            Problem("integrity_check", message, len(messages), tuple(messages[:EXAMPLES]))
        )
    problems += _foreign_key_problems(connection)
    detail = f"PRAGMA {pragma} and PRAGMA foreign_key_check"
    return Check("integrity", detail, tuple(problems))


def _foreign_key_problems(connection: Connection) -> list[Problem]:
    """Rows pointing to rows that do not exist, by (table, table pointed to)."""
    broken: dict[tuple[str, str], list[int]] = {}
    for table, rowid, parent, _key in connection.exec_driver_sql("PRAGMA foreign_key_check"):
        broken.setdefault((str(table), str(parent)), []).append(int(rowid))
    problems = []
    for (table, parent), rowids in sorted(broken.items()):
        message = f"{table} rows pointing to a missing {parent} row (foreign_key_check)"
        examples = tuple(f"rowid {rowid}" for rowid in sorted(rowids)[:EXAMPLES])
        problems.append(Problem("foreign_keys", message, len(rowids), examples))
    return problems


# --------------------------------------------------------------------------------------------
# Data checks


def _orphans(connection: Connection) -> Check:
    reports, events, articles = schema.event_reports, schema.events, schema.articles
    no_article = (
        select(reports.c.id)
        .outerjoin(articles, articles.c.id == reports.c.article_id)
        .where(articles.c.id.is_(None))
    )
    no_event = (
        select(reports.c.id)
        .outerjoin(events, events.c.id == reports.c.event_id)
        .where(events.c.id.is_(None))
    )
    empty = (
        select(events.c.id)
        .outerjoin(reports, reports.c.event_id == events.c.id)
        .where(reports.c.id.is_(None))
    )
    first = (
        select(events.c.id)
        .outerjoin(
            reports, and_(reports.c.id == events.c.first_report, reports.c.event_id == events.c.id)
        )
        .where(reports.c.id.is_(None))
    )
    problems = [
        *_problem(
            connection, "reports_without_article", "reports whose article is missing", no_article
        ),
        *_problem(
            connection, "reports_without_event", "reports whose merged event is missing", no_event
        ),
        *_problem(connection, "events_without_reports", "merged events with no reports", empty),
        *_problem(
            connection,
            "events_first_report",
            "merged events whose first report is missing or not one of theirs",
            first,
        ),
    ]
    detail = "reports without article or event, events without reports"
    return Check("orphans", detail, tuple(problems))


#: The columns a report id is a hash of (``communique.events.extract``): equal here, one event.
IDENTITY = (
    "article_id",
    "sentence_index",
    "span_start",
    "cameo_code",
    "source_code",
    "source_name",
    "target_code",
    "target_name",
)


def _duplicates(connection: Connection) -> Check:
    reports = schema.event_reports
    identity = [reports.c[name] for name in IDENTITY]
    groups = (
        select(*identity, func.count().label("copies"))
        .group_by(*identity)
        .having(func.count() > 1)
        .subquery()
    )
    joined = and_(*(reports.c[name] == groups.c[name] for name in IDENTITY))
    copies = select(reports.c.id).join(groups, joined)
    extra = int(connection.scalar(select(func.sum(groups.c.copies - 1))) or 0)
    problems: list[Problem] = []
    if extra:
        examples = connection.scalars(copies.order_by(*identity, reports.c.id).limit(EXAMPLES))
        message = (
            "reports stored more than once under different ids (same article, sentence, "
            "trigger offset, code and actors); the count is of the extra copies"
        )
        problems.append(Problem("duplicate_reports", message, extra, tuple(examples)))
    detail = "reports with the same article, sentence, trigger offset, code and actors"
    return Check("duplicates", detail, tuple(problems))


#: The counts an ``events`` row keeps of its reports.
COUNT_COLUMNS = ("report_count", "article_count", "source_count")


def _event_counts(connection: Connection) -> Check:
    reports, events, articles = schema.event_reports, schema.events, schema.articles
    # As merge.event_row counts sources: an article without a source name is one of its own.
    source = func.coalesce(
        func.nullif(articles.c.source, ""), cast(literal("article:"), String) + reports.c.article_id
    )
    actual = (
        select(
            reports.c.event_id,
            func.count().label("reports"),
            func.count(distinct(reports.c.article_id)).label("articles"),
            func.count(distinct(source)).label("sources"),
        )
        .outerjoin(articles, articles.c.id == reports.c.article_id)
        .group_by(reports.c.event_id)
        .subquery()
    )
    # One pass over the grouped reports (the costly part), compared in Python: a healthy
    # database gives no rows.
    compared = (
        select(
            events.c.id,
            events.c.report_count != actual.c.reports,
            events.c.article_count != actual.c.articles,
            events.c.source_count != actual.c.sources,
        )
        .join(actual, actual.c.event_id == events.c.id)
        .where(
            or_(
                events.c.report_count != actual.c.reports,
                events.c.article_count != actual.c.articles,
                events.c.source_count != actual.c.sources,
            )
        )
    )
    wrong: dict[str, list[str]] = {name: [] for name in COUNT_COLUMNS}
    for event_id, *differs in connection.execute(compared):
        for name, differ in zip(COUNT_COLUMNS, differs, strict=True):
            if differ:
                wrong[name].append(str(event_id))
    problems = [
        Problem(
            f"event_{name}",
            f"merged events whose {name} disagrees with their reports",
            len(ids),
            tuple(sorted(ids)[:EXAMPLES]),
        )
        for name, ids in wrong.items()
        if ids
    ]
    keyed = (
        select(reports.c.id)
        .join(events, events.c.id == reports.c.event_id)
        .where(reports.c.merge_key != events.c.merge_key)
    )
    message = "reports merged into an event of another merge key"
    problems += _problem(connection, "report_merge_key", message, keyed)
    detail = "report, article and source counts and merge keys of merged events"
    return Check("event counts", detail, tuple(problems))


def _actor_counts(connection: Connection) -> Check:
    reports, actors = schema.event_reports, schema.actors
    sides = union_all(
        select(reports.c.source_code.label("code"), reports.c.source_name.label("name")),
        select(reports.c.target_code.label("code"), reports.c.target_name.label("name")),
    ).subquery()
    named: Counter[tuple[str, str]] = Counter(
        {
            (str(code), str(name)): int(count)
            for code, name, count in connection.execute(
                select(sides.c.code, sides.c.name, func.count()).group_by(
                    sides.c.code, sides.c.name
                )
            )
        }
    )
    stored = {
        (str(code), str(name)): int(mentions)
        for code, name, mentions in connection.execute(
            select(actors.c.code, actors.c.name, actors.c.mentions)
        )
    }
    wrong = sorted(key for key in stored.keys() | named.keys() if stored.get(key) != named[key])
    problems: list[Problem] = []
    if wrong:
        message = "actors whose mentions disagree with the reports naming them (or missing)"
        examples = tuple(_actor_example(key, stored, named) for key in wrong[:EXAMPLES])
        problems.append(Problem("actor_mentions", message, len(wrong), examples))
    detail = "mentions of each actor against the reports naming it"
    return Check("actor counts", detail, tuple(problems))


def _actor_example(
    key: tuple[str, str], stored: dict[tuple[str, str], int], named: Counter[tuple[str, str]]
) -> str:
    code, name = key
    found = stored.get(key)
    return (
        f"{code} {name!r}: {'no row' if found is None else found} stored, {named[key]} in reports"
    )


# --------------------------------------------------------------------------------------------
# The report as text


def describe(report: DoctorReport) -> str:
    """The report as lines a person reads: one per check, one more per problem found."""
    counts = ", ".join(f"{count} {name}" for name, count in report.counts.items())
    lines = [f"{report.database} ({report.dialect}): {counts or 'tables missing'}"]
    for one in report.checks:
        lines.append(f"{one.status:<9} {one.name:<13} {one.skipped or one.detail}")
        for problem in one.problems:
            examples = f": {', '.join(problem.examples)}" if problem.examples else ""
            lines.append(f"{'':<9} - {problem.count} {problem.message}{examples}")
    found = len(report.problems)
    lines.append(
        "clean: no problems found"
        if report.clean
        else f"{found} problem{'s' if found != 1 else ''} found"
    )
    return "\n".join(lines)


DATA_CHECKS = {
    "orphans": _orphans,
    "duplicates": _duplicates,
    "event counts": _event_counts,
    "actor counts": _actor_counts,
}


__all__ = ["Check", "DoctorReport", "Problem", "check", "describe", "open_store", "snapshot"]
