"""Every page and API route answers on a store of 100,000 synthetic events (the fill of
``benchmarks/bench_web.py``, which also times them; no timing is asserted here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from communique.web import create_app
from tests.web_support import PROJECT

EVENTS = 100_000


def _bench_web() -> ModuleType:
    path = PROJECT / "benchmarks" / "bench_web.py"
    spec = importlib.util.spec_from_file_location("bench_web", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_web", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModuleType]:
    bench = _bench_web()
    path = tmp_path_factory.mktemp("large") / "events.db"
    bench.fill(path, EVENTS)
    return path, bench


def test_every_page_answers_on_100k_events(large: tuple[Path, ModuleType]) -> None:
    path, bench = large
    with TestClient(create_app(str(path), api_key_hashes=[])) as client:
        health = client.get("/api/health").json()
        assert health["counts"]["events"] > 0.99 * EVENTS
        for url in bench.pages(path):
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.text[:300])
            assert len(answer.content) > 100, url
        listed = client.get("/api/events", params={"dyad": "USA-CHN", "limit": 200}).json()
        assert len(listed["events"]) == 200 and listed["total"] > 1000
        assert "data-peak" in client.get("/pair/USA/CHN").text
