"""The dashboard and the API on a large store: every page answered over ~100k synthetic events.

Fills a SQLite store (a temporary file unless ``--db``) with N synthetic merged events the way
``bench_store.py`` does (straight into the store's tables, one report each, one article per
ten reports; its generator and seed), adds the ``actors`` rows an ingest would have counted,
then requests each page and API route of ``communique.web`` in process (FastAPI's
TestClient, no network), ``--repeat`` times after one untimed request, and prints the median
and best times.

    .venv/bin/python benchmarks/bench_web.py                       # 100,000 events, ~1 min
    .venv/bin/python benchmarks/bench_web.py --events 300000 --json results.json

``fill`` is also what ``tests/test_web_scale.py`` uses to check the pages respond at this
size (without timing them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_store  # the synthetic events of the store benchmark

from communique.store import Store

DEFAULT_EVENTS = 100_000


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        path = Path(options.db or Path(folder) / "bench.db")
        if path.exists() and not options.reuse:
            print(f"{path} exists; remove it or pass --reuse", file=sys.stderr)
            return 2
        loaded = 0.0
        if not options.reuse:
            started = time.perf_counter()
            fill(path, options.events, seed=options.seed)
            loaded = time.perf_counter() - started
        figures = _time_pages(path, options.repeat)
    print(f"{options.events:,} synthetic events, bulk load {loaded:.1f} s")
    for url, figure in figures.items():
        print(f"{url:<58} median {figure['median_ms']:7.1f} ms  best {figure['best_ms']:7.1f} ms"
              f"  ({figure['status']}, {figure['kilobytes']:.0f} kB)")
    if options.json:
        result = {"events": options.events, "load_seconds": loaded, "pages": figures}
        Path(options.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="synthetic events")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests of each page")
    parser.add_argument("--seed", type=int, default=20240829)
    parser.add_argument("--db", help="SQLite file to fill (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="serve an already filled --db")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Filling


# Each party of each report is one mention, as the store counts them when it stores reports.
ACTOR_MENTIONS = """
INSERT INTO actors (code, name, country, sector, mentions)
SELECT code, name, substr(code, 1, 3), nullif(substr(code, 4), ''), count(*)
FROM (SELECT source_code AS code, source_name AS name FROM event_reports
      UNION ALL SELECT target_code, target_name FROM event_reports)
GROUP BY code, name
"""


def fill(path: Path, count: int, *, seed: int = 20240829) -> None:
    """``count`` synthetic events (``bench_store``'s) and their actors, in a new store."""
    with Store.open(path) as store:
        bench_store._fill(store, count, seed=seed)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(ACTOR_MENTIONS)


# --------------------------------------------------------------------------------------------
# Requesting


def pages(path: Path) -> list[str]:
    """The URLs to request on a store ``fill`` made: every page and API route."""
    with Store.open(path, create=False, read_only=True) as store:
        event = store.events(dyad=("USA", "CHN"), limit=1)[0]
    return [
        "/",
        "/events",
        "/events?dyad=USA-CHN",
        "/events?dyad=USA-CHN&since=2024-01-01&code=04",
        "/events?actor=GOV%20name&page=40",
        "/events?page=1000",
        f"/events/{event['event_id']}",
        f"/articles/{event['article_id']}?event={event['event_id']}",
        "/pair/USA/CHN",
        "/pair/USA/CHN?by=week&since=2023-01-01",
        "/actors",
        "/actors/USAGOV",
        "/actors/USAGOV?page=20",
        "/api/health",
        "/api/events?dyad=USA-CHN&since=2024-01-01&limit=100",
        "/api/events?offset=50000&limit=100",
        "/api/dyads",
        "/api/dyads/USA/CHN/timeline",
        "/api/dyads/USA/CHN/channels",
        "/api/actors?country=CHN",
    ]


def _time_pages(path: Path, repeat: int) -> dict[str, dict[str, Any]]:
    from fastapi.testclient import TestClient

    from communique.web import create_app

    figures: dict[str, dict[str, Any]] = {}
    with TestClient(create_app(str(path), api_key_hashes=[])) as client:
        for url in pages(path):
            answer = client.get(url)  # untimed: warms the page cache
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - started) * 1000)
            figures[url] = {
                "status": answer.status_code,
                "kilobytes": len(answer.content) / 1000,
                "median_ms": statistics.median(times),
                "best_ms": min(times),
            }
    return figures


if __name__ == "__main__":
    sys.exit(main())
