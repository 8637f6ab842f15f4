"""The database commands of the command line: ``ingest``, ``events``, ``export`` and
``doctor``.

Registered on the ``communique`` group by ``communique.cli``; the work is done by
``communique.ingest`` and ``communique.store``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from communique.errors import CommuniqueError

INGEST_EXAMPLES = """
\b
Examples:
  communique ingest examples/articles.jsonl                # into ./communique.db
  communique ingest news/ --glob '*.html' --db events.db --workers 2
  communique ingest feed.xml archive.jsonl.gz --db postgresql://user@host/communique
  cat docs.jsonl | communique ingest -

\b
Re-running the same input adds nothing; an ingest that was killed resumes where it stopped.
The database is --db, else $COMMUNIQUE_DB, else communique.db in this folder.
"""

EVENTS_EXAMPLES = """
\b
Examples:
  communique events --dyad USA CHN --since 2024-01-01
  communique events --code 04 --actor Sullivan --format jsonl
  communique events --db events.db --format csv > events.csv
"""

EXPORT_EXAMPLES = """
\b
Examples:
  communique export --format parquet --output events.parquet
  communique export --format gdelt --output events.tsv
  communique export --format jsonl > events.jsonl
"""

DOCTOR_EXAMPLES = """
\b
Examples:
  communique doctor --db events.db
  communique doctor --db postgresql://user@host/communique --json

\b
Exit status: 0 clean, 1 problems found (each named, with counts and example
ids), 2 the database cannot be opened. Nothing is written, nor migrated.
"""


def _db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db_url",
        metavar="URL|FILE",
        help="Database: a SQLite file or a postgresql:// URL (default $COMMUNIQUE_DB, else "
        "communique.db).",
    )(command)


def _dates_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--until", metavar="YYYY-MM-DD", help="Only events on or before this date."
    )(command)
    return click.option("--since", metavar="YYYY-MM-DD", help="Only events on or after this date.")(
        command
    )


def register(cli: click.Group) -> None:
    """Add the database commands to the ``communique`` group."""
    from communique import cli as base

    @cli.command(epilog=INGEST_EXAMPLES)
    @click.argument("sources", nargs=-1, required=True)
    @_db_option
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Processes coding in parallel, each loading the model once.",
    )
    @base._undated_option
    @click.option(
        "--glob",
        "glob",
        metavar="PATTERN",
        help="In folders, only files whose name matches (e.g. '*.html').",
    )
    @click.option(
        "--csv-text", default="text", show_default=True, help="CSV column holding the text."
    )
    @click.option(
        "--csv-date",
        default="date",
        show_default=True,
        help="CSV column holding the publication date.",
    )
    @click.option(
        "--batch-size",
        type=click.IntRange(min=1),
        default=32,
        show_default=True,
        help="Articles per database transaction.",
    )
    @click.option("--model", help="spaCy pipeline to use: an installed package name or a path.")
    @base._dictionary_options
    @base._verbs_option
    @click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
    def ingest(
        sources: tuple[str, ...],
        db_url: str | None,
        workers: int,
        date_text: str | None,
        glob: str | None,
        csv_text: str,
        csv_date: str,
        batch_size: int,
        model: str | None,
        actor_files: tuple[Path, ...],
        agent_files: tuple[Path, ...],
        verb_files: tuple[str, ...],
        quiet: bool,
    ) -> None:
        """Read, code and store news articles in a database (SQLite or PostgreSQL)."""
        from communique.ingest.documents import ReadOptions
        from communique.ingest.readers import CsvColumns, count_documents, read_sources
        from communique.ingest.run import Ingest, IngestOptions
        from communique.store import Store

        base._check_verb_files(verb_files)
        errors = Console(stderr=True, highlight=False)
        options = ReadOptions(published=base._option_date(date_text))
        coder_options = {
            "model": model,
            "actors": actor_files,
            "agents": agent_files,
            "verbs": verb_files,
        }
        tally = base.Tally()
        try:
            store = Store.open(db_url)
            items = read_sources(
                sources, options, glob=glob, csv_columns=CsvColumns(text=csv_text, date=csv_date)
            )
            run = IngestOptions(batch_size=batch_size, workers=workers, coder=coder_options)
            with base._progress(errors, enabled=not quiet) as progress:
                task = progress.add_task("ingesting", total=count_documents(sources, glob=glob))
                ingest_run = Ingest(
                    store,
                    run,
                    on_skip=lambda error: base._skip(error, tally),
                    on_progress=lambda done: progress.advance(task, done),
                )
                result = ingest_run.run(items)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        if not quiet:
            _ingest_summary(result, store)
        if result.new == 0 and result.present == 0:
            sys.exit(1)

    @cli.command(epilog=EVENTS_EXAMPLES)
    @_db_option
    @click.option(
        "--dyad",
        nargs=2,
        metavar="SOURCE TARGET",
        help="Only events between two countries (ISO3), in this direction.",
    )
    @_dates_options
    @click.option("--code", metavar="CAMEO", help="Only events whose CAMEO code starts so.")
    @click.option(
        "--actor", metavar="TEXT", help="Only events with an actor name or code containing this."
    )
    @click.option(
        "--limit",
        type=click.IntRange(min=1),
        default=100,
        show_default=True,
        help="At most this many events, newest first.",
    )
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", "jsonl", "csv", "parquet"]),
        default="table",
        show_default=True,
        help="Output format.",
    )
    @base._output_option("Write here instead of standard output (required for parquet).")
    def events(
        db_url: str | None,
        dyad: tuple[str, str] | None,
        since: str | None,
        until: str | None,
        code: str | None,
        actor: str | None,
        limit: int,
        fmt: str,
        output_path: Path | None,
    ) -> None:
        """List stored events, filtered by country pair, dates, code and actor."""
        from communique.store import write_rows

        try:
            store = _open_to_read(db_url)
            rows = store.events(
                dyad=tuple(code.upper() for code in dyad) if dyad else None,
                since=base._option_date(since, "--since"),
                until=base._option_date(until, "--until"),
                code=code,
                actor=actor,
                limit=limit,
            )
            if fmt == "table":
                _print_events(rows, output_path)
            else:
                write_rows(rows, fmt, output_path)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error

    @cli.command(epilog=EXPORT_EXAMPLES)
    @_db_option
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["jsonl", "csv", "parquet", "gdelt"]),
        default="jsonl",
        show_default=True,
        help="jsonl, csv, parquet, or gdelt (tab-separated, GDELT 1.0 columns).",
    )
    @base._output_option("Write here instead of standard output (required for parquet).")
    def export(db_url: str | None, fmt: str, output_path: Path | None) -> None:
        """Export every stored event (merged across articles)."""
        from communique.store import export as write_export

        if fmt == "parquet" and output_path is None:
            raise click.UsageError("--format parquet needs --output FILE")
        try:
            store = _open_to_read(db_url)
            count = write_export(store, fmt, output_path or sys.stdout)
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"exported {base._plural(count, 'event')}", err=True)

    @cli.command(epilog=DOCTOR_EXAMPLES)
    @_db_option
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
    @click.option(
        "--quick",
        is_flag=True,
        help="SQLite: PRAGMA quick_check instead of the slower, full integrity_check.",
    )
    def doctor(db_url: str | None, as_json: bool, quick: bool) -> None:
        """Check a database: schema version, integrity, orphans, duplicates and counts."""
        import json

        from communique.store import doctor as checkup

        try:
            store = checkup.open_store(db_url)
            try:
                report = checkup.check(store, quick=quick)
            finally:
                store.close()
        except CommuniqueError as error:
            # Exit 2, not click's 1: a script must tell "cannot check" from "problems found".
            click.echo(f"Error: {error}", err=True)
            sys.exit(2)
        click.echo(json.dumps(report.to_dict(), indent=2) if as_json else checkup.describe(report))
        sys.exit(0 if report.clean else 1)


def _open_to_read(db_url: str | None, *, create: bool = False) -> Any:
    """The database of a command that only reads (see ``Store.open_to_read``)."""
    from communique.store import Store

    return Store.open_to_read(db_url, create=create)


def _ingest_summary(result: Any, store: Any) -> None:
    from communique import cli as base

    totals = store.counts()
    click.echo(
        f"articles: {result.new} new, {result.present} already present, "
        f"{len(result.failed)} failed; events: {result.events} new "
        f"({result.reports} reports)",
        err=True,
    )
    click.echo(
        f"database {store.display_url}: {base._plural(totals['articles'], 'article')}, "
        f"{base._plural(totals['events'], 'event')}, {base._plural(totals['reports'], 'report')}",
        err=True,
    )


def _print_events(rows: list[dict[str, Any]], output_path: Path | None) -> None:
    table = Table(title=f"{len(rows)} events", title_justify="left")
    for column in ("date", "source", "event", "target", "reports", "sentence"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row.get("date") or "?"),
            f"{row.get('source_name', '')} {row.get('source_code', '')}",
            f"{row.get('cameo_code', '')} {row.get('cameo_name', '')}",
            f"{row.get('target_name', '')} {row.get('target_code', '')}",
            str(row.get("reports", 1)),
            str(row.get("sentence", "")),
        )
    stream = output_path.open("w", encoding="utf-8") if output_path else sys.stdout
    try:
        Console(file=stream, highlight=False, width=None if stream.isatty() else 160).print(table)
    finally:
        if output_path:
            stream.close()


__all__ = ["register"]
