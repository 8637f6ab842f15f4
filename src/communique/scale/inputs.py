"""What ``communique batch`` reads, cut into partitions that a Dask worker codes in one go.

Every item keeps where it came from (file and item number), so a partition that fails is
reported as a range of the input, and every bad item as ``file:line``. A partition is named
by its content (the articles' ids and dates), so the same input cut the same way gives the
same names on every run: that is what makes retries and re-runs overwrite instead of
duplicating, and what lets a re-run skip finished partitions.

Parquet files (``.parquet``, ``.pq``) are read here, row group by row group, with the columns
of a JSON Lines record: ``text``, ``date``, ``id``, ``title``, ``url``, ``source``. Every other
format goes through ``communique.ingest.readers.read_sources``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from communique.errors import InputError
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import (
    NO_FILES,
    NO_TEXT_COLUMN,
    STDIN,
    count_documents,
    folder_files,
    read_sources,
    record_article,
)
from communique.records import Article

PARQUET_SUFFIXES = (".parquet", ".pq")
RECORD_COLUMNS = ("text", "date", "id", "title", "url", "source")
BAD_PARQUET = "{where}: not a readable Parquet file ({detail})"
# Rows converted to Python at a time: bounds memory whatever the row groups' size.
PARQUET_BATCH_ROWS = 1024


@dataclass(frozen=True)
class Position:
    """Where an item came from: its file and its number there (1 for the first)."""

    file: str
    item: int

    def __str__(self) -> str:
        return f"{self.file}:{self.item}"


@dataclass(frozen=True)
class Partition:
    """Articles coded together by one worker, named by their content."""

    name: str
    articles: tuple[Article, ...]
    positions: tuple[Position, ...]

    def describe(self) -> str:
        first, last = self.positions[0], self.positions[-1]
        if first.file == last.file:
            span = f"{first.file} items {first.item}–{last.item}"
        else:
            span = f"{first} – {last}"
        return f"partition {self.name} ({span}, {len(self.articles)} articles)"


@dataclass
class ReadTally:
    """What reading saw: items read, bad items skipped, articles given twice."""

    read: int = 0
    bad: list[str] = field(default_factory=list)
    repeated: int = 0


def is_parquet(path: Path) -> bool:
    return path.name.lower().endswith(PARQUET_SUFFIXES)


def input_files(source: str, glob: str | None = None) -> list[Path] | None:
    """The files a source names (a folder's supported files, Parquet included, sorted), or
    None for standard input."""
    if source == STDIN:
        return None
    path = Path(source)
    if not path.is_dir():
        return [path]
    pattern = glob.lower() if glob else None
    parquet = [
        file
        for file in path.rglob("*")
        if file.is_file()
        and is_parquet(file)
        and not any(part.startswith(".") for part in file.relative_to(path).parts)
        and (pattern is None or fnmatchcase(file.name.lower(), pattern))
    ]
    return sorted([*folder_files(path, glob), *parquet])


def read_inputs(
    sources: Sequence[str], options: ReadOptions, *, glob: str | None = None
) -> Iterator[tuple[Article | InputError, Position]]:
    """Each item of ``sources`` (files, folders, ``-``) with its position; bad items are
    ``InputError`` values in the stream, never raised."""
    for source in sources:
        files = input_files(source, glob)
        if files is None:
            yield from _numbered(read_sources([STDIN], options), STDIN)
            continue
        if not files:
            matching = f" matching {glob!r}" if glob else ""
            error = InputError(NO_FILES.format(where=source, matching=matching), where=source)
            yield error, Position(source, 0)
        for file in files:
            items = (
                read_parquet(file, options) if is_parquet(file) else read_sources([file], options)
            )
            yield from _numbered(items, str(file))


def _numbered(
    items: Iterable[Article | InputError], name: str
) -> Iterator[tuple[Article | InputError, Position]]:
    for number, item in enumerate(items, start=1):
        yield item, Position(name, number)


def count_inputs(sources: Sequence[str], glob: str | None = None) -> int | None:
    """How many items ``read_inputs`` will give, when that is cheap to know, else None."""
    total = 0
    for source in sources:
        files = input_files(source, glob)
        if files is None:
            return None
        for file in files:
            count = _parquet_rows(file) if is_parquet(file) else count_documents([file])
            if count is None:
                return None
            total += count
    return total


def _parquet_rows(path: Path) -> int:
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, pa.ArrowException):
        return 1  # reading it gives one error


def read_parquet(path: Path, options: ReadOptions) -> Iterator[Article | InputError]:
    """An article for each row of a Parquet file; a bad row is an InputError named
    ``file:row``, an unreadable file one InputError naming the file."""
    where = str(path)
    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
        if "text" not in names:
            header = ", ".join(names) or "no columns"
            yield InputError(
                NO_TEXT_COLUMN.format(where=where, column="text", header=header), where=where
            )
            return
        columns = [name for name in RECORD_COLUMNS if name in names]
        row = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns):
            for record in batch.to_pylist():
                row += 1
                yield _row_article(record, f"{where}:{row}", options)
    except (OSError, pa.ArrowException) as error:
        yield InputError(BAD_PARQUET.format(where=where, detail=error), where=where)


def _row_article(record: dict[str, Any], where: str, options: ReadOptions) -> Article | InputError:
    # Parquet dates are typed; the JSON Lines reader expects the text it would have read.
    value = record.get("date")
    if isinstance(value, datetime | date):
        record["date"] = value.isoformat()[:10]
    try:
        return record_article(record, where=where, options=options)
    except InputError as error:
        return error


def partitions(
    items: Iterable[tuple[Article | InputError, Position]],
    size: int,
    *,
    tally: ReadTally,
    on_skip: Callable[[InputError], None],
) -> Iterator[Partition]:
    """Partitions of ``size`` articles, in input order; bad items go to ``on_skip`` and an
    article given again (same text) is counted in ``tally.repeated`` and coded once."""
    seen: set[str] = set()
    articles: list[Article] = []
    positions: list[Position] = []
    for item, position in items:
        tally.read += 1
        if isinstance(item, InputError):
            tally.bad.append(str(item))
            on_skip(item)
            continue
        if item.id in seen:
            tally.repeated += 1
            continue
        seen.add(item.id)
        articles.append(item)
        positions.append(position)
        if len(articles) >= size:
            yield make_partition(articles, positions)
            articles, positions = [], []
    if articles:
        yield make_partition(articles, positions)


def make_partition(articles: Sequence[Article], positions: Sequence[Position]) -> Partition:
    return Partition(partition_name(articles), tuple(articles), tuple(positions))


def partition_name(articles: Iterable[Article]) -> str:
    """A hash of what decides the coding: each article's text (its id) and date."""
    digest = hashlib.sha256()
    for article in articles:
        published = article.published.isoformat() if article.published else ""
        digest.update(f"{article.id}\x1f{published}\x1e".encode())
    return digest.hexdigest()[:20]
