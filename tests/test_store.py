"""The event store on a real SQLite file and a real PostgreSQL server, with events coded from
real sentences by the real pipeline."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, select, text

import communique.store.store as store_module
from communique.coder import Coder
from communique.records import Article, Event
from communique.store import GDELT_COLUMNS, BatchResult, Filters, Store, StoreError, export, schema
from tests.postgres import fresh_database, postgres_url  # noqa: F401  (a fixture)

Item = tuple[Article, list[Event]]

# name: (text, publication date, source). Comments give what the coder makes of each.
ARTICLES = {
    # FRA 111 DEU, 2024-03-04 (Monday)
    "monday": ("France criticized Germany on Monday.", "2024-03-06", "Le Monde"),
    # FRA 111 DEU, 2024-03-05: one day later, the same happening told by another paper
    "tuesday": ("On Tuesday, France criticized Germany over trade.", "2024-03-06", "Die Zeit"),
    # FRA 111 DEU, 2024-03-06: two days after Monday, the edge of the default window
    "wednesday": ("France criticized Germany on Wednesday.", "2024-03-06", "Le Monde"),
    # FRA 111 DEU, 2024-03-07: three days after Monday
    "thursday": ("France criticized Germany on Thursday.", "2024-03-07", None),
    # FRA 111 DEU, 2024-03-15
    "friday": ("France criticized Germany on Friday.", "2024-03-15", "Le Monde"),
    # FRA 111 DEU negated, 2024-03-04
    "denial": ("France did not criticize Germany on Monday.", "2024-03-06", "AFP"),
    # DEU 111 FRA, 2024-03-04: the other direction; in the second sentence
    "reply": ("Officials met in Brussels. Germany criticized France on Monday.", "2024-03-06",
              "AFP"),
    # USAGOV 040 CHNGOV, 2024-08-29, in Beijing
    "beijing": ("Jake Sullivan met Xi Jinping in Beijing.", "2024-08-29", "Reuters"),
    # USAGOV 036 CHNGOV, intended, month 2024-11
    "summit": ("A potential meeting between Joe Biden and Xi Jinping is expected in November.",
               "2024-08-29", "Reuters"),
    # RUS 190 UKR, 2022-02-24
    "invasion": ("Russia attacked Ukraine.", "2022-02-24", "BBC"),
}


@pytest.fixture(scope="session")
def coded(coder: Coder) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for name, (body, published, source) in ARTICLES.items():
        article = Article(
            text=body,
            published=date.fromisoformat(published),
            title=name,
            url=f"https://news.example/{name}",
            source=source,
        )
        events = coder.code_article(article)
        assert events, f"the coder found no event in {body!r}"
        items[name] = (article, events)
    return items


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


def pick(coded: dict[str, Item], *names: str) -> list[Item]:
    return [coded[name] for name in names]


def grouping(store: Store) -> dict[str, list[str]]:
    """Each merged event's id with its reports' sentences (the observable result of merging)."""
    return {
        row["event_id"]: sorted(report.sentence for report in store.reports(row["event_id"]))
        for row in store.events(limit=None)
    }


# --------------------------------------------------------------------------------------------
# Schema and migrations


def test_migrations_are_recorded_and_reopening_is_a_no_op(db_url: str) -> None:
    with Store.open(db_url) as first:
        applied = first.migrations()
    assert [name for name, _ in applied] == ["0001_initial", "0002_actor_titles"]
    with Store.open(db_url) as again:
        assert again.migrations() == applied
        with again.engine.connect() as connection:
            rows = connection.execute(select(schema.schema_version)).all()
    assert len(rows) == 2


def test_a_failing_migration_changes_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from communique.store import migrations

    def broken(connection: Connection) -> None:
        connection.execute(text("CREATE TABLE half_done (id INTEGER)"))
        raise RuntimeError("migration failed")

    with Store.open(db_url):
        pass
    monkeypatch.setattr(
        migrations, "MIGRATIONS", (*migrations.MIGRATIONS, migrations.Migration("0002_x", broken))
    )
    with pytest.raises(RuntimeError, match="migration failed"):
        Store.open(db_url)
    monkeypatch.undo()
    with Store.open(db_url) as store:
        assert [name for name, _ in store.migrations()] == [
            migration.name for migration in migrations.MIGRATIONS
        ]
        assert not inspect(store.engine).has_table("half_done")


def test_a_database_from_a_newer_version_is_refused(db_url: str) -> None:
    with Store.open(db_url) as store, store.engine.begin() as connection:
        connection.execute(
            schema.schema_version.insert().values(name="9999_future", applied_at=datetime.now(UTC))
        )
    with pytest.raises(StoreError, match=r"newer communique \(unknown migrations: 9999_future\)"):
        Store.open(db_url)


def test_the_migrated_tables_are_those_schema_py_describes(store: Store) -> None:
    inspector = inspect(store.engine)
    for name, table in schema.metadata.tables.items():
        columns = {column["name"] for column in inspector.get_columns(name)}
        assert columns == {column.name for column in table.columns}, name
        indexes = {index["name"] for index in inspector.get_indexes(name)}
        assert indexes >= {index.name for index in table.indexes}, name


def test_an_old_database_gains_actor_titles_on_open(
    db_url: str, coded: dict[str, Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    from communique.store import migrations

    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    with Store.open(db_url) as fresh:
        columns = {column["name"] for column in inspect(fresh.engine).get_columns("events")}
    assert "source_title" not in columns  # 0001_initial still creates version 1
    monkeypatch.undo()
    with Store.open(db_url) as store:
        store.add_batch(pick(coded, "beijing"))
    _back_to_version_1(db_url)
    with Store.open(db_url) as store:
        assert [name for name, _ in store.migrations()] == ["0001_initial", "0002_actor_titles"]
        (before,) = store.events(limit=None)
        assert (before["source_title"], before["target_title"]) == (None, None)
        store.add_batch(pick(coded, "summit"))
        summit = next(row for row in store.events(limit=None) if row["cameo_code"] == "036")
        assert (summit["source_title"], summit["target_title"]) == ("president", "president")
        (report,) = store.reports(summit["event_id"])
        assert report.source.title == "president"


def _back_to_version_1(db_url: str) -> None:
    """Make a database look as communique before 0002_actor_titles left it, data and all."""
    with Store.open(db_url) as store, store.engine.begin() as connection:
        for table in ("event_reports", "events"):
            for side in ("source", "target"):
                connection.execute(text(f"ALTER TABLE {table} DROP COLUMN {side}_title"))
        version = schema.schema_version
        connection.execute(version.delete().where(version.c.name == "0002_actor_titles"))


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    with Store.open(tmp_path / "events.db") as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000


# --------------------------------------------------------------------------------------------
# Adding batches


def test_add_batch_is_idempotent(store: Store, coded: dict[str, Item]) -> None:
    batch = pick(coded, "monday", "friday", "beijing", "invasion")
    reports = sum(len(events) for _, events in batch)
    first = store.add_batch(batch)
    assert first == BatchResult(new_articles=4, already_present=0, events_new=4,
                                reports_new=reports)
    counts = store.counts()
    assert counts == {"articles": 4, "events": 4, "reports": reports}

    assert store.add_batch(batch) == BatchResult(0, 4, 0, 0)
    assert store.counts() == counts
    assert store.known_articles(a.id for a, _ in batch) == {a.id for a, _ in batch}

    # Half known, half new: only the new article is stored; its report joins Monday's event.
    mixed = store.add_batch(pick(coded, "monday", "tuesday"))
    assert mixed == BatchResult(new_articles=1, already_present=1, events_new=0, reports_new=1)
    assert store.counts() == {"articles": 5, "events": 4, "reports": reports + 1}


def test_an_article_given_twice_in_one_batch_is_stored_once(
    store: Store, coded: dict[str, Item]
) -> None:
    result = store.add_batch(pick(coded, "beijing", "beijing"))
    assert (result.new_articles, result.already_present) == (1, 1)
    assert store.counts()["articles"] == 1


def test_known_articles(store: Store, coded: dict[str, Item]) -> None:
    store.add_batch(pick(coded, "monday"))
    monday = coded["monday"][0].id
    assert store.known_articles([monday, "unknown", monday]) == {monday}
    assert store.known_articles([]) == set()


def test_stored_reports_give_back_the_coded_events(store: Store, coded: dict[str, Item]) -> None:
    batch = pick(coded, "beijing", "summit", "reply", "denial")
    store.add_batch(batch)
    originals = {event.event_id: event.to_dict() for _, events in batch for event in events}
    stored = {
        event.event_id: event.to_dict()
        for row in store.events(limit=None)
        for event in store.reports(row["event_id"])
    }
    assert stored == originals


def test_actors_count_their_mentions(store: Store, coded: dict[str, Item]) -> None:
    store.add_batch(pick(coded, "monday", "tuesday", "friday"))
    store.add_batch(pick(coded, "monday"))  # known: counted once
    with store.engine.connect() as connection:
        rows = connection.execute(
            select(schema.actors.c.code, schema.actors.c.mentions).order_by(schema.actors.c.code)
        ).all()
    assert [tuple(row) for row in rows] == [("DEU", 3), ("FRA", 3)]


# --------------------------------------------------------------------------------------------
# Merging across articles


def test_reports_of_one_happening_merge_into_one_event(
    store: Store, coded: dict[str, Item]
) -> None:
    store.add_batch(pick(coded, "monday"))
    result = store.add_batch(pick(coded, "tuesday"))
    assert (result.events_new, result.reports_new) == (0, 1)
    [event] = store.events()
    assert (event["date"], event["reports"], event["articles"], event["sources"]) == (
        "2024-03-04", 2, 2, 2,
    )
    assert event["sentence"] == "France criticized Germany on Monday."
    assert [report.sentence for report in store.reports(event["event_id"])] == [
        "France criticized Germany on Monday.",
        "On Tuesday, France criticized Germany over trade.",
    ]
    assert store.counts() == {"articles": 2, "events": 1, "reports": 2}


def test_the_window_is_inclusive_and_nothing_merges_beyond_it(
    store: Store, coded: dict[str, Item]
) -> None:
    store.add_batch(pick(coded, "monday", "wednesday", "thursday", "friday"))
    # Monday opens an event that Wednesday (2 days) joins; Thursday (3 days) opens the next.
    assert sorted((row["date"], row["reports"]) for row in store.events()) == [
        ("2024-03-04", 2), ("2024-03-07", 1), ("2024-03-15", 1),
    ]


def test_direction_negation_and_precision_keep_events_apart(
    store: Store, coded: dict[str, Item]
) -> None:
    store.add_batch(pick(coded, "monday", "denial", "reply", "beijing", "summit"))
    assert store.counts()["events"] == 5
    assert {row["reports"] for row in store.events()} == {1}


def test_merging_does_not_depend_on_ingest_order(db_url: str, coded: dict[str, Item]) -> None:
    names = ["thursday", "tuesday", "friday", "wednesday", "monday"]
    with Store.open(db_url) as reference:
        reference.add_batch(pick(coded, *sorted(names)))
        expected = grouping(reference)
    assert len(expected) == 3  # 03-04 (Mon, Tue, Wed), 03-07, 03-15
    for number, order in enumerate([names, names[::-1], ["monday", *names[:-1]]]):
        url = db_url + f".{number}" if "://" not in db_url else fresh_database(db_url)
        with Store.open(url) as other:
            for name in order:  # one article per batch, earliest reports arriving last
                other.add_batch(pick(coded, name))
            assert grouping(other) == expected


WRITER_CHILD = """
import pickle, sys
from communique.store import Store

with open(sys.argv[2], "rb") as handle:
    items = pickle.load(handle)
with Store.open(sys.argv[1]) as store:
    for item in items:
        store.add_batch([item])
"""


def test_concurrent_writers_end_as_one_writer_would(
    db_url: str, coded: dict[str, Item], tmp_path: Path
) -> None:
    items = list(coded.values())
    with Store.open(db_url) as reference:
        reference.add_batch(items)
        expected = (reference.counts(), grouping(reference))
    url = db_url + ".concurrent" if "://" not in db_url else fresh_database(db_url)
    Store.open(url).close()  # created before the writers race
    children = []
    for number, share in enumerate((items[0::2], items[1::2], items[::-1])):
        path = tmp_path / f"share{number}.pickle"
        path.write_bytes(pickle.dumps(share))
        children.append(subprocess.Popen([sys.executable, "-c", WRITER_CHILD, url, str(path)]))
    assert [child.wait(timeout=120) for child in children] == [0, 0, 0]
    with Store.open(url) as raced:
        assert (raced.counts(), grouping(raced)) == expected


def test_the_window_is_configurable(db_url: str, coded: dict[str, Item]) -> None:
    with Store.open(db_url, window_days=0) as strict:
        strict.add_batch(pick(coded, "monday", "tuesday"))
        assert strict.counts()["events"] == 2
    with Store.open(db_url, window_days=5) as loose:
        assert loose.remerge() == 1
        [event] = loose.events()
        assert (event["date"], event["reports"]) == ("2024-03-04", 2)


# --------------------------------------------------------------------------------------------
# Queries


@pytest.fixture
def filled(store: Store, coded: dict[str, Item]) -> Store:
    store.add_batch(list(coded.values()))
    return store


def dates(rows: list[dict[str, object]]) -> list[object]:
    return [row["date"] for row in rows]


def test_query_by_dyad(filled: Store) -> None:
    france_germany = filled.events(dyad=("FRA", "DEU"))
    assert dates(france_germany) == ["2024-03-15", "2024-03-07", "2024-03-04", "2024-03-04"]
    assert {row["negated"] for row in france_germany} == {True, False}
    # Codes are prefixes: USA takes USAGOV.
    us_china = filled.events(dyad=("USA", "CHN"))
    assert {(row["source_code"], row["cameo_code"]) for row in us_china} == {
        ("USAGOV", "040"), ("USAGOV", "036"),
    }
    assert dates(filled.events(dyad=("DEU", "FRA"))) == ["2024-03-04"]
    assert filled.events(dyad=("CHN", "USA")) == []
    assert len(filled.events(dyad=("", "UKR"))) == 1


def test_query_by_dates(filled: Store) -> None:
    march = filled.events(since=date(2024, 3, 5), until=date(2024, 3, 31))
    assert dates(march) == ["2024-03-15", "2024-03-07"]
    # A month-precision date overlaps a range inside that month.
    november = filled.events(since=date(2024, 11, 10), until=date(2024, 11, 12))
    assert dates(november) == ["2024-11"]
    assert dates(filled.events(until=date(2023, 1, 1))) == ["2022-02-24"]


def test_query_by_code_and_actor(filled: Store) -> None:
    assert {row["cameo_code"] for row in filled.events(code="11")} == {"111"}
    assert dates(filled.events(code="04")) == ["2024-08-29"]
    assert dates(filled.events(code="19")) == ["2022-02-24"]
    sullivan = filled.events(actor="sullivan")
    assert [(row["source_name"], row["location"]) for row in sullivan] == [
        ("Jake Sullivan", "Beijing"),
    ]
    assert {row["target_code"] for row in filled.events(actor="chngov")} == {"CHNGOV"}
    assert filled.events(actor="100%_") == []  # LIKE wildcards are taken literally


def test_query_paging_and_order(filled: Store) -> None:
    everything = filled.events(limit=None)
    assert len(everything) == filled.counts()["events"]
    assert filled.events(limit=3) == everything[:3]
    assert filled.events(limit=3, offset=3) == everything[3:6]
    assert filled.events(limit=None, order="oldest")[0]["date"] == "2022-02-24"
    assert everything[0]["date"] == "2024-11"


def test_counts_are_identical_on_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str, coded: dict[str, Item]  # noqa: F811
) -> None:
    results = {}
    for url in (str(tmp_path / "events.db"), fresh_database(postgres_url)):
        with Store.open(url) as opened:
            opened.add_batch(list(coded.values())[:5])
            opened.add_batch(list(coded.values())[3:])
            results[opened.dialect] = (opened.counts(), grouping(opened))
    assert results["sqlite"] == results["postgresql"]
    assert results["sqlite"][0]["articles"] == len(ARTICLES)


# --------------------------------------------------------------------------------------------
# Exports


def test_exports_in_every_format(filled: Store, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    total = filled.counts()["events"]
    stream = io.StringIO()
    assert export(filled, "jsonl", stream) == total
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [record["date"] for record in records][:1] == ["2022-02-24"]  # oldest first
    merged = next(r for r in records if r["reports"] == 3)
    assert (merged["source_code"], merged["cameo_code"], merged["articles"]) == ("FRA", "111", 3)

    assert export(filled, "csv", tmp_path / "events.csv") == total
    with (tmp_path / "events.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == total and rows[0]["cameo_code"] == "190"
    assert {row["cameo_code"] for row in rows} >= {"040", "036"}  # leading zeros kept

    assert export(filled, "parquet", tmp_path / "events.parquet") == total
    table = pq.read_table(tmp_path / "events.parquet")
    assert table.num_rows == total
    assert table.column("reports").to_pylist() == [record["reports"] for record in records]
    assert table.column("cameo_code").to_pylist() == [record["cameo_code"] for record in records]
    assert str(table.schema.field("first_seen").type) == "timestamp[us, tz=UTC]"

    stream = io.StringIO()
    assert export(filled, "gdelt", stream) == total
    lines = [line.split("\t") for line in stream.getvalue().splitlines()]
    assert {len(line) for line in lines} == {len(GDELT_COLUMNS)}
    gdelt = [dict(zip(GDELT_COLUMNS, line, strict=True)) for line in lines]
    first = gdelt[0]
    assert (first["SQLDATE"], first["Actor1Code"], first["EventCode"], first["EventRootCode"]) == (
        "20220224", "RUS", "190", "19",
    )
    merged_row = next(row for row in gdelt if row["NumMentions"] == "3")
    assert (merged_row["NumArticles"], merged_row["NumSources"]) == ("3", "2")
    assert merged_row["SOURCEURL"] == "https://news.example/monday"
    summit = next(row for row in gdelt if row["EventCode"] == "036")
    assert (summit["SQLDATE"], summit["EventBaseCode"], summit["QuadClass"]) == (
        "20241101", "036", "1",
    )
    beijing = next(row for row in gdelt if row["EventCode"] == "040")
    assert (beijing["ActionGeo_FullName"], beijing["ActionGeo_CountryCode"]) == ("Beijing", "CHN")
    reply = next(row for row in gdelt if row["Actor1Code"] == "DEU")
    assert (reply["IsRootEvent"], beijing["IsRootEvent"]) == ("0", "1")
    assert all(int(row["GLOBALEVENTID"]) > 0 for row in gdelt)


def test_export_of_reports_and_filtered_export(filled: Store, coded: dict[str, Item]) -> None:
    stream = io.StringIO()
    written = export(filled, "jsonl", stream, level="reports")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert written == len(records) == filled.counts()["reports"]
    originals = {e.event_id: e.to_dict() for _, events in coded.values() for e in events}
    assert {r["event_id"]: {k: v for k, v in r.items() if k != "merged_event_id"}
            for r in records} == originals

    stream = io.StringIO()
    assert export(filled, "csv", stream, filters=Filters(dyad=("USA", "CHN"))) == 2


def test_export_refuses_unknown_formats_and_parquet_to_a_stream(filled: Store) -> None:
    with pytest.raises(StoreError, match="unknown export format 'xml'"):
        export(filled, "xml", io.StringIO())
    with pytest.raises(StoreError, match="needs a file path"):
        export(filled, "parquet", io.StringIO())


# --------------------------------------------------------------------------------------------
# Failures


def test_an_exception_inside_a_batch_leaves_nothing_half_written(
    store: Store, coded: dict[str, Item], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.add_batch(pick(coded, "monday"))
    before = (store.counts(), grouping(store))

    def fail(*_args: object) -> None:  # after articles, reports and events are written
        raise RuntimeError("interrupted")

    monkeypatch.setattr(store_module, "_count_actors", fail)
    with pytest.raises(RuntimeError, match="interrupted"):
        store.add_batch(pick(coded, "tuesday", "friday", "beijing"))
    assert (store.counts(), grouping(store)) == before
    assert store.known_articles([coded["tuesday"][0].id]) == set()

    monkeypatch.undo()
    assert store.add_batch(pick(coded, "tuesday", "friday", "beijing")).new_articles == 3


KILLED_CHILD = """
import pickle, sys, time
import communique.store.store as module
from communique.store import Store

def stall(*args):
    print("writing", flush=True)
    time.sleep(600)

with open(sys.argv[2], "rb") as handle:
    items = pickle.load(handle)
store = Store.open(sys.argv[1])
module._count_actors = stall
store.add_batch(items)
"""


def test_a_process_killed_mid_batch_leaves_no_partial_batch(
    db_url: str, coded: dict[str, Item], tmp_path: Path
) -> None:
    items = list(coded.values())
    (tmp_path / "items.pickle").write_bytes(pickle.dumps(items))
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_CHILD, db_url, str(tmp_path / "items.pickle")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "writing"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    with Store.open(db_url) as store:
        assert store.counts() == {"articles": 0, "events": 0, "reports": 0}
        assert store.add_batch(items).new_articles == len(items)


def test_a_read_only_sqlite_file_is_refused_and_kept(
    tmp_path: Path, coded: dict[str, Item]
) -> None:
    path = tmp_path / "events.db"
    with Store.open(path) as store:
        store.add_batch(pick(coded, "monday", "tuesday"))
        before = (store.counts(), grouping(store))
    path.chmod(0o444)
    try:
        with pytest.raises(StoreError) as caught:
            Store.open(path)
        message = str(caught.value)
        assert str(path) in message and "read-only" in message and "nothing was written" in message
        with Store.open(path, read_only=True) as reader:
            assert (reader.counts(), grouping(reader)) == before
            with pytest.raises(StoreError, match="read-only"):
                reader.add_batch(pick(coded, "friday"))
    finally:
        path.chmod(0o644)
    with Store.open(path) as store:
        assert (store.counts(), grouping(store)) == before


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"text": "not a database"}\n' * 100, encoding="utf-8")
    with pytest.raises(StoreError, match="not a SQLite database file") as caught:
        Store.open(path)
    assert str(path) in str(caught.value)
    assert path.read_text(encoding="utf-8").startswith('{"text"')


def test_an_unreachable_server_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql://reader:s3cret@127.0.0.1:{port}/communique"
    with pytest.raises(StoreError) as caught:
        Store.open(url)
    message = str(caught.value)
    assert message.startswith("cannot connect to the database at postgresql+psycopg://reader:***@")
    assert f":{port}/communique" in message and "s3cret" not in message


def test_missing_database_with_create_false(tmp_path: Path, db_url: str) -> None:
    with pytest.raises(StoreError, match="no communique database here"):
        Store.open(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()
    if "://" in db_url:  # an empty PostgreSQL database
        with pytest.raises(StoreError, match="no communique database here"):
            Store.open(db_url, create=False)


# --------------------------------------------------------------------------------------------
# Where the database is


def test_default_location_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COMMUNIQUE_DB", raising=False)
    with Store.open(None) as store:
        assert store.display_url == "communique.db"
    assert (tmp_path / "communique.db").is_file()
    monkeypatch.setenv("COMMUNIQUE_DB", str(tmp_path / "from-env.db"))
    with Store.open() as store:
        assert store.display_url == str(tmp_path / "from-env.db")
    with Store.open(f"sqlite:///{tmp_path / 'url.db'}") as store:
        assert store.dialect == "sqlite"
    assert (tmp_path / "url.db").is_file()


def test_postgresql_urls_are_normalised_to_psycopg(postgres_url: str) -> None:  # noqa: F811
    plain = fresh_database(postgres_url).replace("postgresql+psycopg://", "postgresql://")
    with Store.open(plain) as store:
        assert store.display_url.startswith("postgresql+psycopg://")
        assert store.engine.dialect.driver == "psycopg"
        with store.engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1


def test_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        Store.open("mysql://root:pw@localhost/db")


def test_events_on_an_empty_store(store: Store) -> None:
    assert store.events() == []
    assert store.counts() == {"articles": 0, "events": 0, "reports": 0}
    assert export(store, "jsonl", io.StringIO()) == 0
    assert list(itertools.islice(store.iter_events(), 1)) == []
