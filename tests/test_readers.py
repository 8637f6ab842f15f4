"""Reading documents from every format: text, HTML, JSON Lines, JSON, CSV, feeds, gzip,
folders and standard input; bad input as errors that never stop the rest."""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from communique.errors import InputError
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import CsvColumns, count_documents, read_sources, strip_html
from communique.records import Article, content_id
from tests.conftest import SHARED

AUG_29 = date(2024, 8, 29)
MAR_3 = date(2025, 3, 3)
TALKS = "The foreign ministers of Norland and Sudmark met in Porthaven to discuss the border."
AID = "The government of Norland pledged emergency aid to flooded villages in Sudmark."
QUIET = ReadOptions()


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def read(
    *sources: str | Path,
    options: ReadOptions = QUIET,
    glob: str | None = None,
    csv_columns: CsvColumns | None = None,
) -> list[object]:
    names = [str(source) for source in sources]
    return list(read_sources(names, options, glob=glob, csv_columns=csv_columns))


def articles(items: list[object]) -> list[Article]:
    return [item for item in items if isinstance(item, Article)]


def errors(items: list[object]) -> list[InputError]:
    return [item for item in items if isinstance(item, InputError)]


def only_article(items: list[object]) -> Article:
    [item] = items
    assert isinstance(item, Article), item
    return item


def only_error(items: list[object]) -> InputError:
    [item] = items
    assert isinstance(item, InputError), item
    return item


def jsonl_text(*records: object) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Norland and Sudmark agree to reopen border | The Porthaven Ledger</title>
<meta property="og:title" content="Norland and Sudmark agree to reopen border">
<meta property="og:site_name" content="The Porthaven Ledger">
<meta property="og:url" content="https://ledger.example.org/world/border-deal">
<meta property="article:published_time" content="2024-08-29T09:30:00+02:00">
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a>
<a href="/sport">Sport</a></nav></header>
<article>
<h1>Norland and Sudmark agree to reopen border</h1>
<p>The foreign ministers of Norland and Sudmark agreed on Thursday to reopen the border
crossing at Eastgate, closed since the spring, after two days of talks in Porthaven.</p>
<p>Norland's minister said trucks carrying grain would be allowed through first, and that
a joint commission would meet every month to settle disputes over customs duties.</p>
<p>Sudmark's government welcomed the agreement but warned that it would withdraw if
border guards were again accused of turning away refugees from the northern provinces.</p>
</article>
<footer><p>All rights reserved. Contact the newsroom.</p></footer>
</body></html>
"""

UNDATED_PAGE = """<html><head><title>Aid reaches flooded villages</title></head><body>
<article><h1>Aid reaches flooded villages</h1>
<p>The government of Norland sent emergency aid to flooded villages in Sudmark on Monday,
the first shipment since the river burst its banks and cut the valley road.</p>
<p>Relief workers said that clean water and tents were needed most, and that the army had
opened its field hospitals to families who had lost their homes in the flood.</p>
</article></body></html>
"""

# A JavaScript application shell: a page with no article text at all.
APP_SHELL = """<html><head><title>Ledger app</title><script>var config = {};</script></head>
<body><div id="root"></div><script>render(document.getElementById("root"))</script></body>
</html>
"""

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Porthaven Ledger: World</title><link>https://ledger.example.org/</link>
<item><title>Border to reopen</title><link>https://ledger.example.org/1</link>
<guid>ledger-1</guid><pubDate>Thu, 29 Aug 2024 23:30:00 -0500</pubDate>
<description>&lt;p&gt;The ministers agreed to reopen &lt;b&gt;Eastgate&lt;/b&gt;.&lt;/p&gt;
&lt;p&gt;Trucks go first.&lt;/p&gt;</description></item>
<item><title>Aid for Sudmark</title><link>https://ledger.example.org/2</link>
<pubDate>yesterday-ish</pubDate><description>Norland pledged aid.</description></item>
<item><title></title><description></description></item>
<item><title>Talks resume</title><link>https://ledger.example.org/3</link>
<description>Negotiators returned to Porthaven.</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Sudmark Herald</title>
<id>urn:herald</id><updated>2025-03-04T08:00:00Z</updated>
<entry><title>Customs commission meets</title><id>urn:herald:7</id>
<link href="https://herald.example.org/7"/><updated>2025-03-03T18:00:00Z</updated>
<content type="html">&lt;p&gt;The joint commission met for the first time.&lt;/p&gt;</content>
<summary>The commission met.</summary></entry>
</feed>
"""


# --- plain text -----------------------------------------------------------------------------


def test_text_file_header_and_fallback_dates(tmp_path: Path) -> None:
    dated = write(tmp_path / "a.txt", f"Date: 2024-08-29\nTitle: Talks\nId: wire-9\n\n{TALKS}\n")
    undated = write(tmp_path / "b.txt", AID + "\n")
    first, second = articles(read(dated, undated, options=ReadOptions(published=MAR_3)))
    assert (first.published, first.title, first.external_id) == (AUG_29, "Talks", "wire-9")
    assert first.text == TALKS and first.id == content_id(TALKS)
    assert second.published == MAR_3  # no date of its own: the --date default
    # No date anywhere: the article still comes, undated, for the caller to decide.
    assert only_article(read(undated)).published is None


def test_same_text_same_id_in_every_format(tmp_path: Path) -> None:
    text_file = write(tmp_path / "one.txt", f"Date: 2024-08-29\n\n{TALKS}\n")
    jsonl = write(tmp_path / "two.jsonl", jsonl_text({"id": "x-1", "text": TALKS, "date": "x"}))
    json_file = write(tmp_path / "three.json", json.dumps({"text": TALKS}))
    csv_file = write(tmp_path / "four.csv", f'text,id\n"{TALKS}",row-4\n')
    items = read(text_file, jsonl, json_file, csv_file)
    [bad_date] = errors(items)  # "x" is not a date: that record is refused, not re-dated
    assert bad_date.where == f"{jsonl}:1"
    jsonl.write_text(jsonl_text({"id": "x-1", "text": TALKS, "date": "2024-08-29"}))
    found = articles(read(text_file, jsonl, json_file, csv_file))
    assert {article.id for article in found} == {content_id(TALKS)}
    assert [article.external_id for article in found] == [None, "x-1", None, "row-4"]


# --- HTML -----------------------------------------------------------------------------------


def test_html_page_gives_text_and_metadata(tmp_path: Path) -> None:
    article = only_article(read(write(tmp_path / "border.html", PAGE)))
    assert article.title == "Norland and Sudmark agree to reopen border"
    assert article.published == AUG_29
    assert article.url == "https://ledger.example.org/world/border-deal"
    assert article.source == "The Porthaven Ledger"
    assert "reopen the border\ncrossing" not in article.text  # paragraphs, not source lines
    assert "joint commission would meet every month" in article.text
    assert "All rights reserved" not in article.text and "Sport" not in article.text
    assert article.id == content_id(article.text)


def test_html_page_without_date_uses_default_or_none(tmp_path: Path) -> None:
    path = write(tmp_path / "aid.htm", UNDATED_PAGE)
    assert only_article(read(path, options=ReadOptions(published=MAR_3))).published == MAR_3
    article = only_article(read(path))
    assert article.published is None and article.title == "Aid reaches flooded villages"


def test_html_page_with_no_article_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "app.html", APP_SHELL)
    error = only_error(read(path))
    assert error.where == str(path) and "no article text" in str(error)


def test_binary_file_named_html_is_an_error(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    path = write(tmp_path / "photo.html", png)
    error = only_error(read(path))
    assert error.where == str(path) and "binary" in str(error)


# --- JSON Lines, JSON, CSV ------------------------------------------------------------------


def test_jsonl_bad_line_is_an_error_and_the_rest_go_on(tmp_path: Path) -> None:
    path = write(
        tmp_path / "docs.ndjson",
        jsonl_text(
            {"id": 7, "text": TALKS, "date": "26-FEB-1987 16:03:15.46", "source": "Wire"},
            "",
            "{not json",
            {"text": AID},
        ),
    )
    items = read(path)
    first, bad, last = items
    assert isinstance(first, Article) and isinstance(last, Article)
    assert (first.published, first.external_id, first.source) == (date(1987, 2, 26), "7", "Wire")
    assert first.id == content_id(TALKS)
    assert isinstance(bad, InputError) and bad.where == f"{path}:3"
    assert "not valid JSON" in str(bad)
    assert last.published is None and last.external_id is None


def test_json_array_and_single_object(tmp_path: Path) -> None:
    array = write(
        tmp_path / "docs.json",
        json.dumps([{"text": TALKS, "date": "2024-08-29"}, {"title": "no text"}, {"text": AID}]),
    )
    items = read(array, options=ReadOptions(published=MAR_3))
    first, bad, last = items
    assert isinstance(first, Article) and first.published == AUG_29
    assert isinstance(bad, InputError) and bad.where == f"{array}, record 2"
    assert isinstance(last, Article) and last.published == MAR_3
    one = write(tmp_path / "one.json", json.dumps({"text": AID, "url": "https://x.example"}))
    assert only_article(read(one)).url == "https://x.example"
    broken = write(tmp_path / "broken.json", '[{"text": "a"},')
    assert "not valid JSON" in str(only_error(read(broken)))


def test_csv_with_mapped_columns_and_bad_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path / "docs.csv",
        "\ufeffbody,when,headline,ref\n"
        f'"{TALKS}\nSecond line of the first article.",2024-08-29,Talks,r1\n'
        f"{AID},not a date,Aid,r2\n"
        ",2024-08-30,Empty,r3\n"
        "\n"
        f"{AID} Again.,,Again,r4\n",
    )
    columns = CsvColumns(text="body", date="when", title="headline", id="ref")
    items = read(path, csv_columns=columns, options=ReadOptions(published=MAR_3))
    first, bad_date, empty, last = items
    assert isinstance(first, Article)
    assert first.text == f"{TALKS}\nSecond line of the first article."
    assert (first.published, first.title, first.external_id) == (AUG_29, "Talks", "r1")
    assert isinstance(bad_date, InputError) and bad_date.where == f"{path}:4"
    assert isinstance(empty, InputError) and empty.where == f"{path}:5"
    assert isinstance(last, Article) and last.published == MAR_3 and last.external_id == "r4"


def test_csv_without_the_text_column_is_one_error(tmp_path: Path) -> None:
    path = write(tmp_path / "docs.csv", f"headline,date\nTalks,2024-08-29\n{AID},2024-08-30\n")
    error = only_error(read(path))
    assert error.where == str(path)
    assert "'text'" in str(error) and "'headline'" in str(error)
    renamed = only_error(read(path, csv_columns=CsvColumns(text="story")))
    assert "'story'" in str(renamed)


# --- feeds ----------------------------------------------------------------------------------


def test_rss_feed_entries_and_a_broken_entry(tmp_path: Path) -> None:
    path = write(tmp_path / "world.rss", RSS)
    items = read(path)
    first, bad_date, empty, last = items
    assert isinstance(first, Article)
    assert (
        first.text
        == "Border to reopen\n\nThe ministers agreed to reopen Eastgate.\nTrucks go first."
    )
    # The day as written, not moved to UTC (which would make it the 30th).
    assert first.published == AUG_29
    assert (first.url, first.source, first.external_id) == (
        "https://ledger.example.org/1",
        "Porthaven Ledger: World",
        "ledger-1",
    )
    assert isinstance(bad_date, InputError) and bad_date.where == f"{path}, entry 2"
    assert isinstance(empty, InputError) and "text is empty" in str(empty)
    assert isinstance(last, Article) and last.published is None
    assert last.title == "Talks resume"


def test_atom_feed_prefers_full_content(tmp_path: Path) -> None:
    article = only_article(read(write(tmp_path / "herald.atom", ATOM)))
    assert (
        article.text == "Customs commission meets\n\nThe joint commission met for the first time."
    )
    assert (article.published, article.external_id) == (MAR_3, "urn:herald:7")


def test_unreadable_feed_is_one_error(tmp_path: Path) -> None:
    path = write(tmp_path / "feed.xml", "this is <not a feed & at all")
    error = only_error(read(path))
    assert error.where == str(path) and "cannot read the feed" in str(error)


def test_strip_html() -> None:
    markup = "<p>One &amp; <i>two</i></p><script>x()</script><ul><li>three</li></ul>four"
    assert strip_html(markup) == "One & two\nthree\nfour"


# --- gzip -----------------------------------------------------------------------------------


def test_gzip_of_jsonl_and_of_html(tmp_path: Path) -> None:
    packed = write(
        tmp_path / "docs.jsonl.gz", gzip.compress(jsonl_text({"text": TALKS}, "[]").encode())
    )
    page = write(tmp_path / "border.html.gz", gzip.compress(PAGE.encode()))
    talks, bad, border = read(packed, page)
    assert isinstance(talks, Article) and talks.text == TALKS
    assert isinstance(bad, InputError) and bad.where == f"{packed}:2"
    assert isinstance(border, Article) and border.published == AUG_29


def test_corrupt_gzip_is_one_error(tmp_path: Path) -> None:
    whole = gzip.compress(jsonl_text(*({"text": f"{AID} {n}"} for n in range(500))).encode())
    truncated = write(tmp_path / "cut.jsonl.gz", whole[: len(whole) // 2])
    not_gzip = write(tmp_path / "plain.html.gz", PAGE)
    items = read(truncated, not_gzip)
    [cut, plain] = errors(items)
    assert cut.where == str(truncated) and "gzip" in str(cut)
    assert plain.where == str(not_gzip) and "gzip" in str(plain)
    assert len(articles(items)) < 500  # what came before the break is still read


def test_size_limit_applies_to_whole_files_and_decompressed_data(tmp_path: Path) -> None:
    limit = ReadOptions(max_bytes=200)
    big = write(tmp_path / "big.txt", TALKS * 5)
    assert "larger than the limit" in str(only_error(read(big, options=limit)))
    bomb = write(tmp_path / "big.html.gz", gzip.compress(PAGE.encode()))
    assert "once decompressed" in str(only_error(read(bomb, options=limit)))
    lines = write(tmp_path / "lines.jsonl", jsonl_text({"text": TALKS}, {"text": TALKS * 5}))
    small, large = read(lines, options=limit)
    assert isinstance(small, Article) and isinstance(large, InputError)


# --- folders, standard input, counting ------------------------------------------------------


def test_folder_is_read_recursively_in_order_with_glob(tmp_path: Path) -> None:
    write(tmp_path / "b" / "border.html", PAGE)
    write(tmp_path / "a" / "deep" / "aid.html.gz", gzip.compress(UNDATED_PAGE.encode()))
    write(tmp_path / "a" / "notes.txt", TALKS)
    write(tmp_path / "a" / "photo.png", b"\x89PNG\x00")
    write(tmp_path / ".hidden" / "x.txt", AID)
    everything = read(tmp_path)
    assert [a.title for a in articles(everything)] == [
        "Aid reaches flooded villages",
        None,
        "Norland and Sudmark agree to reopen border",
    ]
    assert not errors(everything)  # the .png in a folder is passed over silently
    pages = read(tmp_path, glob="*.HTML")
    assert [a.title for a in articles(pages)] == ["Norland and Sudmark agree to reopen border"]
    assert count_documents([str(tmp_path)]) == 3
    assert count_documents([str(tmp_path)], glob="*.html*") == 2


def test_empty_folder_and_unsupported_or_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "no files to read" in str(only_error(read(empty)))
    write(tmp_path / "pages" / "a.txt", TALKS)
    assert "matching '*.html'" in str(only_error(read(tmp_path / "pages", glob="*.html")))
    image = write(tmp_path / "photo.png", b"\x89PNG\x00")
    assert "not a supported format" in str(only_error(read(image)))
    assert "cannot read the file" in str(only_error(read(tmp_path / "missing.txt")))


def test_standard_input_is_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    data = jsonl_text({"id": "s1", "text": TALKS, "date": "2024-08-29"}, "oops").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    article, error = read("-")
    assert isinstance(article, Article) and article.external_id == "s1"
    assert isinstance(error, InputError) and error.where == "<stdin>:2"
    assert count_documents(["-"]) is None


def test_count_documents(tmp_path: Path) -> None:
    jsonl = write(tmp_path / "d.jsonl", jsonl_text({"text": TALKS}, "", {"text": AID}))
    table = write(tmp_path / "d.csv", f'text\n"{TALKS}\nmore"\n{AID}\n')
    assert count_documents([str(jsonl), str(table), str(tmp_path / "x.txt")]) == 4
    assert count_documents([str(write(tmp_path / "f.rss", RSS))]) is None


# --- the shared corpora ---------------------------------------------------------------------


def test_real_news_pages() -> None:
    folder = SHARED / "corpus" / "news-html"
    if not (folder / "pages").is_dir():
        pytest.skip(f"{folder} is absent: set COMMUNIQUE_SHARED to the shared test material")
    items = read(folder, glob="*.html.gz")
    found = articles(items)
    assert len(items) == count_documents([str(folder)], glob="*.html.gz")
    good = [a for a in found if a.title and len(a.text.split()) >= 100]
    assert len(good) >= 0.9 * len(items)
    assert sum(a.published is not None for a in found) >= 0.9 * len(items)
    assert len({a.id for a in found}) == len(found)


def test_real_reuters_dates() -> None:
    path = SHARED / "corpus" / "reuters-1987-politics.jsonl"
    if not path.is_file():
        pytest.skip(f"{path} is absent: set COMMUNIQUE_SHARED to the shared test material")
    items = read(path)
    assert not errors(items)
    found = articles(items)
    assert found[0].published == date(1987, 2, 26)  # "26-FEB-1987 16:03:15.46"
    assert found[0].external_id == "reuters-60"
    years = Counter(a.published.year for a in found if a.published)
    assert years == {1987: len(found)}


def test_page_facts_are_the_ones_trafilatura_finds() -> None:
    """The reader skips trafilatura's author/tag/licence search but keeps its four facts."""
    import trafilatura

    from communique.ingest.pages import extract_page

    folder = SHARED / "corpus" / "news-html" / "pages"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: set COMMUNIQUE_SHARED to the shared test material")
    compared = 0
    for path in sorted(folder.glob("*.html.gz"))[:60]:
        data = gzip.decompress(path.read_bytes())
        full = trafilatura.bare_extraction(
            data, with_metadata=True, include_comments=False, fast=True
        )
        page = extract_page(data)
        assert (page is None) == (full is None), path.name
        if page is None or full is None:
            continue
        tidy = _tidy_metadata
        expected = (full.text, tidy(full.title), full.date, tidy(full.url), tidy(full.sitename))
        assert (page.text, page.title, page.date, page.url, page.site) == expected, path.name
        compared += 1
    assert compared >= 50


def _tidy_metadata(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


@pytest.mark.parametrize(
    ("meta", "site"),
    [
        ('<meta property="og:site_name" content="porthaven ledger">', "Porthaven Ledger"),
        ('<meta property="og:site_name" content="@porthaven">', "Porthaven"),
        ('<meta property="og:site_name" content="ledger.example.org">', "ledger.example.org"),
        ("", "ledger.example.org"),  # no name: the host of the page's URL
    ],
)
def test_html_site_name(tmp_path: Path, meta: str, site: str) -> None:
    page = UNDATED_PAGE.replace(
        "<head>",
        '<head><link rel="canonical" href="https://www.ledger.example.org/aid">' + meta,
        1,
    )
    assert "canonical" in page
    article = only_article(read(write(tmp_path / "aid.html", page)))
    assert article.source == site and article.url == "https://www.ledger.example.org/aid"


def test_html_entities_in_the_title_are_decoded(tmp_path: Path) -> None:
    page = UNDATED_PAGE.replace(
        "<head>", '<head><meta property="og:title" content="Aid &amp; relief  reach villages">', 1
    )
    article = only_article(read(write(tmp_path / "aid.html", page)))
    assert article.title == "Aid & relief reach villages"


def test_a_date_only_dateparser_reads_is_found_in_english(tmp_path: Path) -> None:
    """htmldate passes expressions its patterns cannot read to dateparser; communique gives
    it an English-only parser (seconds faster to start than one for every language)."""
    import htmldate.extractors

    from communique.ingest.pages import english_date_parser

    assert htmldate.extractors.get_external_parser() is english_date_parser()
    page = UNDATED_PAGE.replace(
        "<article>", "<article><div class='byline'>Tuesday, Aug. 17, 2010</div>", 1
    )
    article = only_article(read(write(tmp_path / "aid.html", page)))
    assert article.published == date(2010, 8, 17)
