"""A database file that cannot be written is still read: the analysis commands (dyad,
channels, network) and the server open it as ``communique events`` does, and the server
answers a write with a JSON error.

The file is write-protected with chmod 0444. Root could write it all the same, but communique
honours the permission bits for root too (as in tests/test_faults.py), and every test checks
that the file's bytes are unchanged.
"""
# F811: the fixture imported from tests/web_support.py is named again as a parameter.
# ruff: noqa: F811

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from communique.cli import cli
from communique.store import Store
from communique.web import create_app, hash_key
from tests.web_support import (  # noqa: F401  (a fixture)
    API_KEY,
    ARTICLE,
    copy_store,
    free_port,
    web_db,
)

ANALYSES = [
    ["dyad", "USA", "CHN", "--format", "json"],
    ["channels", "USA", "CHN", "--format", "json"],
    ["network", "--country", "CHN", "--format", "json"],
    ["dyad", "USA", "CHN"],  # the table
]


@pytest.fixture
def protected(web_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the session's store, write-protected."""
    db = copy_store(web_db, tmp_path / "protected.db")
    db.chmod(0o444)
    try:
        yield db
    finally:
        db.chmod(0o644)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _counts(path: Path) -> dict[str, int]:
    with Store.open(path, create=False, read_only=True) as store:
        return store.counts()


# --------------------------------------------------------------------------------------------
# The analysis commands


@pytest.mark.parametrize("arguments", ANALYSES, ids=lambda arguments: " ".join(arguments))
def test_analysis_commands_read_a_write_protected_database(
    arguments: list[str], protected: Path, web_db: Path
) -> None:
    before = _digest(protected)
    expected = CliRunner().invoke(cli, [*arguments, "--db", str(web_db)])
    assert expected.exit_code == 0, expected.output
    result = CliRunner().invoke(cli, [*arguments, "--db", str(protected)])
    assert result.exit_code == 0, result.output
    if "json" in arguments:
        assert json.loads(result.stdout) == json.loads(expected.stdout)
    else:
        assert result.stdout == expected.stdout
    assert _digest(protected) == before


# --------------------------------------------------------------------------------------------
# The server


def test_the_server_reads_a_write_protected_database_and_refuses_writes(
    protected: Path, web_db: Path
) -> None:
    before = _digest(protected)
    app = create_app(str(protected), api_key_hashes=[hash_key(API_KEY)])
    with TestClient(app) as client:
        health = client.get("/api/health").json()
        assert health["read_only"] is True
        assert health["counts"] == _counts(web_db)
        listed = client.get("/api/events", params={"limit": "200"}).json()
        assert listed["total"] == health["counts"]["events"]
        assert client.get("/api/dyads/USA/CHN/channels").status_code == 200
        assert client.get("/events").status_code == 200
        refused = client.post("/api/articles", json=ARTICLE, headers={"X-API-Key": API_KEY})
        assert refused.status_code == 503
        assert refused.headers["content-type"].startswith("application/json")
        error = refused.json()["error"]
        assert error["code"] == "database_read_only"
        assert str(protected) in error["message"] and "read-only" in error["message"]
        assert "nothing was written" in error["message"]
        # Without a key the answer is still 401: only writers learn the database's state.
        assert client.post("/api/articles", json=ARTICLE).status_code == 401
        assert client.get("/api/health").json()["counts"] == health["counts"]
    assert _digest(protected) == before


def test_the_server_writes_once_the_file_is_writable_again(protected: Path) -> None:
    app = create_app(str(protected), api_key_hashes=[hash_key(API_KEY)])
    with TestClient(app) as client:
        before = client.get("/api/health").json()
        assert before["read_only"] is True
        protected.chmod(0o644)
        answer = client.post("/api/articles", json=ARTICLE, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200, answer.text
        assert answer.json()["new"] == 1
        after = client.get("/api/health").json()
        assert after["read_only"] is False
        assert after["counts"]["articles"] == before["counts"]["articles"] + 1


def _request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any, str]:
    """Status, JSON body and Retry-After of one request to the server on ``port``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"X-API-Key": API_KEY, "Content-Type": "application/json"}
        connection.request(method, path, body=json.dumps(body) if body else None,
                           headers=headers)
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read()), answer.getheader("Retry-After") or ""
    finally:
        connection.close()


def test_communique_serve_reads_a_write_protected_database_and_limits_writes(
    protected: Path,
) -> None:
    before = _digest(protected)
    port = free_port()
    command = Path(sys.executable).with_name("communique")
    server = subprocess.Popen(
        [str(command), "serve", "--db", str(protected), "--port", str(port),
         "--write-rate", "1/hour", "--write-burst", "1"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "COMMUNIQUE_API_KEY": API_KEY},
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, health, _ = _request(port, "GET", "/api/health")
                break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "communique serve did not answer"
                time.sleep(0.2)
        assert status == 200 and health["read_only"] is True
        status, body, _ = _request(port, "POST", "/api/articles", ARTICLE)
        assert status == 503 and body["error"]["code"] == "database_read_only"
        # That write took the one token of the hour.
        status, body, retry = _request(port, "POST", "/api/articles", ARTICLE)
        assert status == 429 and body["error"]["code"] == "rate_limited"
        assert retry == "3600"
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=20)
    assert "(writes enabled: 1 per hour per key, bursts of 1)" in errors
    assert _digest(protected) == before
