"""Reading documents from files, folders and standard input, in every format communique takes.

``read_sources`` turns what the user names (files, folders, ``-`` for standard input) into a
stream of ``Article`` objects, with an ``InputError`` in place of each item it had to skip, so
that one bad input never stops a batch and every skip can be counted and reported.

Formats, chosen by the file name's suffix (``.gz`` of any of them is read through):

* ``.txt`` — one article; an optional header block (``Date: 2024-08-29`` …) gives metadata;
* ``.html``, ``.htm`` — one article, its text and metadata extracted by trafilatura;
* ``.jsonl``, ``.ndjson`` — one JSON record a line (standard input is read as this format);
* ``.json`` — a JSON array of records, or one record object;
* ``.csv`` — a header row, then one record a row (``CsvColumns`` names the columns);
* ``.xml``, ``.rss``, ``.atom`` — an RSS or Atom feed, one article an entry.

Records are ``{"text", "date"[, "id", "title", "url", "source"]}`` as in ``documents.py``.

Ids: readers leave ``Article.id`` to be the hash of the text, so the same text read from two
formats is the same article; a record's own id (a feed entry's guid, a ``.txt`` header's
``Id:``) is kept in ``Article.external_id``.

Dates: the document's own date wins (a record's ``date``, a header's ``Date:``, a feed entry's
published or updated date, a page's metadata or, failing that, a date found in the page);
else ``ReadOptions.published`` (the ``--date`` default); else the article comes with
``published=None`` and the caller decides. A date that is given but cannot be read makes the
document an ``InputError``.

Sizes: ``ReadOptions.max_bytes`` limits a whole file for the formats read whole (text, HTML,
JSON, feeds; after decompression for ``.gz``), and each line or row of JSON Lines and CSV,
which are streamed, as in ``documents.py``.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import sys
import warnings
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from html.parser import HTMLParser
from io import BytesIO
from os import PathLike
from pathlib import Path
from typing import Any

import feedparser

from communique.errors import Errors, InputError
from communique.ingest.dates import parse_date
from communique.ingest.documents import (
    BINARY_SNIFF_BYTES,
    ReadOptions,
    article_from_record,
    check_size,
    check_text,
    decode,
    read_file_bytes,
    size_text,
    split_header,
)
from communique.ingest.pages import extract_page
from communique.records import Article

STDIN = "-"
STDIN_NAME = "<stdin>"

# Messages of this module (the shared catalogue is errors.Errors; these complete it).
UNSUPPORTED = "{where}: not a supported format; communique reads {formats}"
NO_FILES = "{where}: no files to read in the folder{matching}"
CORRUPT_GZIP = "{where}: not a readable gzip file ({detail})"
TOO_LARGE_UNPACKED = "{where}: more than {limit} once decompressed; split it or raise --max-bytes"
NO_ARTICLE = "{where}: no article text found in the page"
HTML_FAILED = "{where}: cannot extract the page's text ({detail})"
NO_TEXT_COLUMN = "{where}: no {column!r} column for the text; the header has {header}"
ROW_CELLS = "{where}: {count} cells, but the header has {expected}"
BAD_CSV = "{where}: cannot read the CSV row ({detail})"
FEED_UNREADABLE = "{where}: cannot read the feed ({detail})"

FORMATS = (
    ".txt, .html/.htm, .json, .jsonl/.ndjson, .csv, RSS/Atom feeds (.xml/.rss/.atom), "
    "and .gz of these"
)


@dataclass(frozen=True)
class CsvColumns:
    """Which CSV column holds each field (only the text column must be there)."""

    text: str = "text"
    date: str = "date"
    title: str = "title"
    url: str = "url"
    id: str = "id"
    source: str = "source"


Item = Article | InputError
_Streamed = Callable[[Iterable[bytes], str, ReadOptions, CsvColumns], Iterator[Item]]
_Whole = Callable[[bytes, str, ReadOptions], Iterator[Item]]


def read_sources(
    sources: Sequence[str | PathLike[str]],
    options: ReadOptions,
    *,
    glob: str | None = None,
    csv_columns: CsvColumns | None = None,
) -> Iterator[Article | InputError]:
    """An ``Article`` for each document in ``sources``, an ``InputError`` for each bad item.

    A source is a file, a folder (read recursively, files in sorted order, only those whose
    name matches ``glob`` when given, e.g. ``"*.html"``; files of other formats are passed
    over) or ``-`` for JSON Lines on standard input. Nothing is raised for bad input.
    """
    columns = csv_columns or CsvColumns()
    for source in sources:
        if str(source) == STDIN:
            yield from _read_stdin(options)
            continue
        path = Path(source)
        if path.is_dir():
            yield from _read_folder(path, options, columns, glob)
        elif not path.exists():
            where = str(path)
            yield InputError(Errors.E010.format(where=where, detail="no such file"), where=where)
        else:
            yield from _read_file(path, options, columns, explicit=True)


def count_documents(sources: Sequence[str | PathLike[str]], glob: str | None = None) -> int | None:
    """How many documents ``read_sources`` will read, when that is cheap to know, else None.

    One for each text or HTML file, one for each non-blank line of JSON Lines, one for each
    CSV row; None for standard input, JSON files and feeds. Files that cannot be read count
    nothing (reading them gives an error, not a document).
    """
    total = 0
    for source in sources:
        if str(source) == STDIN:
            return None
        path = Path(source)
        files = folder_files(path, glob) if path.is_dir() else [path]
        for file in files:
            count = _count_file(file)
            if count is None:
                return None
            total += count
    return total


def folder_files(folder: Path, glob: str | None = None) -> list[Path]:
    """The files of a supported format under ``folder`` (recursively, hidden ones excepted),
    matching ``glob`` (case-insensitively) when given, in sorted order."""
    pattern = glob.lower() if glob else None
    files = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if any(part.startswith(".") for part in relative) or _format(path.name) is None:
            continue
        if pattern is not None and not fnmatchcase(path.name.lower(), pattern):
            continue
        if path.is_file():
            files.append(path)
    return sorted(files)


# --- sources ------------------------------------------------------------------------------


def _read_stdin(options: ReadOptions) -> Iterator[Item]:
    stream: Iterable[bytes] | None = getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream with no bytes beneath it (embedding, tests)
        stream = (line.encode("utf-8") for line in sys.stdin)
    yield from _jsonl(stream, STDIN_NAME, options)


def _read_folder(
    folder: Path, options: ReadOptions, columns: CsvColumns, glob: str | None
) -> Iterator[Item]:
    files = folder_files(folder, glob)
    if not files:
        where = str(folder)
        matching = f" matching {glob!r}" if glob else ""
        yield InputError(NO_FILES.format(where=where, matching=matching), where=where)
    for path in files:
        yield from _read_file(path, options, columns, explicit=False)


def _read_file(
    path: Path, options: ReadOptions, columns: CsvColumns, *, explicit: bool
) -> Iterator[Item]:
    where = str(path)
    kind = _format(path.name)
    if kind is None:
        if explicit:
            yield InputError(UNSUPPORTED.format(where=where, formats=FORMATS), where=where)
        return
    packed = path.name.lower().endswith(".gz")
    try:
        if kind in _STREAMED:
            with gzip.open(path, "rb") if packed else path.open("rb") as stream:
                _refuse_binary(_peek(stream), where=where)
                yield from _STREAMED[kind](stream, where, options, columns)
        else:
            data = _whole_file(path, packed=packed, options=options)
            yield from _WHOLE[kind](data, where, options)
    except InputError as error:
        yield error
    except (OSError, EOFError, zlib.error) as error:
        if packed and not isinstance(error, FileNotFoundError | PermissionError):
            yield InputError(CORRUPT_GZIP.format(where=where, detail=error), where=where)
        else:
            detail = getattr(error, "strerror", None) or str(error)
            yield InputError(Errors.E010.format(where=where, detail=detail), where=where)


def _format(name: str) -> str | None:
    """The format suffix that decides how a file is read (the inner one for ``.gz``)."""
    lowered = name.lower()
    if lowered.endswith(".gz"):
        lowered = lowered[:-3]
    suffix = Path(lowered).suffix
    if suffix in _ALIASES:
        suffix = _ALIASES[suffix]
    return suffix if suffix in _STREAMED or suffix in _WHOLE else None


def _whole_file(path: Path, *, packed: bool, options: ReadOptions) -> bytes:
    where = str(path)
    if not packed:
        return read_file_bytes(path, options)
    with gzip.open(path, "rb") as stream:
        data = stream.read(options.max_bytes + 1)
    if len(data) > options.max_bytes:
        limit = size_text(options.max_bytes)
        raise InputError(TOO_LARGE_UNPACKED.format(where=where, limit=limit), where=where)
    return data


def _count_file(path: Path) -> int | None:
    kind = _format(path.name)
    if kind is None or not path.is_file():
        return 0
    if kind in (".txt", ".html"):
        return 1
    if kind not in _STREAMED:
        return None
    packed = path.name.lower().endswith(".gz")
    try:
        with gzip.open(path, "rb") if packed else path.open("rb") as stream:
            if kind == ".jsonl":
                return sum(1 for line in stream if line.strip())
            lines = (line.decode("utf-8", errors="replace") for line in stream)
            return max(sum(1 for row in csv.reader(lines) if any(row)) - 1, 0)
    except (OSError, EOFError, zlib.error, csv.Error):
        return 0


# --- plain text ---------------------------------------------------------------------------


def _text_file(data: bytes, where: str, options: ReadOptions) -> Iterator[Item]:
    """A plain-text article, as ``documents.read_text_file`` reads it, but from bytes (so
    from a ``.gz`` too), keeping a header ``Id:`` as the external id and no date as None."""
    text = decode(data, where=where)
    if not text.strip():
        raise InputError(Errors.E001.format(where=where), where=where)
    fields, body = split_header(text)
    body = _tidy(body)
    check_text(body, where=where, options=options)
    published = options.published
    if "date" in fields:
        published = parse_date(fields["date"], where=where)
    yield Article(
        text=body,
        published=published,
        title=fields.get("title") or None,
        url=fields.get("url") or None,
        source=fields.get("source") or None,
        external_id=fields.get("id") or None,
    )


def _tidy(text: str) -> str:
    """Unix line ends, no blank lines before the text and no white space after it, so that
    the same text from a file and from a record hashes to the same id."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"\A(?:[ \t]*\n)+", "", text).rstrip()


# --- HTML ---------------------------------------------------------------------------------


def _html_file(data: bytes, where: str, options: ReadOptions) -> Iterator[Item]:
    """The article of a web page: trafilatura's main text and metadata (title, date, URL,
    site name); the date from the page's metadata, else one found in the page itself."""
    if not data.strip():
        raise InputError(Errors.E001.format(where=where), where=where)
    _refuse_binary(data, where=where)
    try:
        page = extract_page(data)
    except Exception as error:  # a page that breaks the extractor is one bad item
        detail = f"{type(error).__name__}: {error}"
        raise InputError(HTML_FAILED.format(where=where, detail=detail), where=where) from error
    text = _tidy(page.text) if page is not None else ""
    if page is None or not text:
        raise InputError(NO_ARTICLE.format(where=where), where=where)
    check_text(text, where=where, options=options)
    published = parse_date(page.date, where=where) if page.date else options.published
    yield Article(
        text=text,
        published=published,
        title=page.title,
        url=page.url,
        source=page.site,
    )


# --- records: JSON Lines, JSON, CSV -------------------------------------------------------


def record_article(record: Any, *, where: str, options: ReadOptions) -> Article:
    """``documents.article_from_record``, with the record's id kept as ``external_id`` (the
    article's id is the content hash) and a record without a date, when ``options`` has no
    default either, giving ``published=None`` rather than an error."""
    undated = (
        options.published is None
        and isinstance(record, Mapping)
        and not (record.get("date") or record.get("published"))
    )
    dated = replace(options, published=date.min) if undated else options
    article = article_from_record(record, where=where, options=dated)
    own_id = record.get("id")
    return replace(
        article,
        id="",
        published=None if undated else article.published,
        external_id=None if own_id in (None, "") else str(own_id),
    )


def _jsonl(lines: Iterable[bytes], name: str, options: ReadOptions) -> Iterator[Item]:
    """One record a line; a bad line is an error named ``file:line`` and the rest go on."""
    seen = False
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        seen = True
        where = f"{name}:{number}"
        try:
            check_size(len(raw), options, where=where)
            record = _json(decode(raw, where=where), where=where)
            yield record_article(record, where=where, options=options)
        except InputError as error:
            yield error
    if not seen:
        yield InputError(Errors.E012.format(where=name), where=name)


def _jsonl_file(
    stream: Iterable[bytes], where: str, options: ReadOptions, columns: CsvColumns
) -> Iterator[Item]:
    yield from _jsonl(stream, where, options)


def _json_file(data: bytes, where: str, options: ReadOptions) -> Iterator[Item]:
    """A JSON array of records (each a document), or one record object."""
    text = decode(data, where=where)
    if not text.strip():
        raise InputError(Errors.E001.format(where=where), where=where)
    value = _json(text, where=where)
    if isinstance(value, Mapping):
        yield record_article(value, where=where, options=options)
        return
    if not isinstance(value, list):
        got = type(value).__name__
        raise InputError(Errors.E007.format(where=where, got=got), where=where)
    if not value:
        raise InputError(Errors.E012.format(where=where), where=where)
    for number, record in enumerate(value, start=1):
        record_where = f"{where}, record {number}"
        try:
            yield record_article(record, where=record_where, options=options)
        except InputError as error:
            yield error


def _json(text: str, *, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        message = Errors.E006.format(where=where, detail=f"{error.msg}, line {error.lineno}")
        raise InputError(message, where=where) from error


class _Lines:
    """Lines of a byte stream as text for ``csv.reader``, remembering how many were read,
    how many bytes, and which were not UTF-8 (decoded with replacement, reported by row)."""

    def __init__(self, stream: Iterable[bytes]) -> None:
        self.stream = stream
        self.number = 0
        self.bytes = 0
        self.bad: list[tuple[int, int]] = []

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.number += 1
            self.bytes += len(raw)
            if self.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as error:
                self.bad.append((self.number, error.start))
                yield raw.decode("utf-8", errors="replace")


def _csv_file(
    stream: Iterable[bytes], where: str, options: ReadOptions, columns: CsvColumns
) -> Iterator[Item]:
    """A header row, then a record a row; a bad row is an error named ``file:line``."""
    # Articles are longer than the csv module's default field limit; allow a whole record.
    csv.field_size_limit(max(csv.field_size_limit(), options.max_bytes))
    lines = _Lines(stream)
    rows = csv.reader(lines)
    try:
        header = next(rows)
    except StopIteration:
        raise InputError(Errors.E001.format(where=where), where=where) from None
    except csv.Error as error:
        raise InputError(BAD_CSV.format(where=f"{where}:1", detail=error), where=where) from None
    if lines.bad:
        line, offset = lines.bad[0]
        raise InputError(Errors.E003.format(where=f"{where}:{line}", offset=offset), where=where)
    fields = {name: _column(header, getattr(columns, name)) for name in _CSV_FIELDS}
    if fields["text"] is None:
        shown = ", ".join(repr(cell) for cell in header) or "no columns"
        message = NO_TEXT_COLUMN.format(where=where, column=columns.text, header=shown)
        raise InputError(message, where=where)
    seen = False
    while True:
        start, size_before, bad_before = lines.number + 1, lines.bytes, len(lines.bad)
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as error:
            row_where = f"{where}:{start}"
            yield InputError(BAD_CSV.format(where=row_where, detail=error), where=row_where)
            continue
        if not any(cell.strip() for cell in row):
            continue
        seen = True
        row_where = f"{where}:{start}"
        try:
            yield _csv_row(
                row, header, fields, where=row_where, options=options,
                size=lines.bytes - size_before, bad=lines.bad[bad_before:],
            )  # fmt: skip
        except InputError as error:
            yield error
    if not seen:
        yield InputError(Errors.E012.format(where=where), where=where)


_CSV_FIELDS = ("text", "date", "title", "url", "id", "source")


def _csv_row(
    row: list[str],
    header: list[str],
    fields: Mapping[str, int | None],
    *,
    where: str,
    options: ReadOptions,
    size: int,
    bad: list[tuple[int, int]],
) -> Article:
    check_size(size, options, where=where)
    if bad:
        line, offset = bad[0]
        line_where = where.rpartition(":")[0] + f":{line}"
        raise InputError(Errors.E003.format(where=line_where, offset=offset), where=where)
    if len(row) > len(header):
        message = ROW_CELLS.format(where=where, count=len(row), expected=len(header))
        raise InputError(message, where=where)
    record: dict[str, str | None] = {}
    for name, index in fields.items():
        cell = row[index] if index is not None and index < len(row) else ""
        record[name] = cell if name == "text" else (cell.strip() or None)
    return record_article(record, where=where, options=options)


def _column(header: list[str], name: str) -> int | None:
    """The index of column ``name``: an exact match, else one ignoring case and spaces."""
    if name in header:
        return header.index(name)
    folded = [cell.strip().lower() for cell in header]
    key = name.strip().lower()
    return folded.index(key) if key in folded else None


# --- feeds --------------------------------------------------------------------------------


def _feed_file(data: bytes, where: str, options: ReadOptions) -> Iterator[Item]:
    """An RSS or Atom feed: an article for each entry (title and text, HTML stripped)."""
    if not data.strip():
        raise InputError(Errors.E001.format(where=where), where=where)
    _refuse_binary(data, where=where)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        feed = feedparser.parse(BytesIO(data))
    entries = feed.get("entries") or []
    if not entries:
        if feed.get("bozo"):
            detail = feed.get("bozo_exception") or "not RSS or Atom"
            raise InputError(FEED_UNREADABLE.format(where=where, detail=detail), where=where)
        raise InputError(Errors.E012.format(where=where), where=where)
    source = _clean(_detail_text(feed.get("feed", {}), "title"))
    for number, entry in enumerate(entries, start=1):
        entry_where = f"{where}, entry {number}"
        try:
            yield _entry_article(entry, source=source, where=entry_where, options=options)
        except InputError as error:
            yield error


def _entry_article(
    entry: Mapping[str, Any], *, source: str | None, where: str, options: ReadOptions
) -> Article:
    title = _detail_text(entry, "title")
    body = _detail_text(entry, "summary")
    for content in entry.get("content") or []:
        value = _html_text(content.get("value") or "", content.get("type"))
        if len(value) > len(body):
            body = value
    # The title heads the text, unless the text starts with it already.
    text = f"{title}\n\n{body}" if title and body and not body.startswith(title) else body or title
    check_text(text, where=where, options=options)
    published = _entry_date(entry, where=where)
    own_id = entry.get("id")
    return Article(
        text=text,
        published=published or options.published,
        title=title or None,
        url=_clean(entry.get("link")),
        source=source,
        external_id=_clean(own_id),
    )


def _entry_date(entry: Mapping[str, Any], *, where: str) -> date | None:
    """The entry's published date, else its updated date, as written (feedparser's parsed
    form is moved to UTC, which can change the day); feedparser's reading for forms
    ``parse_date`` does not know; a date that neither can read is an error."""
    for key in ("published", "updated"):
        raw = entry.get(key)
        if not raw:
            continue
        try:
            return parse_date(raw, where=where)
        except InputError:
            parsed = entry.get(f"{key}_parsed")
            if parsed is None:
                raise
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
    return None


def _detail_text(item: Mapping[str, Any], key: str) -> str:
    detail = item.get(f"{key}_detail") or {}
    return _html_text(item.get(key) or "", detail.get("type"))


def _html_text(value: str, kind: str | None) -> str:
    """Text of a feed's text construct: HTML stripped unless it is declared plain text."""
    if kind == "text/plain":
        return "\n".join(" ".join(line.split()) for line in value.splitlines() if line.strip())
    return strip_html(value)


_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN = frozenset({"script", "style", "noscript", "template"})


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def strip_html(markup: str) -> str:
    """The text of an HTML fragment: a line for each block, spaces collapsed."""
    parser = _TextOfHtml()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# --- helpers ------------------------------------------------------------------------------


def _peek(stream: object) -> bytes:
    peek = getattr(stream, "peek", None)
    return bytes(peek(BINARY_SNIFF_BYTES)[:BINARY_SNIFF_BYTES]) if peek else b""


def _refuse_binary(data: bytes, *, where: str) -> None:
    """The binary sniff of ``documents.decode``, for bytes that are not decoded here."""
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul >= 0:
        raise InputError(Errors.E002.format(where=where, offset=nul), where=where)


def _clean(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


_STREAMED: dict[str, _Streamed] = {".jsonl": _jsonl_file, ".csv": _csv_file}
_WHOLE: dict[str, _Whole] = {
    ".txt": _text_file,
    ".html": _html_file,
    ".json": _json_file,
    ".xml": _feed_file,
}
_ALIASES = {".ndjson": ".jsonl", ".htm": ".html", ".rss": ".xml", ".atom": ".xml"}
