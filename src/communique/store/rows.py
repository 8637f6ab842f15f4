"""Rows of the store and the records they hold: a coded ``Event`` as an ``event_reports`` row
and back, and a merged event as the flat dict ``Store.events`` returns."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Result

from communique.records import Actor, Cameo, Event, Location, Plover
from communique.store import merge


def report_row(coded: Event) -> dict[str, Any]:
    """The ``event_reports`` row of a coded event (without its merged event's id)."""
    start, end = merge.date_span(coded.date)
    location = coded.location
    plover = coded.plover
    return {
        "id": coded.event_id,
        "article_id": coded.article_id,
        "merge_key": merge.merge_key(
            source_code=coded.source.code,
            target_code=coded.target.code,
            cameo_code=coded.cameo.code,
            date_precision=coded.date_precision,
            modality=coded.modality,
            negated=coded.negated,
        ),
        "sentence_index": coded.sentence_index,
        "sentence": coded.sentence,
        "span_start": coded.span[0],
        "span_end": coded.span[1],
        "trigger": coded.trigger,
        "rule": coded.rule,
        "date": coded.date,
        "date_precision": coded.date_precision,
        "date_basis": coded.date_basis,
        "date_start": start,
        "date_end": end,
        **_actor_fields("source", coded.source),
        **_actor_fields("target", coded.target),
        "cameo_code": coded.cameo.code,
        "cameo_root": coded.cameo.root,
        "cameo_name": coded.cameo.name,
        "goldstein": coded.cameo.goldstein,
        "quad_class": coded.cameo.quad_class,
        "plover_type": plover.type if plover else None,
        "plover_mode": plover.mode if plover else None,
        "plover_context": json.dumps(plover.context) if plover else None,
        "location_name": location.name if location else None,
        "location_country": location.country if location else None,
        "location_lat": location.lat if location else None,
        "location_lon": location.lon if location else None,
        "location_kind": location.kind if location else None,
        "modality": coded.modality,
        "negated": coded.negated,
        "quote": coded.quote,
    }


def _actor_fields(side: str, actor: Actor) -> dict[str, Any]:
    return {
        f"{side}_code": actor.code,
        f"{side}_name": actor.name,
        f"{side}_country": actor.country,
        f"{side}_sector": actor.sector,
        f"{side}_text": actor.text,
        f"{side}_resolved": actor.resolved,
        f"{side}_title": actor.title,
    }


def utc(moment: datetime) -> datetime:
    """SQLite hands back naive times; the store writes UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


#: The keys of a merged event as ``Store.events`` returns it, in order.
EVENT_KEYS = (
    "event_id",
    "date",
    "date_precision",
    *merge.actor_fields("source"),
    *merge.actor_fields("target"),
    *merge.CODE_FIELDS,
    "modality",
    "negated",
    "resolved",
    "location",
    "location_country",
    "location_lat",
    "location_lon",
    "reports",
    "articles",
    "sources",
    "first_seen",
    "report_id",
    "article_id",
    "url",
    "sentence",
)

_RENAMED = {
    "event_id": "id",
    "location": "location_name",
    "reports": "report_count",
    "articles": "article_count",
    "sources": "source_count",
    "report_id": "first_report",
}


def event_dicts(result: Result[Any]) -> Iterator[dict[str, Any]]:
    """Merged events as ``Store.events`` gives them (keys ``EVENT_KEYS``, JSON-ready values),
    from the rows of ``query.events_query``."""
    names = list(result.keys())
    positions = [names.index(_RENAMED.get(key, key)) for key in EVENT_KEYS]
    lead = names.index("lead") if "lead" in names else None
    for row in result:
        record = dict(zip(EVENT_KEYS, [row[position] for position in positions], strict=True))
        record["first_seen"] = utc(record["first_seen"]).isoformat()
        record["negated"] = bool(record["negated"])
        record["resolved"] = bool(record["resolved"])
        if lead is not None:
            record["lead"] = bool(row[lead])
        yield record


def event_from_report(row: Mapping[Any, Any]) -> Event:
    """The coded event a report row was made from."""
    plover = (
        Plover(
            type=row["plover_type"],
            mode=row["plover_mode"],
            context=json.loads(row["plover_context"] or "[]"),
        )
        if row["plover_type"]
        else None
    )
    location = (
        Location(
            name=row["location_name"],
            country=row["location_country"],
            lat=row["location_lat"],
            lon=row["location_lon"],
            kind=row["location_kind"] or "city",
        )
        if row["location_name"]
        else None
    )
    return Event(
        event_id=row["id"],
        article_id=row["article_id"],
        sentence_index=row["sentence_index"],
        sentence=row["sentence"],
        span=(row["span_start"], row["span_end"]),
        trigger=row["trigger"],
        rule=row["rule"],
        date=row["date"],
        date_precision=row["date_precision"],
        source=_actor(row, "source"),
        target=_actor(row, "target"),
        cameo=Cameo(
            code=row["cameo_code"],
            root=row["cameo_root"],
            name=row["cameo_name"],
            goldstein=row["goldstein"],
            quad_class=row["quad_class"],
        ),
        plover=plover,
        location=location,
        modality=row["modality"],
        negated=bool(row["negated"]),
        quote=row["quote"],
        date_basis=row["date_basis"],
    )


def _actor(row: Mapping[Any, Any], side: str) -> Actor:
    return Actor(
        text=row[f"{side}_text"],
        name=row[f"{side}_name"],
        code=row[f"{side}_code"],
        country=row[f"{side}_country"],
        sector=row[f"{side}_sector"],
        resolved=bool(row[f"{side}_resolved"]),
        title=row[f"{side}_title"],
    )
