"""Faults a database survives, each followed by `communique doctor`: real `communique`
processes killed with SIGKILL during an ingest and during a schema migration, a disk that
fills up during an ingest, read-only files and folders.

Each ingest process loads the spaCy model (5-10 s), so the ingests share one small sample and
one uninterrupted run to compare with. The disk-full test mounts a tiny tmpfs, so it needs
root (else it is skipped, saying so).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text

from tests.conftest import PROJECT, guardian_sample
from tests.postgres import fresh_database, postgres_url  # noqa: F401  (a fixture)
from tests.test_doctor import downgrade_to_version_1, fill, report_of, stored_items
from tests.test_ingest_cli import _content, _rows, _wait_for_some_articles

COMMUNIQUE = str(Path(sys.executable).parent / "communique")
ENVIRONMENT = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
SAMPLE_SIZE = 8
BATCH = ["--batch-size", "2"]


def communique(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMUNIQUE, *args],
        env=ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def doctor_report(db: str | Path) -> dict[str, object]:
    """`communique doctor --json` run as its own process: the report, exit status checked."""
    result = communique("doctor", "--db", str(db), "--json", timeout=60)
    report = json.loads(result.stdout)
    assert result.returncode == (0 if report["clean"] else 1), result.stderr
    return dict(report)


def problem_codes(report: dict[str, object]) -> list[str]:
    checks = report["checks"]
    assert isinstance(checks, list)
    return [problem["code"] for check in checks for problem in check["problems"]]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few real news articles, long enough for an ingest to be killed part-way."""
    return guardian_sample(tmp_path_factory.mktemp("sample") / "sample.jsonl", SAMPLE_SIZE)


@pytest.fixture(scope="module")
def uninterrupted(sample: Path) -> Path:
    """The database an ingest of the sample gives when nothing goes wrong."""
    db = sample.parent / "uninterrupted.db"
    result = communique("ingest", str(sample), *BATCH, "--quiet", "--db", str(db))
    assert result.returncode == 0, result.stderr
    return db


# --------------------------------------------------------------------------------------------
# kill -9 during an ingest


def test_an_ingest_killed_with_sigkill_resumes_to_a_clean_database(
    sample: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    killed = tmp_path / "killed.db"
    command = [COMMUNIQUE, "ingest", str(sample), *BATCH, "--quiet", "--db", str(killed)]
    process = subprocess.Popen(command, env=ENVIRONMENT)
    try:
        _wait_for_some_articles(killed, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stored = len(_rows(killed, "SELECT id FROM articles"))
    assert 0 < stored < SAMPLE_SIZE, "the ingest should be killed part-way"
    assert doctor_report(killed)["clean"]  # what was killed mid-batch left no trace
    resumed = communique("ingest", str(sample), *BATCH, "--db", str(killed))
    assert resumed.returncode == 0, resumed.stderr
    assert f"{stored} already present" in resumed.stderr
    assert _content(killed) == _content(uninterrupted)  # the same articles, reports, events
    assert doctor_report(killed)["clean"]


# --------------------------------------------------------------------------------------------
# kill -9 during a schema migration

# Runs `communique` as usual, but pauses inside the migration's transaction, after the
# ALTERs on event_reports and before the first on events, so that the test kills it there.
# It listens to SQLAlchemy's statements and changes no part of communique.
PAUSED_IN_MIGRATION = """
import sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine

@event.listens_for(Engine, "before_cursor_execute")
def pause(connection, cursor, statement, parameters, context, executemany):
    if statement.startswith("ALTER TABLE events"):
        print("migrating", flush=True)
        time.sleep(600)

from communique.cli import main
sys.argv = ["communique", *sys.argv[1:]]
main()
"""


def version_1_database(url: str | Path) -> dict[str, int]:
    """A database as communique left it before ``0002_actor_titles``, with some thousands
    of rows; its counts."""
    fill(url, stored_items(1500), batch=500)
    downgrade_to_version_1(url)
    report = report_of(url)
    assert [problem.code for problem in report.problems] == ["pending_migrations"]
    return report.counts


def migration_state(url: str) -> tuple[list[str], set[str]]:
    """The migrations recorded, and the title columns present."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = list(connection.scalars(text("SELECT name FROM schema_version ORDER BY name")))
            inspector = inspect(connection)
            titles = {
                f"{table}.{column['name']}"
                for table in ("event_reports", "events")
                for column in inspector.get_columns(table)
                if column["name"].endswith("_title")
            }
    finally:
        engine.dispose()
    return names, titles


def assert_upgrades_cleanly(db: str, counts: dict[str, int]) -> None:
    """After the kill: still version 1, whole; the next command migrates, exactly once."""
    assert migration_state(db) == (["0001_initial"], set())
    assert problem_codes(doctor_report(db)) == ["pending_migrations"]
    listed = communique("events", "--db", db, "--limit", "1", "--format", "jsonl", timeout=120)
    assert listed.returncode == 0, listed.stderr
    names, titles = migration_state(db)
    assert names == ["0001_initial", "0002_actor_titles"] and len(titles) == 4
    report = doctor_report(db)
    assert report["clean"] and report["counts"] == counts


def test_a_migration_killed_with_sigkill_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    counts = version_1_database(db)
    child = subprocess.Popen(
        [sys.executable, "-c", PAUSED_IN_MIGRATION, "events", "--db", str(db)],
        env=ENVIRONMENT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "migrating"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert_upgrades_cleanly(f"sqlite:///{db}", counts)


def test_a_migration_killed_with_sigkill_on_postgresql(postgres_url: str) -> None:  # noqa: F811
    """No help inside the process here: the test holds a lock on ``events``, so the real
    `communique events` blocks at the migration's first ALTER of that table, its ALTERs of
    event_reports done, and is killed there."""
    url = fresh_database(postgres_url)
    counts = version_1_database(url)
    engine = create_engine(url)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT count(*) FROM events"))  # ACCESS SHARE until rollback
            child = subprocess.Popen(
                [COMMUNIQUE, "events", "--db", url], env=ENVIRONMENT, stdout=subprocess.DEVNULL
            )
            try:
                _wait_for_blocked_alter(engine, child)
            finally:
                child.send_signal(signal.SIGKILL)
                child.wait(timeout=30)
            holder.rollback()
        _wait_for_no_backend(engine)
    finally:
        engine.dispose()
    assert_upgrades_cleanly(url, counts)


def _wait_for_blocked_alter(engine: Engine, child: subprocess.Popen[bytes]) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'communique' "
        "AND wait_event_type = 'Lock' AND query LIKE 'ALTER TABLE events%'"
    )
    deadline = time.monotonic() + 60
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as watcher:
        while time.monotonic() < deadline and child.poll() is None:
            if watcher.scalar(query):
                return
            time.sleep(0.1)
    pytest.fail("`communique events` did not reach the migration's ALTER TABLE events")


def _wait_for_no_backend(engine: Engine) -> None:
    """The killed client's server process ends once it finds its client gone."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'communique'")
    deadline = time.monotonic() + 30
    with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as watcher:
        while watcher.scalar(query):
            assert time.monotonic() < deadline, "the killed client's backend is still there"
            time.sleep(0.1)


# --------------------------------------------------------------------------------------------
# A full disk


@contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """``folder`` (made here) as a tmpfs of ``size`` until the block ends; the test is
    skipped where mounting is not possible (it needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 400 KiB tmpfs: room for some of the sample's articles (about half), not all."""
    with tmpfs(tmp_path / "tiny", "400k") as folder:
        yield folder


def test_a_full_disk_stops_the_ingest_clearly_and_loses_nothing(
    sample: Path, uninterrupted: Path, tiny_disk: Path
) -> None:
    db = tiny_disk / "events.db"
    result = communique("ingest", str(sample), *BATCH, "--quiet", "--db", str(db))
    assert result.returncode == 1, result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert str(db) in message and "disk full" in message and "intact" in message
    stored = _rows(db, "SELECT id FROM articles")
    assert 0 < len(stored) < SAMPLE_SIZE, "the disk should fill part-way"
    assert doctor_report(db)["clean"]
    # Whole articles only, each with every report the uninterrupted run stored for it (their
    # merged events may differ: the reports of the articles not stored are missing).
    assert stored < _rows(uninterrupted, "SELECT id FROM articles")
    reports = "SELECT id, article_id FROM event_reports"
    whole_reports = {row for row in _rows(uninterrupted, reports) if (row[1],) in stored}
    assert _rows(db, reports) == whole_reports


# --------------------------------------------------------------------------------------------
# Read-only files and folders


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_database_is_refused_for_writing_and_still_read(
    what: str, uninterrupted: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "readonly"
    folder.mkdir()
    db = folder / "events.db"
    shutil.copy(uninterrupted, db)
    protected = db if what == "file" else folder
    protected.chmod(0o444 if what == "file" else 0o555)
    try:
        before = digest(db)
        ingest = communique("ingest", str(PROJECT / "examples" / "articles.jsonl"), "--db", str(db))
        assert ingest.returncode == 1
        assert str(db) in ingest.stderr and "read-only" in ingest.stderr
        assert "nothing was written" in ingest.stderr and "Traceback" not in ingest.stderr
        listed = communique("events", "--db", str(db), "--limit", "1000", "--format", "jsonl")
        assert listed.returncode == 0, listed.stderr
        events = [json.loads(line) for line in listed.stdout.splitlines()]
        assert len(events) == len(_rows(uninterrupted, "SELECT id FROM events"))
        assert doctor_report(db)["clean"]
        assert digest(db) == before
    finally:
        protected.chmod(0o644 if what == "file" else 0o755)
    assert _content(db) == _content(uninterrupted)


def test_a_read_only_database_needing_a_migration_says_so(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    version_1_database(db)
    db.chmod(0o444)
    try:
        listed = communique("events", "--db", str(db))
        assert listed.returncode == 1
        assert str(db) in listed.stderr and "needs migrating (0002_actor_titles)" in listed.stderr
    finally:
        db.chmod(0o644)
