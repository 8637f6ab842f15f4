"""Reading documents to code: plain-text files and JSON Lines of documents.

Each reader yields ``Article`` objects, or ``InputError`` objects for the items it had to
skip, so that one bad input never stops a batch and every skip can be counted and reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any

from communique.config import Settings
from communique.errors import Errors, InputError
from communique.ingest.dates import parse_date
from communique.records import Article

DEFAULT_MAX_BYTES = Settings().max_bytes
HEADER_FIELDS = {"title", "date", "url", "source", "id"}
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class ReadOptions:
    """How to read: a fallback publication date and size limits (bytes of input, characters
    of text — the language model's own limit, when known)."""

    published: date | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    max_chars: int | None = None


def read_text_file(path: Path, options: ReadOptions) -> Article:
    """A plain-text article; an optional header block (``Date: 2024-08-29`` …) gives metadata."""
    where = str(path)
    text = decode(read_file_bytes(path, options), where=where)
    if not text.strip():
        raise InputError(Errors.E001.format(where=where), where=where)
    fields, body = split_header(text)
    check_text(body, where=where, options=options)
    # The document's own date wins; the option is for documents that carry none.
    published = options.published
    if "date" in fields:
        published = parse_date(fields["date"], where=where)
    if published is None:
        raise InputError(Errors.E005.format(where=where), where=where)
    return Article(
        text=body,
        published=published,
        id=fields.get("id", ""),
        title=fields.get("title"),
        url=fields.get("url"),
        source=fields.get("source"),
    )


def read_jsonl(
    stream: IO[bytes], *, name: str, options: ReadOptions
) -> Iterator[Article | InputError]:
    """Documents ``{"id", "text", "date"[, "title", "url", "source"]}``, one JSON object a line."""
    for number, raw in enumerate(stream, start=1):
        where = f"{name}:{number}"
        if not raw.strip():
            continue
        try:
            yield _document(raw, where=where, options=options)
        except InputError as error:
            yield error


def _document(raw: bytes, *, where: str, options: ReadOptions) -> Article:
    check_size(len(raw), options, where=where)
    try:
        record = json.loads(decode(raw, where=where))
    except json.JSONDecodeError as error:
        raise InputError(Errors.E006.format(where=where, detail=error.msg), where=where) from error
    return article_from_record(record, where=where, options=options)


def article_from_record(record: Any, *, where: str, options: ReadOptions) -> Article:
    """An ``Article`` from ``{"id", "text", "date"[, "title", "url", "source"]}``."""
    if not isinstance(record, Mapping) or not isinstance(record.get("text"), str):
        got = type(record).__name__ if not isinstance(record, Mapping) else "no text string"
        raise InputError(Errors.E007.format(where=where, got=got), where=where)
    check_text(record["text"], where=where, options=options)
    raw_date = record.get("date") or record.get("published")
    if raw_date:
        published = parse_date(raw_date, where=where)
    elif options.published is not None:
        published = options.published
    else:
        raise InputError(Errors.E005.format(where=where), where=where)
    return Article(
        text=record["text"],
        published=published,
        id=str(record["id"]) if record.get("id") not in (None, "") else "",
        title=_optional(record.get("title")),
        url=_optional(record.get("url")),
        source=_optional(record.get("source")),
    )


def check_text(text: str, *, where: str, options: ReadOptions) -> None:
    """Refuse a text that is blank or longer than ``options.max_chars``."""
    if not text.strip():
        raise InputError(Errors.E008.format(where=where), where=where)
    if options.max_chars is not None and len(text) > options.max_chars:
        size, limit = f"{len(text):,} characters", f"{options.max_chars:,} characters"
        message = Errors.E011.format(where=where, size=size, limit=limit)
        raise InputError(message, where=where)


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def read_file_bytes(path: Path, options: ReadOptions) -> bytes:
    """A file's bytes; an unreadable file or one over ``max_bytes`` is an InputError."""
    where = str(path)
    try:
        check_size(path.stat().st_size, options, where=where)
        return path.read_bytes()
    except OSError as error:
        detail = error.strerror or str(error)
        raise InputError(Errors.E010.format(where=where, detail=detail), where=where) from error


def decode(data: bytes, *, where: str) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data and other encodings are refused."""
    nul = data.find(b"\x00", 0, BINARY_SNIFF_BYTES)
    if nul >= 0:
        raise InputError(Errors.E002.format(where=where, offset=nul), where=where)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            Errors.E003.format(where=where, offset=error.start), where=where
        ) from error


def split_header(text: str) -> tuple[dict[str, str], str]:
    """Split ``Key: value`` lines at the very top, ended by a blank line, from the body."""
    lines = text.lstrip("\ufeff").split("\n")
    fields: dict[str, str] = {}
    for number, line in enumerate(lines):
        if not line.strip():
            return (fields, "\n".join(lines[number + 1 :])) if fields else ({}, text)
        key, sep, value = line.partition(":")
        if not sep or key.strip().lower() not in HEADER_FIELDS:
            return {}, text
        fields[key.strip().lower()] = value.strip()
    return {}, text


def check_size(size: int, options: ReadOptions, *, where: str) -> None:
    """Refuse a document or file of ``size`` bytes over the ``max_bytes`` limit (E004)."""
    if size > options.max_bytes:
        limit = size_text(options.max_bytes)
        raise InputError(
            Errors.E004.format(where=where, size=size_text(size), limit=limit), where=where
        )


def size_text(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count:,} bytes"
