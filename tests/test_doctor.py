"""`communique doctor` and ``communique.store.doctor`` on real SQLite files and a real
PostgreSQL server: a clean database passes, each kind of damage is named with its count and
example ids, a database needing migration is described and left as it is.

The databases are filled with hand-made coded events (no spaCy model): the doctor checks the
store's bookkeeping, whatever the coder found.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, text

from communique.cli import cli
from communique.records import Actor, Article, Cameo, Event, Plover, content_id
from communique.store import Store, StoreError, schema
from communique.store.doctor import DoctorReport, check, open_store
from tests.postgres import fresh_database, postgres_url  # noqa: F401  (a fixture)

Item = tuple[Article, list[Event]]

DYADS = [("FRA", "France", "DEU", "Germany"), ("USA", "United States", "CHN", "China")]
CODES = [("111", "11", "Criticize or denounce", -2.0, 3), ("040", "04", "Consult", 1.0, 1)]


def coded_event(article: Article, index: int, day: str) -> Event:
    """An event as the coder would store it, its id built from the same parts as the coder's."""
    source_code, source_name, target_code, target_name = DYADS[index % len(DYADS)]
    code = CODES[index % len(CODES)]
    source = Actor.of(text=source_name, name=source_name, country=source_code, sector=None)
    target = Actor.of(text=target_name, name=target_name, country=target_code, sector=None)
    identity = [article.id, str(index), "0", code[0], *source.identity, *target.identity]
    return Event(
        event_id=content_id(*identity),
        article_id=article.id,
        sentence_index=index,
        sentence=f"{source_name} and {target_name}, sentence {index}.",
        span=(0, len(source_name)),
        trigger=source_name,
        rule="test",
        date=day,
        date_precision="day",
        source=source,
        target=target,
        cameo=Cameo(*code),
        plover=Plover(type="CONSULT", mode=None),
    )


def stored_items(count: int, *, events_each: int = 2) -> list[Item]:
    """``count`` articles of a few days, from three sources, with their events."""
    items = []
    for number in range(count):
        article = Article(
            text=f"Article {number}: " + "words " * 40,
            published=date(2024, 3, 1 + number % 28),
            source=f"paper {number % 3}" if number % 5 else None,
        )
        day = article.published.isoformat() if article.published else None
        events = [coded_event(article, index, day or "2024-03-01") for index in range(events_each)]
        items.append((article, events))
    return items


def fill(url: str | Path, items: list[Item], *, batch: int = 50) -> None:
    with Store.open(url) as store:
        for start in range(0, len(items), batch):
            store.add_batch(items[start : start + batch])


def doctor(url: str | Path, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["doctor", "--db", str(url), *options])
    return result.exit_code, result.output


def problems(report: DoctorReport) -> dict[str, tuple[int, tuple[str, ...]]]:
    return {problem.code: (problem.count, problem.examples) for problem in report.problems}


def report_of(url: str | Path) -> DoctorReport:
    with open_store(url) as store:
        return check(store)


def engine_of(url: str | Path) -> Engine:
    """A plain SQLAlchemy engine (not the store's), for changing a database by hand."""
    return create_engine(url if "://" in str(url) else f"sqlite:///{url}")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def filled(db_url: str) -> str:
    fill(db_url, stored_items(40))
    return db_url


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    path = str(tmp_path / "events.db")
    fill(path, stored_items(40))
    return path


@pytest.fixture
def raw(sqlite_db: str) -> Iterator[sqlite3.Connection]:
    """A plain sqlite3 connection to a filled SQLite file: foreign keys off, as the sqlite3
    shell leaves them, so a test can damage the database as a careless hand would (a
    PostgreSQL server enforces the foreign keys)."""
    connection = sqlite3.connect(sqlite_db)
    yield connection
    connection.close()


# --------------------------------------------------------------------------------------------
# A clean database


def test_a_clean_database_passes_every_check(filled: str) -> None:
    report = report_of(filled)
    assert report.clean, report.problems
    assert report.counts["articles"] == 40 and report.counts["reports"] == 80
    assert report.migrations == {
        "applied": ["0001_initial", "0002_actor_titles"],
        "pending": [],
        "unknown": [],
    }
    statuses = {one.name: one.status for one in report.checks}
    sqlite = report.dialect == "sqlite"
    assert statuses == {
        "schema": "ok",
        "integrity": "ok" if sqlite else "skipped",
        "orphans": "ok",
        "duplicates": "ok",
        "event counts": "ok",
        "actor counts": "ok",
    }
    code, output = doctor(filled)
    assert code == 0, output
    assert output.rstrip().endswith("clean: no problems found")
    assert "40 articles, 80 reports" in output


def test_json_output(filled: str) -> None:
    code, output = doctor(filled, "--json")
    assert code == 0
    data = json.loads(output)
    assert data["clean"] is True and data["counts"]["reports"] == 80
    assert [one["name"] for one in data["checks"]] == [
        "schema",
        "integrity",
        "orphans",
        "duplicates",
        "event counts",
        "actor counts",
    ]


def test_the_doctor_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    fill(path, stored_items(10))
    before = file_digest(path)
    assert doctor(path)[0] == 0
    assert doctor(path, "--quick", "--json")[0] == 0
    assert file_digest(path) == before


# --------------------------------------------------------------------------------------------
# Damage, named with counts and example ids


def test_reports_whose_article_is_missing(raw: sqlite3.Connection, sqlite_db: str) -> None:
    article = raw.execute("SELECT article_id FROM event_reports ORDER BY id LIMIT 1").fetchone()[0]
    orphans = {
        row[0]
        for row in raw.execute("SELECT id FROM event_reports WHERE article_id = ?", (article,))
    }
    raw.execute("DELETE FROM articles WHERE id = ?", (article,))
    raw.commit()
    found = problems(report_of(sqlite_db))
    count, examples = found["reports_without_article"]
    assert count == 2 and set(examples) == orphans
    assert found["foreign_keys"][0] == 2  # SQLite's own foreign_key_check agrees
    code, output = doctor(sqlite_db)
    assert code == 1
    assert "2 reports whose article is missing" in output and sorted(orphans)[0] in output


def test_reports_whose_event_is_missing_and_events_without_reports(
    raw: sqlite3.Connection, sqlite_db: str
) -> None:
    event, reports = raw.execute(
        "SELECT event_id, count(*) FROM event_reports GROUP BY event_id ORDER BY event_id LIMIT 1"
    ).fetchone()
    raw.execute("DELETE FROM events WHERE id = ?", (event,))
    lonely = raw.execute("SELECT id FROM events ORDER BY id DESC LIMIT 1").fetchone()[0]
    raw.execute("DELETE FROM event_reports WHERE event_id = ?", (lonely,))
    raw.commit()
    found = problems(report_of(sqlite_db))
    assert found["reports_without_event"][0] == reports
    assert found["events_without_reports"] == (1, (lonely,))
    assert found["events_first_report"] == (1, (lonely,))
    assert "event_report_count" not in found  # an event without reports is counted once


def test_a_report_stored_twice_under_two_ids(raw: sqlite3.Connection, sqlite_db: str) -> None:
    columns = [row[1] for row in raw.execute("PRAGMA table_info(event_reports)")]
    original = raw.execute("SELECT * FROM event_reports ORDER BY id LIMIT 1").fetchone()
    copy = dict(zip(columns, original, strict=True))
    copy["id"] = "0000copy" + copy["id"][8:]
    marks = ", ".join("?" * len(columns))
    raw.execute(f"INSERT INTO event_reports VALUES ({marks})", list(copy.values()))
    raw.commit()
    found = problems(report_of(sqlite_db))
    assert found["duplicate_reports"] == (1, tuple(sorted([original[0], copy["id"]])))


def test_counts_that_disagree_with_the_reports(filled: str) -> None:
    engine = engine_of(filled)
    with engine.begin() as connection:
        event = connection.scalar(text("SELECT id FROM events ORDER BY id LIMIT 1"))
        connection.execute(
            text(
                "UPDATE events SET report_count = report_count + 1, source_count = 9 WHERE id = :id"
            ),
            {"id": event},
        )
        connection.execute(text("UPDATE actors SET mentions = mentions - 1 WHERE code = 'FRA'"))
    engine.dispose()
    found = problems(report_of(filled))
    assert found["event_report_count"] == (1, (event,))
    assert found["event_source_count"] == (1, (event,))
    assert "event_article_count" not in found
    count, (example,) = found["actor_mentions"]
    assert count == 1 and example == "FRA 'France': 39 stored, 40 in reports"
    code, output = doctor(filled)
    assert code == 1 and "3 problems found" in output


def test_a_damaged_file_is_a_problem_found(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    fill(path, stored_items(200))
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_reports_article'"
        ).fetchone()
    with path.open("r+b") as handle:  # garble index entries: the tables stay readable
        page, header = root, b""
        while True:  # down the right-most children of the index's b-tree to a leaf
            handle.seek((page - 1) * page_size)
            header = handle.read(12)
            if header[0] != 0x02:  # not an interior index page
                break
            page = int.from_bytes(header[8:12], "big")
        handle.seek((page - 1) * page_size + int.from_bytes(header[5:7], "big"))
        handle.write(b"\xff" * 64)
    code, output = doctor(path)
    assert code == 1, output
    assert "database disk image is malformed" in output
    assert "200 articles" in output  # what can still be read is counted


# --------------------------------------------------------------------------------------------
# Schema versions


def downgrade_to_version_1(url: str | Path) -> None:
    """Make a database look as communique before ``0002_actor_titles`` left it, data and all."""
    engine = engine_of(url)
    with engine.begin() as connection:
        for table in ("event_reports", "events"):
            for side in ("source", "target"):
                connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {side}_title"))
        version = schema.schema_version
        connection.execute(version.delete().where(version.c.name == "0002_actor_titles"))
    engine.dispose()


def test_a_database_needing_a_migration_is_described_not_migrated(filled: str) -> None:
    downgrade_to_version_1(filled)
    report = report_of(filled)
    assert problems(report) == {"pending_migrations": (1, ("0002_actor_titles",))}
    assert report.migrations["pending"] == ["0002_actor_titles"]
    code, output = doctor(filled)
    assert code == 1 and "migrations not applied yet" in output
    assert report_of(filled).migrations["applied"] == ["0001_initial"]  # still version 1
    with Store.open(filled) as store:  # a writing command migrates; then all is well
        assert len(store.migrations()) == 2
    assert report_of(filled).clean


def test_a_column_no_migration_recorded(filled: str) -> None:
    """What a migration applied without its schema_version row would leave."""
    downgrade_to_version_1(filled)
    engine = engine_of(filled)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE events ADD COLUMN source_title VARCHAR"))
    engine.dispose()
    found = problems(report_of(filled))
    assert found["unexpected_columns"] == (1, ("events.source_title",))


def test_migrations_from_a_newer_communique(filled: str) -> None:
    engine = engine_of(filled)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO schema_version (name, applied_at) VALUES ('9999_future', :at)"),
            {"at": "2030-01-01 00:00:00"},
        )
    engine.dispose()
    found = problems(report_of(filled))
    assert found == {"unknown_migrations": (1, ("9999_future",))}


# --------------------------------------------------------------------------------------------
# Databases that cannot be checked: exit status 2


def test_no_database_is_exit_status_2(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    code, output = doctor(missing)
    assert code == 2 and str(missing) in output and "no communique database" in output
    assert not missing.exists()
    other = tmp_path / "notes.db"
    other.write_text("not a database\n" * 200, encoding="utf-8")
    code, output = doctor(other)
    assert code == 2 and "not a SQLite database file" in output
    with pytest.raises(StoreError, match="no communique database"):
        sqlite3.connect(tmp_path / "empty.db").close()
        open_store(tmp_path / "empty.db")


def test_an_unreachable_server_is_exit_status_2() -> None:
    code, output = doctor("postgresql://nobody@127.0.0.1:9/none")
    assert code == 2 and "127.0.0.1:9" in output and "Traceback" not in output
