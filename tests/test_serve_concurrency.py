"""Reads served while articles are written into the same SQLite file, by real processes.

``communique serve`` runs over a SQLite file on a loopback port while a real ``communique
ingest`` writes a few dozen articles into it, two at a time (one transaction per batch), and
client threads read every kind of page meanwhile. Every answer must be 2xx and none may say
"database is locked"; the ingest must end with its whole summary, and the file must hold what
the same ingest into a fresh file holds. Then ``POST /api/articles`` (with an API key) writes
through the server while a CLI ingest writes into the same file: both succeed, and nothing
either wrote is lost.

One kind of answer other than 2xx is expected, and checked: the id of a merged event is a
hash of its first report, so a report dated earlier that joins the event gives it a new id
(docs/store.md: "an earlier report can move a window"), and a reader asking for the old id a
moment after a list showed it gets a 404. Every id answered 404 must be gone from the
finished store.

Beneath these, the store's connection pool: the server answers requests in up to 40 threads
at once (anyio's default), so a store must give 40 threads a connection each at the same
time, on SQLite and on PostgreSQL. With SQLAlchemy's default pool (15 connections) the 16th
waited 30 s and then failed, and the server answered 500.

The articles are made up here (short reports of leaders meeting and accusing each other), so
the test needs nothing but the language model.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from communique.coder import Coder
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import read_sources
from communique.ingest.run import Ingest, IngestOptions
from communique.store import Store
from communique.store import lookup as queries
from tests.postgres import fresh_database, postgres_url  # noqa: F401  (fixture)

COMMUNIQUE = Path(sys.executable).with_name("communique")
API_KEY = "concurrency-test-key-0123456789"
LOCKED = "database is locked"
READERS = 4
INGEST_TIMEOUT_S = 240
SUMMARY = re.compile(
    r"articles: (?P<new>\d+) new, (?P<present>\d+) already present, (?P<failed>\d+) failed; "
    r"events: (?P<events>\d+) new \((?P<reports>\d+) reports\)"
)

# Two sets of actors that never meet, so the events of one never merge with the other's.
LEADERS = (
    ("Chinese President Xi Jinping", "Xi"),
    ("Russian President Vladimir Putin", "Putin"),
    ("French President Emmanuel Macron", "Macron"),
    ("German Chancellor Olaf Scholz", "Scholz"),
    ("Indian Prime Minister Narendra Modi", "Modi"),
    ("Japanese Prime Minister Fumio Kishida", "Kishida"),
    ("U.S. Secretary of State Antony Blinken", "Blinken"),
    ("Turkish President Recep Tayyip Erdogan", "Erdogan"),
)
OTHER_LEADERS = (
    ("Brazilian President Luiz Inacio Lula da Silva", "Lula"),
    ("South African President Cyril Ramaphosa", "Ramaphosa"),
    ("Mexican President Andres Manuel Lopez Obrador", "Lopez Obrador"),
    ("Nigerian President Bola Tinubu", "Tinubu"),
)
CITIES = ("Beijing", "Moscow", "Paris", "Berlin", "New Delhi", "Tokyo", "Washington", "Ankara")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
INGESTED = 40  # articles the CLI ingests
POSTED = 8  # articles posted to the API


def ingest_articles(count: int = INGESTED) -> list[dict[str, str]]:
    """Short made-up articles, each with a meeting and an accusation (2024)."""
    found = []
    for number in range(count):
        a = LEADERS[number % len(LEADERS)]
        b = LEADERS[(number * 3 + 1) % len(LEADERS)]
        if a == b:
            b = LEADERS[(number + 1) % len(LEADERS)]
        text = (f"{a[0]} met {b[0]} in {CITIES[number * 5 % len(CITIES)]} on "
                f"{DAYS[number % len(DAYS)]}, officials said.\n\n"
                f"{b[1]} accused {a[1]} of undermining regional security. "
                f"Talks number {number} ended without an agreement.")
        found.append({"id": f"talks-{number}", "date": f"2024-{1 + number % 12:02d}-"
                      f"{1 + number % 27:02d}", "title": f"Talks {number}",
                      "source": "test wire", "text": text})
    return found


def post_articles(count: int = POSTED) -> list[dict[str, str]]:
    """Articles of other countries (2023), for the API."""
    found = []
    for number in range(count):
        a = OTHER_LEADERS[number % len(OTHER_LEADERS)]
        b = OTHER_LEADERS[(number + 1) % len(OTHER_LEADERS)]
        text = (f"{a[0]} met {b[0]} in Geneva on Monday, officials said.\n\n"
                f"{b[1]} praised {a[1]} for his leadership. "
                f"Meeting number {number} ended with a joint statement.")
        found.append({"id": f"meeting-{number}", "date": f"2023-{1 + number:02d}-10",
                      "text": text})
    return found


def write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def _environment() -> dict[str, str]:
    drop = {"COMMUNIQUE_DB", "COMMUNIQUE_API_KEY"}
    return {key: value for key, value in os.environ.items() if key not in drop}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --------------------------------------------------------------------------------------------
# Processes


def start_ingest(source: Path, db: Path, log: Path) -> subprocess.Popen[bytes]:
    """``communique ingest`` in batches of two articles (a transaction each), output to
    ``log``."""
    with log.open("wb") as output:
        return subprocess.Popen(
            [str(COMMUNIQUE), "ingest", str(source), "--db", str(db), "--batch-size", "2"],
            stdout=output, stderr=subprocess.STDOUT, env=_environment(),
        )


@dataclass(frozen=True)
class Summary:
    new: int
    present: int
    failed: int
    events: int
    reports: int
    output: str


def finish_ingest(process: subprocess.Popen[bytes], log: Path) -> Summary:
    try:
        process.wait(timeout=INGEST_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert process.returncode == 0, output
    assert LOCKED not in output, output
    found = SUMMARY.search(output)
    assert found is not None, f"no summary in the ingest's output:\n{output}"
    assert "database " in output[found.end():], output  # and the totals line after it
    return Summary(**{key: int(value) for key, value in found.groupdict().items()},
                   output=output)


@dataclass
class Server:
    base_url: str
    log: Path


@contextmanager
def serving(db: Path, log: Path, *, key_file: Path | None = None) -> Iterator[Server]:
    """``communique serve`` over ``db`` on a free loopback port, ready (it answered
    /api/health, which also creates the database), until the block ends. Summaries are not
    kept, so the readers see the ingest's writes as they land."""
    port = _free_port()
    command = [str(COMMUNIQUE), "serve", "--db", str(db), "--host", "127.0.0.1",
               "--port", str(port), "--cache-seconds", "0"]
    if key_file is not None:
        command += ["--api-key-file", str(key_file)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,
                                   env=_environment())
    server = Server(f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                if httpx.get(f"{server.base_url}/api/health", timeout=10).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --------------------------------------------------------------------------------------------
# Readers


READ_URLS = (
    "/api/health",
    "/api/events?limit=20",
    "/api/events?dyad=FRA-DEU&limit=10",
    "/api/events?since=2024-06-01&code=04&limit=10&offset=5",
    "/api/dyads",
    "/api/dyads/CHN/RUS/timeline",
    "/api/dyads/FRA/DEU/channels",
    "/api/actors?country=USA",
    "/",
    "/events?dyad=CHN-JPN",
    "/pair/FRA/DEU",
    "/actors",
)


@dataclass
class Readers:
    """Client threads reading the server's pages as fast as they are answered."""

    base_url: str
    answers: int = 0
    failures: list[str] = field(default_factory=list)
    # Ids of merged events answered 404 after a list showed them (see the module docstring).
    superseded: set[str] = field(default_factory=set)
    # The numbers of articles /api/health reported: some between none and all of them show
    # that reads were answered while the ingest was writing.
    article_counts: set[int] = field(default_factory=set)
    _event_of: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> Readers:
        for number in range(READERS):
            thread = threading.Thread(target=self._read, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _read(self, number: int) -> None:
        urls = list(READ_URLS[number:] + READ_URLS[:number])
        with httpx.Client(base_url=self.base_url, timeout=60) as client:
            while not self._stop.is_set():
                for url in urls[:]:
                    self._get(client, url)
                    if url == "/api/events?limit=20":
                        urls[len(READ_URLS):] = self._details(client)

    def _details(self, client: httpx.Client) -> list[str]:
        """The pages of the newest events and their articles (those reads join tables)."""
        answer = self._get(client, "/api/events?limit=3")
        if answer is None:
            return []
        found = []
        for event in answer.json()["events"]:
            identifier = event["event_id"]
            urls = [f"/api/events/{identifier}", f"/events/{identifier}",
                    f"/api/articles/{event['article_id']}?event={identifier}"]
            with self._lock:
                self._event_of.update(dict.fromkeys(urls, identifier))
            found += urls
        return found

    def _get(self, client: httpx.Client, url: str) -> httpx.Response | None:
        try:
            answer = client.get(url)
        except httpx.HTTPError as error:
            self._fail(f"{url}: {type(error).__name__}: {error}")
            return None
        with self._lock:
            self.answers += 1
            self.statuses[answer.status_code] = self.statuses.get(answer.status_code, 0) + 1
            if answer.status_code == 404 and url in self._event_of and LOCKED not in answer.text:
                self.superseded.add(self._event_of[url])
                return None
        if not 200 <= answer.status_code < 300 or LOCKED in answer.text:
            self._fail(f"{url}: {answer.status_code} {answer.text[:300]}")
            return None
        if url == "/api/health":
            with self._lock:
                self.article_counts.add(answer.json()["counts"]["articles"])
        return answer

    def saw_writes_under_way(self, total: int) -> bool:
        return any(0 < count < total for count in self.article_counts)

    def _fail(self, problem: str) -> None:
        with self._lock:
            self.failures.append(problem)


def counts(db: Path) -> dict[str, int]:
    with Store.open(db, create=False, read_only=True) as store:
        return store.counts()


def still_stored(db: Path, event_ids: set[str]) -> list[str]:
    """Those of ``event_ids`` that the finished store still has."""
    with Store.open(db, create=False, read_only=True) as store:
        return [identifier for identifier in sorted(event_ids)
                if queries.event(store, identifier) is not None]


def server_log_problems(log: Path) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines()
            if LOCKED in line or "Traceback" in line or "ERROR" in line]


# --------------------------------------------------------------------------------------------
# The reference: the same ingest into a fresh file, alone


@dataclass(frozen=True)
class Reference:
    events: int
    reports: int
    counts: dict[str, int]


@pytest.fixture(scope="module")
def articles_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("articles") / "talks.jsonl", ingest_articles())


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory, articles_file: Path, coder: Coder
) -> Reference:
    """The articles ingested as the CLI does (batches of two), in this process, with the
    session's pipeline (the ``coder`` fixture), into a fresh file and with nothing else
    running."""
    items = list(read_sources([articles_file], ReadOptions()))
    with Store.open(tmp_path_factory.mktemp("reference") / "fresh.db") as store:
        run = Ingest(store, IngestOptions(batch_size=2), on_skip=lambda error: None,
                     on_progress=lambda done: None)
        tally = run.run(items)
        assert (tally.new, tally.present, tally.failed) == (INGESTED, 0, [])
        return Reference(tally.events, tally.reports, store.counts())


# --------------------------------------------------------------------------------------------
# Tests

SERVER_THREADS = 40  # anyio's default limit of worker threads, which run the routes


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_server_thread_gets_a_connection_at_once(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        url = str(tmp_path / "events.db")
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"))
    barrier = threading.Barrier(SERVER_THREADS, timeout=20)
    problems: list[str] = []

    def read(store: Store) -> None:
        try:
            with store.engine.connect() as connection:
                connection.exec_driver_sql("SELECT count(*) FROM events").scalar()
                barrier.wait()  # every thread holds its connection at this moment
        except Exception as error:  # reported below
            problems.append(f"{type(error).__name__}: {error}")

    with Store.open(url) as store:
        threads = [threading.Thread(target=read, args=(store,)) for _ in range(SERVER_THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not problems, sorted(problems, key=lambda problem: "Barrier" in problem)[:3]


def test_ingest_while_serving_reads(
    tmp_path: Path, articles_file: Path, reference: Reference
) -> None:
    db = tmp_path / "events.db"
    Store.open(db).close()
    # The ingest loads its model while the server starts: its writes begin after the reads.
    ingest = start_ingest(articles_file, db, tmp_path / "ingest.log")
    with serving(db, tmp_path / "serve.log") as server, Readers(server.base_url) as readers:
        summary = finish_ingest(ingest, tmp_path / "ingest.log")
        time.sleep(0.5)  # a last round of reads on the finished store
    assert not readers.failures, readers.failures[:5]
    assert readers.saw_writes_under_way(INGESTED), sorted(readers.article_counts)
    assert not still_stored(db, readers.superseded), "answered 404, yet stored"
    assert not server_log_problems(server.log), server_log_problems(server.log)[:5]

    assert (summary.new, summary.present, summary.failed) == (INGESTED, 0, 0)
    assert (summary.events, summary.reports) == (reference.events, reference.reports)
    assert counts(db) == reference.counts
    assert reference.counts["articles"] == INGESTED and reference.counts["events"] > INGESTED


def test_posted_articles_and_cli_ingest_write_together(
    tmp_path: Path, articles_file: Path, reference: Reference
) -> None:
    db = tmp_path / "events.db"
    key_file = tmp_path / "keys.txt"
    key_file.write_text(API_KEY + "\n", encoding="utf-8")
    posts = post_articles()
    answers: list[dict[str, Any]] = []
    while_ingesting = 0
    Store.open(db).close()
    with serving(db, tmp_path / "serve.log", key_file=key_file) as server, \
            Readers(server.base_url) as readers, \
            httpx.Client(base_url=server.base_url, timeout=120,
                         headers={"X-API-Key": API_KEY}) as client:
        # The server loads its coder on the first post; only then does the CLI ingest start,
        # so that the two write together (a CLI ingest of short articles is over in
        # seconds): a post every two seconds (within the default write rate).
        ingest: subprocess.Popen[bytes] | None = None
        for number in range(0, POSTED, 2):
            sent = time.monotonic()
            answer = client.post("/api/articles", json={"articles": posts[number:number + 2]})
            assert answer.status_code == 200, answer.text
            answers.append(answer.json())
            if ingest is None:
                ingest = start_ingest(articles_file, db, tmp_path / "ingest.log")
            else:
                while_ingesting += ingest.poll() is None
            time.sleep(max(0.0, 2.1 - (time.monotonic() - sent)))
        assert ingest is not None
        summary = finish_ingest(ingest, tmp_path / "ingest.log")
    assert not readers.failures, readers.failures[:5]
    assert not still_stored(db, readers.superseded), "answered 404, yet stored"
    assert not server_log_problems(server.log), server_log_problems(server.log)[:5]
    assert while_ingesting >= 1, "no post was answered while the CLI ingest ran"
    assert readers.saw_writes_under_way(INGESTED + POSTED), sorted(readers.article_counts)

    assert all(answer["failed"] == [] for answer in answers), answers
    assert sum(answer["new"] for answer in answers) == POSTED
    assert (summary.new, summary.present, summary.failed) == (INGESTED, 0, 0)
    assert (summary.events, summary.reports) == (reference.events, reference.reports)
    posted_events = sum(answer["events"] for answer in answers)
    posted_reports = sum(answer["reports"] for answer in answers)
    assert posted_events > 0
    assert counts(db) == {
        "articles": reference.counts["articles"] + POSTED,
        "events": reference.counts["events"] + posted_events,
        "reports": reference.counts["reports"] + posted_reports,
    }
