"""A property-based run of schemathesis against the app's own OpenAPI schema, in process
(ASGI, no network): whatever the generated requests, the server never answers 5xx."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from communique.web import create_app, hash_key
from tests.web_support import API_KEY, copy_store, web_db  # noqa: F401  (a fixture)

# Enough to reach every parameter's edge cases, little enough to run in well under a minute.
EXAMPLES_PER_OPERATION = 30

# The app opens its store on the first request, so it can be built (and its schema read)
# at import time over a file the fixture below fills before any request is made.
FOLDER = Path(tempfile.mkdtemp(prefix="communique-schema-"))
DATABASE = FOLDER / "events.db"
# No write rate limit: every generated post is to reach the handler.
APP = create_app(str(DATABASE), api_key_hashes=[hash_key(API_KEY)], write_rate=None)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Valid and invalid requests both, NUL characters included (PostgreSQL refuses them in text).
schema.config.generation.update(modes=list(GenerationMode), allow_x00=True)


@pytest.fixture(scope="module", autouse=True)
def filled(web_db: Path) -> Iterator[Path]:
    """A copy of the session's store (posted articles are coded and stored for real)."""
    copy_store(web_db, DATABASE)
    yield DATABASE
    APP.state.stores.close()
    shutil.rmtree(FOLDER, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_the_server_fail(case: Any) -> None:
    headers = {"X-API-Key": API_KEY} if case.method == "POST" else None
    response = case.call(headers=headers)
    case.validate_response(response, checks=[not_a_server_error])
