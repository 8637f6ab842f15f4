"""The REST API and the dashboard pages on a real SQLite store filled by the real ingest."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from communique import analysis
from communique.cli import cli
from communique.store import Store
from communique.web import create_app
from tests.web_support import client, first_event, web_db  # noqa: F401  (fixtures)


def _json(client: TestClient, url: str, status: int = 200, **params: Any) -> Any:
    # Without params, the query string written in the URL is kept.
    answer = client.get(url, params=params or None)
    assert answer.status_code == status, answer.text[:500]
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def _error(client: TestClient, url: str, status: int, **params: Any) -> str:
    body = _json(client, url, status, **params)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    message: str = body["error"]["message"]
    return message


# --------------------------------------------------------------------------------------------
# Health and events


def test_health_reports_the_database(client: TestClient, web_db: Path) -> None:
    body = _json(client, "/api/health")
    with Store.open(web_db, create=False, read_only=True) as store:
        assert body["counts"] == store.counts()
        assert body["schema_version"] == store.migrations()[-1][0]
    assert body["status"] == "ok" and body["dialect"] == "sqlite"


def test_events_match_the_store_and_paginate(client: TestClient, web_db: Path) -> None:
    with Store.open(web_db, create=False, read_only=True) as store:
        expected = [row["event_id"] for row in store.events(limit=None)]
    seen: list[str] = []
    url: str | None = "/api/events?limit=7"
    while url:
        page = _json(client, url)
        assert page["total"] == len(expected)
        seen += [event["event_id"] for event in page["events"]]
        url = page["next"]
    assert seen == expected


@pytest.mark.parametrize(
    "params",
    [
        {"dyad": "USA-CHN"},
        {"dyad": "usa-chn", "since": "2024-01-01"},
        {"code": "04"},
        {"actor": "sullivan"},
        {"since": "2018-01-01", "until": "2018-12-31"},
    ],
)
def test_event_filters_are_the_store_s(
    client: TestClient, web_db: Path, params: dict[str, str]
) -> None:
    page = _json(client, "/api/events", limit=200, **params)
    with Store.open(web_db, create=False, read_only=True) as store:
        expected = store.events(
            dyad=tuple(params["dyad"].upper().split("-")) if "dyad" in params else None,
            since=_day(params.get("since")),
            until=_day(params.get("until")),
            code=params.get("code"),
            actor=params.get("actor"),
            limit=None,
        )
    assert expected, f"the examples have no event for {params}"
    assert [event["event_id"] for event in page["events"]] == [e["event_id"] for e in expected]
    assert page["total"] == len(expected)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@pytest.mark.parametrize(
    "params, named",
    [
        ({"since": "yesterday"}, "since"),
        ({"until": "2024-02-30"}, "until"),
        ({"since": "2024-05-01", "until": "2024-01-01"}, "since"),
        ({"dyad": "US-CHN"}, "dyad"),
        ({"dyad": "USACHN"}, "dyad"),
        ({"code": "4a"}, "code"),
        ({"code": "12345"}, "code"),
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"order": "random"}, "order"),
    ],
)
def test_bad_parameters_are_named_in_a_422(
    client: TestClient, params: dict[str, str], named: str
) -> None:
    message = _error(client, "/api/events", 422, **params)
    assert f"parameter {named}" in message


def test_an_event_comes_with_its_reports(client: TestClient) -> None:
    listed = first_event(client, dyad="USA-CHN", code="04")
    body = _json(client, f"/api/events/{listed['event_id']}")
    assert body["event"] == listed
    assert len(body["reports"]) == listed["reports"]
    report = body["reports"][0]
    assert report["sentence"] and report["trigger"] and report["article"]["published"]


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert "no event with id '0000000000000000'" in _error(
        client, "/api/events/0000000000000000", 404
    )
    assert "no article" in _error(client, "/api/articles/nothing-here", 404)
    assert "no actor" in _error(client, "/api/actors/ZZZGOV", 404)
    assert "nothing at /api/nowhere" in _error(client, "/api/nowhere", 404)


# --------------------------------------------------------------------------------------------
# Articles with the event's sentence marked


def test_an_article_marks_the_event_sentence_and_trigger(client: TestClient) -> None:
    event = first_event(client, dyad="USA-CHN", actor="Sullivan")
    body = _json(client, f"/api/articles/{event['article_id']}", event=event["event_id"])
    text = body["article"]["text"]
    assert "".join(piece["text"] for piece in body["segments"]) == text
    start, end = body["highlight"]["sentence"]
    assert text[start:end].replace("\n", " ") == event["sentence"]
    trigger_start, trigger_end = body["highlight"]["trigger"]
    assert start <= trigger_start < trigger_end <= end
    marked = [piece for piece in body["segments"] if piece["mark"]]
    assert "".join(piece["text"] for piece in marked) == text[start:end]
    assert [piece["text"] for piece in marked if piece["mark"] == "trigger"] == [
        text[trigger_start:trigger_end]
    ]
    assert any(report["event_id"] == event["event_id"] for report in body["events"])


def test_an_article_without_event_has_no_marks(client: TestClient) -> None:
    event = first_event(client)
    body = _json(client, f"/api/articles/{event['article_id']}")
    assert body["highlight"] is None
    assert body["segments"] == [{"text": body["article"]["text"], "mark": None}]


def test_an_event_of_another_article_is_a_404(client: TestClient) -> None:
    event = first_event(client, dyad="USA-CHN")
    other = first_event(client, dyad="RUS-UKR")
    assert other["article_id"] != event["article_id"]
    message = _error(client, f"/api/articles/{other['article_id']}", 404, event=event["event_id"])
    assert "is not reported in article" in message


# --------------------------------------------------------------------------------------------
# Actors


def test_an_actor_has_its_names_and_events(client: TestClient) -> None:
    body = _json(client, "/api/actors/usagov", limit=5)
    actor = body["actor"]
    assert actor["code"] == "USAGOV" and actor["country"] == "USA"
    assert {"Jake Sullivan", "Joe Biden"} <= {entry["name"] for entry in actor["names"]}
    # An event with USAGOV on both sides counts once in the list, once on each side above.
    as_either = actor["events_as_source"] + actor["events_as_target"]
    assert max(actor["events_as_source"], actor["events_as_target"]) <= body["total"] <= as_either
    assert len(body["events"]) == min(5, body["total"])
    assert all("USAGOV" in (e["source_code"], e["target_code"]) for e in body["events"])


# --------------------------------------------------------------------------------------------
# The database out of reach


@pytest.mark.parametrize(
    "url",
    ["/nonexistent-folder/communique/events.db", "postgresql://nobody@127.0.0.1:1/communique"],
)
def test_an_unreachable_database_is_a_503(url: str) -> None:
    with TestClient(create_app(url, api_key_hashes=[]), raise_server_exceptions=False) as client:
        message = _error(client, "/api/health", 503)
        assert "database" in message
        page = client.get("/events")
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]


# --------------------------------------------------------------------------------------------
# Pages


def test_the_pages_answer(client: TestClient) -> None:
    event = first_event(client, dyad="USA-CHN", actor="Sullivan")
    pages = {
        "/": "Country pairs",
        "/events": "Events",
        "/events?dyad=USA-CHN&code=04": "Sullivan",
        f"/events/{event['event_id']}": 'class="event-sentence',
        f"/articles/{event['article_id']}?event={event['event_id']}": 'class="event-sentence',
        "/actors/USAGOV": "Jake Sullivan",
    }
    for url, expected in pages.items():
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text[:300])
        assert answer.headers["content-type"].startswith("text/html")
        assert expected in answer.text, url


def test_the_event_list_keeps_its_filters_in_its_links(client: TestClient) -> None:
    answer = client.get("/events", params={"dyad": "USA-CHN", "actor": "a"})
    assert answer.status_code == 200
    assert 'value="USA-CHN"' in answer.text
    first = client.get("/events", params={"actor": "e"}).text
    if 'rel="next"' in first:
        assert "page=2" in first and "actor=e" in first


def test_page_errors_are_pages(client: TestClient) -> None:
    answer = client.get("/events", params={"since": "soon"})
    assert answer.status_code == 422 and "text/html" in answer.headers["content-type"]
    assert "since" in answer.text
    missing = client.get("/events/0000000000000000")
    assert missing.status_code == 404 and "no event with id" in missing.text


def test_static_files_are_served_by_the_app(client: TestClient) -> None:
    page = client.get("/").text
    assert 'src="/static/app.js"' in page and 'href="/static/app.css"' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for name in ("app.js", "app.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_the_openapi_schema_lists_the_routes(client: TestClient) -> None:
    schema = _json(client, "/openapi.json")
    paths = set(schema["paths"])
    assert {
        "/api/health",
        "/api/events",
        "/api/events/{event_id}",
        "/api/dyads",
        "/api/dyads/{a}/{b}/timeline",
        "/api/dyads/{a}/{b}/channels",
        "/api/actors",
        "/api/actors/{actor_code}",
        "/api/articles/{article_id}",
        "/api/articles",
        "/api/network",
    } <= paths
    assert not any(path.startswith(("/events", "/pair")) for path in paths)


# --------------------------------------------------------------------------------------------
# Analysis: the API gives what the Python API gives


@pytest.mark.parametrize(
    "url, call",
    [
        ("/api/dyads?limit=5", lambda store: analysis.top_pairs(store, limit=5)),
        ("/api/actors?country=usa&limit=5",
         lambda store: analysis.top_actors(store, country="USA", limit=5)),
        ("/api/dyads/USA/CHN/timeline?by=week&since=2024-01-01",
         lambda store: analysis.dyad_timeline(store, "USA", "CHN", by="week",
                                              since=date(2024, 1, 1))),
        ("/api/dyads/usa/chn/channels", lambda store: analysis.channels(store, "USA", "CHN")),
        ("/api/network?country=CHN&limit=10",
         lambda store: analysis.actor_network(store, country="CHN", limit=10)),
        ("/api/dyads/USA/CHN/channels?as_of=2020-01-01&gap_days=30",
         lambda store: analysis.channels(store, "USA", "CHN", as_of=date(2020, 1, 1),
                                         gap_days=30)),
    ],
)
def test_analysis_routes_answer_as_the_python_api(
    client: TestClient, web_db: Path, url: str, call: Callable[[Store], Any]
) -> None:
    with Store.open(web_db, create=False, read_only=True) as store:
        result = call(store)
    expected = [item.to_dict() for item in result] if isinstance(result, list) else (
        result.to_dict()
    )
    assert expected, url
    assert _json(client, url) == expected


def test_the_channels_of_the_examples(client: TestClient) -> None:
    body = _json(client, "/api/dyads/USA/CHN/channels")
    used = {channel["level"]: channel for channel in body["channels"] if channel["last"]}
    assert {"leaders", "military"} <= set(used)
    # The examples span 2018–2024: some channel went unused for more than a year.
    reopened = [channel for channel in used.values() if channel["first_since"]]
    assert reopened and all(channel["previous"] for channel in reopened)
    html = client.get("/pair/USA/CHN").text
    for channel in reopened:
        assert f"first since {channel['previous']['date']}" in html


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("/api/dyads/USA/XYZ/timeline", "unknown country code 'XYZ'"),
        ("/api/dyads/USA/USA/channels", "two different countries"),
        ("/api/dyads/US/CHN/timeline", "parameter a"),
        ("/api/dyads/USA/CHN/timeline?by=year", "parameter by"),
        ("/api/dyads/USA/CHN/channels?gap_days=0", "parameter gap_days"),
        ("/api/actors?country=XYZ", "unknown country code"),
    ],
)
def test_bad_countries_are_422(client: TestClient, url: str, fragment: str) -> None:
    assert fragment in _error(client, url, 422)


def test_the_pair_page_draws_the_timeline_and_the_channels(client: TestClient) -> None:
    html = client.get("/pair/usa/chn").text
    assert '<svg id="timeline-chart"' in html and 'class="bar forward"' in html
    assert 'id="channel-table"' in html and 'data-level="military"' in html
    picked = client.get("/pair", params={"a": "usa", "b": "chn"}, follow_redirects=False)
    assert picked.status_code == 303 and picked.headers["location"] == "/pair/USA/CHN"
    assert client.get("/pair/USA/XYZ").status_code == 422


# --------------------------------------------------------------------------------------------
# communique serve


def test_serve_runs_the_app_with_uvicorn(web_db: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = Path(sys.executable).with_name("communique")
    env = {**os.environ, "COMMUNIQUE_API_KEY": ""}
    server = subprocess.Popen(
        [str(command), "serve", "--db", str(web_db), "--port", str(port)],
        stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health") as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "communique serve did not answer"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=20)
    assert f"at http://127.0.0.1:{port}/ (writes disabled (no API key)); summaries kept 30 s" in (
        errors
    )


def test_serve_refuses_a_weak_key_file(tmp_path: Path) -> None:
    weak = tmp_path / "keys.txt"
    weak.write_text("short\n")
    result = CliRunner().invoke(cli, ["serve", "--api-key-file", str(weak)])
    assert result.exit_code == 1 and "at least 16 characters" in result.output


def test_the_api_docs_page_needs_nothing_from_the_network(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, "the docs page names its script and style"
    assert all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get("/openapi.json").json()["info"]["title"] == "communique"
