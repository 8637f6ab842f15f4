"""Named schema migrations, applied in order when a store is opened.

Each migration is a name (``0001_initial``, ``0002_…``) and a function given a connection
inside a transaction of its own: the change and its ``schema_version`` row commit together or
not at all, on SQLite (whose DDL is transactional) as on PostgreSQL. Opening a database that is
up to date only reads ``schema_version``.

Two processes opening a new database at once do not both migrate: on PostgreSQL a
transaction-scoped advisory lock is held while migrating, on SQLite the write lock
(``BEGIN IMMEDIATE``), and the list of applied migrations is read again under the lock.

Rules for adding one: append, never rename or reorder; a migration changes the tables with
explicit DDL, and ``schema.py`` is updated to the resulting shape. ``0001_initial`` builds the
tables from the frozen version-1 definitions in ``schema_v1.py``, so that a new database and an
old one upgraded reach the same shape by the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, MetaData, select, text

from communique.store import schema, schema_v1

#: Key of the PostgreSQL advisory lock taken by writers (b"cmq" + 1).
ADVISORY_LOCK = 0x636D7101


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[Connection], None]


def _initial(connection: Connection) -> None:
    tables = schema_v1.define_tables(MetaData())
    tables.create_all(
        connection,
        tables=[table for name, table in tables.tables.items() if name != "schema_version"],
    )


def _actor_titles(connection: Connection) -> None:
    """``Actor.title`` of each party, on reports and on the events that copy their first
    report; rows stored before stay null (their coding did not record titles)."""
    for table in ("event_reports", "events"):
        for side in ("source", "target"):
            connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {side}_title VARCHAR"))


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_initial", _initial),
    Migration("0002_actor_titles", _actor_titles),
)


def lock_writers(connection: Connection) -> None:
    """Serialise writers on PostgreSQL for the rest of the transaction (SQLite: BEGIN
    IMMEDIATE already did)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def applied(connection: Connection) -> list[str] | None:
    """Names of the migrations applied, or None when there is no ``schema_version`` table."""
    if not connection.dialect.has_table(connection, "schema_version"):
        return None
    return list(connection.scalars(select(schema.schema_version.c.name)))


def pending(names: list[str] | None) -> list[Migration]:
    done = set(names or ())
    return [migration for migration in MIGRATIONS if migration.name not in done]


def unknown(names: list[str] | None) -> list[str]:
    known = {migration.name for migration in MIGRATIONS}
    return sorted(name for name in names or () if name not in known)


def migrate(begin_write: Callable[[], AbstractContextManager[Connection]]) -> list[str]:
    """Apply the pending migrations, each in its own write transaction; return their names.

    ``begin_write`` gives a connection in a write transaction, writers already serialised.
    """
    done: list[str] = []
    for migration in MIGRATIONS:
        with begin_write() as connection:
            schema.schema_version.create(connection, checkfirst=True)
            if migration.name in (applied(connection) or []):
                continue
            migration.apply(connection)
            connection.execute(
                schema.schema_version.insert().values(
                    name=migration.name, applied_at=datetime.now(UTC)
                )
            )
            done.append(migration.name)
    return done
