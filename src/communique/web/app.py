"""The web application: the REST API under /api and the dashboard pages, over one store.

    >>> app = create_app("events.db")  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP

Everything the pages need (scripts, styles) is served by the app itself: no CDN, so the
dashboard works offline. So does /docs: Swagger UI's script and style come from the
swagger-ui-bundle package, served under /static/swagger.

Writes (any /api request but GET, HEAD and OPTIONS) are limited per API key, or per client
address without a valid key (``write_rate``; ``communique.web.limits``). A database file
that cannot be written is still read; a write to it is refused with a JSON error.

Summaries computed over many rows (counts, rankings, timelines, totals) are kept for
``summary_seconds`` (``communique.web.cache``); a write through the API clears them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from communique import __version__
from communique.store import Store
from communique.web.cache import DEFAULT_ENTRIES, DEFAULT_SECONDS, SummaryCache
from communique.web.errors import ApiError, install_handlers, respond
from communique.web.keys import hash_key, key_matches, load_key_hashes
from communique.web.limits import DEFAULT_WRITE_RATE, RateLimiter, WriteRate, retry_after

HERE = Path(__file__).parent
SWAGGER_FILES = Path(swagger_ui_bundle.swagger_ui_path)
# The files of that folder /docs uses: the rest (its own index.html, oauth2-redirect.html,
# source maps, a template) is not served.
SWAGGER_SERVED = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"})
# A posted batch of articles is read whole into memory: refuse more than this at once.
MAX_BODY_BYTES = 20_000_000
# Requests that only read: never limited.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Pages and their script and style come from this app only; nothing inline, no framing.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class StoreHolder:
    """The app's store, opened on first use (and again after a failure), so the server
    starts, and answers 503 with the reason, while its database is unreachable.

    It is opened as ``communique events`` opens it (``Store.open_to_read``): a SQLite
    file or folder that cannot be written is opened read-only, so reads still work."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open_to_read(self.url, create=True)
            return self._store

    def writable(self) -> Store:
        """The store, for a write: opened for writing again if it was opened read-only (its
        file may have been made writable since); ``ReadOnlyStoreError`` while it cannot be
        written."""
        with self._lock:
            if self._store is None or self._store.read_only:
                fresh = Store.open(self.url)
                if self._store is not None:
                    self._store.close()
                self._store = fresh
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def create_app(
    db_url: str,
    *,
    api_key_hashes: Iterable[str] | None = None,
    write_rate: WriteRate | str | None = DEFAULT_WRITE_RATE,
    clock: Callable[[], float] = time.monotonic,
    summary_seconds: float = DEFAULT_SECONDS,
    summary_entries: int = DEFAULT_ENTRIES,
) -> FastAPI:
    """The API and dashboard over the database at ``db_url`` (a SQLite file or a
    ``postgresql://`` URL, as ``Store.open`` takes).

    ``api_key_hashes``: hex SHA-256 hashes of the keys that may write (``keys.hash_key``);
    None reads ``$COMMUNIQUE_API_KEY``. With no key, writes are refused.

    ``write_rate``: how many writes each API key (or, without a valid key, each client
    address) may make: a ``WriteRate``, a text such as ``"30/minute"`` (bursts of up to 10),
    or None for no limit.

    ``summary_seconds``: how long a summary (the store's counts, rankings, a total, a
    timeline, channels, the network, an actor's counts) is answered from memory before it
    is computed again; 0 computes every one every time. At most ``summary_entries`` are
    kept. ``clock``: the time of the write limiter and of the summary cache, in seconds
    (monotonic).
    """
    from communique.web import api, pages

    hashes = load_key_hashes() if api_key_hashes is None else frozenset(api_key_hashes)
    rate = WriteRate.parse(write_rate) if isinstance(write_rate, str) else write_rate
    app = FastAPI(
        title="communique",
        version=__version__,
        summary="Event data coded from news: events, country pairs, channels, actors.",
        description=(
            "Read the events communique coded from news articles, with the sentence each "
            "comes from; post articles to code (with an API key in `X-API-Key`). Errors "
            'are `{"error": {"code", "message"}}`.'
        ),
        lifespan=_lifespan,
        # FastAPI's own pages load Swagger UI and ReDoc from a CDN; /docs is served below.
        docs_url=None,
        redoc_url=None,
    )
    app.state.stores = StoreHolder(db_url)
    app.state.key_hashes = hashes
    app.state.write_limiter = RateLimiter(rate, clock=clock) if rate is not None else None
    app.state.summaries = SummaryCache(summary_seconds, max_entries=summary_entries, clock=clock)
    install_handlers(app)
    app.middleware("http")(_guard)
    _add_docs_page(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    return app


def _add_docs_page(app: FastAPI) -> None:
    """Swagger UI at /docs with its files served here (mounted before /static, which
    would otherwise take their paths)."""
    app.mount("/static/swagger", OnlyFiles(SWAGGER_FILES, SWAGGER_SERVED), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="communique API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


class OnlyFiles(StaticFiles):
    """Static files limited to some names of one folder; any other path is a 404. Paths
    are resolved and kept inside the folder by ``StaticFiles`` first."""

    def __init__(self, directory: Path, names: frozenset[str]) -> None:
        super().__init__(directory=directory)
        self.names = names

    def lookup_path(self, path: str) -> tuple[str, os.stat_result | None]:
        if path not in self.names:
            return "", None
        return super().lookup_path(path)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.stores.close()


async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse writes over the rate limit and oversized bodies before they are read; add the
    security headers."""
    length = request.headers.get("content-length", "")
    if (refused := _over_write_rate(request)) is not None:
        response = refused
    elif length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        limit = f"{MAX_BODY_BYTES // 1_000_000} MB"
        response = respond(
            request,
            ApiError(413, f"the request body is over {limit}; post fewer articles at a time"),
        )
    else:
        response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/docs"):
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response


def _over_write_rate(request: Request) -> Response | None:
    """A 429 answer (with ``Retry-After``) when this write is one too many for its client;
    None when it may go ahead, or is not a write to the API."""
    limiter: RateLimiter | None = request.app.state.write_limiter
    path = request.url.path
    if limiter is None or request.method in READ_METHODS:
        return None
    if path != "/api" and not path.startswith("/api/"):
        return None
    wait = limiter.take(_client(request))
    if not wait:
        return None
    seconds = retry_after(wait)
    message = (
        f"too many writes: this server takes at most {limiter.rate.describe()}, from "
        f"each API key; try again in {seconds} s"
    )
    response = respond(request, ApiError(429, message))
    response.headers["Retry-After"] = seconds
    return response


def _client(request: Request) -> str:
    """Who a write is counted against: its API key (by hash) when the key is valid, else the
    client's address, so that guessing keys is limited too."""
    key = request.headers.get("x-api-key", "")
    if key and key_matches(key, request.app.state.key_hashes):
        return f"key:{hash_key(key)}"
    address = request.client.host if request.client is not None else "unknown"
    return f"address:{address}"
