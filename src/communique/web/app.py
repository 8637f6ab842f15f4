"""The web application: the REST API under /api and the dashboard pages, over one store.

    >>> app = create_app("events.db")  # doctest: +SKIP
    >>> uvicorn.run(app, host="127.0.0.1", port=8000)  # doctest: +SKIP

Everything the pages need (scripts, styles) is served by the app itself: no CDN, so the
dashboard works offline. So does /docs: Swagger UI's script and style come from the
swagger-ui-bundle package, served under /static/swagger.
"""

from __future__ import annotations

import threading
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
from communique.web.errors import ApiError, install_handlers, respond
from communique.web.keys import load_key_hashes

HERE = Path(__file__).parent
SWAGGER_FILES = Path(swagger_ui_bundle.swagger_ui_path)
# A posted batch of articles is read whole into memory: refuse more than this at once.
MAX_BODY_BYTES = 20_000_000

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
    starts, and answers 503 with the reason, while its database is unreachable."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        with self._lock:
            if self._store is None:
                self._store = Store.open(self.url)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def create_app(db_url: str, *, api_key_hashes: Iterable[str] | None = None) -> FastAPI:
    """The API and dashboard over the database at ``db_url`` (a SQLite file or a
    ``postgresql://`` URL, as ``Store.open`` takes).

    ``api_key_hashes``: hex SHA-256 hashes of the keys that may write (``keys.hash_key``);
    None reads ``$COMMUNIQUE_API_KEY``. With no key, writes are refused.
    """
    from communique.web import api, pages

    hashes = load_key_hashes() if api_key_hashes is None else frozenset(api_key_hashes)
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
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_FILES), name="swagger")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="communique API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.stores.close()


async def _guard(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Refuse oversized bodies before they are read; add the security headers."""
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        limit = f"{MAX_BODY_BYTES // 1_000_000} MB"
        response = respond(request, ApiError(413, f"the request body is over {limit}; "
                                                  "post fewer articles at a time"))
    else:
        response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/docs"):
        response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    return response
