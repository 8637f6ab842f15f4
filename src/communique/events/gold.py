"""Gold-standard event records to score the coder against (``communique eval``).

Two formats are read:

- JSON Lines, one record a line: ``{"id", "text", "date", "expected": [{"source", "target",
  "code"}], "noevents", "error_record"}`` (the form of ``petr_unittest_*.jsonl``);
- PETRARCH's unit-test records: ``<Sentence date="19950101" id="…">`` blocks holding a
  ``<Text>`` and ``<EventCoding sourcecode= targetcode= eventcode=>`` lines, or
  ``<EventCoding noevents="True">``, or ``<EventCoding error="…">`` for a record PETRARCH
  should refuse. Those files are not well-formed XML, so they are read with patterns, not an
  XML parser; comments are dropped first and entities (``&amp;``, ``&quot;``) decoded.

Error records (``"error_record": true``, ``<EventCoding error=…>``) are excluded from scoring,
as PETRARCH's own scoring does. A record that cannot be read (bad JSON, no text, no or an
unreadable date, a malformed expected event) is handed back as an ``InputError`` naming its
``file:line``; the rest of the file goes on. Dates may be ``YYYYMMDD`` or any form
``communique code`` reads (``YYYY-MM-DD`` …).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from communique.errors import Errors, InputError
from communique.ingest.dates import parse_date
from communique.ingest.documents import decode

GoldFormat = Literal["petrarch", "jsonl"]
FORMATS: tuple[GoldFormat, ...] = ("petrarch", "jsonl")
# (source code, target code, CAMEO code), as the gold gives them.
Triple = tuple[str, str, str]

_COMPACT_DATE = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_SENTENCE_START = re.compile(r"<Sentence(?=[\s>/])([^>]*)>")
_SENTENCE_END = re.compile(r"</Sentence\s*>|</Sentences\s*>")
_ATTRIBUTE = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_EVENT_CODING = re.compile(r"<EventCoding\b([^>]*)>")
_TEXT = re.compile(r"<Text\s*>(.*?)</Text\s*>", re.S)


@dataclass(frozen=True)
class GoldRecord:
    """One sentence (or short text) with the events a coder should find in it."""

    id: str
    text: str
    date: date
    expected: list[Triple] = field(default_factory=list)
    noevents: bool = False
    where: str = ""
    # The id the file gave, when it was already used by an earlier record and so was renamed.
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Excluded:
    """A record left out of scoring: one PETRARCH should refuse (an error record)."""

    id: str
    where: str
    reason: str


GoldItem = GoldRecord | Excluded | InputError


@dataclass
class GoldSet:
    """Everything read from one gold file."""

    records: list[GoldRecord] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    problems: list[InputError] = field(default_factory=list)


def gold_format(path: Path, fmt: str | None = None) -> GoldFormat:
    """``fmt`` when given, else by suffix: ``.xml`` is PETRARCH's, anything else JSON Lines."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown gold format {fmt!r}; use one of {', '.join(FORMATS)}")
        return "petrarch" if fmt == "petrarch" else "jsonl"
    return "petrarch" if path.suffix.lower() == ".xml" else "jsonl"


def read_gold(path: Path, fmt: str | None = None) -> GoldSet:
    """The records, exclusions and problems of a gold file, in file order."""
    gold = GoldSet()
    for item in iter_gold(path, fmt):
        if isinstance(item, GoldRecord):
            gold.records.append(item)
        elif isinstance(item, Excluded):
            gold.excluded.append(item)
        else:
            gold.problems.append(item)
    return gold


def iter_gold(path: Path, fmt: str | None = None) -> Iterator[GoldItem]:
    """Each record of a gold file, error record or problem, in file order.

    Record ids are made unique: a repeated id gets ``#2``, ``#3``… and keeps the one given in
    ``duplicate_of``, so that every record is scored (PETRARCH's unit tests repeat a few ids
    for different sentences).
    """
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        detail = error.strerror or str(error)
        yield InputError(Errors.E010.format(where=where, detail=detail), where=where)
        return
    if not data.strip():
        yield InputError(Errors.E001.format(where=where), where=where)
        return
    reader = read_petrarch if gold_format(path, fmt) == "petrarch" else read_jsonl
    seen: dict[str, int] = {}
    found = False
    for item in reader(data, name=where):
        found = True
        if isinstance(item, GoldRecord):
            item = _unique(item, seen)
        yield item
    if not found:
        yield InputError(f"{where}: no gold records in the file", where=where)


def _unique(record: GoldRecord, seen: dict[str, int]) -> GoldRecord:
    count = seen.get(record.id, 0) + 1
    seen[record.id] = count
    if count == 1:
        return record
    new_id = f"{record.id}#{count}"
    while new_id in seen:  # pragma: no cover - an id that already looks renamed
        count += 1
        new_id = f"{record.id}#{count}"
    seen[new_id] = 1
    return GoldRecord(
        id=new_id,
        text=record.text,
        date=record.date,
        expected=record.expected,
        noevents=record.noevents,
        where=record.where,
        duplicate_of=record.id,
    )


# --- JSON Lines -----------------------------------------------------------------------------


def read_jsonl(data: bytes, *, name: str) -> Iterator[GoldItem]:
    """Records of a JSON Lines gold file; blank lines are skipped."""
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        where = f"{name}:{number}"
        try:
            yield _jsonl_record(raw, where=where)
        except InputError as error:
            yield error


def _jsonl_record(raw: bytes, *, where: str) -> GoldRecord | Excluded:
    try:
        record = json.loads(decode(raw, where=where))
    except json.JSONDecodeError as error:
        raise InputError(Errors.E006.format(where=where, detail=error.msg), where=where) from error
    if not isinstance(record, dict):
        got = type(record).__name__
        raise InputError(Errors.E007.format(where=where, got=got), where=where)
    record_id = _record_id(record.get("id"), where)
    if record.get("error_record") is True:
        return Excluded(record_id, where, "error record")
    text = record.get("text")
    if not isinstance(text, str):
        raise InputError(f'{where}: no "text" string', where=where)
    if not text.strip():
        raise InputError(Errors.E008.format(where=where), where=where)
    expected = _jsonl_expected(record.get("expected", []), where)
    noevents = _flag(record.get("noevents", False), "noevents", where)
    if noevents and expected:
        raise InputError(f'{where}: "noevents" is true but "expected" lists events', where=where)
    return GoldRecord(
        id=record_id,
        text=text.strip(),
        date=gold_date(record.get("date"), where=where),
        expected=expected,
        noevents=noevents,
        where=where,
    )


def _jsonl_expected(value: Any, where: str) -> list[Triple]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f'{where}: "expected" must be a list of events', where=where)
    triples: list[Triple] = []
    for number, event in enumerate(value, start=1):
        parts = [event.get(key) if isinstance(event, dict) else None for key in _KEYS]
        if not all(isinstance(part, str) and part.strip() for part in parts):
            detail = 'needs "source", "target" and "code" strings'
            raise InputError(f"{where}: expected event {number} {detail}", where=where)
        source, target, code = (str(part).strip() for part in parts)
        triples.append((source, target, code))
    return triples


_KEYS = ("source", "target", "code")


def _flag(value: Any, name: str, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise InputError(f'{where}: "{name}" must be true or false, got {value!r}', where=where)


def _record_id(value: Any, where: str) -> str:
    """The record's id, or its place in the file when it has none."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return where
    return str(value).strip()


# --- PETRARCH's XML-like records ------------------------------------------------------------


def read_petrarch(data: bytes, *, name: str) -> Iterator[GoldItem]:
    """The ``<Sentence>`` records of a PETRARCH validation file, read tolerantly."""
    try:
        text = decode(data, where=name)
    except InputError as error:
        yield error
        return
    # Comments go (commented-out codings must not count), newlines stay, so lines still match.
    text = _COMMENT.sub(lambda match: "\n" * match.group().count("\n"), text)
    starts = list(_SENTENCE_START.finditer(text))
    for index, start in enumerate(starts):
        where = f"{name}:{text.count(chr(10), 0, start.start()) + 1}"
        limit = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        end = _SENTENCE_END.search(text, start.end(), limit)
        body = text[start.end() : end.start() if end else limit]
        try:
            yield _petrarch_record(_attributes(start.group(1)), body, where=where)
        except InputError as error:
            yield error


def _petrarch_record(attributes: dict[str, str], body: str, *, where: str) -> GoldRecord | Excluded:
    record_id = _record_id(attributes.get("id"), where)
    codings = [_attributes(match.group(1)) for match in _EVENT_CODING.finditer(body)]
    errors = [coding["error"] for coding in codings if "error" in coding]
    if errors:
        return Excluded(record_id, where, f"error record ({', '.join(errors)})")
    found = _TEXT.search(body)
    if found is None:
        raise InputError(f"{where}: no <Text> in the record", where=where)
    sentence = " ".join(html.unescape(found.group(1)).split())
    if not sentence:
        raise InputError(Errors.E008.format(where=where), where=where)
    noevents = _true(attributes.get("noevents"))
    expected: list[Triple] = []
    for number, coding in enumerate(codings, start=1):
        if _true(coding.get("noevents")):
            noevents = True
            continue
        parts = [coding.get(key, "").strip() for key in _XML_KEYS]
        if not all(parts):
            detail = "needs sourcecode, targetcode and eventcode"
            raise InputError(f"{where}: <EventCoding> {number} {detail}", where=where)
        expected.append((parts[0], parts[1], parts[2]))
    if noevents and expected:
        raise InputError(f"{where}: noevents is True but events are listed", where=where)
    if "date" not in attributes:
        raise InputError(f"{where}: no date attribute", where=where)
    return GoldRecord(
        id=record_id,
        text=sentence,
        date=gold_date(attributes["date"], where=where),
        expected=expected,
        noevents=noevents,
        where=where,
    )


_XML_KEYS = ("sourcecode", "targetcode", "eventcode")


def _attributes(text: str) -> dict[str, str]:
    """``name="value"`` or ``name='value'`` pairs (spaces around ``=`` allowed), decoded."""
    return {
        match.group(1).lower(): html.unescape(
            match.group(2) if match.group(2) is not None else match.group(3)
        )
        for match in _ATTRIBUTE.finditer(text)
    }


def _true(value: str | None) -> bool:
    return value is not None and value.strip().lower() == "true"


# --- dates ----------------------------------------------------------------------------------


def gold_date(value: Any, *, where: str) -> date:
    """A record's date: ``YYYYMMDD`` (PETRARCH's form) or any form ``parse_date`` reads."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{where}: no date", where=where)
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str):
        match = _COMPACT_DATE.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
            raise InputError(_bad_date(where, value), where=where)
    try:
        return parse_date(text, where=where)
    except InputError:
        raise InputError(_bad_date(where, value), where=where) from None


def _bad_date(where: str, value: Any) -> str:
    return f"{where}: cannot read the date {value!r}; use YYYYMMDD or YYYY-MM-DD"
