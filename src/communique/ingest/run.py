"""Ingesting a corpus: read, skip what is stored, code, and store batch by batch.

Each batch is written in one transaction, so an ingest killed at any moment leaves the
database as it was after its last whole batch; a re-run skips the articles already stored
(their ids are content hashes) and goes on, so it ends where an uninterrupted run would.
With several workers, each process loads the language model once and codes whole batches.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from communique.errors import InputError
from communique.records import Article, Event

DEFAULT_BATCH = 32
Coded = list[tuple[Article, list[Event]]]
# A coded batch, and one message for each of its articles that could not be coded.
Result = tuple[Coded, list[str]]


@dataclass
class IngestTally:
    read: int = 0
    new: int = 0
    present: int = 0
    failed: list[str] = field(default_factory=list)
    events: int = 0
    reports: int = 0


@dataclass(frozen=True)
class IngestOptions:
    batch_size: int = DEFAULT_BATCH
    workers: int = 1
    coder: dict[str, Any] = field(default_factory=dict)


class Ingest:
    """Runs one ingest into ``store`` (a communique.store.Store)."""

    def __init__(
        self,
        store: Any,
        options: IngestOptions,
        *,
        on_skip: Callable[[InputError], None],
        on_progress: Callable[[int], None],
    ) -> None:
        self.store = store
        self.options = options
        self.on_skip = on_skip
        self.on_progress = on_progress
        self.tally = IngestTally()

    def run(self, items: Iterable[Article | InputError]) -> IngestTally:
        batches = self._new_batches(items)
        if self.options.workers <= 1:
            coder = _make_coder(self.options.coder)
            for batch in batches:
                self._store_result(_code_batch(coder, batch))
        else:
            self._run_parallel(batches)
        return self.tally

    def _run_parallel(self, batches: Iterator[list[Article]]) -> None:
        workers = self.options.workers
        with ProcessPoolExecutor(
            max_workers=workers, initializer=_start_worker, initargs=(self.options.coder,)
        ) as pool:
            # Start the workers now: each loads the pipeline (seconds) while this process
            # reads and extracts the first batch, instead of after it.
            for _ in range(workers):
                pool.submit(_ready)
            pending: list[list[Future[Result]]] = []
            for batch in batches:
                # A batch goes out in parts, so no worker idles while another codes the
                # last whole batch of a run; it is still stored in one transaction.
                parts = _split(batch, 2 * workers)
                pending.append([pool.submit(_code_in_worker, part) for part in parts])
                # Keep a bounded queue, and store results in input order.
                while sum(len(futures) for futures in pending) >= 4 * workers:
                    self._store_result(_joined(pending.pop(0)))
            for futures in pending:
                self._store_result(_joined(futures))

    def _store_result(self, result: Result) -> None:
        coded, failures = result
        for message in failures:
            self.tally.failed.append(message)
            self.on_skip(InputError(message, where=message.split(":", 1)[0]))
        self.on_progress(len(failures))
        self._store(coded)

    def _new_batches(self, items: Iterable[Article | InputError]) -> Iterator[list[Article]]:
        """Batches of articles not stored yet; bad items are reported and counted."""
        batch: list[Article] = []
        seen: set[str] = set()
        for item in items:
            if isinstance(item, InputError):
                self.tally.failed.append(str(item))
                self.on_skip(item)
                self.on_progress(1)
                continue
            self.tally.read += 1
            if item.id in seen:
                self.tally.present += 1
                self.on_progress(1)
                continue
            seen.add(item.id)
            batch.append(item)
            if len(batch) >= self.options.batch_size:
                yield from self._unstored(batch)
                batch = []
        if batch:
            yield from self._unstored(batch)

    def _unstored(self, batch: list[Article]) -> Iterator[list[Article]]:
        known = self.store.known_articles(article.id for article in batch)
        fresh = [article for article in batch if article.id not in known]
        self.tally.present += len(batch) - len(fresh)
        self.on_progress(len(batch) - len(fresh))
        if fresh:
            yield fresh

    def _store(self, coded: Coded) -> None:
        if not coded:
            return
        result = self.store.add_batch(coded)
        self.tally.new += result.new_articles
        self.tally.present += result.already_present
        self.tally.events += result.events_new
        self.tally.reports += result.reports_new
        self.on_progress(len(coded))


def _split(batch: list[Article], parts: int) -> list[list[Article]]:
    """``batch`` cut into at most ``parts`` runs of nearly equal length, in order."""
    size = -(-len(batch) // parts)
    return [batch[start : start + size] for start in range(0, len(batch), size)]


def _joined(futures: list[Future[Result]]) -> Result:
    coded: Coded = []
    failures: list[str] = []
    for future in futures:
        part_coded, part_failures = future.result()
        coded += part_coded
        failures += part_failures
    return coded, failures


def _make_coder(options: dict[str, Any]) -> Any:
    from communique.coder import Coder  # loading spaCy is slow: only when there is work

    return Coder(**options)


def _code_batch(coder: Any, batch: Sequence[Article]) -> Result:
    coded: Coded = []
    failures: list[InputError] = []
    for article, events in coder.code_documents(batch, on_skip=failures.append):
        coded.append((article, events))
    return coded, [str(failure) for failure in failures]


_WORKER_CODER: Any = None


def _start_worker(options: dict[str, Any]) -> None:
    global _WORKER_CODER
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _WORKER_CODER = _make_coder(options)


def _ready() -> bool:
    return _WORKER_CODER is not None


def _code_in_worker(batch: list[Article]) -> Result:
    try:
        return _code_batch(_WORKER_CODER, batch)
    except Exception as error:  # a worker reports, the run goes on with other batches
        return [], [f"{article.id}: could not be coded ({error})" for article in batch]
