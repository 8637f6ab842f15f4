"""Security of the API and the pages: hostile text is shown as text, writes need a key, and
no parameter reaches SQL as anything but a bound value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from communique.store import Store
from communique.web import create_app, hash_key, load_key_hashes
from communique.web.keys import key_matches
from tests.web_support import (  # noqa: F401  (fixtures)
    API_KEY,
    HOSTILE,
    SCRIPT,
    client,
    copy_store,
    first_event,
    web_db,
)

# --------------------------------------------------------------------------------------------
# Hostile text renders as text


def _hostile_event(client: TestClient) -> dict[str, str]:
    event = first_event(client, dyad="USA-CHN", actor="Sullivan", since="2024-08-29",
                        until="2024-08-29")
    assert SCRIPT in event["sentence"], "the hostile article's event was not coded"
    return event


def test_hostile_text_is_plain_data_in_the_api(client: TestClient) -> None:
    event = _hostile_event(client)
    body = client.get(f"/api/articles/{event['article_id']}", params={"event": event["event_id"]})
    assert body.headers["content-type"].startswith("application/json")
    article = body.json()["article"]
    assert article["title"] == HOSTILE["title"] and article["text"] == HOSTILE["text"]


def _pages(client: TestClient) -> list[str]:
    event = _hostile_event(client)
    other = first_event(client, dyad="RUS-UKR", since="2024-08-26", until="2024-08-26")
    return [
        "/",
        "/events",
        "/events?actor=Sullivan",
        f"/events/{event['event_id']}",
        f"/events/{other['event_id']}",
        f"/articles/{event['article_id']}",
        f"/articles/{event['article_id']}?event={event['event_id']}",
        "/actors/USAGOV",
        "/actors/RUS",
        "/actors",
        "/pair/USA/CHN",
        "/pair/RUS/UKR",
    ]


def test_hostile_text_is_escaped_on_every_page(client: TestClient) -> None:
    shown = 0
    for url in _pages(client):
        answer = client.get(url)
        assert answer.status_code in (200, 503), (url, answer.status_code)
        html = answer.text
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html and "<b>Evil" not in html, url
        assert 'href="javascript:' not in html, url
        shown += "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert shown >= 4, "the hostile text should appear, escaped, on several pages"


def test_pages_forbid_inline_and_foreign_scripts(client: TestClient) -> None:
    answer = client.get("/events")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in answer.text.replace('<script src="/static/app.js" defer>', "")


def test_error_pages_escape_what_was_asked(client: TestClient) -> None:
    answer = client.get("/events", params={"actor": "x", "since": SCRIPT})
    assert answer.status_code == 422
    assert "<script>alert" not in answer.text and "&lt;script&gt;" in answer.text


# --------------------------------------------------------------------------------------------
# Writes need a key

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


@pytest.fixture
def writable(web_db: Path, tmp_path: Path) -> Path:
    return copy_store(web_db, tmp_path / "copy.db")


def test_writes_without_a_configured_key_are_refused(writable: Path) -> None:
    with TestClient(create_app(str(writable), api_key_hashes=[])) as client:
        answer = client.post("/api/articles", json=ARTICLE, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 403
        assert "no API key" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    "headers, status",
    [({}, 401), ({"X-API-Key": ""}, 401), ({"X-API-Key": "wrong-key-0123456789"}, 403),
     ({"X-API-Key": API_KEY[:-1]}, 403), ({"Authorization": f"Bearer {API_KEY}"}, 401)],
)
def test_writes_without_the_right_key_are_refused(
    writable: Path, headers: dict[str, str], status: int
) -> None:
    with TestClient(create_app(str(writable), api_key_hashes=[hash_key(API_KEY)])) as client:
        before = client.get("/api/health").json()["counts"]
        answer = client.post("/api/articles", json=ARTICLE, headers=headers)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] in ("unauthorized", "forbidden")
        assert client.get("/api/health").json()["counts"] == before


def test_a_write_with_the_key_codes_and_stores(
    writable: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMUNIQUE_API_KEY", API_KEY)
    with TestClient(create_app(str(writable))) as client:  # the key from the environment
        before = client.get("/api/health").json()["counts"]
        answer = client.post("/api/articles", json=ARTICLE, headers={"X-API-Key": API_KEY})
        assert answer.status_code == 200, answer.text
        tally = answer.json()
        assert tally["new"] == 1 and tally["events"] >= 1 and tally["failed"] == []
        after = client.get("/api/health").json()["counts"]
        assert after["articles"] == before["articles"] + 1
        again = client.post("/api/articles", json=ARTICLE, headers={"X-API-Key": API_KEY})
        assert again.json()["new"] == 0 and again.json()["already_present"] == 1
        event = first_event(client, actor="Wang Yi")
        assert event["location"] == "Rome"


def test_a_bad_posted_article_is_reported_not_stored(writable: Path) -> None:
    with TestClient(create_app(str(writable), api_key_hashes=[hash_key(API_KEY)])) as client:
        headers = {"X-API-Key": API_KEY}
        blank = {"articles": [{"text": " \n ", "date": "2024-01-02"}]}
        answer = client.post("/api/articles", json=blank, headers=headers)
        assert answer.status_code == 200 and answer.json()["new"] == 0
        assert "articles[0]" in answer.json()["failed"][0]
        for body in ({"articles": []}, {"articles": [{"text": ""}]}, {"text": "x"},
                     {"articles": [{"text": "x", "date": "29/08/2024"}]}):
            refused = client.post("/api/articles", json=body, headers=headers)
            assert refused.status_code == 422, (body, refused.text)
        huge = client.post("/api/articles", content=b"x" * 100,
                           headers={**headers, "content-length": "999999999"})
        assert huge.status_code == 413


def test_keys_are_kept_as_hashes(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.txt"
    other = "another-key-0123456789"
    key_file.write_text(f"# keys\n{other}\n\nsha256:{hash_key('third-key-0123456789')}\n")
    hashes = load_key_hashes(key_file=key_file, environ={"COMMUNIQUE_API_KEY": API_KEY})
    assert len(hashes) == 3 and API_KEY not in hashes and other not in hashes
    assert all(key_matches(key, hashes) for key in (API_KEY, other, "third-key-0123456789"))
    assert not key_matches("third-key-012345678", hashes)
    assert load_key_hashes(environ={}) == frozenset()


def test_weak_or_unreadable_key_files_are_refused(tmp_path: Path) -> None:
    from communique.errors import CommuniqueError

    short = tmp_path / "short.txt"
    short.write_text("secret\n")
    with pytest.raises(CommuniqueError, match="at least 16 characters"):
        load_key_hashes(key_file=short, environ={})
    with pytest.raises(CommuniqueError, match="cannot read"):
        load_key_hashes(key_file=tmp_path / "missing.txt", environ={})
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(CommuniqueError, match="holds no key"):
        load_key_hashes(key_file=empty, environ={})


# --------------------------------------------------------------------------------------------
# SQL injection through every parameter

INJECTIONS = [
    "' OR '1'='1",
    "USA' OR 1=1 --",
    "'; DROP TABLE events; --",
    "1; DELETE FROM articles",
    "%' UNION SELECT name, sql FROM sqlite_master --",
    '" OR ""="',
    "\\'; --",
    "%",
    "_",
]
QUERY_PARAMETERS = ["dyad", "since", "until", "code", "actor", "limit", "offset", "order"]


def _counts(path: Path) -> dict[str, int]:
    with Store.open(path, create=False, read_only=True) as store:
        return store.counts()


@pytest.mark.parametrize("parameter", QUERY_PARAMETERS)
def test_injection_through_query_parameters(
    client: TestClient, web_db: Path, parameter: str
) -> None:
    before = _counts(web_db)
    for payload in INJECTIONS:
        for url in ("/api/events", "/events"):
            answer = client.get(url, params={parameter: payload})
            if answer.status_code == 200 and url == "/api/events":
                # Free text is a substring to look for, literally: nothing matches it.
                assert parameter == "actor", (parameter, payload)
                assert answer.json()["total"] == 0, (parameter, payload)
            else:
                assert 400 <= answer.status_code < 500 or answer.status_code == 200, (
                    url, parameter, payload, answer.status_code)
    assert _counts(web_db) == before


def test_injection_through_path_and_other_parameters(client: TestClient, web_db: Path) -> None:
    before = _counts(web_db)
    event = first_event(client)
    for payload in INJECTIONS:
        quoted = payload.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C")
        quoted = quoted.replace("#", "%23").replace("?", "%3F")
        urls = [
            f"/api/events/{quoted}",
            f"/api/articles/{quoted}",
            f"/api/actors/{quoted}",
            f"/api/dyads/{quoted}/CHN/timeline",
            f"/api/dyads/USA/{quoted}/channels",
            f"/events/{quoted}",
            f"/actors/{quoted}",
            f"/pair/USA/{quoted}",
        ]
        for url in urls:
            answer = client.get(url)
            assert 400 <= answer.status_code < 500, (url, answer.status_code)
        for name, url in (("event", f"/api/articles/{event['article_id']}"),
                          ("country", "/api/actors"), ("since", "/api/dyads"),
                          ("as_of", "/api/dyads/USA/CHN/channels")):
            answer = client.get(url, params={name: payload})
            assert 400 <= answer.status_code < 500, (url, name, payload, answer.status_code)
    assert _counts(web_db) == before
    assert os.path.getsize(web_db) > 0
