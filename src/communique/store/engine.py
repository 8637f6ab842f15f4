"""Where a store's database is, and how to connect to it.

A URL or path becomes a SQLite file (WAL journal, foreign keys on, a busy timeout, writers
taking the write lock at ``BEGIN IMMEDIATE``) or a PostgreSQL server through psycopg 3.
Driver errors become ``StoreError`` messages naming the database, password masked.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool, StaticPool

from communique.store.errors import ReadOnlyStoreError, StoreError, StoreErrors

DEFAULT_FILE = "communique.db"
ENV_VAR = "COMMUNIQUE_DB"
BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
# Connections a store may hold at once. ``communique serve`` answers each request in one of
# anyio's worker threads (40 by default), each using one connection at a time: with fewer
# connections than threads, requests queue for one and, after SQLAlchemy's pool timeout (30 s),
# fail with an internal error although the database is only busy. A SQLite file has no limit
# (a connection is a file handle; WAL readers do not wait for each other); a server has 40.
POOL_SIZE = 5
SERVER_POOL_MAX = 40


@dataclass(frozen=True)
class Target:
    """Where the database is: a SQLite file (None: in memory) or a server URL."""

    display: str
    path: Path | None = None
    url: URL | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.url is None


def resolve(url: str | os.PathLike[str] | None) -> Target:
    raw = os.fspath(url) if url is not None else (os.environ.get(ENV_VAR) or DEFAULT_FILE)
    if "://" not in raw:
        return Target(display=raw, path=Path(raw))
    try:
        parsed = make_url(raw)
    except sa_exc.ArgumentError as error:
        raise StoreError(StoreErrors.E053.format(url=_mask(raw))) from error
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        path = Path(database) if database and database != ":memory:" else None
        return Target(display=raw, path=path)
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        return Target(display=parsed.render_as_string(hide_password=True), url=parsed)
    raise StoreError(StoreErrors.E053.format(url=parsed.render_as_string(hide_password=True)))


def _mask(raw: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", raw)


def check_sqlite_file(target: Target, *, create: bool, read_only: bool) -> None:
    """Refuse a database file we could not, or should not, write before SQLite tries."""
    path = target.path
    if path is None:
        return
    if not path.exists():
        if not create or read_only:
            raise StoreError(StoreErrors.E061.format(url=target.display))
        if not path.parent.is_dir():
            detail = f"the folder {path.parent} does not exist"
            raise StoreError(StoreErrors.E059.format(url=target.display, detail=detail))
        return
    if path.is_dir():
        raise StoreError(StoreErrors.E059.format(url=target.display, detail="it is a folder"))
    if read_only:
        return
    mode = path.stat().st_mode
    # The permission bits are honoured even for root, who could write anyway: a file or a
    # folder made read-only was made so on purpose.
    if not mode & 0o222 or not os.access(path, os.W_OK):
        detail = f"permissions {stat.filemode(mode)}"
        raise ReadOnlyStoreError(StoreErrors.E051.format(url=target.display, detail=detail))
    folder = path.resolve().parent
    if not folder.stat().st_mode & 0o222 or not os.access(folder, os.W_OK):
        detail = f"its folder {folder} is not writable, and SQLite keeps its journal there"
        raise ReadOnlyStoreError(StoreErrors.E051.format(url=target.display, detail=detail))


def sqlite_engine(path: Path | None, *, read_only: bool) -> Engine:
    if path is None:
        engine = create_engine(
            "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        location = str(path.resolve()) if read_only else str(path)

        def connect() -> sqlite3.Connection:
            if read_only:
                return sqlite3.connect(
                    f"file:{quote(location)}?mode=ro",
                    uri=True,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    check_same_thread=False,
                )
            return sqlite3.connect(
                location, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
            )

        engine = create_engine(
            URL.create("sqlite", database=location),
            creator=connect,
            poolclass=QueuePool,
            pool_size=POOL_SIZE,
            max_overflow=-1,
        )
    _sqlite_transactions(engine, wal=path is not None and not read_only)
    return engine


def _sqlite_transactions(engine: Engine, *, wal: bool) -> None:
    """Let SQLAlchemy, not the sqlite3 module, begin transactions, so that reads are in them
    and DDL is transactional; writers take the write lock at once (BEGIN IMMEDIATE)."""

    @event.listens_for(engine, "connect")
    def _on_connect(connection: sqlite3.Connection, _record: object) -> None:
        connection.isolation_level = None
        cursor = connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("communique_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def server_engine(url: URL) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=POOL_SIZE,
        max_overflow=SERVER_POOL_MAX - POOL_SIZE,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "communique"},
    )


def detail_of(error: sa_exc.DBAPIError) -> str:
    text = " ".join(str(error.orig).split())
    return text if len(text) <= 300 else text[:297] + "…"


def translate(error: sa_exc.DBAPIError, url: str) -> StoreError:
    detail = detail_of(error)
    lowered = detail.lower()
    if "readonly database" in lowered or "read-only" in lowered:
        message = StoreErrors.E051
    elif "not a database" in lowered or "file is encrypted" in lowered:
        message = StoreErrors.E052
    elif "unable to open database file" in lowered:
        message = StoreErrors.E059
    elif "database or disk is full" in lowered or "no space left on device" in lowered:
        message = StoreErrors.E064
    elif "database is locked" in lowered or "database is busy" in lowered:
        message = StoreErrors.E060
    elif "no such table" in lowered or ("relation" in lowered and "does not exist" in lowered):
        message = StoreErrors.E062
    elif isinstance(error, sa_exc.OperationalError) and "connection" in lowered:
        message = StoreErrors.E050
    else:
        message = StoreErrors.E058
    kind = ReadOnlyStoreError if message is StoreErrors.E051 else StoreError
    return kind(message.format(url=url, detail=detail))
