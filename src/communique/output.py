"""Writing events for people (a table) and for machines (JSON Lines, CSV)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from communique.records import Event

CSV_COLUMNS = [
    "event_id",
    "article_id",
    "sentence_index",
    "date",
    "date_precision",
    "source_code",
    "source_name",
    "target_code",
    "target_name",
    "cameo_code",
    "cameo_name",
    "goldstein",
    "quad_class",
    "plover_type",
    "plover_mode",
    "modality",
    "negated",
    "trigger",
    "location",
    "rule",
    "sentence",
]


def write_jsonl(events: Iterable[Event], stream: IO[str]) -> None:
    for event in events:
        stream.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")


def csv_writer(stream: IO[str]) -> Any:
    writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    return writer


def csv_row(event: Event) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "article_id": event.article_id,
        "sentence_index": event.sentence_index,
        "date": event.date,
        "date_precision": event.date_precision,
        "source_code": event.source.code,
        "source_name": event.source.name,
        "target_code": event.target.code,
        "target_name": event.target.name,
        "cameo_code": event.cameo.code,
        "cameo_name": event.cameo.name,
        "goldstein": event.cameo.goldstein,
        "quad_class": event.cameo.quad_class,
        "plover_type": event.plover.type if event.plover else "",
        "plover_mode": (event.plover.mode or "") if event.plover else "",
        "modality": event.modality,
        "negated": event.negated,
        "trigger": event.trigger,
        "location": event.location.name if event.location else "",
        "rule": event.rule,
        "sentence": event.sentence,
    }


def events_table(events: list[Event], *, title: str | None = None) -> Table:
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("date", no_wrap=True)
    table.add_column("source")
    table.add_column("event")
    table.add_column("target")
    table.add_column("mood", no_wrap=True)
    table.add_column("where")
    if any(event.date_basis == "published" for event in events):
        table.caption = "* no date in the sentence: the publication date stands in"
    for event in events:
        table.add_row(
            _date(event),
            _actor(event.source.name, event.source.code),
            f"{event.cameo.code} {event.cameo.name}",
            _actor(event.target.name, event.target.code),
            event.modality + (" (negated)" if event.negated else ""),
            event.location.name if event.location else "",
        )
    return table


def print_table(events: list[Event], console: Console, *, title: str | None = None) -> None:
    if events:
        console.print(events_table(events, title=title))
    else:
        console.print(f"[dim]{title + ': ' if title else ''}no events found[/dim]")


def _actor(name: str, code: str) -> str:
    return f"{escape(name)} [bold]{code}[/bold]" if code else escape(name)


def _date(event: Event) -> str:
    if event.date is None:
        return "?"
    return event.date + ("*" if event.date_basis == "published" else "")


def unknown_table(items: list[Any]) -> Table:
    """Names the knowledge base lacks: count, best guess and first sentence."""
    table = Table(title="names the knowledge base does not know", title_justify="left")
    table.add_column("count", justify="right")
    table.add_column("name")
    table.add_column("guess")
    table.add_column("example sentence", overflow="fold")
    for item in items:
        table.add_row(str(item.count), escape(item.name), item.guess or "?", escape(item.example))
    return table
