"""Security of the API and the pages: hostile text is shown as text, writes need a key and
are rate limited, no parameter reaches SQL as anything but a bound value, and no file
outside the served folders is ever sent."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from httpx import Response

from communique.errors import CommuniqueError
from communique.store import Store
from communique.web import create_app, hash_key, load_key_hashes
from communique.web.app import SWAGGER_FILES
from communique.web.keys import key_matches
from communique.web.limits import DEFAULT_BURST, DEFAULT_WRITE_RATE, WriteRate
from tests.web_support import (  # noqa: F401  (fixtures)
    API_KEY,
    ARTICLE,
    HOSTILE,
    PROJECT,
    SCRIPT,
    client,
    copy_store,
    first_event,
    raw_get,
    serving,
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


# --------------------------------------------------------------------------------------------
# Writes are rate limited, per key


class Clock:
    """The limiter's time, moved on by the test instead of waiting."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


OTHER_KEY = "another-key-0123456789abcdef"
# Refused by validation (422), after the limiter: a write that costs no coding.
NOT_A_BATCH: dict[str, Any] = {"articles": []}
SECOND_ARTICLE = {
    "articles": [
        {
            "text": "Indian Prime Minister Narendra Modi met Japanese Prime Minister Fumio "
            "Kishida in Tokyo on Monday.",
            "date": "2024-03-04",
            "title": "Modi meets Kishida",
            "source": "test",
        }
    ]
}


def _limited(path: Path, clock: Clock, *, requests: int = 2, burst: int = 2) -> TestClient:
    """A client of the app over ``path`` taking ``requests`` writes a minute from each key,
    ``burst`` at once."""
    app = create_app(
        str(path),
        api_key_hashes=[hash_key(API_KEY), hash_key(OTHER_KEY)],
        write_rate=WriteRate(requests=requests, seconds=60.0, burst=burst),
        clock=clock,
    )
    return TestClient(app)


def _post(client: TestClient, body: dict[str, Any] = NOT_A_BATCH,
          key: str | None = API_KEY) -> Response:
    return client.post("/api/articles", json=body, headers={"X-API-Key": key} if key else {})


def test_writes_over_the_rate_are_refused_with_retry_after(writable: Path) -> None:
    with _limited(writable, Clock()) as client:
        key = {"X-API-Key": API_KEY}
        # Any method but GET, HEAD and OPTIONS on the API is a write and takes a token.
        assert client.delete("/api/events/0000000000000000", headers=key).status_code == 405
        assert _post(client).status_code == 422
        refused = _post(client)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "30"  # two a minute: one every 30 s
        assert refused.headers["content-type"].startswith("application/json")
        assert refused.headers["x-content-type-options"] == "nosniff"
        error = refused.json()["error"]
        assert set(error) == {"code", "message"} and error["code"] == "rate_limited"
        assert "2 per minute" in error["message"] and "try again in 30 s" in error["message"]
        assert client.put("/api/articles", json=NOT_A_BATCH, headers=key).status_code == 429
        # Reads are never limited, however many.
        for _ in range(60):
            assert client.get("/api/health").status_code == 200
        assert client.get("/api/events", params={"limit": "1"}).status_code == 200
        assert client.head("/static/app.css").status_code == 200
        # Pages are not the API: a POST there is a 405, not a write.
        assert client.post("/events").status_code == 405


def test_the_write_budget_refills_with_time(writable: Path) -> None:
    clock = Clock()
    with _limited(writable, clock) as client:
        assert [_post(client).status_code for _ in range(3)] == [422, 422, 429]
        clock.advance(20)
        early = _post(client)
        assert early.status_code == 429 and early.headers["retry-after"] == "10"
        clock.advance(10)
        assert [_post(client).status_code for _ in range(2)] == [422, 429]
        # A long pause gives back the burst, not more.
        clock.advance(3_600)
        assert [_post(client).status_code for _ in range(3)] == [422, 422, 429]


def test_one_key_out_of_writes_does_not_stop_another(writable: Path) -> None:
    clock = Clock()
    with _limited(writable, clock) as client:
        assert [_post(client).status_code for _ in range(3)] == [422, 422, 429]
        assert [_post(client, key=OTHER_KEY).status_code for _ in range(3)] == [422, 422, 429]
        clock.advance(30)  # one write back for each key
        # Requests without a valid key count against the client's address: guessing keys is
        # limited, and takes nothing from a real key's budget.
        assert _post(client, key="wrong-key-0123456789").status_code == 403
        assert _post(client, key=None).status_code == 401
        assert _post(client, key="other-wrong-key-0123456789").status_code == 429
        assert _post(client).status_code == 422
        assert _post(client, key=OTHER_KEY).status_code == 422


def test_writes_refused_for_the_rate_store_nothing(writable: Path) -> None:
    clock = Clock()
    with _limited(writable, clock, requests=1, burst=1) as client:
        before = _counts(writable)
        first = _post(client, ARTICLE)
        assert first.status_code == 200 and first.json()["new"] == 1, first.text
        stored = _counts(writable)
        assert stored["articles"] == before["articles"] + 1
        refused = _post(client, SECOND_ARTICLE)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        assert _counts(writable) == stored
        clock.advance(60)
        later = _post(client, SECOND_ARTICLE)
        assert later.status_code == 200, later.text
        # New, not "already present": the refused post had stored nothing.
        assert later.json()["new"] == 1 and later.json()["already_present"] == 0
        assert _counts(writable)["articles"] == stored["articles"] + 1


def test_the_write_rate_setting(writable: Path) -> None:
    from communique import cli_web
    from communique.cli import cli

    assert WriteRate.parse("30/minute") == WriteRate(30, 60.0, 10)
    assert WriteRate.parse("5/s") == WriteRate(5, 1.0, 5)
    assert WriteRate.parse("100 per hour", burst=20) == WriteRate(100, 3_600.0, 20)
    assert WriteRate.parse("2/minutes") == WriteRate(2, 60.0, 2)
    assert WriteRate.parse("off") is None
    assert WriteRate(3, 90.0, 1).describe() == "3 per 90 s, bursts of 1"
    for bad in ("30", "30/fortnight", "minute/30", "-1/minute", "0/minute", ""):
        with pytest.raises(CommuniqueError):
            WriteRate.parse(bad)
    # The app's default, and the command line's, is 30 a minute in bursts of 10.
    default = create_app(str(writable), api_key_hashes=[]).state.write_limiter.rate
    assert default == WriteRate.parse(DEFAULT_WRITE_RATE) == WriteRate(30, 60.0, 10)
    assert (cli_web.DEFAULT_WRITE_RATE, cli_web.DEFAULT_BURST) == (DEFAULT_WRITE_RATE,
                                                                   DEFAULT_BURST)
    assert create_app(str(writable), write_rate=None).state.write_limiter is None
    result = CliRunner().invoke(cli, ["serve", "--write-rate", "30/fortnight"])
    assert result.exit_code == 2 and "--write-rate" in result.output
    assert "30/fortnight" in result.output


# --------------------------------------------------------------------------------------------
# Files are served from their own folders only


@pytest.fixture(scope="module")
def served(web_db: Path) -> Iterator[int]:
    """The real app under uvicorn, so that requests reach it byte for byte."""
    with serving(create_app(str(web_db), api_key_hashes=[])) as port:
        yield port


# Each way to say "up one folder": the name segment and the separator.
UP = {
    "dots": ("..", "/"),
    "encoded dots": ("%2e%2e", "/"),
    "encoded slash": ("..", "%2f"),
    "all encoded": ("%2e%2e", "%2f"),
    "upper-case encoding": ("%2E%2E", "%2F"),
    "one dot encoded": (".%2e", "/"),
    "double-encoded": ("%252e%252e", "%252f"),
    "double-encoded slash": ("..", "%252f"),
    "backslash": ("..", "\\"),
    "encoded backslash": ("..", "%5c"),
    "overlong UTF-8": ("%c0%ae%c0%ae", "%c0%af"),
    "semicolon": ("..;", "/"),
}
# Where files are served (the dashboard's, Swagger UI's) and the root of the app.
PREFIXES = ("/static/", "/static/swagger/", "/")


def _secrets(web_db: Path) -> dict[Path, bytes]:
    """Files outside the served folders, and something in each that must never be sent."""
    return {
        PROJECT / "pyproject.toml": b'name = "communique"',
        Path("/etc/passwd"): b"root:",
        web_db: b"SQLite format 3",
        PROJECT / "src" / "communique" / "web" / "app.py": b"def create_app(",
    }


def _attempts(up: tuple[str, str], secret: Path) -> list[str]:
    dots, separator = up
    parts = [quote(part) for part in secret.resolve().parts[1:]]
    climb = (dots + separator) * 20  # past the root from any served folder
    return [prefix + climb + separator.join(parts) for prefix in PREFIXES]


@pytest.mark.parametrize("way", list(UP))
def test_no_way_up_leaves_the_served_folders(served: int, web_db: Path, way: str) -> None:
    for secret, content in _secrets(web_db).items():
        assert content in secret.read_bytes(), secret
        for target in _attempts(UP[way], secret):
            status, answer = raw_get(served, target)
            assert status in (400, 404), (target, status)
            assert content not in answer, target


def test_absolute_paths_are_not_served(served: int, web_db: Path) -> None:
    for secret, content in _secrets(web_db).items():
        absolute = str(secret.resolve())
        for prefix in PREFIXES:
            for target in (
                prefix + absolute,  # //etc/passwd
                prefix + quote(absolute, safe=""),  # %2Fetc%2Fpasswd
                prefix + absolute.replace("/", "\\"),  # \etc\passwd
                prefix + "file:" + absolute,
                f"http://127.0.0.1{prefix}{'../' * 20}{absolute[1:]}",  # absolute-form
            ):
                status, answer = raw_get(served, target)
                assert status in (400, 404), (target, status)
                assert content not in answer, target


def test_the_served_files_are_still_served(served: int) -> None:
    """The raw requests above do reach the file routes: the files they serve come back."""
    static = PROJECT / "src" / "communique" / "web" / "static"
    for target, path in (
        ("/static/app.js", static / "app.js"),
        ("/static/./app.js", static / "app.js"),
        ("/static/swagger/swagger-ui-bundle.js", SWAGGER_FILES / "swagger-ui-bundle.js"),
        ("/static/swagger/swagger-ui.css", SWAGGER_FILES / "swagger-ui.css"),
    ):
        status, answer = raw_get(served, target)
        assert status == 200, target
        assert answer.endswith(path.read_bytes()), target
    # Of Swagger UI's folder, only what /docs uses is served.
    for name in ("index.html", "oauth2-redirect.html", "swagger-ui.js.map", "index.j2",
                 "swagger-initializer.js"):
        assert (SWAGGER_FILES / name).is_file(), name
        assert raw_get(served, f"/static/swagger/{name}")[0] == 404, name
