"""What runs on a Dask worker: the coder, loaded once, and the coding of one partition.

Loading the language model and the knowledge base takes seconds and hundreds of megabytes,
so each worker process keeps one ``Coder`` in ``_CODERS`` for the whole run (and for later
runs with the same options, on a long-lived cluster). ``CoderPlugin`` loads it as the worker
starts, including a worker the nanny restarts after a crash, so the first partition does not
pay for it; ``code_partition`` asks the same cache, so it is correct with or without the
plugin.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin

from communique.scale.inputs import Partition
from communique.scale.output import mark_done, write_partition

PLUGIN_NAME = "communique-coder"

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
        # In a thread: the worker's event loop keeps answering the scheduler's heartbeats
        # during the seconds the model takes to load.
        await asyncio.to_thread(coder_for, self.options)


def code_partition(partition: Partition, output: str, options: dict[str, Any]) -> dict[str, Any]:
    """Code a partition, write its Parquet files, then its completion marker; its summary.

    An exception (a file that cannot be written, a worker that dies) fails the task, which
    Dask retries; the files it may have written are overwritten by the retry, as they are
    named by the partition.
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

    coded = list(coder_for(options).code_documents(partition.articles, on_skip=skip))
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
    return summary
