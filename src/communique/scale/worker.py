"""What runs on a Dask worker: the coder, loaded once, and the coding of one partition.

Loading the language model and the knowledge base takes seconds and hundreds of megabytes,
so each worker process keeps one ``Coder`` in ``_CODERS`` for the whole run (and for later
runs with the same options, on a long-lived cluster). ``CoderPlugin`` loads it as the worker
starts, including a worker the nanny restarts after a crash, so the first partition does not
pay for it; ``code_partition`` asks the same cache, so it is correct with or without the
plugin. The plugin also stops Dask's statistical profiler on the worker, whose history of
spaCy's call stacks would otherwise take a growing share of the worker's memory.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dask.config
from distributed import WorkerPlugin

from communique.records import Article
from communique.scale.inputs import Partition
from communique.scale.output import Coded, folder_error, mark_done, write_partition

PLUGIN_NAME = "communique-coder"
PROFILE_SETTING = "communique.worker-profile"

# One coder per worker process, keyed by its options, and how many times one was loaded.
_CODERS: dict[str, Any] = {}
_LOADS = [0]


def coder_for(options: dict[str, Any]) -> Any:
    """This process's Coder for ``options``, loaded on first use."""
    key = json.dumps(options, sort_keys=True, default=str)
    if key not in _CODERS:
        from communique.coder import Coder  # loading spaCy is slow: only on workers

        _CODERS.clear()  # another run's options: keep one model in memory, not two
        _CODERS[key] = Coder(**options)
        _LOADS[0] += 1
    return _CODERS[key]


def coder_loads() -> int:
    """How many times this process loaded a coder (run it with ``client.run``)."""
    return _LOADS[0]


class CoderPlugin(WorkerPlugin):
    """Loads the coder on every worker, present and future, when registered."""

    name = PLUGIN_NAME

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options

    async def setup(self, worker: Any) -> None:
        if not keep_profiler():
            stop_profiling(worker)
        # In a thread: the worker's event loop keeps answering the scheduler's heartbeats
        # during the seconds the model takes to load.
        await asyncio.to_thread(coder_for, self.options)


def keep_profiler() -> bool:
    """Whether the Dask configuration asks to keep the workers' profiler (for the dashboard's
    profile page): ``communique.worker-profile: true``, or the environment variable
    ``DASK_COMMUNIQUE__WORKER_PROFILE=True`` where the workers (or the client, for a local
    cluster) start."""
    return bool(dask.config.get(PROFILE_SETTING, False))


def stop_profiling(worker: Any) -> bool:
    """Stop the worker's statistical profiler, and drop what it kept; whether it ran.

    Dask samples the call stack of a running task every 10 ms and keeps one tree of them per
    second, for the last ``distributed.admin.low-level-log-length`` (1,000) seconds. spaCy's
    stacks are deep and varied: a worker coding articles grew by some 0.17 MB a second,
    40-60 MB in runs of 4 to 9 minutes, some 150 MB once the history is full by extrapolation,
    and coded 10-20% slower (docs/benchmarks.md, 2026-11-29). Only the dashboard's profile
    page uses them.
    """
    callbacks: dict[str, Any] = getattr(worker, "periodic_callbacks", {})
    found = False
    for name in ("profile", "profile-cycle"):
        callback = callbacks.pop(name, None)  # out of the dict: not started later either
        if callback is not None:
            callback.stop()
            found = True
    for history in ("profile_history", "profile_keys_history"):
        kept = getattr(worker, history, None)
        if kept is not None:
            kept.clear()
    return found


def code_partition(partition: Partition, output: str, options: dict[str, Any]) -> dict[str, Any]:
    """Code a partition, write its Parquet files, then its completion marker; its summary.

    An exception (a file that cannot be written, a worker that dies) fails the task, which
    Dask retries; the files it may have written are overwritten by the retry, as they are
    named by the partition. A folder that cannot take writes (full, read-only) is an
    ``OutputFolderError`` naming it, on which the client stops the run.
    """
    folder = Path(output)
    skipped: list[str] = []
    places = {
        article.id: str(position)
        for article, position in zip(partition.articles, partition.positions, strict=True)
    }

    def skip(error: Exception) -> None:
        where = getattr(error, "where", "")
        skipped.append(f"{places.get(where, where)}: {error}")

    coded = code_articles(coder_for(options), partition.articles, skip)
    try:
        months = write_partition(folder, partition.name, coded)
        summary = {
            "partition": partition.name,
            "input": partition.describe(),
            "articles": len(coded),
            "events": sum(months.values()),
            "months": months,
            "skipped": skipped,
        }
        mark_done(folder, partition.name, summary)
    except OSError as error:
        found = folder_error(folder, error)
        if found is None:
            raise
        raise found from None  # the OSError is in the message; its traceback is of no use
    return summary


def code_articles(
    coder: Any,
    articles: Sequence[Article],
    on_skip: Callable[[Exception], None],
    *,
    memory_zone: bool = False,
) -> Coded:
    """Every article with its events; with ``memory_zone``, inside a spaCy memory zone.

    A zone frees, when it ends, the strings and lexemes that the partition's new words added
    to the vocabulary. Measured on 1,500 documents in one process (docs/benchmarks.md,
    2026-11-29), it saves nothing visible: the vocabulary grows by some 8,000 strings, a few
    MB, and the resident size between long documents stays flat with or without it; so
    workers code without one, and ``benchmarks/bench_batch.py --in-process`` measures both.
    The events are the same either way: what leaves the zone is plain Python (articles and
    event records), never a Doc or a Token.
    """
    if not memory_zone:
        return list(coder.code_documents(articles, on_skip=on_skip))
    with coder.nlp.memory_zone():
        return list(coder.code_documents(articles, on_skip=on_skip))
