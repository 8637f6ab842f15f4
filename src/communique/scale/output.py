"""The output folder of ``communique batch``: Parquet files named by partition, and markers.

```
DIR/_batch.json                                  the coder options the folder was made with
DIR/events/month=2018-06/part-<partition>.parquet one row per event, flat columns
DIR/events/month=unknown/part-<partition>.parquet events without a month
DIR/articles/part-<partition>.parquet             the coded articles (text included)
DIR/_done/<partition>.json                        written last: the partition is complete
```

Every file is written under a hidden temporary name in its own folder and then renamed over
the final name (``os.replace`` is atomic on one file system), so a reader never sees half a
file, and a partition coded twice (a retry, a re-run) writes the same names again. A write
that fails (a full disk) removes its temporary file. Readers such as ``pyarrow.dataset`` pass
over the hidden and ``_`` names.

A folder that cannot take writes at all (read-only, full, not permitted) is an
``OutputFolderError`` naming the folder: the client checks for one before it starts
(``prepare_output``), and a worker that meets one while writing raises it, so that the run
stops instead of coding partitions nobody can store.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from communique.errors import CommuniqueError
from communique.records import Article, Event
from communique.store.rows import event_from_report, report_row

Coded = list[tuple[Article, list[Event]]]


class OutputFolderError(CommuniqueError):
    """The output folder cannot be written: read-only, full, or not permitted."""


# Errors that concern the folder (its file system, its permissions), not one partition.
FOLDER_ERRORS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
NOT_WRITABLE = "cannot write to the output folder {folder}: {reason}"
PROBE_BYTES = 64 * 1024  # what a check writes: a disk that cannot take this is full

UNKNOWN_MONTH = "unknown"
MANIFEST = "_batch.json"
DONE = "_done"
OTHER_OPTIONS = (
    "{folder} holds output coded with other options ({theirs}); these are {ours}. "
    "Use a new --output folder, or the same options to resume."
)

# The store's report columns that only merging needs; a batch row leaves them out.
_STORE_ONLY = ("merge_key", "date_start", "date_end")
_INTEGERS = ("sentence_index", "span_start", "span_end", "quad_class")
_FLOATS = ("goldstein", "location_lat", "location_lon")
_BOOLEANS = ("negated", "source_resolved", "target_resolved")


def event_row(event: Event) -> dict[str, Any]:
    """The flat Parquet row of an event: the fields of its record, nested ones joined with
    ``_`` (``source_code``, ``cameo_name``, ``location_lat``…), ``span`` as two columns."""
    row = report_row(event)
    for key in _STORE_ONLY:
        del row[key]
    return {"event_id": row.pop("id"), **row}


def event_from_row(row: dict[str, Any]) -> Event:
    """The event an ``event_row`` was made from."""
    return event_from_report({**row, "id": row["event_id"]})


def _event_schema() -> pa.Schema:
    fields = []
    for name in event_row(_SAMPLE_EVENT):
        if name in _INTEGERS:
            kind = pa.int64()
        elif name in _FLOATS:
            kind = pa.float64()
        elif name in _BOOLEANS:
            kind = pa.bool_()
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("external_id", pa.string()),
        ("published", pa.date32()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("events", pa.int64()),
        ("text", pa.string()),
    ]
)


def month_of(event: Event) -> str:
    """The month folder of an event: ``YYYY-MM``, or ``unknown`` for no date or a year only."""
    if event.date and len(event.date) >= 7:
        return event.date[:7]
    return UNKNOWN_MONTH


def write_partition(folder: Path, name: str, coded: Coded) -> dict[str, int]:
    """Write a coded partition's events (one file per month) and articles; the count of
    events per month. The completion marker is ``mark_done``'s, written after this."""
    by_month: dict[str, list[dict[str, Any]]] = {}
    for _, events in coded:
        for event in events:
            by_month.setdefault(month_of(event), []).append(event_row(event))
    for month, rows in sorted(by_month.items()):
        table = pa.Table.from_pylist(rows, schema=EVENT_SCHEMA)
        write_atomically(table, folder / "events" / f"month={month}" / f"part-{name}.parquet")
    articles = pa.Table.from_pylist([_article_row(a, e) for a, e in coded], schema=ARTICLE_SCHEMA)
    write_atomically(articles, folder / "articles" / f"part-{name}.parquet")
    return {month: len(rows) for month, rows in sorted(by_month.items())}


def _article_row(article: Article, events: list[Event]) -> dict[str, Any]:
    return {
        "article_id": article.id,
        "external_id": article.external_id,
        "published": article.published,
        "title": article.title,
        "url": article.url,
        "source": article.source,
        "events": len(events),
        "text": article.text,
    }


def write_atomically(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, temporary)
        os.replace(temporary, path)
    except BaseException:
        _discard(temporary)  # half a file (a full disk): never left behind
        raise


def write_text_atomically(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        _discard(temporary)
        raise


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def folder_error(folder: Path, error: OSError) -> OutputFolderError | None:
    """The error to report when ``error`` (met writing into ``folder``) concerns the whole
    folder: a full or read-only disk, no permission. None for other errors."""
    reason = FOLDER_ERRORS.get(error.errno or 0)
    if reason is None:
        return None
    # The system's words, not pyarrow's ("Error writing bytes to file. Detail: …").
    detail = os.strerror(error.errno or 0) + (f": {error.filename}" if error.filename else "")
    return OutputFolderError(NOT_WRITABLE.format(folder=folder, reason=f"{reason} ({detail})"))


def prepare_output(folder: Path) -> None:
    """Create ``folder`` and check that it takes a write of some size, before any coding.

    Permission bits are honoured even for root, who could write anyway (as the store does for
    database files): a folder made read-only was made so on purpose."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        mode = folder.stat().st_mode
        if not mode & 0o222 or not os.access(folder, os.W_OK):
            reason = f"it is read-only (permissions {stat.filemode(mode)})"
            raise OutputFolderError(NOT_WRITABLE.format(folder=folder, reason=reason))
        probe = folder / f".communique-probe.{os.getpid()}.tmp"
        try:
            with probe.open("wb") as file:
                file.write(b"\0" * PROBE_BYTES)
                file.flush()
                os.fsync(file.fileno())
        finally:
            probe.unlink(missing_ok=True)
    except OSError as error:
        found = folder_error(folder, error)
        if found is not None:
            raise found from error
        reason = f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
        raise OutputFolderError(NOT_WRITABLE.format(folder=folder, reason=reason)) from error


def remove_leftovers(folder: Path) -> int:
    """Remove the temporary files of writes that never finished (a worker killed while it
    wrote); how many. Only when no task of the run is left, or one could be writing. Best
    effort: a folder that has turned read-only keeps them (readers pass over them)."""
    leftovers = [
        path
        for part in ("events", "articles", DONE)
        for path in (folder / part).rglob(".*.tmp")
        if path.is_file()
    ]
    removed = 0
    for path in leftovers:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue
        removed += 1
    return removed


def marker_path(folder: Path, name: str) -> Path:
    return folder / DONE / f"{name}.json"


def mark_done(folder: Path, name: str, summary: dict[str, Any]) -> None:
    write_text_atomically(json.dumps(summary, sort_keys=True), marker_path(folder, name))


def read_marker(folder: Path, name: str) -> dict[str, Any] | None:
    """A finished partition's summary, or None when it is not finished."""
    try:
        summary: dict[str, Any] = json.loads(marker_path(folder, name).read_text("utf-8"))
    except (OSError, ValueError):
        return None  # absent, or (never, as it is renamed into place) unreadable: recode
    return summary


def check_manifest(folder: Path, options: dict[str, Any]) -> None:
    """Record the coder options a folder is made with; refuse to mix in other options."""
    ours = json.dumps(options, sort_keys=True, default=str)
    path = folder / MANIFEST
    if path.exists():
        theirs = json.dumps(json.loads(path.read_text("utf-8")), sort_keys=True)
        if theirs != ours:
            raise CommuniqueError(OTHER_OPTIONS.format(folder=folder, theirs=theirs, ours=ours))
        return
    try:
        write_text_atomically(ours, path)
    except OSError as error:
        found = folder_error(folder, error)
        if found is None:
            raise
        raise found from error


def read_partition(folder: Path, name: str, months: Sequence[str]) -> Coded:
    """A finished partition's articles, each with its events in document order."""
    articles = pq.read_table(folder / "articles" / f"part-{name}.parquet").to_pylist()
    events: dict[str, list[Event]] = {row["article_id"]: [] for row in articles}
    for row in _event_rows(folder, name, months):
        events[row["article_id"]].append(event_from_row(row))
    for found in events.values():
        found.sort(key=lambda event: (event.sentence_index, event.span))
    return [(_article(row), events[row["article_id"]]) for row in articles]


def _event_rows(folder: Path, name: str, months: Sequence[str]) -> Iterator[dict[str, Any]]:
    for month in months:
        yield from pq.read_table(
            folder / "events" / f"month={month}" / f"part-{name}.parquet"
        ).to_pylist()


def _article(row: dict[str, Any]) -> Article:
    published: date | None = row["published"]
    return Article(
        text=row["text"],
        published=published,
        id=row["article_id"],
        title=row["title"],
        url=row["url"],
        source=row["source"],
        external_id=row["external_id"],
    )


def _sample() -> Event:
    from communique.records import Actor, Cameo, Location, Plover

    actor = Actor.of(text="", name="", country=None, sector=None)
    return Event(
        event_id="",
        article_id="",
        sentence_index=0,
        sentence="",
        span=(0, 0),
        trigger="",
        rule="",
        date=None,
        date_precision=None,
        source=actor,
        target=actor,
        cameo=Cameo(code="", root="", name="", goldstein=None, quad_class=None),
        plover=Plover(type="", mode=None),
        location=Location(name=""),
    )


_SAMPLE_EVENT = _sample()
EVENT_SCHEMA = _event_schema()
EVENT_COLUMNS = tuple(EVENT_SCHEMA.names)
