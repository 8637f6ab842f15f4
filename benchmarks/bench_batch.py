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
``client.run``; the table shows them over time, and the peak (VmHWM) at the end, and the
resident size once a garbage collection and ``malloc_trim`` have given back what the
allocator kept.

In one process (``--in-process DOCS``, no Dask): the first DOCS articles of both corpora,
repeated as needed (each copy with new ids), coded partition by partition as a worker codes
them (``communique.scale.worker.code_articles``): without a spaCy memory zone, as workers
do, or with ``--memory-zone``, inside one per partition. After each partition it records the
resident size (VmRSS), the sizes of the string store and the vocabulary and the lemmatizer's
cache; at the end, the slope in MB per 1,000 documents (least squares, over all samples and
over the second half), the floor (a long document lifts one sample, so the least resident
size of the first and of the last quarter of the samples says more) and a digest of every
event record, which must be the same with and without zones. Run it once each way, in
separate processes.

Not a test: run it by hand.

    .venv/bin/python benchmarks/bench_batch.py                        # Guardian, 1 vs 2 workers
    .venv/bin/python benchmarks/bench_batch.py --skip-ratio --repeat 3 --json memory.json
    .venv/bin/python benchmarks/bench_batch.py --in-process 1500 --partition-size 100
    .venv/bin/python benchmarks/bench_batch.py --in-process 1500 --partition-size 100 \
        --memory-zone
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
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
from communique.scale.inputs import ReadTally, partitions
from communique.scale.worker import code_articles

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
    parser.add_argument(
        "--in-process", type=int, metavar="DOCS", help="only the one-process memory run"
    )
    parser.add_argument(
        "--memory-zone", action="store_true", help="with --in-process: a zone per partition"
    )
    args = parser.parse_args(argv)
    figures: dict[str, Any] = {"load_average": os.getloadavg()}
    if args.in_process:
        figures["in_process"] = in_process(
            args.in_process, args.partition_size, zone=args.memory_zone
        )
        args.skip_ratio, args.repeat = True, 0
    if not args.skip_ratio:
        figures["ratio"] = ratio(_read([args.corpus]), args.partition_size)
    if args.repeat:
        # Copies are made as partitions are submitted: 100 copies would hold 300 MB of text.
        copies = _copies(_read([GUARDIAN, REUTERS]), args.repeat)
        figures["memory"] = memory_run(copies, args.partition_size, args.sample)
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


def memory_run(
    items: Iterable[tuple[Article | InputError, Position]], partition_size: int, every: float
) -> dict[str, Any]:
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
        batch = Batch(client, options, Progress())

        def sample() -> None:
            # Each sample is printed as it is taken, so a run stopped early still says how
            # far it got and how large the workers were on the way.
            while not stop.wait(every):
                samples.append(
                    {
                        "t": round(time.perf_counter() - start),
                        "articles": batch.tally.articles,
                        "rss_mb": _by_worker(client.run(_status_mb, "VmRSS")),
                        "peak_mb": peak_rss(client),
                    }
                )
                print(json.dumps(samples[-1]), file=sys.stderr, flush=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        tally = batch.run(items)
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
            # Heap the allocator keeps though Python freed it, given back: what is left is
            # memory in use.
            "rss_after_gc_and_malloc_trim_mb": _by_worker(client.run(_trimmed_rss_mb)),
            "output_mb": _sizes(Path(folder)),
            "samples": samples,
        }


def in_process(docs: int, partition_size: int, *, zone: bool) -> dict[str, Any]:
    """Code ``docs`` articles in this process, partition by partition, with or without a
    memory zone per partition; memory after each partition."""
    from communique.coder import Coder

    distinct = _read([GUARDIAN, REUTERS])
    texts = len({item.id for item, _ in distinct if isinstance(item, Article)})
    copies = -(-docs // texts)
    items = list(_copies(distinct, copies))
    start = time.perf_counter()
    coder = Coder()
    lemmatizer: Any = coder.nlp.get_pipe("lemmatizer")
    loaded = time.perf_counter()
    digest = hashlib.sha256()
    samples = [_in_process_sample(0, coder, lemmatizer)]
    done = events = 0
    tally = ReadTally()
    for partition in partitions(items, partition_size, tally=tally, on_skip=lambda error: None):
        articles = partition.articles[: docs - done]
        for _, found in code_articles(coder, articles, lambda error: None, memory_zone=zone):
            events += len(found)
            for event in found:
                digest.update(json.dumps(event.to_dict(), sort_keys=True).encode())
        done += len(articles)
        samples.append(_in_process_sample(done, coder, lemmatizer))
        print(json.dumps(samples[-1]), file=sys.stderr)
        if done >= docs:
            break
    seconds = time.perf_counter() - loaded
    gc.collect()
    trimmed = _malloc_trim()
    half = samples[len(samples) // 2 :]
    quarter = max(1, (len(samples) - 1) // 4)
    return {
        "memory_zone": zone,
        "docs": done,
        "distinct_texts": texts,
        "partition_size": partition_size,
        "events": events,
        "events_sha256": digest.hexdigest(),
        "model_load_s": round(loaded - start, 1),
        "seconds": round(seconds, 1),
        "rss_start_mb": samples[0]["rss_mb"],
        "rss_end_mb": samples[-1]["rss_mb"],
        "rss_max_sampled_mb": max(sample["rss_mb"] for sample in samples),
        "rss_after_gc_and_malloc_trim_mb": _status_mb("VmRSS") if trimmed else None,
        "peak_rss_mb": _status_mb("VmHWM"),
        "slope_mb_per_1000_docs": _slope(samples),
        "slope_second_half_mb_per_1000_docs": _slope(half),
        # The resident size between long documents (a long one lifts it for a sample): the
        # least of the first and of the last quarter of the samples, the first left out.
        "floor_start_mb": min(sample["rss_mb"] for sample in samples[1:][:quarter]),
        "floor_end_mb": min(sample["rss_mb"] for sample in samples[-quarter:]),
        "samples": samples,
    }


def _in_process_sample(done: int, coder: Any, lemmatizer: Any) -> dict[str, Any]:
    return {
        "docs": done,
        "rss_mb": _status_mb("VmRSS"),
        "strings": len(coder.nlp.vocab.strings),
        "lexemes": len(coder.nlp.vocab),
        "lemma_cache": len(getattr(lemmatizer, "cache", {})),
    }


def _slope(samples: list[dict[str, Any]]) -> float | None:
    """Least-squares slope of resident size over documents, in MB per 1,000 documents."""
    if len(samples) < 2:
        return None
    xs = [sample["docs"] for sample in samples]
    ys = [sample["rss_mb"] for sample in samples]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return round(slope * 1000, 1)


def _malloc_trim() -> bool:
    """Give freed heap pages back to the system (glibc only): what is left is in use."""
    try:
        return bool(ctypes.CDLL("libc.so.6").malloc_trim(0) or True)
    except (OSError, AttributeError):
        return False


def _trimmed_rss_mb() -> float:
    """Resident size after a garbage collection and ``malloc_trim`` (run on each worker)."""
    gc.collect()
    _malloc_trim()
    return _status_mb("VmRSS")


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
