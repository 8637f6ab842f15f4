"""Shared by the web tests: a real SQLite store filled by the real ingest of the bundled
examples plus one hostile article, and a client of the real app over it.

Import the fixtures a test module needs (``from tests.web_support import web_db  # noqa``).
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from communique.coder import Coder
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import read_sources, record_article
from communique.ingest.run import Ingest, IngestOptions
from communique.store import Store
from communique.web import create_app, hash_key

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples" / "articles.jsonl"
API_KEY = "test-key-0123456789abcdef"
SCRIPT = "<script>alert(1)</script>"
# An article whose title, source, URL and coded sentences carry markup and a script.
HOSTILE = {
    "id": "hostile-1",
    "date": "2024-08-30",
    "title": f"{SCRIPT} Sullivan meets Xi <img src=x onerror=alert(2)>",
    "source": f"<b>Evil Daily</b> {SCRIPT}",
    "url": "javascript:alert(3)",
    "text": (
        f"Jake Sullivan met Xi Jinping in Beijing on Thursday, aides said {SCRIPT}.\n\n"
        f"{SCRIPT} Russia attacked Ukraine on Monday."
    ),
}


def ingest(store: Store, records: list[Any]) -> None:
    """Code and store ``records`` (articles or errors) with the real ingest, one process."""
    run = Ingest(store, IngestOptions(), on_skip=lambda error: None, on_progress=lambda n: None)
    tally = run.run(records)
    assert not tally.failed, tally.failed


def build_store(path: Path) -> Path:
    items: list[Any] = list(read_sources([EXAMPLES], ReadOptions()))
    items.append(record_article(HOSTILE, where="hostile", options=ReadOptions()))
    with Store.open(path) as store:
        ingest(store, items)
    return path


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory, coder: Coder) -> Path:
    """The examples and the hostile article, coded and stored once for the session (the
    ``coder`` fixture loads the pipeline the ingest then shares)."""
    return build_store(tmp_path_factory.mktemp("web") / "events.db")


def copy_store(source: Path, target: Path) -> Path:
    """A copy a test may write to (SQLite's backup: the WAL is included)."""
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        original.backup(copy)
    finally:
        original.close()
        copy.close()
    return target


@pytest.fixture(scope="session")
def client(web_db: Path) -> Iterator[TestClient]:
    """The app over the session's store, read by the tests only."""
    app = create_app(str(web_db), api_key_hashes=[hash_key(API_KEY)])
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def first_event(client: TestClient, **filters: str) -> dict[str, Any]:
    answer = client.get("/api/events", params={"limit": "1", **filters})
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    assert events, f"no event for {filters}"
    return events[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI) -> Iterator[int]:
    """The app under a real uvicorn, in a thread, on a free loopback port (yielded)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def raw_get(port: int, target: str) -> tuple[int, bytes]:
    """``GET target`` sent byte for byte (no client normalises ``..`` or decodes ``%``):
    the status and the whole answer, headers and body."""
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(request.encode("latin-1"))
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line = answer.split(b"\r\n", 1)[0].split()
    return int(status_line[1]), answer


# One article to post through POST /api/articles.
ARTICLE = {
    "articles": [
        {
            "text": "Chinese Foreign Minister Wang Yi met Secretary of State Antony Blinken in "
            "Rome on Friday.",
            "date": "2024-07-27",
            "title": "Wang meets Blinken",
            "source": "test",
        }
    ]
}
