"""A web page's article: its main text (trafilatura) and the four facts communique keeps.

trafilatura's own metadata pass also looks for authors, categories, tags and a licence, which
communique does not store; on news pages that is over a third of the extraction time. Here the
page is parsed once, the title, URL, site name and date are found with trafilatura's and
htmldate's functions (so they are the ones trafilatura would give), and the text is extracted
from the same parsed tree.
"""

from __future__ import annotations

import contextlib
import html
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import htmldate.extractors
import trafilatura
from dateparser import DateDataParser
from htmldate import find_date
from trafilatura.metadata import (
    examine_meta,
    extract_meta_json,
    extract_sitename,
    extract_title,
    extract_url,
)
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html


@lru_cache(maxsize=1)
def english_date_parser() -> DateDataParser:
    """The parser htmldate hands the date expressions its own patterns cannot read.

    htmldate builds it for every language dateparser knows, and compiling their patterns
    takes seconds the first time a page needs it; communique codes English text, so the
    parser knows English alone. Otherwise the settings are htmldate's (strict, absolute
    dates, the past preferred). On the news-html pages: the same 200 dates."""
    return DateDataParser(
        languages=["en"],
        settings={
            "NORMALIZE": True,
            "PARSERS": ["custom-formats", "absolute-time"],
            "PREFER_DATES_FROM": "past",
            "PREFER_LOCALE_DATE_ORDER": True,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "STRICT_PARSING": True,
        },
    )


# htmldate has no option for it: its module-level factory is replaced (looked up at each call).
htmldate.extractors.get_external_parser = english_date_parser


@dataclass(frozen=True)
class Page:
    text: str
    title: str | None
    date: str | None  # as htmldate finds it: YYYY-MM-DD
    url: str | None
    site: str | None


def extract_page(data: bytes) -> Page | None:
    """The page's article, or None when the markup cannot be parsed or holds no text."""
    with warnings.catch_warnings():
        # dateutil warns about time-zone names it does not know; the day is still right.
        warnings.simplefilter("ignore")
        tree = load_html(data)
        if tree is None:
            return None
        facts = _page_facts(tree)
        # fast: no second opinion from the fallback extractors; on the news-html pages that
        # is 15% quicker and extracts the text as well (docs/benchmarks.md).
        document: Any = trafilatura.bare_extraction(
            tree, with_metadata=False, include_comments=False, fast=True
        )
    if document is None:
        return None
    return Page(text=document.text or "", **facts)


def _page_facts(tree: Any) -> dict[str, str | None]:
    found = examine_meta(tree)
    # Broken JSON-LD leaves the <meta> facts, as in trafilatura.
    with contextlib.suppress(Exception):
        found = extract_meta_json(tree, found)
    title = found.title or extract_title(tree)
    url = found.url or extract_url(tree, None)
    # The date search trafilatura's fast mode asks htmldate for (its extensive search).
    date_params = {**set_date_params(True), "url": url}
    return {
        "title": _tidy(title),
        "date": find_date(tree, **date_params),
        "url": _tidy(url),
        "site": _site_name(found.sitename or extract_sitename(tree), url),
    }


def _site_name(name: str | None, url: str | None) -> str | None:
    """The publisher's name; a lower-case handle is capitalised, else the URL's host."""
    name = _tidy(name.lstrip("@")) if name else None
    if name:
        if "." not in name and not name[0].isupper():
            name = name.title()
        return name
    host = urlsplit(url).hostname if url else None
    if not host:
        return None
    first, _, rest = host.partition(".")
    if rest and (first == "www" or (first[:1] == "w" and first[1:].isdigit())):
        return rest
    return host


def _tidy(value: str | None) -> str | None:
    text = " ".join(html.unescape(value).split()) if value else ""
    return text or None
