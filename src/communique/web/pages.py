"""The dashboard: server-rendered pages (Jinja2, autoescaped) over the same views as the API.

Filters and pages live in the query string, so every view can be bookmarked and shared.
Summaries come through the app's summary cache, as in the API (``X-Summary-Age``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from communique import analysis
from communique.analysis import DyadTimeline
from communique.web import chart, params, views
from communique.web.api import FiltersDep, StoreDep, SummariesDep
from communique.web.app import HERE
from communique.web.errors import ApiError

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = params.MAX_OFFSET // PAGE_SIZE
# Every value reaches the HTML through autoescaping; article text is never marked safe.
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def http_url(value: object) -> str | None:
    """A link target only when it is an http(s) URL: escaping alone would let a stored
    ``javascript:`` URL run when clicked."""
    text = str(value or "").strip()
    return text if text.lower().startswith(("https://", "http://")) else None


ENVIRONMENT.filters["http_url"] = http_url
templates = Jinja2Templates(env=ENVIRONMENT)

PageNumber = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page, from 1.")]


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=status)


def error_page(request: Request, error: ApiError) -> Response:
    return render(request, "error.html", status=error.status, error=error)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, opened: StoreDep, cached: SummariesDep) -> HTMLResponse:
    pairs = views.result_dict(cached.get(analysis.top_pairs, opened, limit=20))
    health = views.health(opened, cached)
    return cached.mark(render(request, "home.html", health=health, pairs=pairs))


@router.get("/pair")
def pick_pair(
    a: Annotated[str, Query(pattern=params.COUNTRY_PATTERN)],
    b: Annotated[str, Query(pattern=params.COUNTRY_PATTERN)],
) -> RedirectResponse:
    """The home page's form: on to /pair/A/B."""
    return RedirectResponse(f"/pair/{a.upper()}/{b.upper()}", status_code=303)


@router.get("/pair/{a}/{b}", response_class=HTMLResponse)
def pair(
    request: Request,
    a: params.CountryA,
    b: params.CountryB,
    opened: StoreDep,
    cached: SummariesDep,
    by: Annotated[Literal["month", "week"], Query()] = "month",
    since: params.Since = None,
    until: params.Until = None,
) -> HTMLResponse:
    first, last = params.date_range(since, until)
    a, b = params.country(a), params.country(b)
    timeline = cached.get(analysis.dyad_timeline, opened, a, b, by=by, since=first, until=last)
    # With an end date, the channels are shown as they stood on that day.
    contacts = cached.get(analysis.channels, opened, a, b, as_of=last)
    drawn = chart.layout(_periods(timeline), forward=f"{a}→{b}", backward=f"{b}→{a}")
    return cached.mark(
        render(request, "pair.html", a=a, b=b, by=by, since=since or "", until=until or "",
               chart=drawn, channels=views.result_dict(contacts))
    )


@router.get("/events", response_class=HTMLResponse)
def events(
    request: Request,
    opened: StoreDep,
    chosen: FiltersDep,
    cached: SummariesDep,
    page: PageNumber = 1,
) -> HTMLResponse:
    paging = views.Page(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = views.events_page(opened, chosen, paging, order="newest", summaries=cached)
    form = {key: request.query_params.get(key, "") for key in
            ("dyad", "since", "until", "code", "actor")}
    return cached.mark(
        render(request, "events.html", result=result, form=form, page=page,
               pages=_page_links(request, page, result["total"]))
    )


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event(request: Request, event_id: params.EventId, opened: StoreDep) -> HTMLResponse:
    detail = views.event_detail(opened, event_id)
    first = detail["event"]
    shown = views.article_view(opened, first["article_id"], event_id=first["report_id"])
    return render(request, "event.html", detail=detail, shown=shown)


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article(
    request: Request,
    article_id: params.ArticleId,
    opened: StoreDep,
    event: params.HighlightEvent = None,
) -> HTMLResponse:
    shown = views.article_view(opened, article_id, event_id=event)
    return render(request, "article.html", shown=shown)


@router.get("/actors/{actor_code}", response_class=HTMLResponse)
def actor(
    request: Request,
    actor_code: params.ActorCode,
    opened: StoreDep,
    cached: SummariesDep,
    page: PageNumber = 1,
) -> HTMLResponse:
    paging = views.Page(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    result = views.actor_view(opened, actor_code.upper(), paging, cached)
    return cached.mark(
        render(request, "actor.html", result=result, page=page,
               pages=_page_links(request, page, result["total"]))
    )


@router.get("/actors", response_class=HTMLResponse)
def actors(
    request: Request, opened: StoreDep, cached: SummariesDep, country: params.Country = None
) -> HTMLResponse:
    chosen = country.upper() if country else None
    top = views.result_dict(cached.get(analysis.top_actors, opened, country=chosen, limit=50))
    return cached.mark(render(request, "actors.html", actors=top, country=chosen or ""))


# ---------------------------------------------------------------------------------------------


def _periods(timeline: DyadTimeline) -> list[chart.Period]:
    """The timeline's periods as the chart draws them: events each way, and the mean
    Goldstein score of both directions together."""
    forward = timeline.direction(timeline.a, timeline.b)
    backward = timeline.direction(timeline.b, timeline.a)
    periods = []
    for label, there, back in zip(timeline.periods, forward, backward, strict=True):
        scored = there.goldstein_n + back.goldstein_n
        mean = (there.goldstein_sum + back.goldstein_sum) / scored if scored else None
        periods.append(chart.Period(label, there.events, back.events, mean))
    return periods


def _page_links(request: Request, page: int, total: int) -> dict[str, str | None]:
    """URLs of the previous and next pages, keeping every other parameter."""
    last = max(1, -(-total // PAGE_SIZE))

    def link(number: int) -> str:
        query = {key: value for key, value in request.query_params.items() if key != "page"}
        query["page"] = str(number)
        return f"{request.url.path}?{urlencode(query)}"

    return {
        "previous": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < last else None,
        "last": str(last),
    }


__all__ = ["error_page", "router"]
