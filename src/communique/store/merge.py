"""Merging reports of one happening, told by several articles, into one event.

Every coded event is stored as a *report* (``event_reports``, id = ``Event.event_id``,
keeping its own sentence). Reports are grouped into merged *events* (``events``) by this rule:

**Same merge key.** Two reports can belong to one event only when they have the same

* source actor code and target actor code (the direction counts: ``FRA → DEU`` is not
  ``DEU → FRA``),
* CAMEO code family, the first three characters of the code (``0841`` and ``084`` are one
  family, ``111`` and ``112`` are two),
* date precision (day, month, year, or no date),
* modality and negation: a planned meeting, a meeting that did not take place and a meeting
  that did are three happenings, not one.

**Dates within the window.** Within one key, reports dated to the day are taken in date order
(ties broken by report id) and swept: the earliest report opens an event, and every report
dated at most ``window_days`` (default 2) after that event's date joins it; the first report
beyond the window opens the next event. So every report lies within ``window_days`` of its
event's date, and the event's date is its earliest report's. Reports dated only to a month or
a year merge when their month or year is the same; undated reports of one key form one event.

**The event.** Its id is a content hash of its first report's source code, target code, CAMEO
code, date, modality and negation (the first report: earliest date, then smallest report id).
Its actors, code, names and PLOVER type are the first report's; its place is that of the first
report that names one; it is ``resolved`` when any of its reports is; it counts its reports,
articles and sources (an article without a source name counts as a source of its own), and
``first_seen`` is when the earliest of its articles was stored.

**Independent of ingest order.** The grouping is a function of the set of reports, not of the
order they arrived in: when new reports arrive, the store sweeps again the part of their key's
timeline from the last event that starts on or before the earliest new report (everything
before it cannot change), and rewrites the events there. Storing the same articles in any order
or in any batches gives the same events with the same ids. The limits:

* an earlier report can move the window: a report dated two days before an event can take the
  first place, and the event's id, date and membership change with it (the reports and their
  ids never change: refer to reports, not merged events, for anything lasting);
* ``first_seen`` depends on when articles were stored, by nature;
* the window is a setting of the store as opened: a database grouped with one window and
  extended with another is grouped with the old window before the new reports' region;
  ``Store.remerge()`` regroups everything with the current window;
* the rule does not merge across precision (a report dated "in March" and one dated
  "on 12 March" stay apart), across code families (a criticism and an accusation), or across
  actor codes (``FRA`` and ``FRAGOV``): such pairs may be the same happening, but merging them
  would also join many that are not.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from communique.records import content_id

DEFAULT_WINDOW_DAYS = 2

Row = Mapping[str, Any]


def date_span(value: str | None) -> tuple[date | None, date | None]:
    """First and last day covered by a coded date (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``)."""
    if not value:
        return None, None
    parts = [int(part) for part in value.split("-")]
    if len(parts) == 3:
        day = date(*parts)
        return day, day
    if len(parts) == 2:
        year, month = parts
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(parts[0], 1, 1), date(parts[0], 12, 31)


def merge_key(
    *,
    source_code: str,
    target_code: str,
    cameo_code: str,
    date_precision: str | None,
    modality: str,
    negated: bool,
) -> str:
    """The key two reports must share to merge (see the module docstring)."""
    return "|".join(
        (
            source_code,
            target_code,
            cameo_code[:3],
            date_precision or "none",
            modality,
            "negated" if negated else "",
        )
    )


def event_id(first: Row) -> str:
    """The merged event's id: a content hash of its first report's dyad, code and date."""
    return content_id(
        first["source_code"],
        first["target_code"],
        first["cameo_code"],
        first["date"] or "",
        first["modality"],
        "negated" if first["negated"] else "",
    )


def _order(report: Row) -> tuple[date, str]:
    return (report["date_start"] or date.min, report["id"])


def clusters(reports: Iterable[Row], *, window_days: int) -> list[list[Row]]:
    """Group the reports of ONE merge key into events, each list in report order."""
    ordered = sorted(reports, key=_order)
    groups: list[list[Row]] = []
    window = timedelta(days=window_days)
    for report in ordered:
        if groups and _joins(groups[-1][0], report, window):
            groups[-1].append(report)
        else:
            groups.append([report])
    return groups


def _joins(first: Row, report: Row, window: timedelta) -> bool:
    if report["date_precision"] == "day":
        return bool(report["date_start"] - first["date_start"] <= window)
    return bool(report["date"] == first["date"])


def event_row(reports: Sequence[Row], articles: Mapping[str, Row]) -> dict[str, Any]:
    """The ``events`` row for one group of reports (first report first).

    ``articles`` maps each report's article id to its ``ingested_at`` and ``source``.
    """
    first = reports[0]
    placed = next((report for report in reports if report["location_name"]), None)
    article_ids = {report["article_id"] for report in reports}
    sources = {articles[key]["source"] or f"article:{key}" for key in article_ids}
    seen: list[datetime] = [articles[key]["ingested_at"] for key in article_ids]
    row: dict[str, Any] = {column: first[column] for column in EVENT_FIELDS_FROM_FIRST}
    row.update(
        id=event_id(first),
        cameo_family=first["cameo_code"][:3],
        location_name=placed["location_name"] if placed else None,
        location_country=placed["location_country"] if placed else None,
        location_lat=placed["location_lat"] if placed else None,
        location_lon=placed["location_lon"] if placed else None,
        resolved=any(r["source_resolved"] and r["target_resolved"] for r in reports),
        report_count=len(reports),
        article_count=len(article_ids),
        source_count=len(sources),
        first_report=first["id"],
        first_seen=min(seen),
    )
    return row


def actor_fields(side: str) -> tuple[str, ...]:
    """The columns of one party (``side`` "source" or "target"), on events and reports."""
    return tuple(f"{side}_{field}" for field in ("code", "name", "country", "sector", "title"))


#: The CAMEO and PLOVER columns of a coded event, on events and reports.
CODE_FIELDS = (
    "cameo_code",
    "cameo_root",
    "cameo_name",
    "goldstein",
    "quad_class",
    "plover_type",
    "plover_mode",
)

#: Columns an event copies from its first report.
EVENT_FIELDS_FROM_FIRST = (
    "merge_key",
    *actor_fields("source"),
    *actor_fields("target"),
    *CODE_FIELDS,
    "date",
    "date_precision",
    "date_start",
    "date_end",
    "modality",
    "negated",
)
