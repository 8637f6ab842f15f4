"""The ``batch`` command: coding a corpus on a Dask cluster into partitioned Parquet.

Registered on the ``communique`` group by ``communique.cli``; the work is done by
``communique.scale``.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from communique.errors import CommuniqueError

BATCH_EXAMPLES = """
\b
Examples:
  communique batch corpus/ --output events/                 # local cluster, all cores
  communique batch a.jsonl b.parquet --output out/ --workers 2 --partition-size 100
  communique batch archive/ --output /shared/out --scheduler tcp://10.0.0.5:8786
  communique batch news.jsonl --output out/ --db postgresql://user@host/communique

\b
Output: out/events/month=YYYY-MM/part-<partition>.parquet, one row per event; re-running
the same command skips finished partitions. Details: docs/scale.md.
"""


def register(cli: click.Group) -> None:
    """Add the ``batch`` command to the ``communique`` group."""
    from communique import cli as base

    @cli.command(epilog=BATCH_EXAMPLES)
    @click.argument("sources", nargs=-1, required=True)
    @click.option(
        "--output",
        "-o",
        "output_dir",
        required=True,
        type=click.Path(path_type=Path, file_okay=False),
        help="Folder for the Parquet output (on a cluster: one every worker can write).",
    )
    @click.option(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="Run on this Dask cluster instead of starting one here.",
    )
    @click.option(
        "--workers",
        type=click.IntRange(min=1),
        help="Worker processes of the local cluster.  [default: the number of cores]",
    )
    @click.option(
        "--partition-size",
        type=click.IntRange(min=1),
        default=200,
        show_default=True,
        help="Articles per partition (the unit of work, retry and resume).",
    )
    @click.option(
        "--retries",
        type=click.IntRange(min=0),
        default=2,
        show_default=True,
        help="Times a failed partition is tried again.",
    )
    @click.option(
        "--db",
        "db_url",
        metavar="URL|FILE",
        help="Also load the coded articles and events into this database (SQLite or "
        "postgresql://).",
    )
    @base._undated_option
    @click.option(
        "--glob",
        "glob",
        metavar="PATTERN",
        help="In folders, only files whose name matches (e.g. '*.parquet').",
    )
    @click.option("--model", help="spaCy pipeline to use: an installed package name or a path.")
    @base._dictionary_options
    @base._verbs_option
    @click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
    def batch(
        sources: tuple[str, ...],
        output_dir: Path,
        scheduler: str | None,
        workers: int | None,
        partition_size: int,
        retries: int,
        db_url: str | None,
        date_text: str | None,
        glob: str | None,
        model: str | None,
        actor_files: tuple[Path, ...],
        agent_files: tuple[Path, ...],
        verb_files: tuple[str, ...],
        quiet: bool,
    ) -> None:
        """Code articles on a Dask cluster into Parquet partitioned by month."""
        from communique.scale import BatchOptions

        if scheduler and workers:
            raise click.UsageError(
                "--workers is for a local cluster; leave it out with --scheduler"
            )
        base._check_verb_files(verb_files)
        coder = {
            "model": model,
            # Absolute paths: workers may run in another folder.
            "actors": [str(path.resolve()) for path in actor_files],
            "agents": [str(path.resolve()) for path in agent_files],
            "verbs": [
                name if name == "default" else str(Path(name).resolve()) for name in verb_files
            ],
        }
        options = BatchOptions(
            output=output_dir, partition_size=partition_size, retries=retries, coder=coder
        )
        run = _Run(sources, options, glob=glob, quiet=quiet)
        try:
            tally = run.code(
                base._option_date(date_text), scheduler, workers or os.cpu_count() or 1
            )
            loaded = run.load(db_url, tally) if db_url else None
        except CommuniqueError as error:
            raise click.ClickException(str(error)) from error
        for message in tally.skipped:  # articles the workers could not code
            click.echo(f"communique: skipped {message}", err=True)
        if not quiet:
            _summary(tally, loaded)
        if tally.stopped:
            _stopped(tally)
        if tally.failed or tally.stopped or (tally.articles == 0 and tally.reading.read > 0):
            sys.exit(1)


class _Run:
    """The command's steps, sharing its console, progress bar and counts."""

    def __init__(self, sources: tuple[str, ...], options: Any, *, glob: str | None, quiet: bool):
        self.sources = sources
        self.options = options
        self.glob = glob
        self.quiet = quiet
        self.errors = Console(stderr=True, highlight=False)

    def code(self, published: Any, scheduler: str | None, workers: int) -> Any:
        from communique import cli as base
        from communique.ingest.documents import ReadOptions
        from communique.scale import Batch, Progress, batch_client, count_inputs, read_inputs
        from communique.scale.output import prepare_output

        # Before any cluster starts: a folder that cannot be written fails at once.
        prepare_output(self.options.output)
        total = count_inputs(list(self.sources), self.glob)
        parts = math.ceil(total / self.options.partition_size) if total is not None else None
        tally = base.Tally()
        with self._status("starting the Dask cluster…"), batch_client(scheduler, workers) as client:
            self._announce(client)
            with base._progress(self.errors, enabled=not self.quiet) as progress:
                partitions = progress.add_task("partitions", total=parts)
                articles = progress.add_task("articles", total=total)

                def partition_ended(count: int) -> None:
                    progress.advance(partitions)
                    progress.advance(articles, count)

                hooks = Progress(
                    on_partition=partition_ended,
                    on_skip=lambda error: base._skip(error, tally),
                    on_failure=lambda message: click.echo(
                        f"communique: failed {message}", err=True
                    ),
                )
                items = read_inputs(self.sources, ReadOptions(published=published), glob=self.glob)
                return Batch(client, self.options, hooks).run(items)

    def _status(self, message: str) -> Any:
        from contextlib import nullcontext

        return nullcontext() if self.quiet else self.errors.status(message)

    def _announce(self, client: Any) -> None:
        from communique.scale import dashboard_address

        workers = len(client.scheduler_info().get("workers", {}))
        link = dashboard_address(client)
        if not self.quiet:
            where = f"; dashboard {link}" if link else " (no dashboard: bokeh is not installed)"
            click.echo(
                f"Dask scheduler {client.scheduler.address}, {workers} workers{where}", err=True
            )

    def load(self, db_url: str, tally: Any) -> dict[str, Any]:
        from communique import cli as base
        from communique.scale import load_into_store
        from communique.store import Store

        store = Store.open(db_url)
        with base._progress(self.errors, enabled=not self.quiet) as progress:
            task = progress.add_task("loading", total=tally.articles)
            totals: dict[str, Any] = load_into_store(
                store,
                tally,
                self.options.output,
                on_partition=lambda count: progress.advance(task, count),
            )
        totals["display"] = store.display_url
        return totals


def _summary(tally: Any, loaded: dict[str, Any] | None) -> None:
    from communique import cli as base

    reading = tally.reading
    click.echo(
        f"partitions: {tally.coded} coded, {tally.resumed} already done, "
        f"{len(tally.failed)} failed; articles: {tally.articles} coded, "
        f"{len(reading.bad) + len(tally.skipped)} skipped, {reading.repeated} repeated; "
        f"events: {tally.events}",
        err=True,
    )
    if loaded:
        click.echo(
            f"database {loaded['display']}: {base._plural(loaded['new'], 'article')} new, "
            f"{loaded['present']} already present; {loaded['events']} events new "
            f"({loaded['reports']} reports)",
            err=True,
        )
    if tally.failed and not tally.stopped:
        click.echo(
            f"communique: {base._plural(len(tally.failed), 'partition')} failed (listed above); "
            "run the same command again to retry them",
            err=True,
        )


def _stopped(tally: Any) -> None:
    """The run stopped because the output folder cannot take writes: why, and what to do."""
    cancelled = f"; {tally.cancelled} waiting partitions cancelled" if tally.cancelled else ""
    click.echo(
        f"communique: stopped: {tally.stopped}{cancelled}. The partitions finished so far are "
        "kept; make room or make the folder writable, then run the same command again to "
        "code the rest",
        err=True,
    )


__all__ = ["register"]
