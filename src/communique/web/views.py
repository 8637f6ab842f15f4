"""What the API returns and the pages show, built once for both: plain JSON-ready dicts from
the store and the analysis, never HTML.

The summaries among them (the store's counts, the total of an event list, an actor's counts)
go through the request's ``Summaries`` (``communique.web.cache``); rows never do."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from communique.errors import InputError
from communique.store import Filters, Store
from communique.store import lookup as queries
from communique.web.article import Highlight, locate, segments
from communique.web.cache import Summaries
from communique.web.errors import ApiError, not_found


@dataclass(frozen=True)
class Page:
    """A page of a list: which items, out of how many."""

    limit: int
    offset: int

    def to_dict(self, total: int) -> dict[str, Any]:
        following = self.offset + self.limit
        return {
            "total": total,
            "limit": self.limit,
            "offset": self.offset,
            "next_offset": following if following < total else None,
        }


def events_page(
    store: Store, filters: Filters, page: Page, *, order: str, summaries: Summaries
) -> dict[str, Any]:
    """A page of merged events (read every time) and how many there are (a summary)."""
    rows = store.events(
        dyad=filters.dyad,
        since=filters.since,
        until=filters.until,
        code=filters.code,
        actor=filters.actor,
        limit=page.limit,
        offset=page.offset,
        order="oldest" if order == "oldest" else "newest",
    )
    total = summaries.get(queries.count_events, store, filters)
    return {**page.to_dict(total), "events": rows}


def event_detail(store: Store, event_id: str) -> dict[str, Any]:
    """A merged event with every report of it, each with its article's title and source."""
    found = queries.event(store, event_id)
    if found is None:
        raise not_found("event", event_id)
    reports = store.reports(event_id)
    articles = queries.article_titles(store, sorted({report.article_id for report in reports}))
    return {
        "event": found,
        "reports": [
            {**report.to_dict(), "article": articles.get(report.article_id, {})}
            for report in reports
        ],
    }


def article_view(store: Store, article_id: str, *, event_id: str | None) -> dict[str, Any]:
    """An article, the events it reports and, with ``event_id`` (a merged event or one of
    its reports), that event's sentence and trigger located in the text."""
    found = queries.article(store, article_id)
    if found is None:
        raise not_found("article", article_id)
    highlight = _highlight(store, found, event_id) if event_id else None
    return {
        "article": found,
        "events": queries.article_reports(store, article_id),
        "highlight": highlight.to_dict() if highlight else None,
        "segments": segments(found["text"], highlight),
    }


def _highlight(store: Store, article: dict[str, Any], event_id: str) -> Highlight:
    reports = [report for report in store.reports(event_id) if report.article_id == article["id"]]
    if not reports:  # perhaps the id of a report rather than of a merged event
        report = queries.report_of(store, event_id)
        reports = [report] if report is not None and report.article_id == article["id"] else []
    if not reports:
        raise ApiError(
            404,
            f"event {event_id!r} is not reported in article {article['id']!r}; "
            "see the article's events for the ids it reports",
        )
    return locate(article["text"], reports[0], event_id=event_id)


def actor_view(store: Store, code: str, page: Page, summaries: Summaries) -> dict[str, Any]:
    """An actor's names and counts (a summary), and a page of its events."""
    found = summaries.get(queries.actor, store, code)
    if found is None:
        raise ApiError(
            404,
            f"no actor with code {code!r} in this database; codes are "
            "country + sector, like USAGOV (see /api/actors)",
        )
    rows, total = queries.actor_events(store, code, limit=page.limit, offset=page.offset)
    return {"actor": found, **page.to_dict(total), "events": rows}


def counts(store: Store) -> dict[str, int]:
    """How many articles, events and reports the store holds (three counts of whole tables)."""
    return store.counts()


def health(store: Store, summaries: Summaries) -> dict[str, Any]:
    """The database's state; its counts are a summary."""
    from communique import __version__

    return {
        "status": "ok",
        "version": __version__,
        "database": store.display_url,
        "dialect": store.dialect,
        "read_only": store.read_only,
        "schema_version": queries.schema_version(store),
        "counts": summaries.get(counts, store),
    }


# ---------------------------------------------------------------------------------------------
# Analysis results and ingest


def result_dict(result: Any) -> Any:
    """An analysis result (a dataclass with ``to_dict``, or a list of them) as JSON data."""
    if isinstance(result, list):
        return [result_dict(item) for item in result]
    return result.to_dict()


# One ingest at a time: the process's spaCy pipeline is not made for concurrent calls, and
# the store serialises writers anyway.
_INGESTING = threading.Lock()


def ingest(store: Store, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Code and store posted documents through the same path as ``communique ingest``."""
    from communique.ingest.documents import ReadOptions
    from communique.ingest.readers import record_article
    from communique.ingest.run import Ingest, IngestOptions

    items: list[Any] = []
    for number, record in enumerate(records):
        try:
            items.append(record_article(record, where=f"articles[{number}]", options=ReadOptions()))
        except InputError as error:
            items.append(error)
    # The tally lists what could not be coded; nothing to report on the way.
    run = Ingest(store, IngestOptions(), on_skip=lambda error: None, on_progress=lambda done: None)
    with _INGESTING:
        tally = run.run(items)
    return {
        "read": tally.read,
        "new": tally.new,
        "already_present": tally.present,
        "failed": tally.failed,
        "events": tally.events,
        "reports": tally.reports,
    }
