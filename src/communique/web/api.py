"""The REST API: JSON under /api, described at /openapi.json (and /docs).

Summaries (counts, rankings, totals, timelines, channels, the network, an actor's counts)
come through the app's summary cache (``communique.web.cache``); an answer made with one says
its age in ``X-Summary-Age``. A post that stores articles clears the cache."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from communique import analysis
from communique.store import Filters, Store
from communique.web import params, views
from communique.web.cache import Summaries, SummaryCache
from communique.web.errors import ApiError
from communique.web.keys import key_matches

router = APIRouter(prefix="/api", tags=["api"])

API_KEY = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="A key the server was started with."
)
MAX_ARTICLES = 100
MAX_TEXT_CHARS = 1_000_000
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {"description": "A parameter is invalid; the message names it."},
    503: {"description": "The database cannot be reached or used."},
}


def store(request: Request) -> Store:
    opened: Store = request.app.state.stores.get()
    return opened


def writable_store(request: Request) -> Store:
    """The store for a write; a database that cannot be written answers 503
    ``database_read_only`` before anything is coded."""
    opened: Store = request.app.state.stores.writable()
    return opened


def summaries(request: Request) -> Summaries:
    """The app's summary cache, for one request (which notes the age of what it used)."""
    return Summaries(request.app.state.summaries)


StoreDep = Annotated[Store, Depends(store)]
WritableStoreDep = Annotated[Store, Depends(writable_store)]
SummariesDep = Annotated[Summaries, Depends(summaries)]


def filters(
    dyad: params.Dyad = None,
    since: params.Since = None,
    until: params.Until = None,
    code: params.Code = None,
    actor: params.ActorText = None,
) -> Filters:
    first, last = params.date_range(since, until)
    return Filters(
        dyad=params.dyad_pair(dyad),
        since=first,
        until=last,
        code=code,
        actor=actor.strip() if actor else None,
    )


def page(limit: params.Limit = params.DEFAULT_LIMIT, offset: params.Offset = 0) -> views.Page:
    return views.Page(limit=limit, offset=offset)


FiltersDep = Annotated[Filters, Depends(filters)]
PageDep = Annotated[views.Page, Depends(page)]


@router.get("/health", responses=ERROR_RESPONSES)
def health(opened: StoreDep, cached: SummariesDep, response: Response) -> dict[str, Any]:
    """Whether the database answers: its schema version and how much it holds."""
    result = views.health(opened, cached)
    cached.mark(response)
    return result


@router.get("/events", responses=ERROR_RESPONSES)
def events(
    request: Request,
    opened: StoreDep,
    chosen: FiltersDep,
    paging: PageDep,
    cached: SummariesDep,
    response: Response,
    order: Annotated[Literal["newest", "oldest"], Query()] = "newest",
) -> dict[str, Any]:
    """Merged events, filtered, a page at a time; ``next`` is the URL of the next page."""
    result = views.events_page(opened, chosen, paging, order=order, summaries=cached)
    cached.mark(response)
    following = result["next_offset"]
    result["next"] = (
        str(request.url.include_query_params(offset=following)) if following is not None else None
    )
    return result


@router.get(
    "/events/{event_id}", responses={404: {"description": "No such event."}, **ERROR_RESPONSES}
)
def event(event_id: params.EventId, opened: StoreDep) -> dict[str, Any]:
    """One merged event and every report of it (sentence, trigger offsets, article)."""
    return views.event_detail(opened, event_id)


@router.get("/dyads", responses=ERROR_RESPONSES)
def dyads(
    opened: StoreDep,
    cached: SummariesDep,
    response: Response,
    since: params.Since = None,
    until: params.Until = None,
    limit: Annotated[int, Query(ge=1, le=params.MAX_LIMIT)] = 20,
) -> Any:
    """The country pairs with the most events."""
    first, last = params.date_range(since, until)
    result = cached.get(analysis.top_pairs, opened, since=first, until=last, limit=limit)
    cached.mark(response)
    return views.result_dict(result)


@router.get("/dyads/{a}/{b}/timeline", responses=ERROR_RESPONSES)
def timeline(
    a: params.CountryA,
    b: params.CountryB,
    opened: StoreDep,
    cached: SummariesDep,
    response: Response,
    by: Annotated[Literal["month", "week"], Query()] = "month",
    since: params.Since = None,
    until: params.Until = None,
) -> Any:
    """Events between two countries per month or week, in each direction, with Goldstein."""
    first, last = params.date_range(since, until)
    result = cached.get(
        analysis.dyad_timeline,
        opened,
        params.country(a),
        params.country(b),
        by=by,
        since=first,
        until=last,
    )
    cached.mark(response)
    return views.result_dict(result)


@router.get("/dyads/{a}/{b}/channels", responses=ERROR_RESPONSES)
def channels(
    a: params.CountryA,
    b: params.CountryB,
    opened: StoreDep,
    cached: SummariesDep,
    response: Response,
    as_of: Annotated[
        str | None,
        Query(pattern=params.DATE_PATTERN, description="Contacts up to this day (YYYY-MM-DD)."),
    ] = None,
    gap_days: Annotated[
        int,
        Query(ge=1, le=36_500, description='A gap longer than this is "first since".'),
    ] = 365,
) -> Any:
    """Channels of contact between two countries: last contact per level, the one before,
    the gap, "first since", and planned contacts."""
    result = cached.get(
        analysis.channels,
        opened,
        params.country(a),
        params.country(b),
        as_of=params.day(as_of, "as_of"),
        gap_days=gap_days,
    )
    cached.mark(response)
    return views.result_dict(result)


@router.get("/network", responses=ERROR_RESPONSES)
def network(
    opened: StoreDep,
    cached: SummariesDep,
    response: Response,
    country: params.Country = None,
    since: params.Since = None,
    until: params.Until = None,
    min_weight: Annotated[int, Query(ge=1, le=1_000_000, description="Fewest events.")] = 1,
    limit: Annotated[int, Query(ge=1, le=1_000, description="Heaviest edges kept.")] = 200,
) -> Any:
    """The actor network: actor codes joined by weighted edges (events, mean Goldstein)."""
    first, last = params.date_range(since, until)
    result = cached.get(
        analysis.actor_network,
        opened,
        country=country.upper() if country else None,
        since=first,
        until=last,
        min_weight=min_weight,
        limit=limit,
    )
    cached.mark(response)
    return views.result_dict(result)


@router.get("/actors", responses=ERROR_RESPONSES)
def actors(
    opened: StoreDep,
    cached: SummariesDep,
    response: Response,
    country: params.Country = None,
    since: params.Since = None,
    until: params.Until = None,
    limit: Annotated[int, Query(ge=1, le=params.MAX_LIMIT)] = 20,
) -> Any:
    """The actors with the most events."""
    first, last = params.date_range(since, until)
    result = cached.get(
        analysis.top_actors,
        opened,
        country=country.upper() if country else None,
        since=first,
        until=last,
        limit=limit,
    )
    cached.mark(response)
    return views.result_dict(result)


@router.get(
    "/actors/{actor_code}", responses={404: {"description": "No such actor."}, **ERROR_RESPONSES}
)
def actor(
    actor_code: params.ActorCode,
    opened: StoreDep,
    paging: PageDep,
    cached: SummariesDep,
    response: Response,
) -> dict[str, Any]:
    """An actor code: its names, how often it acts and is acted upon, its latest events."""
    result = views.actor_view(opened, actor_code.upper(), paging, cached)
    cached.mark(response)
    return result


@router.get(
    "/articles/{article_id}",
    responses={404: {"description": "No such article."}, **ERROR_RESPONSES},
)
def article(
    article_id: params.ArticleId, opened: StoreDep, event: params.HighlightEvent = None
) -> dict[str, Any]:
    """An article's text and the events it reports. With ``event``, that event's sentence
    and trigger as offsets (``highlight``) and the text cut into ``segments`` around them
    (``mark``: null, "sentence" or "trigger") for a page to render as plain text."""
    return views.article_view(opened, article_id, event_id=event)


class ArticleIn(BaseModel):
    """A document to code, as in ``communique ingest`` JSON Lines."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    date: str | None = Field(
        default=None, pattern=params.DATE_PATTERN, description="Publication date, YYYY-MM-DD."
    )
    title: str | None = Field(default=None, max_length=1_000)
    url: str | None = Field(default=None, max_length=2_000)
    source: str | None = Field(default=None, max_length=200)
    id: str | None = Field(default=None, max_length=200, description="Your own id for it.")


class ArticlesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    articles: list[ArticleIn] = Field(min_length=1, max_length=MAX_ARTICLES)


class IngestOut(BaseModel):
    read: int
    new: int
    already_present: int
    failed: list[str]
    events: int
    reports: int


def require_key(request: Request, key: Annotated[str | None, Depends(API_KEY)]) -> None:
    hashes = request.app.state.key_hashes
    if not hashes:
        raise ApiError(
            403,
            "writes are disabled: the server has no API key (set "
            "COMMUNIQUE_API_KEY or start it with --api-key-file)",
        )
    if not key:
        raise ApiError(401, "this request writes: send your API key in the X-API-Key header")
    if not key_matches(key, hashes):
        raise ApiError(403, "the API key in X-API-Key is not valid")


@router.post(
    "/articles",
    dependencies=[Depends(require_key)],
    responses={
        401: {"description": "No API key."},
        403: {"description": "Wrong API key."},
        429: {"description": "Too many writes from this key (or address); see Retry-After."},
        **ERROR_RESPONSES,
        503: {"description": "The database cannot be reached, or cannot be written."},
    },
)
def post_articles(request: Request, body: ArticlesIn, opened: WritableStoreDep) -> IngestOut:
    """Code articles and store their events, as `communique ingest` does (needs `X-API-Key`).
    An article already stored is counted in ``already_present``, not coded again."""
    records = [item.model_dump(exclude_none=True) for item in body.articles]
    cache: SummaryCache = request.app.state.summaries
    try:
        tally = views.ingest(opened, records)
    except BaseException:
        cache.clear()  # a batch may have been stored before the failure
        raise
    if tally["new"]:
        # Before the answer: whoever reads after it sees what was stored.
        cache.clear()
    return IngestOut(**tally)
