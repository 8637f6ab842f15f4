"""The summary cache of the web app, on real SQLite files filled by the real ingest.

What a cached answer is, is shown without timing: the store's ``counts`` is wrapped in a
counter (calling the real one), and articles are ingested into the file behind the app's
back, as another process would, to see the cached answer stay until the injected clock
passes the cache time. Nothing sleeps to make time pass.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from communique import analysis
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import record_article
from communique.store import Store, StoreError
from communique.web import create_app, hash_key
from communique.web.cache import AGE_HEADER, DEFAULT_SECONDS, SummaryCache, call_key
from tests.web_support import (  # noqa: F401  (client, web_db: fixtures)
    API_KEY,
    client,
    copy_store,
    first_event,
    free_port,
    ingest,
    web_db,
)

# Codes to a USA→CHN meeting on 2019-03-07 and a CHN→USA accusation on 2019-03-08.
NEW_ARTICLE = {
    "id": "cache-test-1",
    "date": "2019-03-08",
    "title": "Talks in Washington",
    "text": (
        "Mike Pompeo met Wang Yi in Washington on Thursday. "
        "China accused the United States of meddling on Friday."
    ),
}
# Routes and pages answered with summaries, and what each shows of one.
SUMMARY_URLS = (
    "/api/health",
    "/api/events?limit=5",
    "/api/events?dyad=USA-CHN&limit=5",
    "/api/dyads",
    "/api/dyads/USA/CHN/timeline",
    "/api/dyads/USA/CHN/channels",
    "/api/network?country=USA",
    "/api/actors?country=USA",
    "/api/actors/USAGOV",
    "/",
    "/pair/USA/CHN",
    "/events?dyad=USA-CHN",
    "/actors",
    "/actors/USAGOV",
)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path, web_db: Path) -> Path:
    """A copy of the session's store this test may write to."""
    return copy_store(web_db, tmp_path / "events.db")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every call of ``Store.counts`` (the health counts) noted, the real one answering."""
    calls: list[int] = []
    real = Store.counts

    def counts(self: Store) -> dict[str, int]:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(Store, "counts", counts)
    return calls


@pytest.fixture
def serve(clock: Clock) -> Iterator[Callable[..., TestClient]]:
    """Clients of apps over a file, with the test's clock; closed at the end."""
    opened: list[TestClient] = []

    def start(path: Path, **settings: Any) -> TestClient:
        settings.setdefault("api_key_hashes", [hash_key(API_KEY)])
        settings.setdefault("write_rate", None)
        settings.setdefault("clock", clock)
        test_client = TestClient(create_app(str(path), **settings), raise_server_exceptions=False)
        opened.append(test_client.__enter__())
        return test_client

    yield start
    for test_client in opened:
        test_client.__exit__(None, None, None)


def _store_behind_the_back(path: Path, record: dict[str, str]) -> None:
    """Ingest ``record`` into the file through a store of its own, as another process would."""
    with Store.open(path) as other:
        ingest(other, [record_article(record, where=record["id"], options=ReadOptions())])


def _get(client: TestClient, url: str) -> Any:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text[:500]
    return answer.json() if url.startswith("/api") else answer.text


def _cache(client: TestClient) -> SummaryCache:
    app = client.app
    assert isinstance(app, FastAPI)
    cache: SummaryCache = app.state.summaries
    return cache


# --------------------------------------------------------------------------------------------
# Served from memory, for the cache time


def test_a_second_identical_request_is_answered_from_memory(
    db: Path, clock: Clock, counted: list[int], serve: Callable[..., TestClient]
) -> None:
    client = serve(db)
    first = client.get("/api/health")
    assert first.status_code == 200 and first.headers[AGE_HEADER] == "0"
    assert len(counted) == 1
    clock.now += 12.5
    again = client.get("/api/health")
    assert again.json() == first.json() and again.headers[AGE_HEADER] == "12"
    # The home page shows the same counts: the same entry.
    assert client.get("/").status_code == 200
    assert len(counted) == 1
    clock.now += DEFAULT_SECONDS - 12.5  # 30 s after the counts were taken: computed again
    assert client.get("/api/health").headers[AGE_HEADER] == "0"
    assert len(counted) == 2


def test_writes_by_another_process_show_once_the_cache_time_has_passed(
    db: Path, clock: Clock, serve: Callable[..., TestClient]
) -> None:
    client = serve(db)
    fresh = serve(db, summary_seconds=0)

    def summaries(answering: TestClient) -> dict[str, Any]:
        """What each answer shows of summaries: all of it, but the rows of a list."""
        shown = {url: _get(answering, url) for url in SUMMARY_URLS}
        return {
            url: (
                {key: value for key, value in shown[url].items() if key == "actor"}
                if url.startswith("/api/actors/")
                else {"total": shown[url]["total"]}
                if url.startswith("/api/events")
                else shown[url]
            )
            for url in SUMMARY_URLS
            # Pages with rows: their rows are read every time.
            if url not in ("/events?dyad=USA-CHN", "/actors/USAGOV")
        }

    before = summaries(client)
    _store_behind_the_back(db, NEW_ARTICLE)
    clock.now += DEFAULT_SECONDS - 0.5
    assert summaries(client) == before
    # The same data as it is now, from an app that keeps nothing: different.
    now = summaries(fresh)
    articles = now["/api/health"]["counts"]["articles"]
    assert articles == before["/api/health"]["counts"]["articles"] + 1
    changed = [url for url in now if now[url] != before[url]]
    for url in ("/api/health", "/api/events?limit=5", "/api/events?dyad=USA-CHN&limit=5",
                "/api/dyads/USA/CHN/timeline", "/api/actors/USAGOV", "/pair/USA/CHN", "/"):
        assert url in changed, url
    clock.now += 0.5
    assert summaries(client) == now


def test_single_items_and_rows_are_never_kept(
    db: Path, clock: Clock, serve: Callable[..., TestClient]
) -> None:
    client = serve(db)
    event = first_event(client)
    for url in (f"/api/events/{event['event_id']}", f"/events/{event['event_id']}",
                f"/api/articles/{event['article_id']}", f"/articles/{event['article_id']}"):
        answer = client.get(url)
        assert answer.status_code == 200 and AGE_HEADER not in answer.headers, url
    # An event list: its total is kept, its rows are read every time.
    listed = client.get("/api/events?limit=100&order=oldest").json()
    _store_behind_the_back(db, NEW_ARTICLE)
    again = client.get("/api/events?limit=100&order=oldest").json()
    assert again["total"] == listed["total"]
    assert len(again["events"]) > len(listed["events"])


def test_answers_are_the_same_from_memory_as_computed(
    client: TestClient, web_db: Path, serve: Callable[..., TestClient]
) -> None:
    """Apart from the age header, what the cache answers is byte for byte what a server
    without it answers, JSON and HTML."""
    cached = serve(web_db)
    uncached = serve(web_db, summary_seconds=0)
    event = first_event(client)
    urls = [*SUMMARY_URLS, f"/api/actors/{event['source_code']}",
            f"/actors/{event['source_code']}?page=1", "/api/events?code=04&offset=2&limit=3",
            "/pair/USA/CHN?by=week&since=2024-01-01&until=2024-12-31",
            "/api/dyads/USA/CHN/channels?as_of=2024-06-01&gap_days=30",
            "/api/actors/XXXGOV", "/actors/XXXGOV", "/api/dyads/USA/XYZ/timeline"]
    for url in urls:
        computed = uncached.get(url)
        assert AGE_HEADER not in computed.headers
        for answer in (cached.get(url), cached.get(url)):  # computed, then from memory
            assert answer.status_code == computed.status_code, url
            assert answer.content == computed.content, url
            names = {name.lower() for name in answer.headers} - {AGE_HEADER.lower()}
            assert names == {name.lower() for name in computed.headers}, url
            assert (AGE_HEADER in answer.headers) == (answer.status_code == 200), url


def test_the_same_call_spelled_two_ways_is_one_entry() -> None:
    assert call_key(analysis.top_pairs, (), {"limit": 20}) == call_key(analysis.top_pairs, (), {})
    assert call_key(analysis.channels, ("USA", "CHN"), {}) == call_key(
        analysis.channels, (), {"a": "USA", "b": "CHN", "gap_days": analysis.DEFAULT_GAP_DAYS}
    )
    assert call_key(analysis.top_pairs, (), {"limit": 21}) != call_key(analysis.top_pairs, (), {})
    assert call_key(analysis.top_pairs, (), {}) != call_key(analysis.top_actors, (), {})


def test_the_least_recently_used_entry_goes_first(clock: Clock) -> None:
    cache = SummaryCache(30, max_entries=2, clock=clock)
    computed: list[str] = []

    def value(key: str) -> str:
        return cache.get(key, lambda: computed.append(key) or key.upper())[0]

    assert [value("a"), value("b"), value("a"), value("c")] == ["A", "B", "A", "C"]
    assert computed == ["a", "b", "c"] and cache.stats().entries == 2
    value("a")  # kept: used more recently than b
    value("b")  # gone: computed again
    assert computed == ["a", "b", "c", "b"]


# --------------------------------------------------------------------------------------------
# Writes through the API


def test_a_post_that_stores_articles_clears_the_cache_at_once(
    db: Path, counted: list[int], serve: Callable[..., TestClient]
) -> None:
    client = serve(db)
    before = {url: _get(client, url) for url in SUMMARY_URLS}
    assert len(counted) == 1
    posted = client.post("/api/articles", json={"articles": [NEW_ARTICLE]},
                         headers={"X-API-Key": API_KEY})
    assert posted.status_code == 200 and posted.json()["new"] == 1, posted.text
    # The clock has not moved: still the new answers.
    after = _get(client, "/api/health")
    assert after["counts"]["articles"] == before["/api/health"]["counts"]["articles"] + 1
    assert len(counted) == 2
    for url in ("/api/events?limit=5", "/api/dyads/USA/CHN/timeline", "/pair/USA/CHN"):
        assert _get(client, url) != before[url], url
    # Posting it again stores nothing, and the kept answers stay.
    again = client.post("/api/articles", json={"articles": [NEW_ARTICLE]},
                        headers={"X-API-Key": API_KEY})
    assert again.status_code == 200 and again.json()["already_present"] == 1
    assert _get(client, "/api/health") == after and len(counted) == 2


def test_a_refused_post_leaves_the_cache(
    db: Path, counted: list[int], serve: Callable[..., TestClient]
) -> None:
    client = serve(db)
    _get(client, "/api/health")
    refused = client.post("/api/articles", json={"articles": [NEW_ARTICLE]},
                          headers={"X-API-Key": "not-the-key-0123456789"})
    assert refused.status_code == 403
    _get(client, "/api/health")
    assert len(counted) == 1


# --------------------------------------------------------------------------------------------
# One computation at a time


def test_concurrent_identical_requests_compute_once(
    db: Path, monkeypatch: pytest.MonkeyPatch, serve: Callable[..., TestClient]
) -> None:
    callers = 8
    calls: list[int] = []
    release = threading.Event()
    real = Store.counts

    def slow_counts(self: Store) -> dict[str, int]:
        calls.append(1)
        assert release.wait(timeout=60), "the test never released the computation"
        return real(self)

    monkeypatch.setattr(Store, "counts", slow_counts)
    client = serve(db)
    cache = _cache(client)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def ask() -> None:
        answer = client.get("/api/health")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=ask) for _ in range(callers)]
    for thread in threads:
        thread.start()
    try:
        # Wait (not for a time: for the state) until one computes and the others wait for it.
        deadline = time.monotonic() + 60
        while cache.stats().joined < callers - 1:
            assert time.monotonic() < deadline, cache.stats()
            time.sleep(0.01)
    finally:
        release.set()
        for thread in threads:
            thread.join(timeout=60)
    assert len(calls) == 1 and cache.stats().computed == 1
    assert len(answers) == callers
    assert all(answer.status_code == 200 for answer in answers)
    assert len({answer.text for answer in answers}) == 1


def test_waiting_callers_share_one_computation_and_its_failure(clock: Clock) -> None:
    cache = SummaryCache(30, clock=clock)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []
    results: list[object] = []

    def compute() -> int:
        calls.append(1)
        started.set()
        assert release.wait(timeout=60)
        raise LookupError("the database went away")

    def ask() -> None:
        try:
            results.append(cache.get("key", compute))
        except LookupError as error:
            results.append(error)

    threads = [threading.Thread(target=ask) for _ in range(5)]
    threads[0].start()
    assert started.wait(timeout=60)
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 60
    while cache.stats().joined < 4:
        assert time.monotonic() < deadline, cache.stats()
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    assert len(calls) == 1
    assert len(results) == 5 and all(isinstance(result, LookupError) for result in results)
    # Not kept: the next caller computes.
    assert cache.get("key", lambda: 42) == (42, 0.0)
    assert cache.stats().entries == 1


def test_a_computation_under_way_when_the_cache_is_cleared_is_not_kept(clock: Clock) -> None:
    cache = SummaryCache(30, clock=clock)
    started, release = threading.Event(), threading.Event()
    results: list[tuple[str, float]] = []

    def before_the_write() -> str:
        started.set()
        assert release.wait(timeout=60)
        return "old"

    thread = threading.Thread(target=lambda: results.append(cache.get("key", before_the_write)))
    thread.start()
    assert started.wait(timeout=60)
    cache.clear()
    # A caller after the clear does not wait for the old computation: it computes anew.
    assert cache.get("key", lambda: "new") == ("new", 0.0)
    release.set()
    thread.join(timeout=60)
    assert results == [("old", 0.0)]
    assert cache.get("key", lambda: "other") == ("new", 0.0)


# --------------------------------------------------------------------------------------------
# Errors and switching it off


def test_an_error_in_a_computation_is_not_kept(
    db: Path, monkeypatch: pytest.MonkeyPatch, serve: Callable[..., TestClient]
) -> None:
    real = Store.counts
    calls: list[int] = []

    def failing_once(self: Store) -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:
            raise StoreError(f"{self.display_url}: disk I/O error")
        return real(self)

    monkeypatch.setattr(Store, "counts", failing_once)
    client = serve(db)
    failed = client.get("/api/health")
    assert failed.status_code == 503 and "disk I/O error" in failed.text
    assert AGE_HEADER not in failed.headers
    answered = client.get("/api/health")
    assert answered.status_code == 200 and answered.headers[AGE_HEADER] == "0"
    assert len(calls) == 2
    # An analysis refusing a request (an unknown country) is not kept either.
    assert client.get("/api/dyads/USA/XYZ/timeline").status_code == 422
    assert client.get("/api/dyads/USA/XYZ/timeline").status_code == 422
    assert _cache(client).stats().entries == 1


def test_zero_seconds_computes_every_time(
    db: Path, counted: list[int], serve: Callable[..., TestClient]
) -> None:
    client = serve(db, summary_seconds=0)
    first = client.get("/api/health")
    assert AGE_HEADER not in first.headers
    _store_behind_the_back(db, NEW_ARTICLE)
    second = client.get("/api/health")
    assert second.json()["counts"]["articles"] == first.json()["counts"]["articles"] + 1
    assert AGE_HEADER not in client.get("/").headers
    assert len(counted) == 3 and _cache(client).stats().computed == 0


def test_serve_cache_seconds_0_turns_the_cache_off(db: Path) -> None:
    from communique.cli_web import DEFAULT_CACHE_SECONDS

    assert DEFAULT_CACHE_SECONDS == DEFAULT_SECONDS
    port = free_port()
    command = Path(sys.executable).with_name("communique")
    server = subprocess.Popen(
        [str(command), "serve", "--db", str(db), "--port", str(port), "--cache-seconds", "0"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "COMMUNIQUE_API_KEY": ""},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                first = httpx.get(f"{base}/api/health", timeout=20)
                break
            except httpx.HTTPError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "communique serve did not answer"
                time.sleep(0.2)
        assert first.status_code == 200 and AGE_HEADER not in first.headers
        _store_behind_the_back(db, NEW_ARTICLE)
        second = httpx.get(f"{base}/api/health", timeout=20)
        assert second.json()["counts"]["articles"] == first.json()["counts"]["articles"] + 1
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=20)
    assert "summaries not cached" in errors


def test_the_cache_time_cannot_be_negative(db: Path) -> None:
    with pytest.raises(ValueError, match="0 \\(off\\) or more seconds"):
        create_app(str(db), summary_seconds=-1)
