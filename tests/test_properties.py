"""Property-based tests (hypothesis) of the coder and the document readers.

Whatever the input — any Unicode text, any bytes in any reader format, any nesting of HTML,
an empty string, one huge sentence, a hundred thousand tiny documents — the result is either
valid records or an ``InputError``, never another exception, and the same input gives the
same output. Example counts are bounded so the suite stays within about a minute on two
cores; ``COMMUNIQUE_PROPERTY_SCALE=10`` tries ten times as many (see docs/robustness.md).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import re
import string
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from communique import ontology
from communique.coder import Coder
from communique.errors import InputError
from communique.ingest import readers
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import CsvColumns, read_sources, strip_html
from communique.records import Article
from tests.inputs_tried import InputsTried, registered

SCALE = max(1, int(os.environ.get("COMMUNIQUE_PROPERTY_SCALE", "1")))
PUBLISHED = "2024-08-29"


def bounded(examples: int) -> settings:
    """Derandomized, so that CI runs the same inputs each time; no per-example deadline."""
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=SCALE == 1,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def tried(pytestconfig: pytest.Config) -> InputsTried:
    return registered(pytestconfig, "inputs tried by the property tests")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


# --- what a valid record is (docs/events.md) ----------------------------------------------

EVENT_FIELDS = {
    "event_id", "article_id", "sentence_index", "sentence", "span", "trigger", "rule",
    "date", "date_precision", "date_basis", "source", "target", "cameo", "plover",
    "location", "modality", "negated", "quote", "resolved",
}  # fmt: skip
ACTOR_FIELDS = {"text", "name", "code", "country", "sector", "title", "resolved"}
DATE_FORMS = {"day": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-\d{2}", "year": r"\d{4}"}


def check_event(record: dict[str, Any], text: str) -> None:
    """Every field of ``record`` as docs/events.md describes it, for an article ``text``."""
    assert set(record) == EVENT_FIELDS
    json.dumps(record, allow_nan=False)
    assert re.fullmatch(r"[0-9a-f]{16}", record["event_id"])
    assert isinstance(record["article_id"], str) and record["article_id"]
    assert isinstance(record["sentence_index"], int) and record["sentence_index"] >= 0
    sentence, trigger = record["sentence"], record["trigger"]
    assert isinstance(sentence, str) and sentence and sentence == sentence.strip()
    start, end = record["span"]
    assert isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)
    assert text[start:end] == trigger and trigger in sentence
    assert isinstance(record["rule"], str) and "#" in record["rule"]
    check_date(record)
    for side in ("source", "target"):
        check_actor(record[side])
    assert record["resolved"] is (record["source"]["resolved"] and record["target"]["resolved"])
    check_cameo(record["cameo"], record["plover"])
    check_location(record["location"])
    assert record["modality"] in {"asserted", "intended", "hypothetical"}
    assert isinstance(record["negated"], bool)
    assert record["quote"] is None or isinstance(record["quote"], str)


def check_date(record: dict[str, Any]) -> None:
    value, precision, basis = record["date"], record["date_precision"], record["date_basis"]
    if value is None:
        assert precision is None and basis is None
        return
    assert basis in {"text", "published"}
    assert re.fullmatch(DATE_FORMS[precision], value)
    if precision == "day":
        date.fromisoformat(value)
    elif precision == "month":
        assert 1 <= int(value[5:]) <= 12


def check_actor(actor: dict[str, Any]) -> None:
    assert set(actor) == ACTOR_FIELDS
    assert isinstance(actor["text"], str) and actor["text"]
    assert isinstance(actor["name"], str) and actor["name"]
    assert isinstance(actor["code"], str) and actor["code"]
    assert actor["country"] is None or re.fullmatch(r"[A-Z]{3}", actor["country"])
    assert actor["country"] is not None or actor["code"][:3] in {"IGO", "NGO", "NGM", "IMG", "MNC"}
    assert actor["sector"] is None or re.fullmatch(r"[A-Z]{3}", actor["sector"])
    assert actor["title"] is None or isinstance(actor["title"], str)
    assert isinstance(actor["resolved"], bool)


def check_cameo(cameo: dict[str, Any], plover: dict[str, Any] | None) -> None:
    code = cameo["code"]
    assert ontology.is_cameo_code(code), code  # the built-in patterns use CAMEO codes only
    known = ontology.cameo(code)
    assert cameo == {
        "code": code,
        "root": code[:2],
        "name": known.name,
        "goldstein": known.goldstein,
        "quad_class": ontology.quad_class(code[:2]),
    }
    assert -10.0 <= cameo["goldstein"] <= 10.0
    if plover is not None:
        assert set(plover) == {"type", "mode", "context"}
        assert plover["type"] and plover["type"] == plover["type"].upper()
        assert plover["mode"] is None or isinstance(plover["mode"], str)
        assert all(isinstance(context, str) for context in plover["context"])
    else:
        assert code[:2] in {"01", "02"}


def check_location(location: dict[str, Any] | None) -> None:
    if location is None:
        return
    assert set(location) == {"name", "country", "lat", "lon"}
    assert isinstance(location["name"], str) and location["name"]
    assert location["country"] is None or re.fullmatch(r"[A-Z]{3}", location["country"])
    assert location["lat"] is None or -90 <= location["lat"] <= 90
    assert location["lon"] is None or -180 <= location["lon"] <= 180


def coded(coder: Coder, text: str) -> list[dict[str, Any]] | InputError:
    try:
        events = coder.code(text, published=PUBLISHED, article_id="prop")
    except InputError as error:
        return error
    return [event.to_dict() for event in events]


def check_coding(coder: Coder, text: str) -> list[dict[str, Any]] | InputError:
    """Code ``text`` twice: valid records or an InputError, and the same both times."""
    first = coded(coder, text)
    if isinstance(first, InputError):
        assert not text.strip() or len(text) > coder.nlp.max_length, first
    else:
        for record in first:
            check_event(record, text)
    second = coded(coder, text)
    assert type(second) is type(first) and str(second) == str(first)
    return first


# --- text strategies ----------------------------------------------------------------------

NEWS_WORDS = [
    "China", "Russia", "Jake Sullivan", "Xi Jinping", "the United Nations", "Canada",
    "Belarus", "met", "met with", "criticized", "imposed sanctions on", "visited", "said",
    "told", "will meet", "did not meet", "talks", "a potential meeting", "in Beijing",
    "on Thursday", "next month", "in March", "officials", "Chinese", "American", "and", ",",
    ".", "“", "”", '"', "(", ")", "'s", "he", "she", "they",
]  # fmt: skip
ODD_PIECES = [
    "وزير الخارجية", "שר החוץ", "中国外交部", "Ελλάδα", "Россия", "भारत", "🇨🇳", "😀",
    "\u200f", "\u200e", "\u202e", "\u2066", "\u2069", "\u200b", "\u200d", "\ufeff", "\u00ad",
    "\u0301", "\u0308\u0301", "\u20dd", "\x00", "\x07", "\x1b[31m", "\r", "\r\n", "\n\n",
    "\t", "\u2028", "\u2029", "\x85", "\x0c", "\ufffd", "\U0010ffff", "ﬁ", "Å", "Å",
]  # fmt: skip

any_text = st.text(max_size=400)
mixed_text = st.lists(
    st.one_of(st.sampled_from(NEWS_WORDS), st.sampled_from(ODD_PIECES), st.text(max_size=8)),
    max_size=60,
).map(lambda pieces: " ".join(pieces))


def news_sentence() -> st.SearchStrategy[str]:
    """Sentences likely to give events, with odd pieces of other scripts spliced in."""
    actor = st.sampled_from(["China", "Russia", "Jake Sullivan", "Canada", "Chinese officials"])
    verb = st.sampled_from(["met", "criticized", "visited", "will meet", "did not meet"])
    odd = st.sampled_from(["", "", " ", *ODD_PIECES])
    parts = st.tuples(odd, actor, odd, verb, odd, actor, odd, st.sampled_from([".", "", "!"]))
    return st.lists(parts.map(lambda p: "".join(f"{piece} " for piece in p)), min_size=1,
                    max_size=5).map("".join)  # fmt: skip


# --- the coder ----------------------------------------------------------------------------


@bounded(60)
@given(text=any_text)
def test_any_unicode_text_is_coded_or_refused(coder: Coder, tried: InputsTried, text: str) -> None:
    tried.add("coder: any Unicode text")
    check_coding(coder, text)


@bounded(60)
@given(text=mixed_text)
def test_mixed_scripts_and_control_characters(coder: Coder, tried: InputsTried, text: str) -> None:
    tried.add("coder: mixed scripts, bidi and control characters")
    check_coding(coder, text)


@bounded(60)
@given(text=news_sentence())
def test_news_like_text_gives_valid_events(coder: Coder, tried: InputsTried, text: str) -> None:
    tried.add("coder: news-like sentences with odd pieces")
    check_coding(coder, text)


def test_generated_news_does_give_events(coder: Coder) -> None:
    # The checks above are only worth something if some inputs give events at all.
    result = check_coding(coder, "\u200f China  met Russia . Canada criticized Russia \u0301.")
    assert isinstance(result, list) and len(result) >= 1


@bounded(15)
@given(documents=st.lists(st.one_of(mixed_text, news_sentence()), min_size=1, max_size=6))
def test_code_documents_agrees_with_code(
    coder: Coder, tried: InputsTried, documents: list[str]
) -> None:
    """Batches give each document the events it gets alone; bad ones are skipped, not fatal."""
    tried.add("coder: batches of documents")
    records = [{"id": f"d{i}", "text": text, "date": PUBLISHED} for i, text in enumerate(documents)]
    skipped: list[InputError] = []
    batch = {
        article.id: [event.to_dict() for event in events]
        for article, events in coder.code_documents(records, on_skip=skipped.append)
    }
    assert len(batch) + len(skipped) == len(documents)
    for index, text in enumerate(documents):
        if f"d{index}" in batch:
            alone = coder.code(text, published=PUBLISHED, article_id=f"d{index}")
            assert batch[f"d{index}"] == [event.to_dict() for event in alone]


# --- extreme lengths ----------------------------------------------------------------------


def test_the_empty_string_is_refused(coder: Coder, tried: InputsTried) -> None:
    tried.add("extreme lengths")
    with pytest.raises(InputError, match="the text is empty"):
        coder.code("", published=PUBLISHED)


@pytest.mark.parametrize("filler", ["x", "a "], ids=["no-spaces", "spaces"])
def test_ten_megabytes_is_refused_at_once(coder: Coder, tried: InputsTried, filler: str) -> None:
    tried.add("extreme lengths")
    text = filler * (10_000_000 // len(filler))
    with pytest.raises(InputError, match="more than the 1,000,000 characters"):
        coder.code(text, published=PUBLISHED)


def test_one_megabyte_word_is_coded(coder: Coder, tried: InputsTried) -> None:
    tried.add("extreme lengths")
    assert check_coding(coder, "x" * coder.nlp.max_length) == []


def test_one_long_sentence_is_coded_in_bounded_time(coder: Coder, tried: InputsTried) -> None:
    """100 KB without a full stop (20,000 tokens) once took minutes in the event step, whose
    cost grew with the cube of a sentence's length; sentences that long now give no events."""
    tried.add("extreme lengths")
    result = coded(coder, "China met Russia and " * 5_000)
    assert result == []
    shorter = check_coding(coder, "China met Russia and " * 20 + ". China met Russia.")
    assert isinstance(shorter, list) and [e["sentence_index"] for e in shorter] == [0, 1]


def test_the_empty_file_of_every_format_is_one_error(folder: Path, tried: InputsTried) -> None:
    for suffix in SUFFIXES:
        tried.add("extreme lengths")
        [item] = read_file(folder / f"empty{suffix}", b"")
        assert isinstance(item, InputError)


def test_a_file_over_the_size_limit_is_one_error(folder: Path, tried: InputsTried) -> None:
    tried.add("extreme lengths")
    [item] = read_file(folder / "huge.txt", b"x" * 6_000_000)
    assert isinstance(item, InputError) and "larger than the limit" in str(item)


def test_a_hundred_thousand_tiny_documents(folder: Path, tried: InputsTried) -> None:
    """JSON Lines of 100,000 one-word documents, every 1,000th of them broken."""
    count = 100_000
    lines = [
        b"{not json\n" if i % 1000 == 999 else b'{"id": "%d", "text": "N%d."}\n' % (i, i)
        for i in range(count)
    ]
    items = read_file(folder / "many.jsonl", b"".join(lines))
    tried.add("readers: 100k tiny documents", count)
    found = [item for item in items if isinstance(item, Article)]
    bad = [item for item in items if isinstance(item, InputError)]
    assert (len(found), len(bad)) == (count - 100, 100)
    assert bad[0].where.endswith("many.jsonl:1000")
    assert len({article.id for article in found}) == len(found)
    assert all(article.text.startswith("N") and article.published is None for article in found)


# --- the readers: any bytes, in every format ----------------------------------------------

SUFFIXES = [
    ".txt", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".csv", ".xml", ".rss", ".atom",
    ".txt.gz", ".html.gz", ".jsonl.gz", ".json.gz", ".csv.gz", ".xml.gz",
]  # fmt: skip
SEEDS: dict[str, bytes] = {
    ".txt": b"Title: Talks\nDate: 2024-08-29\nId: a1\n\nNorland met Sudmark in Porthaven.\n",
    ".html": b"<html><head><title>Talks</title><meta name='date' content='2024-08-29'>"
    b"</head><body><article><p>Norland met Sudmark in Porthaven on Thursday.</p>"
    b"<p>The ministers agreed to talk again.</p></article></body></html>",
    ".json": b'[{"id": "a1", "date": "2024-08-29", "text": "Norland met Sudmark."}]',
    ".jsonl": b'{"id": "a1", "date": "2024-08-29", "text": "Norland met Sudmark."}\n'
    b'{"text": "Sudmark thanked Norland.", "published": "29 August 2024"}\n',
    ".csv": b"id,date,text\na1,2024-08-29,Norland met Sudmark.\n"
    b'a2,2024-08-30,"Sudmark, in turn, thanked Norland."\n',
    ".xml": b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
    b"<item><title>Talks</title><guid>g1</guid><pubDate>Thu, 29 Aug 2024 10:00:00 GMT"
    b"</pubDate><description>&lt;p&gt;Norland met Sudmark.&lt;/p&gt;</description></item>"
    b"</channel></rss>",
}  # fmt: skip


def check_items(items: list[Article | InputError]) -> None:
    """What every reader promises: articles with text and a date or None, or InputErrors."""
    for item in items:
        if isinstance(item, InputError):
            assert isinstance(item.where, str) and str(item)
            continue
        assert isinstance(item, Article), item
        assert isinstance(item.text, str) and item.text.strip()
        assert item.published is None or isinstance(item.published, date)
        assert re.fullmatch(r"[0-9a-f]{16}", item.id)
        for value in (item.title, item.url, item.source, item.external_id):
            assert value is None or isinstance(value, str)


def summary(items: Iterable[Article | InputError]) -> list[object]:
    return [item if isinstance(item, Article) else (item.where, str(item)) for item in items]


def read_file(path: Path, data: bytes) -> list[Article | InputError]:
    """Write ``data`` (gzipped for a ``.gz`` name) and read it back, checked, twice."""
    path.write_bytes(gzip.compress(data, mtime=0) if path.name.endswith(".gz") else data)
    items = list(read_sources([path], ReadOptions()))
    check_items(items)
    assert summary(read_sources([path], ReadOptions())) == summary(items)
    return items


def mutated(seed: bytes) -> st.SearchStrategy[bytes]:
    """``seed`` with a few bytes overwritten, inserted or cut: near-valid input."""
    edit = st.tuples(st.integers(0, len(seed)), st.binary(max_size=6), st.integers(0, 6))

    def apply(edits: list[tuple[int, bytes, int]]) -> bytes:
        data = seed
        for position, insert, cut in edits:
            data = data[:position] + insert + data[position + cut :]
        return data

    return st.lists(edit, min_size=1, max_size=4).map(apply)


def format_bytes(kind: str) -> st.SearchStrategy[bytes]:
    return st.one_of(st.binary(max_size=600), mutated(SEEDS[kind]))


@pytest.mark.parametrize("suffix", SUFFIXES)
@bounded(25)
@given(data=st.data())
def test_any_bytes_in_any_file_format(
    folder: Path, tried: InputsTried, suffix: str, data: st.DataObject
) -> None:
    tried.add("readers: any bytes, as files")
    kind = readers._format(f"x{suffix}")
    assert kind is not None
    read_file(folder / f"any{suffix}", data.draw(format_bytes(kind)))


def test_bytes_that_are_not_gzip_under_a_gz_name(folder: Path, tried: InputsTried) -> None:
    tried.add("readers: any bytes, as files")
    path = folder / "fake.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 truncated")
    [item] = read_sources([path], ReadOptions())
    assert isinstance(item, InputError) and "not a readable gzip file" in str(item)


# The per-format functions, by the suffix they read.
FORMAT_FUNCTIONS: dict[str, Callable[..., Iterator[Any]]] = {**readers._STREAMED, **readers._WHOLE}


def run_whole(function: Callable[..., Iterator[Any]], data: bytes) -> list[Any]:
    try:
        return list(function(data, "<bytes>", ReadOptions()))
    except InputError as error:
        return [error]


def run_streamed(function: Callable[..., Iterator[Any]], data: bytes) -> list[Any]:
    try:
        return list(function(io.BytesIO(data), "<bytes>", ReadOptions(), CsvColumns()))
    except InputError as error:
        return [error]


@pytest.mark.parametrize("kind", sorted(SEEDS))
@bounded(40)
@given(data=st.data())
def test_any_bytes_to_each_format_function(
    tried: InputsTried, kind: str, data: st.DataObject
) -> None:
    """The per-format functions straight, without a file: raise only InputError."""
    tried.add("readers: any bytes, per-format functions")
    raw = data.draw(format_bytes(kind))
    run = run_streamed if kind in readers._STREAMED else run_whole
    function = FORMAT_FUNCTIONS[kind]
    items = run(function, raw)
    check_items(items)
    assert summary(run(function, raw)) == summary(items)


def test_the_seeds_are_read_as_articles() -> None:
    for kind, seed in SEEDS.items():
        run = run_streamed if kind in readers._STREAMED else run_whole
        items = run(FORMAT_FUNCTIONS[kind], seed)
        assert items and all(isinstance(item, Article) for item in items), (kind, items)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=20,
)  # fmt: skip
record_values = st.fixed_dictionaries(
    {},
    optional={
        "text": st.one_of(st.text(max_size=80), json_values),
        "date": st.one_of(st.sampled_from([PUBLISHED, "29 August 2024", "2024-02-30", ""]),
                          json_values),
        "published": json_values,
        "id": json_values,
        "title": json_values,
        "url": json_values,
        "source": json_values,
    },
)  # fmt: skip


@bounded(60)
@given(values=st.lists(st.one_of(record_values, json_values), max_size=5))
def test_any_json_records(folder: Path, tried: InputsTried, values: list[Any]) -> None:
    tried.add("readers: JSON and JSON Lines records")
    lines = "".join(json.dumps(value) + "\n" for value in values).encode()
    read_file(folder / "records.jsonl", lines)
    read_file(folder / "records.json", json.dumps(values).encode())


@bounded(60)
@given(rows=st.lists(st.lists(st.text(max_size=20), max_size=5), max_size=6))
def test_any_csv_rows(folder: Path, tried: InputsTried, rows: list[list[str]]) -> None:
    tried.add("readers: CSV rows")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["id", "date", "text"], *rows])
    read_file(folder / "rows.csv", buffer.getvalue().encode("utf-8", errors="surrogatepass"))


# --- any nesting of HTML ------------------------------------------------------------------

TAGS = [
    "div", "p", "span", "article", "section", "table", "tr", "td", "ul", "li", "b", "a",
    "script", "style", "template", "svg", "math", "iframe", "noscript", "h1", "br", "img",
]  # fmt: skip
LEAVES = st.one_of(
    st.text(max_size=30).map(lambda t: t.replace("<", "&lt;")),
    st.sampled_from(["Norland met Sudmark in Porthaven.", "&amp;", "&#0;", "&#xD800;",
                     "&nosuch;", "<!-- c -->", "<![CDATA[x]]>", "<", "</", "<p", "<?pi?>",
                     "<!DOCTYPE html>", "\x00", "\u202e", "وزير"]),
)  # fmt: skip


def element(tag: str, attributes: list[tuple[str, str]], children: list[str], closed: bool) -> str:
    shown = "".join(f' {name}="{value}"' for name, value in attributes)
    return f"<{tag}{shown}>{''.join(children)}" + (f"</{tag}>" if closed else "")


attributes = st.lists(
    st.tuples(st.sampled_from(["class", "id", "lang", "dir", "href", "x"]),
              st.text(string.ascii_letters + "\"'<> ", max_size=8)),
    max_size=2,
)  # fmt: skip
html_trees = st.recursive(
    LEAVES,
    lambda inner: st.builds(element, st.sampled_from(TAGS), attributes,
                            st.lists(inner, max_size=4), st.booleans()),
    max_leaves=40,
)  # fmt: skip


def feed_of(body: str) -> bytes:
    escaped = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>W</title>"
        f"<item><title>T</title><description>{escaped}</description></item></channel></rss>"
    ).encode("utf-8", errors="surrogatepass")


@bounded(50)
@given(tree=html_trees, depth=st.integers(0, 400))
def test_any_nesting_of_html(folder: Path, tried: InputsTried, tree: str, depth: int) -> None:
    tried.add("readers: generated HTML trees")
    page = "<html><body>" + "<div>" * depth + tree + "</div>" * depth + "</body></html>"
    data = page.encode("utf-8", errors="surrogatepass")
    read_file(folder / "tree.html", data)
    read_file(folder / "tree.xml", feed_of(page))
    text = strip_html(page)
    assert text == strip_html(page)


def test_very_deep_html_is_read_or_refused(folder: Path, tried: InputsTried) -> None:
    tried.add("readers: generated HTML trees")
    depth = 20_000
    page = "<html><body>" + "<div>" * depth + "Norland met Sudmark." + "</div>" * depth
    read_file(folder / "deep.html", page.encode())
    read_file(folder / "deep.xml", feed_of(page))
