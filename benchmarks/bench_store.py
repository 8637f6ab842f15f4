"""Dyad queries on a large event store: ``Store.events`` over a million synthetic events.

Fills a SQLite store (a temporary file unless ``--db``) with N synthetic merged events, one
report each and one article per ten reports, written in bulk straight into the store's tables
(``communique.store.schema``: the INSERT statements SQLAlchemy compiles for them, given values
in SQLite's storage form), not through ``add_batch``: this measures queries, not coding or
merging. Then times the query a dashboard makes,

    store.events(dyad=("USA", "CHN"), since=<a year before the last date>, limit=100)

and a few neighbours (exact actor codes, a CAMEO prefix, an actor name), each ``--repeat`` times
after one untimed run, and prints the median and best times and SQLite's query plan.

The synthetic events: 40 countries with skewed weights (the USA, China and Russia in about a
quarter of the events), five sector suffixes, 60 CAMEO codes, dates spread over 2015–2024,
a fixed random seed. Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_store.py                      # 1,000,000 events, ~2 min
    .venv/bin/python benchmarks/bench_store.py --events 200000 --json results.json
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert

from communique.records import content_id
from communique.store import Store, merge, schema

COUNTRIES = (
    "USA", "CHN", "RUS", "GBR", "FRA", "DEU", "JPN", "IND", "IRN", "ISR", "UKR", "TUR",
    "SAU", "PAK", "KOR", "PRK", "BRA", "MEX", "CAN", "AUS", "EGY", "NGA", "ZAF", "KEN",
    "ETH", "SYR", "IRQ", "AFG", "ITA", "ESP", "POL", "NLD", "SWE", "NOR", "IDN", "PHL",
    "VNM", "THA", "MYS", "SGP",
)
SECTORS = ("", "GOV", "MIL", "LEG", "CVL")
CODES = (
    "010", "011", "012", "013", "014", "015", "016", "017", "018", "019", "020", "021",
    "030", "031", "032", "036", "040", "041", "042", "043", "044", "045", "046", "050",
    "051", "057", "060", "061", "070", "071", "080", "081", "090", "100", "110", "111",
    "112", "120", "121", "125", "130", "138", "140", "141", "150", "160", "163", "170",
    "172", "173", "180", "181", "183", "190", "193", "195", "200", "201", "202",
)
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2024, 12, 31) - FIRST_DAY).days
CHUNK = 20_000


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as folder:
        path = Path(options.db or Path(folder) / "bench.db")
        if path.exists() and not options.reuse:
            print(f"{path} exists; remove it or pass --reuse", file=sys.stderr)
            return 2
        with Store.open(path) as store:
            loaded = 0.0
            if not options.reuse:
                loaded = _fill(store, options.events, seed=options.seed)
            counts = store.counts()
            print(f"store {path}: {counts['events']:,} events, {counts['articles']:,} articles,"
                  f" {path.stat().st_size / 1e6:,.0f} MB; bulk load {loaded:.1f} s")
            figures = {name: _time(query, options.repeat) for name, query in _queries(store)}
            _plan(store)
    for name, figure in figures.items():
        print(f"{name:<58} median {figure['median_ms']:7.2f} ms  best {figure['best_ms']:7.2f} ms"
              f"  ({figure['rows']} rows)")
    if options.json:
        result = {"events": options.events, "load_seconds": loaded, "queries": figures}
        Path(options.json).write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic events")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each query")
    parser.add_argument("--seed", type=int, default=20240829)
    parser.add_argument("--db", help="SQLite file to fill (default: a temporary file)")
    parser.add_argument("--reuse", action="store_true", help="query an already filled --db")
    parser.add_argument("--json", help="also write the figures as JSON to this file")
    return parser.parse_args(argv)


# --------------------------------------------------------------------------------------------
# Synthetic data


def _actor(rng: random.Random, weights: list[float]) -> tuple[str, str]:
    country = rng.choices(COUNTRIES, weights)[0]
    return country, rng.choice(SECTORS)


def _rows(count: int, seed: int) -> Iterator[tuple[dict[str, Any], dict[str, Any], Any]]:
    """(event row, report row, article row or None) for ``count`` synthetic events, with
    dates, times and booleans as SQLite stores them."""
    rng = random.Random(seed)
    weights = [8.0, 6.0, 5.0, *[1.0] * (len(COUNTRIES) - 3)]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    article: dict[str, Any] = {}
    for number in range(count):
        if number % 10 == 0:
            article = _article(number, FIRST_DAY + timedelta(days=rng.randrange(DAYS)), now)
            new_article: dict[str, Any] | None = article
        else:
            new_article = None
        (source, source_sector), (target, target_sector) = _pair(rng, weights)
        day = article["day"] - timedelta(days=rng.randrange(3))
        code = rng.choice(CODES)
        report = _report(number, article["id"], source + source_sector, target + target_sector,
                         code, day)
        yield _event(report, now), report, new_article


def _pair(rng: random.Random, weights: list[float]) -> tuple[tuple[str, str], tuple[str, str]]:
    source = _actor(rng, weights)
    target = _actor(rng, weights)
    while target[0] == source[0]:
        target = _actor(rng, weights)
    return source, target


def _article(number: int, published: date, now: str) -> dict[str, Any]:
    return {
        "day": published,
        "id": content_id("article", str(number)),
        "external_id": None,
        "title": f"Synthetic article {number}",
        "url": f"https://news.example/{number}",
        "source": f"paper{number % 50}",
        "published": published.isoformat(),
        "text": f"Synthetic article {number}.",
        "ingested_at": now,
    }


def _report(
    number: int, article_id: str, source: str, target: str, code: str, day: date
) -> dict[str, Any]:
    key = merge.merge_key(source_code=source, target_code=target, cameo_code=code,
                          date_precision="day", modality="asserted", negated=False)
    return {
        "id": content_id("report", str(number)),
        "article_id": article_id,
        "merge_key": key,
        "sentence_index": number % 7,
        "sentence": f"{source} acted on {target} ({code}), report {number}.",
        "span_start": 0,
        "span_end": 5,
        "trigger": "acted",
        "rule": "verbs.yml#synthetic",
        "date": day.isoformat(),
        "date_precision": "day",
        "date_basis": "text",
        "date_start": day.isoformat(),
        "date_end": day.isoformat(),
        "source_code": source,
        "source_name": f"{source} name",
        "source_country": source[:3],
        "source_sector": source[3:] or None,
        "source_title": None,
        "source_text": source,
        "source_resolved": 1,
        "target_code": target,
        "target_name": f"{target} name",
        "target_country": target[:3],
        "target_sector": target[3:] or None,
        "target_title": None,
        "target_text": target,
        "target_resolved": 1,
        "cameo_code": code,
        "cameo_root": code[:2],
        "cameo_name": f"CAMEO {code}",
        "goldstein": 1.0,
        "quad_class": 1,
        "plover_type": None,
        "plover_mode": None,
        "plover_context": None,
        "location_name": None,
        "location_country": None,
        "location_lat": None,
        "location_lon": None,
        "location_kind": None,
        "modality": "asserted",
        "negated": 0,
        "quote": None,
    }


def _event(report: dict[str, Any], now: str) -> dict[str, Any]:
    event = {column: report[column] for column in merge.EVENT_FIELDS_FROM_FIRST}
    event.update(
        id=merge.event_id(report),
        cameo_family=report["cameo_code"][:3],
        location_name=None,
        location_country=None,
        location_lat=None,
        location_lon=None,
        resolved=1,
        report_count=1,
        article_count=1,
        source_count=1,
        first_report=report["id"],
        first_seen=now,
    )
    report["event_id"] = event["id"]
    return event


def _fill(store: Store, count: int, *, seed: int) -> float:
    started = time.perf_counter()
    tables = (schema.articles, schema.events, schema.event_reports)
    batches: tuple[list[dict[str, Any]], ...] = ([], [], [])
    seen: set[str] = set()
    with store.engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB while loading
        for event, report, article in _rows(count, seed):
            if article is not None:
                batches[0].append(article)
            if event["id"] in seen:  # the same synthetic dyad, code and day twice: one event
                continue
            seen.add(event["id"])
            batches[1].append(event)
            batches[2].append(report)
            if len(batches[1]) >= CHUNK:
                _flush(connection, tables, batches)
        _flush(connection, tables, batches)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA cache_size = -2000")  # back to SQLite's default
    return time.perf_counter() - started


def _flush(
    connection: Any, tables: tuple[Table, ...], batches: tuple[list[dict[str, Any]], ...]
) -> None:
    for table, rows in zip(tables, batches, strict=True):
        if rows:
            statement = str(insert(table).compile(dialect=connection.dialect))
            names = [column.name for column in table.columns]
            connection.exec_driver_sql(statement, [tuple(row[n] for n in names) for row in rows])
            rows.clear()


# --------------------------------------------------------------------------------------------
# Queries


def _queries(store: Store) -> list[tuple[str, Callable[[], list[dict[str, Any]]]]]:
    since = date(2024, 1, 1)
    return [
        ('events(dyad=("USA", "CHN"), since=2024-01-01, limit=100)',
         lambda: store.events(dyad=("USA", "CHN"), since=since, limit=100)),
        ('events(dyad=("USAGOV", "CHNMIL"), since=2024-01-01, limit=100)',
         lambda: store.events(dyad=("USAGOV", "CHNMIL"), since=since, limit=100)),
        ('events(dyad=("USA", "CHN"), limit=100)',
         lambda: store.events(dyad=("USA", "CHN"), limit=100)),
        ('events(dyad=("SGP", "MYS"), since=2024-01-01, code="04", limit=100)',
         lambda: store.events(dyad=("SGP", "MYS"), since=since, code="04", limit=100)),
        ('events(since=2024-06-01, until=2024-06-30, limit=100)',
         lambda: store.events(since=date(2024, 6, 1), until=date(2024, 6, 30), limit=100)),
    ]


def _time(query: Callable[[], list[dict[str, Any]]], repeat: int) -> dict[str, float]:
    rows = len(query())  # untimed: warms the page cache
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        query()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(times), "best_ms": min(times), "rows": rows}


def _plan(store: Store) -> None:
    from communique.store.query import Filters, events_query

    filters = Filters(dyad=("USA", "CHN"), since=date(2024, 1, 1))
    with store.engine.connect() as connection:
        statement = events_query(connection, filters, "newest", limit=100)
        compiled = statement.compile(store.engine, compile_kwargs={"literal_binds": True})
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
    print("query plan of the first query:")
    for row in plan:
        print("   ", row[-1])


if __name__ == "__main__":
    sys.exit(main())
