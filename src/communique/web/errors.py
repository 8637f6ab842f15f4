"""Errors of the web app: every one answers ``{"error": {"code", "message"}}`` under /api and
an HTML page elsewhere, with a message that says what was wrong and what to do."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from communique.analysis import AnalysisError
from communique.store import ReadOnlyStoreError, StoreError

log = logging.getLogger("communique.web")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid_parameter",
    429: "rate_limited",
    500: "internal_error",
    503: "database_unavailable",
}


class ApiError(Exception):
    """An answer other than success, raised by a route: HTTP status, code and message."""

    def __init__(self, status: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _STATUS_CODES.get(status, "error")
        self.message = message


def not_found(what: str, key: str) -> ApiError:
    return ApiError(404, f"no {what} with id {key!r} in this database")


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(StoreError, _store_error)
    app.add_exception_handler(ReadOnlyStoreError, _read_only_error)
    app.add_exception_handler(Exception, _unexpected)
    app.add_exception_handler(AnalysisError, _analysis_error)


async def _api_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ApiError)
    return respond(request, error)


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    message = "; ".join(_describe(problem) for problem in error.errors()[:5])
    return respond(request, ApiError(422, message or "invalid request"))


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        message = f"nothing at {request.url.path}; see /docs for the API's routes"
    elif error.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(error.detail)
    return respond(request, ApiError(error.status_code, message))


async def _store_error(request: Request, error: Exception) -> Response:
    # The store names the database and the cause; the password of a URL is already masked.
    log.warning("database error on %s: %s", request.url.path, error)
    return respond(request, ApiError(503, f"the database cannot be used: {error}"))


async def _read_only_error(request: Request, error: Exception) -> Response:
    # Reads go on (the store was opened read-only); only a write lands here.
    log.warning("write refused on %s: %s", request.url.path, error)
    message = f"this server can read its database but not write to it: {error}"
    return respond(request, ApiError(503, message, code="database_read_only"))


async def _analysis_error(request: Request, error: Exception) -> Response:
    # The analyses refuse what they cannot answer (an unknown country, the same country
    # twice) with a message that says so: the request was wrong, not the server.
    return respond(request, ApiError(422, str(error)))


async def _unexpected(request: Request, error: Exception) -> Response:
    log.exception("internal error on %s", request.url.path)
    message = "internal error; the server log has the details"
    return respond(request, ApiError(500, message))


def respond(request: Request, error: ApiError) -> Response:
    """JSON under /api (and for clients that ask for it), an HTML page for the dashboard."""
    if _wants_html(request):
        from communique.web.pages import error_page

        return error_page(request, error)
    body = {"error": {"code": error.code, "message": error.message}}
    return JSONResponse(body, status_code=error.status)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/openapi.json", "/docs", "/static/")) or path == "/api":
        return False
    return "application/json" not in request.headers.get("accept", "")


def _describe(problem: dict[str, Any]) -> str:
    """One validation problem as ``parameter: what is wrong (got …)``."""
    location = problem.get("loc", ())
    name = _parameter(location)
    message = str(problem.get("msg", "invalid value"))
    if problem.get("type") == "string_pattern_mismatch" and location:
        from communique.web.params import HINTS

        message = HINTS.get(str(location[-1]), message)
    if "input" in problem and problem.get("type") != "missing":
        shown = repr(problem["input"])
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{name}: {message} (got {shown})"
    return f"{name}: {message}"


def _parameter(location: Sequence[Any]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in ("query", "path", "header", "body"):
        kind, rest = parts[0], parts[1:]
        return f"{kind} parameter {'.'.join(rest)}" if kind != "body" else ".".join(parts)
    return ".".join(parts) or "request"
