"""`communique ingest`, `events` and `export` end to end on real SQLite files.

The kill test runs a real ingest in a subprocess, kills it with SIGKILL once some batches
are stored, re-runs it, and compares the database with an uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from communique.cli import cli
from tests.conftest import PROJECT, guardian_sample

EXAMPLES = PROJECT / "examples" / "articles.jsonl"


def _ingest(*args: str) -> str:
    result = CliRunner().invoke(cli, ["ingest", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _rows(db: Path, query: str) -> set[tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        return set(connection.execute(query).fetchall())


def _content(db: Path) -> tuple[set[tuple[object, ...]], ...]:
    return (
        _rows(db, "SELECT id FROM articles"),
        _rows(db, "SELECT id FROM event_reports"),
        _rows(db, "SELECT id FROM events"),
    )


def test_a_second_ingest_adds_nothing(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    first = _ingest(str(EXAMPLES), "--db", str(db))
    assert "8 new" in first
    before = _content(db)
    second = _ingest(str(EXAMPLES), "--db", str(db))
    assert "0 new, 8 already present" in second
    assert _content(db) == before
    assert len(before[1]) > 20


def test_two_workers_store_what_one_does(tmp_path: Path) -> None:
    one, two = tmp_path / "one.db", tmp_path / "two.db"
    _ingest(str(EXAMPLES), "--db", str(one), "--batch-size", "2", "--quiet")
    _ingest(str(EXAMPLES), "--db", str(two), "--batch-size", "2", "--workers", "2", "--quiet")
    assert _content(one) == _content(two)


def test_events_and_exports(tmp_path: Path) -> None:
    db = tmp_path / "events.db"
    _ingest(str(EXAMPLES), "--db", str(db), "--quiet")
    runner = CliRunner()
    listed = runner.invoke(
        cli,
        ["events", "--db", str(db), "--dyad", "USA", "CHN", "--format", "jsonl", "--code", "04"],
    )
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert rows and all(row["cameo_code"].startswith("04") for row in rows)
    parquet = tmp_path / "events.parquet"
    exported = runner.invoke(
        cli, ["export", "--db", str(db), "--format", "parquet", "--output", str(parquet)]
    )
    assert exported.exit_code == 0, exported.output
    assert pq.read_table(parquet).num_rows == len(_rows(db, "SELECT id FROM events"))
    gdelt = runner.invoke(cli, ["export", "--db", str(db), "--format", "gdelt"])
    assert gdelt.exit_code == 0
    assert all(len(line.split("\t")) > 20 for line in gdelt.stdout.splitlines()[1:])


def test_bad_sources_are_reported_and_the_rest_is_stored(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        '{"id": "a", "text": "France criticized Germany on Monday.", '
        '"date": "2024-03-04"}\nnot json\n',
        encoding="utf-8",
    )
    binary = tmp_path / "page.html"
    binary.write_bytes(b"\x00\x01binary")
    db = tmp_path / "events.db"
    result = CliRunner().invoke(cli, ["ingest", str(broken), str(binary), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert f"{broken}:2" in result.output and "page.html" in result.output
    assert len(_rows(db, "SELECT id FROM articles")) == 1


def test_an_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["ingest", str(EXAMPLES), "--db", "postgresql://nobody@127.0.0.1:9/none"]
    )
    assert result.exit_code == 1
    assert "127.0.0.1:9" in result.output and "Traceback" not in result.output


def test_a_killed_ingest_resumes_without_duplicates_or_losses(tmp_path: Path) -> None:
    sample = guardian_sample(tmp_path / "sample.jsonl", 24)
    whole, killed = tmp_path / "whole.db", tmp_path / "killed.db"
    executable = str(Path(sys.executable).parent / "communique")
    command = [executable, "ingest", str(sample), "--batch-size", "3", "--quiet", "--db"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT / "src")}
    subprocess.run([*command, str(whole)], check=True, env=environment, timeout=600)
    process = subprocess.Popen([*command, str(killed)], env=environment)
    try:
        _wait_for_some_articles(killed, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    stored = len(_rows(killed, "SELECT id FROM articles"))
    assert 0 < stored < 24, "the ingest should be killed part-way"
    subprocess.run([*command, str(killed)], check=True, env=environment, timeout=600)
    assert _content(killed) == _content(whole)


def _wait_for_some_articles(db: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if db.exists():
            try:
                if len(_rows(db, "SELECT id FROM articles")) >= 3:
                    return
            except sqlite3.Error:
                pass
        time.sleep(0.2)
    pytest.fail("the ingest finished or stalled before it could be killed part-way")
