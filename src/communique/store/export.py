"""Exporting stored events: JSON Lines, CSV, Parquet and GDELT-1.0-like tab-separated text.

``export(store, fmt, target)`` writes every merged event (one row per happening, with the
counts of its reports, articles and sources and its first report's sentence), oldest first;
``level="reports"`` writes every report instead (one coded event per row, in the form of
``communique code``: ``Event.to_dict()`` for JSON Lines, the ``--format csv`` columns for CSV),
each with the id of the merged event it belongs to, ``merged_event_id``.

Merged events in JSON Lines, CSV and Parquet have the keys of ``Store.events`` (``EVENT_KEYS``).
In CSV, ``negated`` and ``resolved`` are ``True``/``False``; keep ``cameo_code`` as text:
``040`` is not ``40``. Parquet columns are typed (strings, float64, int, bool; ``first_seen`` a
UTC timestamp) and need a file path.

GDELT (``fmt="gdelt"``): one merged event per line, tab-separated, no header row (as GDELT 1.0
files; ``header=True`` adds one), these columns in this order:

=====================  ==============================================================
GLOBALEVENTID          the event id read as a number: its first 15 hex digits (a 60-bit
                       integer, so it fits a signed 64-bit column)
SQLDATE                the event date as YYYYMMDD; a month or year date gives its first
                       day (the format has no precision field: see ``date_precision`` in
                       the other formats)
Actor1Code             source actor code (``USAGOV``)
Actor1Name             source actor name
Actor1CountryCode      source country (ISO 3166 alpha-3, as CAMEO actor codes; empty for
                       an organisation)
Actor2Code, …Name,     the same for the target
…CountryCode
IsRootEvent            1 when one of its reports is in an article's first sentence, else 0
EventCode              CAMEO code (``0841``)
EventBaseCode          its three-digit family (``084``)
EventRootCode          its root (``08``)
QuadClass              1–4 (empty for a code outside CAMEO)
GoldsteinScale         −10 … 10 (empty for a code outside CAMEO)
NumMentions            number of reports (coded events) merged into the event
NumSources             number of distinct sources (an article without one counts once)
NumArticles            number of distinct articles
ActionGeo_FullName     place name (empty when none)
ActionGeo_CountryCode  the place's country, ISO alpha-3 (GDELT 1.0 used FIPS codes)
ActionGeo_Lat          latitude
ActionGeo_Long         longitude
DATEADDED              when the event was first stored, YYYYMMDD (UTC)
SOURCEURL              URL of the first report's article, else its id
=====================  ==============================================================

Tabs and line breaks inside names and URLs are written as spaces.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Literal

from communique.output import CSV_COLUMNS, csv_row
from communique.store.errors import StoreError, StoreErrors
from communique.store.query import Filters
from communique.store.rows import EVENT_KEYS
from communique.store.store import Store

FORMATS = ("jsonl", "csv", "parquet", "gdelt")
Level = Literal["events", "reports"]
Target = str | os.PathLike[str] | IO[str]

GDELT_COLUMNS = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "IsRootEvent",
    "EventCode",
    "EventBaseCode",
    "EventRootCode",
    "QuadClass",
    "GoldsteinScale",
    "NumMentions",
    "NumSources",
    "NumArticles",
    "ActionGeo_FullName",
    "ActionGeo_CountryCode",
    "ActionGeo_Lat",
    "ActionGeo_Long",
    "DATEADDED",
    "SOURCEURL",
)

REPORT_KEYS = (*CSV_COLUMNS, "resolved", "merged_event_id")
PARQUET_BATCH = 10_000


def export(
    store: Store,
    fmt: str,
    target: Target,
    *,
    filters: Filters | None = None,
    level: Level = "events",
    header: bool = False,
) -> int:
    """Write the stored events (or, ``level="reports"``, reports) matching ``filters`` to
    ``target`` (a path, or a text stream for all but parquet); the number of rows written.
    ``header`` adds a header row to the GDELT export."""
    _check_format(fmt, target)
    filters = filters or Filters()
    if fmt == "gdelt":
        if level != "events":
            raise ValueError("the gdelt export has one row per merged event: level='events'")
        rows: Iterable[dict[str, Any]] = _gdelt_rows(store, filters)
        with _text(target) as stream:
            return _write_gdelt(rows, stream, header=header)
    if level == "reports":
        rows = _report_rows(store, filters, nested=fmt == "jsonl")
        keys: tuple[str, ...] = REPORT_KEYS
    else:
        rows = store.iter_events(filters)
        keys = EVENT_KEYS
    return _write(rows, fmt, target, keys)


def write_rows(rows: Iterable[dict[str, Any]], fmt: str, target: Target | None = None) -> int:
    """Write rows from ``Store.events`` as jsonl, csv or parquet to ``target`` (a path, a
    text stream, or None for standard output); the number of rows written."""
    if fmt not in ("jsonl", "csv", "parquet"):
        choices = "jsonl, csv, parquet"
        raise StoreError(StoreErrors.E056.format(fmt=fmt, choices=choices))
    if target is None:
        target = sys.stdout
    _check_format(fmt, target)
    return _write(rows, fmt, target, EVENT_KEYS)


def _check_format(fmt: str, target: Target) -> None:
    if fmt not in FORMATS:
        raise StoreError(StoreErrors.E056.format(fmt=fmt, choices=", ".join(FORMATS)))
    if fmt == "parquet" and not isinstance(target, str | os.PathLike):
        raise StoreError(StoreErrors.E057.format(fmt=fmt))


def _write(rows: Iterable[dict[str, Any]], fmt: str, target: Target, keys: tuple[str, ...]) -> int:
    if fmt == "parquet":
        assert isinstance(target, str | os.PathLike)
        return _write_parquet(rows, Path(target), keys)
    with _text(target) as stream:
        if fmt == "jsonl":
            return _write_jsonl(rows, stream)
        return _write_csv(rows, stream, keys)


@contextmanager
def _text(target: Target) -> Iterator[IO[str]]:
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as stream:
            yield stream
    else:
        yield target


def _write_jsonl(rows: Iterable[dict[str, Any]], stream: IO[str]) -> int:
    count = 0
    for row in rows:
        stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


def _write_csv(rows: Iterable[dict[str, Any]], stream: IO[str], keys: tuple[str, ...]) -> int:
    writer = csv.DictWriter(stream, fieldnames=keys, extrasaction="ignore")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def _report_rows(store: Store, filters: Filters, *, nested: bool) -> Iterator[dict[str, Any]]:
    for merged_id, coded in store.iter_reports(filters):
        row = coded.to_dict() if nested else {**csv_row(coded), "resolved": coded.resolved}
        row["merged_event_id"] = merged_id
        yield row


# --------------------------------------------------------------------------------------------
# Parquet


def _parquet_schema(keys: tuple[str, ...]) -> Any:
    import pyarrow as pa

    types = {
        "goldstein": pa.float64(),
        "location_lat": pa.float64(),
        "location_lon": pa.float64(),
        "quad_class": pa.int8(),
        "reports": pa.int32(),
        "articles": pa.int32(),
        "sources": pa.int32(),
        "sentence_index": pa.int32(),
        "negated": pa.bool_(),
        "resolved": pa.bool_(),
        "first_seen": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([(key, types.get(key, pa.string())) for key in keys])


def _write_parquet(rows: Iterable[dict[str, Any]], path: Path, keys: tuple[str, ...]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _parquet_schema(keys)
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(_parquet_row(row, keys))
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count, batch = count + len(batch), []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _parquet_row(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    record = {key: row.get(key) for key in keys}
    seen = record.get("first_seen")
    if isinstance(seen, str):
        record["first_seen"] = datetime.fromisoformat(seen)
    for key in ("plover_type", "plover_mode", "location"):
        if record.get(key) == "":
            record[key] = None
    if "negated" in record and isinstance(record["negated"], str):
        record["negated"] = record["negated"] == "True"
    return record


# --------------------------------------------------------------------------------------------
# GDELT


def _gdelt_rows(store: Store, filters: Filters) -> Iterator[dict[str, Any]]:
    return store.iter_events(filters, lead=True)


def _write_gdelt(rows: Iterable[dict[str, Any]], stream: IO[str], *, header: bool) -> int:
    if header:
        stream.write("\t".join(GDELT_COLUMNS) + "\n")
    count = 0
    for row in rows:
        stream.write("\t".join(_cell(value) for value in gdelt_record(row)) + "\n")
        count += 1
    return count


def gdelt_record(event: dict[str, Any]) -> list[Any]:
    """The GDELT 1.0 columns (``GDELT_COLUMNS``) of one merged event from ``Store.events``
    (with ``lead``: whether a report is an article's first sentence)."""
    day = (event["date"] or "").replace("-", "")
    day += {4: "0101", 6: "01"}.get(len(day), "")  # a year or month: its first day
    return [
        int(event["event_id"][:15], 16),
        day,
        event["source_code"],
        event["source_name"],
        event["source_country"],
        event["target_code"],
        event["target_name"],
        event["target_country"],
        1 if event.get("lead") else 0,
        event["cameo_code"],
        event["cameo_code"][:3],
        event["cameo_root"],
        event["quad_class"],
        event["goldstein"],
        event["reports"],
        event["sources"],
        event["articles"],
        event["location"],
        event["location_country"],
        event["location_lat"],
        event["location_lon"],
        datetime.fromisoformat(event["first_seen"]).strftime("%Y%m%d"),
        event["url"] or event["article_id"],
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return " ".join(str(value).replace("\t", " ").splitlines())
