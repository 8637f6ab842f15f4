"""Running a batch: partitions go to Dask workers as futures, results come back as they end.

The client reads the input and submits partitions, keeping only a few more in flight than
there are workers, so memory stays flat whatever the size of the input. A partition whose
completion marker exists is not submitted (resume). A task is retried ``retries`` times (a
worker that dies takes its task with it; Dask gives it to another); one that still fails is
reported with its range of the input, and the others go on, except when it failed because
the output folder cannot take writes (full, read-only): then no partition is submitted any
more, those waiting are cancelled, and the run ends with ``tally.stopped`` saying why.
Finished partitions are listed in input order, whatever order they ended in, so that loading
them into a database is the same every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, Future, as_completed

from communique.errors import InputError
from communique.records import Article
from communique.scale.inputs import Partition, Position, ReadTally, partitions
from communique.scale.output import (
    OutputFolderError,
    check_manifest,
    prepare_output,
    read_marker,
    read_partition,
    remove_leftovers,
)
from communique.scale.worker import CoderPlugin, code_partition

DEFAULT_PARTITION_SIZE = 200
DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class BatchOptions:
    output: Path
    partition_size: int = DEFAULT_PARTITION_SIZE
    retries: int = DEFAULT_RETRIES
    coder: dict[str, Any] = field(default_factory=dict)


@dataclass
class BatchTally:
    """What a run did; ``finished`` names every partition whose output is complete."""

    coded: int = 0  # partitions coded in this run
    resumed: int = 0  # partitions finished by an earlier run
    failed: list[str] = field(default_factory=list)
    articles: int = 0
    events: int = 0
    skipped: list[str] = field(default_factory=list)  # articles the coder could not code
    reading: ReadTally = field(default_factory=ReadTally)
    finished: list[tuple[str, list[str]]] = field(default_factory=list)  # (name, months)
    stopped: str | None = None  # why the run stopped early: the output folder's error
    cancelled: int = 0  # partitions submitted, then cancelled when the run stopped


@dataclass(frozen=True)
class Progress:
    """Callbacks: a partition ended (with its article count), an item was skipped."""

    on_partition: Callable[[int], None] = lambda articles: None
    on_skip: Callable[[InputError], None] = lambda error: None
    on_failure: Callable[[str], None] = lambda message: None


class Batch:
    """One run of ``options`` on the cluster ``client`` is connected to."""

    def __init__(self, client: Client, options: BatchOptions, progress: Progress) -> None:
        self.client = client
        self.options = options
        self.progress = progress
        self.tally = BatchTally()
        self._pending: dict[str, tuple[Partition, Future[Any]]] = {}
        self._order: dict[str, int] = {}  # partition name: its place in the input

    def run(self, items: Iterable[tuple[Article | InputError, Position]]) -> BatchTally:
        prepare_output(self.options.output)
        check_manifest(self.options.output, self.options.coder)
        self.client.register_plugin(CoderPlugin(self.options.coder))
        # Any: distributed leaves as_completed's methods unannotated.
        finished: Any = as_completed()  # type: ignore[no-untyped-call]
        for partition in self._partitions(items):
            if self.tally.stopped:
                break
            self._order.setdefault(partition.name, len(self._order))
            if not self._resumed(partition):
                finished.add(self._submit(partition))
                while finished.count() >= self._in_flight_limit() and not self.tally.stopped:
                    self._collect(next(finished))
        for future in finished:
            if self.tally.stopped:
                self._cancel_pending()
            self._collect(future)
        remove_leftovers(self.options.output)
        self.tally.finished.sort(key=lambda done: self._order.get(done[0], len(self._order)))
        return self.tally

    def _partitions(
        self, items: Iterable[tuple[Article | InputError, Position]]
    ) -> Iterator[Partition]:
        return partitions(
            items,
            self.options.partition_size,
            tally=self.tally.reading,
            on_skip=self.progress.on_skip,
        )

    def _in_flight_limit(self) -> int:
        # Enough queued for every worker to find its next partition at once; few enough that
        # the client holds a bounded part of the input.
        workers = len(self.client.scheduler_info().get("workers", {}))
        return max(4, 2 * workers + 2)

    def _resumed(self, partition: Partition) -> bool:
        summary = read_marker(self.options.output, partition.name)
        if summary is None:
            return False
        self.tally.resumed += 1
        self._count(summary)
        self.progress.on_partition(len(partition.articles))
        return True

    def _submit(self, partition: Partition) -> Future[Any]:
        # The folder is part of the key: on a shared cluster, two runs of the same input
        # into two folders are two tasks.
        folder = hashlib.sha256(str(self.options.output.resolve()).encode()).hexdigest()[:8]
        key = f"communique-partition-{partition.name}-{folder}"
        future = self.client.submit(
            code_partition,
            partition,
            str(self.options.output),
            self.options.coder,
            key=key,
            retries=self.options.retries,
        )
        self._pending[key] = (partition, future)
        return future

    def _collect(self, future: Future[Any]) -> None:
        partition, _ = self._pending.pop(str(future.key))
        if future.status == "finished":
            summary: dict[str, Any] = future.result()
            self.tally.coded += 1
            self._count(summary)
        elif future.status == "cancelled" and self.tally.stopped:
            self.tally.cancelled += 1
        else:
            error = _error(future)
            message = f"{partition.describe()}: {type(error).__name__}: {error}"
            self.tally.failed.append(message)
            self.progress.on_failure(message)
            if isinstance(error, OutputFolderError) and not self.tally.stopped:
                self.tally.stopped = str(error)
        future.release()  # type: ignore[no-untyped-call]  # the scheduler may forget it
        self.progress.on_partition(len(partition.articles))

    def _cancel_pending(self) -> None:
        """Cancel the partitions not yet ended: the output folder cannot take them. One a
        worker is coding runs to its end (its files and marker are whole, or absent)."""
        waiting = [future for _, future in self._pending.values() if future.status == "pending"]
        if waiting:
            self.client.cancel(waiting)  # type: ignore[no-untyped-call]

    def _count(self, summary: dict[str, Any]) -> None:
        self.tally.articles += summary["articles"]
        self.tally.events += summary["events"]
        self.tally.skipped += summary["skipped"]
        self.tally.finished.append((summary["partition"], list(summary["months"])))


def _error(future: Future[Any]) -> BaseException:
    try:
        error: BaseException = future.exception()  # type: ignore[no-untyped-call]
    except Exception as cancelled:  # cancelled: the scheduler or the client went away
        error = cancelled
    return error


def load_into_store(
    store: Any, tally: BatchTally, output: Path, *, on_partition: Callable[[int], None]
) -> dict[str, int]:
    """Add every finished partition's articles and events to ``store``, one transaction per
    partition; articles it holds already are skipped, so loading twice adds nothing."""
    totals = {"new": 0, "present": 0, "events": 0, "reports": 0}
    for name, months in tally.finished:
        coded = read_partition(output, name, months)
        result = store.add_batch(coded)
        totals["new"] += result.new_articles
        totals["present"] += result.already_present
        totals["events"] += result.events_new
        totals["reports"] += result.reports_new
        on_partition(len(coded))
    return totals
