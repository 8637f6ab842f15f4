"""The analysis commands of the command line: ``dyad``, ``channels`` and ``network``.

Registered on the ``communique`` group by ``communique.cli``; the work is done by
``communique.analysis``, and these commands only print its results.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from communique.cli_store import _dates_options, _db_option, _open_to_read
from communique.errors import CommuniqueError

DYAD_EXAMPLES = """
\b
Examples:
  communique dyad USA CHN                      # per month, both directions
  communique dyad USA CHN --by week --since 2024-01-01
  communique dyad USA CHN --plot usa-chn.html  # or usa-chn.png
  communique dyad USA CHN --format json
"""

CHANNELS_EXAMPLES = """
\b
Examples:
  communique channels USA CHN
  communique channels USA CHN --as-of 2023-12-31 --gap-days 180
  communique channels USA CHN --db events.db --format json
"""

NETWORK_EXAMPLES = """
\b
Examples:
  communique network --country CHN --min-weight 2
  communique network --since 2024-01-01 --limit 50 --format json
"""

FORMATS = click.Choice(["table", "json"])
EMPTY = "{url}: no events stored yet; add some with `communique ingest FILE --db {url}`"


def _format_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--format", "fmt", type=FORMATS, default="table", show_default=True, help="Output format."
    )(command)


def _open(db_url: str | None) -> Any:
    """The store at ``db_url``, read-only if it cannot be written (as ``communique events``
    opens it); ClickException when it is missing or holds no events."""
    store = _open_to_read(db_url)
    if store.counts()["events"] == 0:
        store.close()
        raise click.ClickException(EMPTY.format(url=store.display_url))
    return store


def _console() -> Console:
    return Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def _json(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


def register(cli: click.Group) -> None:
    """Add the analysis commands to the ``communique`` group."""
    from communique import cli as base

    @cli.command(epilog=DYAD_EXAMPLES)
    @click.argument("a")
    @click.argument("b")
    @_db_option
    @click.option(
        "--by",
        type=click.Choice(["month", "week"]),
        default="month",
        show_default=True,
        help="Length of a period.",
    )
    @_dates_options
    @click.option(
        "--plot",
        "plot_path",
        type=click.Path(dir_okay=False, path_type=Path),
        metavar="FILE.png|FILE.html",
        help="Also draw the timeline: a PNG image, or an HTML page that works offline.",
    )
    @_format_option
    def dyad(
        a: str,
        b: str,
        db_url: str | None,
        by: str,
        since: str | None,
        until: str | None,
        plot_path: Path | None,
        fmt: str,
    ) -> None:
        """Timeline of two countries: events per period in each direction, by quad class,
        with mean Goldstein score and the cooperation–conflict index."""
        from communique.analysis import dyad_timeline
        from communique.analysis.chart import write_plot

        try:
            with _open(db_url) as store:
                timeline = dyad_timeline(
                    store,
                    a,
                    b,
                    by="week" if by == "week" else "month",
                    since=base._option_date(since, "--since"),
                    until=base._option_date(until, "--until"),
                )
            if plot_path is not None:
                write_plot(timeline, plot_path)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        if fmt == "json":
            _json(timeline.to_dict())
        else:
            _console().print(_dyad_table(timeline))
        if plot_path is not None:
            click.echo(f"chart written to {plot_path}", err=True)

    @cli.command(epilog=CHANNELS_EXAMPLES)
    @click.argument("a")
    @click.argument("b")
    @_db_option
    @click.option(
        "--as-of",
        "as_of",
        metavar="YYYY-MM-DD",
        help="Only contacts up to this date, and plans reported by then.",
    )
    @click.option(
        "--gap-days",
        type=click.IntRange(min=1),
        default=365,
        show_default=True,
        help="A last contact more than this many days after the one before is 'first since'.",
    )
    @_format_option
    def channels(
        a: str, b: str, db_url: str | None, as_of: str | None, gap_days: int, fmt: str
    ) -> None:
        """Channels of contact between two countries: for leaders, diplomats, security
        advisers, militaries and legislators, the last contact, the one before, the gap and
        planned meetings."""
        from communique.analysis import channels as find_channels

        try:
            with _open(db_url) as store:
                found = find_channels(
                    store, a, b, as_of=base._option_date(as_of, "--as-of"), gap_days=gap_days
                )
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        if fmt == "json":
            _json(found.to_dict())
        else:
            _console().print(_channels_table(found))

    @cli.command(epilog=NETWORK_EXAMPLES)
    @_db_option
    @click.option("--country", metavar="ISO3", help="Only events with an actor of this country.")
    @_dates_options
    @click.option(
        "--min-weight",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Only edges with at least this many events.",
    )
    @click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=30,
        show_default=True,
        help="At most this many edges, heaviest first.",
    )
    @_format_option
    def network(
        db_url: str | None,
        country: str | None,
        since: str | None,
        until: str | None,
        min_weight: int,
        limit: int,
        fmt: str,
    ) -> None:
        """Actor network: actor codes joined by the events between them."""
        from communique.analysis import actor_network

        try:
            with _open(db_url) as store:
                found = actor_network(
                    store,
                    country=country,
                    since=base._option_date(since, "--since"),
                    until=base._option_date(until, "--until"),
                    min_weight=min_weight,
                    limit=limit,
                )
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        if fmt == "json":
            _json(found.to_dict())
        else:
            _console().print(_network_table(found))


# --------------------------------------------------------------------------------------------
# Tables


def _dyad_table(timeline: Any) -> Table:
    from communique.analysis import QUAD_NAMES

    table = Table(
        title=f"{timeline.a}–{timeline.b} per {timeline.by} (events reported as happening)",
        title_justify="left",
    )
    table.add_column("period")
    table.add_column("direction")
    for name in QUAD_NAMES.values():
        table.add_column(name.replace(" ", "\n"), justify="right")
    for column in ("events", "mean\nGoldstein", "coop–conflict\nindex"):
        table.add_column(column, justify="right")
    for period_index, period in enumerate(timeline.periods):
        for (source, target), points in timeline.points.items():
            point = points[period_index]
            if not point.events:
                continue
            table.add_row(
                period,
                f"{source} → {target}",
                *(str(point.counts[quad]) for quad in QUAD_NAMES),
                str(point.events),
                _signed(point.mean_goldstein),
                _signed(point.index),
            )
    if not timeline.periods:
        table.caption = f"no dated events between {timeline.a} and {timeline.b}"
    return table


def _channels_table(found: Any) -> Table:
    table = Table(
        title=f"Channels of contact {found.a}–{found.b}"
        + (f" as of {found.as_of}" if found.as_of else ""),
        title_justify="left",
        caption=f"first since: more than {found.gap_days} days after the contact before",
        caption_justify="left",
    )
    for column in ("channel", "last contact", "who", "previous", "gap (days)", "planned"):
        table.add_column(column, overflow="fold")
    for channel in found.channels:
        last, previous = channel.last, channel.previous
        gap = "" if channel.gap_days is None else str(channel.gap_days)
        if channel.first_since:
            gap += "\nfirst since"
        table.add_row(
            channel.label,
            last.date if last else "—",
            last.who if last else "",
            f"{previous.date}: {previous.who}" if previous else "",
            gap,
            "\n".join(f"{plan.date}: {plan.who}" for plan in channel.planned),
        )
    return table


def _network_table(found: Any) -> Table:
    table = Table(
        title=f"{len(found.nodes)} actors, {len(found.edges)} edges", title_justify="left"
    )
    for column, justify in (
        ("source", "left"),
        ("target", "left"),
        ("events", "right"),
        ("mean Goldstein", "right"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for edge in found.edges:
        table.add_row(edge.source, edge.target, str(edge.weight), _signed(edge.goldstein))
    if not found.edges:
        table.caption = "no edges: lower --min-weight or widen the dates"
    return table


def _signed(value: float | None) -> str:
    return "" if value is None else f"{value:+.2f}"


__all__ = ["register"]
