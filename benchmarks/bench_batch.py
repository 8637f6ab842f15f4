"""``communique batch`` on a local Dask cluster: 2 workers against 1, and memory per worker.

Throughput: the same articles cut into the same partitions, coded by a local cluster of one
worker and then of two (one thread each), each timed from the first submitted partition to
the last written one, after the workers have loaded the model (``CoderPlugin``), so the
figure is coding and writing Parquet, not start-up. The ratio is articles/s with 2 workers
over articles/s with 1; on a machine with two cores 2.0 is the ceiling. The workers' CPU
time is read before and after (``client.run``): ``cpu_share_per_worker`` says how much of a
core each worker had (other processes on a shared machine take the rest), and
``articles_per_cpu_s`` what a worker does on a core of its own.

Memory: with ``--repeat N`` a longer run follows on two workers: both corpora, N times, each
copy with new article ids (the text hashed with its copy number), so every copy is coded
anew. Every ``--sample`` seconds each worker's resident size (VmRSS) is read through
``client.run``; the table shows them over time, and the peak (VmHWM) at the end.

Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_batch.py                        # Guardian, 1 vs 2 workers
    .venv/bin/python benchmarks/bench_batch.py --skip-ratio --repeat 3 --json memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from distributed import Client

from communique.errors import InputError
from communique.ingest.documents import ReadOptions
from communique.records import Article, content_id
from communique.scale import (
    Batch,
    BatchOptions,
    CoderPlugin,
    Position,
    Progress,
    local_cluster,
    read_inputs,
)

SHARED = Path(os.environ.get("COMMUNIQUE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
GUARDIAN = SHARED / "corpus" / "guardian-2017-2019.jsonl"
REUTERS = SHARED / "corpus" / "reuters-1987-politics.jsonl"

Items = list[tuple[Article | InputError, Position]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=GUARDIAN, help="for the 1-vs-2 ratio")
    parser.add_argument("--partition-size", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=0, help="copies of both corpora")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--skip-ratio", action="store_true", help="only the memory run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"load_average": os.getloadavg()}
    if not args.skip_ratio:
        figures["ratio"] = ratio(_read([args.corpus]), args.partition_size)
    if args.repeat:
        items = list(_copies(_read([GUARDIAN, REUTERS]), args.repeat))
        figures["memory"] = memory_run(items, args.partition_size, args.sample)
    figures["load_average_after"] = os.getloadavg()
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


def _read(files: list[Path]) -> Items:
    return list(read_inputs([str(file) for file in files], ReadOptions()))


def _copies(items: Items, repeat: int) -> Iterator[tuple[Article | InputError, Position]]:
    for copy in range(repeat):
        for item, position in items:
            if isinstance(item, Article):
                item = replace(item, id=content_id(f"copy {copy}\x1f{item.text}"))
            yield item, Position(f"copy{copy}/{position.file}", position.item)


def ratio(items: Items, partition_size: int) -> dict[str, Any]:
    runs = {workers: timed_run(items, partition_size, workers) for workers in (1, 2)}
    runs_out: dict[str, Any] = {str(workers): run for workers, run in runs.items()}
    runs_out["ratio"] = round(runs[2]["articles_per_s"] / runs[1]["articles_per_s"], 3)
    runs_out["load_average_after"] = os.getloadavg()
    print(f"2 workers / 1 worker: {runs_out['ratio']}", file=sys.stderr)
    return runs_out


def timed_run(items: Items, partition_size: int, workers: int) -> dict[str, Any]:
    with (
        local_cluster(workers) as cluster,
        Client(cluster) as client,
        tempfile.TemporaryDirectory() as folder,
    ):
        options = BatchOptions(output=Path(folder), partition_size=partition_size)
        start = time.perf_counter()
        client.register_plugin(CoderPlugin(options.coder))
        loaded = time.perf_counter()
        cpu_before = client.run(_cpu_seconds)
        tally = Batch(client, options, Progress()).run(items)
        seconds = time.perf_counter() - loaded
        cpu = sum(client.run(_cpu_seconds).values()) - sum(cpu_before.values())
        result = {
            "workers": workers,
            "model_load_s": round(loaded - start, 1),
            "articles": tally.articles,
            "events": tally.events,
            "partitions": tally.coded,
            "seconds": round(seconds, 1),
            "articles_per_s": round(tally.articles / seconds, 3),
            # Worker CPU time: how much of a core each worker had (1.0: a whole one), and
            # the throughput each worker would have on a core of its own.
            "worker_cpu_s": round(cpu, 1),
            "cpu_share_per_worker": round(cpu / seconds / workers, 3),
            "articles_per_cpu_s": round(tally.articles / cpu, 3),
            "peak_rss_mb": peak_rss(client),
            "output_mb": _sizes(Path(folder)),
        }
    print(json.dumps(result), file=sys.stderr)
    return result


def memory_run(items: Items, partition_size: int, every: float) -> dict[str, Any]:
    with (
        local_cluster(2) as cluster,
        Client(cluster) as client,
        tempfile.TemporaryDirectory() as folder,
    ):
        options = BatchOptions(output=Path(folder), partition_size=partition_size)
        client.register_plugin(CoderPlugin(options.coder))
        samples: list[dict[str, Any]] = []
        stop = threading.Event()
        start = time.perf_counter()

        def sample() -> None:
            while not stop.wait(every):
                rss = client.run(_status_mb, "VmRSS")
                samples.append({"t": round(time.perf_counter() - start), "rss_mb": _by_worker(rss)})
                print(json.dumps(samples[-1]), file=sys.stderr)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tally = Batch(client, options, Progress()).run(items)
        seconds = time.perf_counter() - start
        stop.set()
        sampler.join()
        return {
            "articles": tally.articles,
            "events": tally.events,
            "failed": len(tally.failed),
            "seconds": round(seconds, 1),
            "articles_per_s": round(tally.articles / seconds, 3),
            "peak_rss_mb": peak_rss(client),
            "output_mb": _sizes(Path(folder)),
            "samples": samples,
        }


def _sizes(folder: Path) -> dict[str, float]:
    """Megabytes of Parquet in the events and articles folders."""
    return {
        part: round(
            sum(path.stat().st_size for path in (folder / part).rglob("*.parquet")) / 1e6, 2
        )
        for part in ("events", "articles")
    }


def peak_rss(client: Client) -> list[float]:
    return _by_worker(client.run(_status_mb, "VmHWM"))


def _by_worker(values: dict[str, float]) -> list[float]:
    return [values[address] for address in sorted(values)]


def _cpu_seconds() -> float:
    """User and system CPU time of this process (run on each worker)."""
    times = os.times()
    return times.user + times.system


def _status_mb(field: str) -> float:
    """A field of this process's /proc/self/status, in MB (run on each worker)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


if __name__ == "__main__":
    sys.exit(main())
