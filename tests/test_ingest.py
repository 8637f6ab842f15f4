"""Reading documents: plain-text files with an optional header, JSON Lines, decoding, dates."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest

from communique.errors import InputError
from communique.ingest.dates import parse_date
from communique.ingest.documents import (
    DEFAULT_MAX_BYTES,
    ReadOptions,
    decode,
    read_jsonl,
    read_text_file,
    split_header,
)
from communique.records import Article, content_id

AUG_29 = date(2024, 8, 29)
BODY = "Jake Sullivan met with Xi Jinping in Beijing on Thursday.\n"
DATED = ReadOptions(published=AUG_29)


def write(tmp_path: Path, data: bytes | str, name: str = "article.txt") -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def jsonl(*lines: object, options: ReadOptions | None = None) -> list[Article | InputError]:
    """Read lines (strings as they are, anything else as JSON) as the file ``docs.jsonl``."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    stream = io.BytesIO(text.encode("utf-8"))
    return list(read_jsonl(stream, name="docs.jsonl", options=options or ReadOptions()))


def only_error(items: list[Article | InputError]) -> InputError:
    [item] = items
    assert isinstance(item, InputError)
    return item


def only_article(items: list[Article | InputError]) -> Article:
    [item] = items
    assert isinstance(item, Article), item
    return item


# --- read_text_file -------------------------------------------------------------------------


def test_header_block_gives_metadata(tmp_path: Path) -> None:
    text = (
        "Date: 2024-08-29\nTitle: Sullivan in Beijing\nURL: https://example.org/a?b=c:d\n"
        "Source: Example Wire\nId: art-7\n\n" + BODY
    )
    article = read_text_file(write(tmp_path, text), ReadOptions())
    assert article == Article(
        text=BODY,
        published=AUG_29,
        id="art-7",
        title="Sullivan in Beijing",
        url="https://example.org/a?b=c:d",
        source="Example Wire",
    )


def test_header_keys_ignore_case_and_crlf(tmp_path: Path) -> None:
    text = "DATE: 2024-08-29\r\ntitle:  Talks \r\n\r\n" + BODY
    article = read_text_file(write(tmp_path, text), ReadOptions())
    assert article.published == AUG_29
    assert article.title == "Talks"
    assert article.text == BODY


def test_file_without_header_keeps_its_text(tmp_path: Path) -> None:
    text = "Note: this first line has a colon.\n\n" + BODY + "\nSecond paragraph.\n"
    article = read_text_file(write(tmp_path, text), DATED)
    assert article.text == text
    assert article.title is None
    assert article.id == content_id(text)


def test_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    plain = read_text_file(write(tmp_path, b"\xef\xbb\xbf" + BODY.encode()), DATED)
    assert plain.text == BODY
    headed = read_text_file(
        write(tmp_path, b"\xef\xbb\xbfDate: 2024-08-29\n\n" + BODY.encode(), "headed.txt"),
        ReadOptions(),
    )
    assert headed.published == AUG_29
    assert headed.text == BODY


def test_header_date_wins_over_the_option(tmp_path: Path) -> None:
    """As in JSON Lines, a document's own date wins; ``--date`` is for documents without one."""
    path = write(tmp_path, "Date: 2024-01-05\n\n" + BODY)
    assert read_text_file(path, DATED).published == date(2024, 1, 5)
    assert read_text_file(path, ReadOptions()).published == date(2024, 1, 5)
    assert read_text_file(write(tmp_path, BODY, name="plain.txt"), DATED).published == AUG_29


def test_header_with_a_bad_date_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "Date: the day before yesterday\n\n" + BODY)
    with pytest.raises(InputError) as caught:
        read_text_file(path, ReadOptions())
    assert str(caught.value) == (
        f"{path}: cannot read the date 'the day before yesterday'; use YYYY-MM-DD"
    )
    assert caught.value.where == str(path)


def test_no_date_at_all(tmp_path: Path) -> None:
    path = write(tmp_path, BODY)
    with pytest.raises(InputError, match="no publication date; give one with --date") as caught:
        read_text_file(path, ReadOptions())
    assert str(caught.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    "data", [b"", b"  \n\t\n", b"\xef\xbb\xbf\n"], ids=["empty", "blank", "bom"]
)
def test_empty_file(data: bytes, tmp_path: Path) -> None:
    path = write(tmp_path, data)
    with pytest.raises(InputError) as caught:
        read_text_file(path, DATED)
    assert str(caught.value) == f"{path}: the file is empty"


def test_size_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:  # sparse: NUL bytes that would be "binary" if read
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(InputError) as caught:
        read_text_file(path, DATED)
    assert str(caught.value) == (
        f"{path}: 52.4 MB is larger than the limit of 5.0 MB; split it or raise --max-bytes"
    )
    assert DEFAULT_MAX_BYTES == 5_000_000


def test_max_bytes_option(tmp_path: Path) -> None:
    path = write(tmp_path, BODY)
    size = len(BODY.encode())
    assert read_text_file(path, ReadOptions(published=AUG_29, max_bytes=size)).text == BODY
    with pytest.raises(InputError, match=f"{size} bytes is larger than the limit of 10 bytes"):
        read_text_file(path, ReadOptions(published=AUG_29, max_bytes=10))


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.txt"
    with pytest.raises(InputError) as caught:
        read_text_file(path, DATED)
    assert str(caught.value) == f"{path}: cannot read the file (No such file or directory)"


# --- read_jsonl -----------------------------------------------------------------------------


def test_documents_keep_their_fields() -> None:
    record = {
        "id": "a1",
        "text": BODY,
        "date": "2024-08-29",
        "title": "T",
        "url": "https://example.org/a1",
        "source": "S",
    }
    assert only_article(jsonl(record)) == Article(
        text=BODY, published=AUG_29, id="a1", title="T", url="https://example.org/a1", source="S"
    )


def test_numeric_id_becomes_a_string() -> None:
    assert only_article(jsonl({"id": 7, "text": BODY, "date": "2024-08-29"})).id == "7"


@pytest.mark.parametrize("record", [{}, {"id": None}, {"id": ""}], ids=["absent", "null", "empty"])
def test_missing_id_is_a_content_hash(record: dict[str, object]) -> None:
    article = only_article(jsonl({**record, "text": BODY, "date": "2024-08-29"}))
    assert article.id == content_id(BODY)
    assert len(article.id) == 16
    assert int(article.id, 16) >= 0


def test_same_text_same_id() -> None:
    other = "Xi Jinping was criticized by Joe Biden."
    first, second, third = (
        only_article([item])
        for item in jsonl(
            {"text": BODY, "date": "2024-08-29"},
            {"text": BODY, "date": "2023-01-01", "title": "again"},
            {"text": other, "date": "2024-08-29"},
        )
    )
    assert first.id == second.id
    assert first.id != third.id


@pytest.mark.parametrize(
    "value", ["2024-08-29T10:00:00Z", "2024-08-29T23:59:59+05:00", "2024-08-29 10:00", "2024-08-29"]
)
def test_timestamps_parse_to_their_date(value: str) -> None:
    assert only_article(jsonl({"text": BODY, "date": value})).published == AUG_29


def test_published_field_is_accepted() -> None:
    assert only_article(jsonl({"text": BODY, "published": "2024-08-29"})).published == AUG_29


def test_document_date_wins_over_the_option() -> None:
    article = only_article(
        jsonl({"text": BODY, "date": "2024-01-05"}, options=ReadOptions(published=AUG_29))
    )
    assert article.published == date(2024, 1, 5)


def test_option_dates_undated_documents() -> None:
    assert only_article(jsonl({"text": BODY}, options=DATED)).published == AUG_29
    error = only_error(jsonl({"text": BODY}))
    assert str(error).startswith("docs.jsonl:1: no publication date")


@pytest.mark.parametrize("value", ["29/08/2024", "2024-02-30", "yesterday", 20240829, ["2024"]])
def test_bad_date_value_names_the_line(value: object) -> None:
    items = jsonl({"id": "ok", "text": BODY, "date": "2024-08-29"}, {"text": BODY, "date": value})
    assert isinstance(items[0], Article)
    error = only_error(items[1:])
    assert error.where == "docs.jsonl:2"
    assert str(error) == f"docs.jsonl:2: cannot read the date {value!r}; use YYYY-MM-DD"


def test_bad_lines_are_yielded_and_reading_goes_on() -> None:
    items = jsonl(
        "not json",
        "",
        "[1, 2]",
        {"id": "no-text"},
        {"text": 5},
        {"text": " \n ", "date": "2024-08-29"},
        {"id": "last", "text": BODY, "date": "2024-08-29"},
    )
    errors = [item for item in items if isinstance(item, InputError)]
    # The blank line 2 is no document, but it still counts in the line numbers.
    assert [error.where for error in errors] == [f"docs.jsonl:{n}" for n in (1, 3, 4, 5, 6)]
    assert str(errors[0]).startswith("docs.jsonl:1: not valid JSON (")
    assert str(errors[1]).endswith('expected a JSON object with a "text" field, got list')
    assert str(errors[2]).endswith('expected a JSON object with a "text" field, got no text string')
    assert str(errors[3]).endswith("got no text string")
    assert str(errors[4]) == "docs.jsonl:6: the text is empty"
    assert [item.id for item in items if isinstance(item, Article)] == ["last"]


def test_line_too_long() -> None:
    options = ReadOptions(published=AUG_29, max_bytes=100)
    error = only_error(jsonl({"text": "x" * 200}, options=options))
    assert str(error).startswith("docs.jsonl:1: 2")
    assert "is larger than the limit of 100 bytes" in str(error)


def test_bad_bytes_in_a_line() -> None:
    stream = io.BytesIO(b'{"text": "caf\xe9", "date": "2024-08-29"}\n{"text": "a\x00b"}\n')
    items = list(read_jsonl(stream, name="docs.jsonl", options=DATED))
    assert [str(item) for item in items] == [
        "docs.jsonl:1: not valid UTF-8 (bad byte at offset 13); save it as UTF-8 and retry",
        "docs.jsonl:2: looks like a binary file, not text (a NUL byte at offset 11)",
    ]


# --- decode, split_header, parse_date -------------------------------------------------------


def test_decode() -> None:
    assert decode("Xi Jinping — 习近平".encode(), where="x") == "Xi Jinping — 习近平"
    assert decode(b"\xef\xbb\xbfabc", where="x") == "abc"
    assert decode(b"", where="x") == ""


def test_decode_refuses_binary_and_other_encodings() -> None:
    with pytest.raises(InputError) as caught:
        decode(b"abc\x00def", where="f.txt")
    assert str(caught.value) == "f.txt: looks like a binary file, not text (a NUL byte at offset 3)"
    assert caught.value.where == "f.txt"
    with pytest.raises(InputError) as caught:
        decode("Macron a rencontré Xi.".encode("latin-1"), where="f.txt")
    assert str(caught.value) == (
        "f.txt: not valid UTF-8 (bad byte at offset 17); save it as UTF-8 and retry"
    )


@pytest.mark.parametrize(
    ("text", "fields", "body"),
    [
        ("Date: 2024-08-29\n\nBody.", {"date": "2024-08-29"}, "Body."),
        ("Title: A: B\nId: 1\n\nBody.\n\nMore.", {"title": "A: B", "id": "1"}, "Body.\n\nMore."),
        ("Date: 2024-08-29\n\n", {"date": "2024-08-29"}, ""),
        ("\ufeffSource: S\n\nBody.", {"source": "S"}, "Body."),
    ],
)
def test_split_header(text: str, fields: dict[str, str], body: str) -> None:
    assert split_header(text) == (fields, body)


@pytest.mark.parametrize(
    "text",
    [
        "Body without a header.",
        "\nBody after a blank first line.",
        "Date: 2024-08-29\nBody right after the header, no blank line.",
        "Date: 2024-08-29\nAuthor: someone\n\nBody.",  # an unknown key: no header at all
        "Date: 2024-08-29",  # a header and nothing else, not even a blank line
        "Washington: Biden met Xi.\n\nMore.",
    ],
)
def test_text_without_a_header_is_kept_whole(text: str) -> None:
    assert split_header(text) == ({}, text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-08-29", AUG_29),
        ("  2024-08-29", AUG_29),
        ("2024-08-29T10:00:00Z", AUG_29),
        ("2024-08-29 23:30", AUG_29),
        ("2024-08-29T23:30:00-05:00", AUG_29),  # the zone is dropped, never applied
        ("Thu, 29 Aug 2024 23:30:00 -1200", AUG_29),
        ("26-FEB-1987 16:03:15.46", date(1987, 2, 26)),
        ("August 29, 2024", AUG_29),
        ("Aug. 29, 2024", AUG_29),
        ("29 August 2024", AUG_29),
        (AUG_29, AUG_29),
        (datetime(2024, 8, 29, 23, 30), AUG_29),
    ],
)
def test_parse_date(value: object, expected: date) -> None:
    assert parse_date(value, where="here") == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2024-8-29",
        "29-08-2024",
        "2024/08/29",
        "08/29/2024",
        "2024-13-01",
        "2023-02-29",
        "Feb 30, 2024",
        "2024-08-29garbage",
        "August 2024",
        "Thursday",
        "2024",
        None,
        2024,
    ],
)
def test_parse_date_refuses(value: object) -> None:
    with pytest.raises(InputError) as caught:
        parse_date(value, where="here")
    assert str(caught.value) == f"here: cannot read the date {value!r}; use YYYY-MM-DD"
    assert caught.value.where == "here"


@pytest.mark.parametrize(("size", "parts"), [(32, 4), (7, 4), (3, 4), (1, 2), (33, 4)])
def test_a_batch_goes_to_the_workers_in_nearly_equal_parts_in_order(size: int, parts: int) -> None:
    from communique.ingest.run import _split

    batch = [Article(text=f"Article {number}.") for number in range(size)]
    cut = _split(batch, parts)
    assert [article for part in cut for article in part] == batch
    assert len(cut) <= parts
    # Every part but the last is as long as needed to cover the batch in ``parts`` runs.
    assert {len(part) for part in cut[:-1]} <= {-(-size // parts)}
    assert 0 < len(cut[-1]) <= -(-size // parts)
