"""End-to-end ingest throughput against the bare spaCy parse, with 1 and 2 processes.

For each process count N, in one run:

* bare:   ``nlp.pipe(texts, batch_size=P, n_process=N)`` with ``load_base_pipeline()``, P being
          communique's own ``nlp.pipe`` batch size (the ``batch_size`` setting, default 8);
* ingest: ``communique ingest CORPUS --workers N --batch-size B --db <new SQLite file>``
          (reading, coding and storing), as a subprocess; B articles per transaction, each
          coded through ``nlp.pipe`` in batches of P as well.

Reports articles/s and words/s of both, the ratio ingest/bare throughput, events written per
second, and the peak resident memory of the ingest's processes (the largest worker). The corpus
is read from ``../shared`` (or ``$COMMUNIQUE_SHARED``) and never copied here.

A folder of pages (``--corpus ../shared/corpus/news-html/pages --glob '*.html.gz'``) is
ingested as it is, so the ingest's time includes extracting each page's text; the bare side
parses the texts communique's reader extracts from the same pages (extracted beforehand,
untimed).

    .venv/bin/python benchmarks/bench_ingest.py [--corpus FILE|DIR] [--glob PATTERN]
        [--limit 249] [--batch-size 32] [--processes 1 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from communique.config import load_settings
from communique.errors import InputError
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import read_sources

BARE = r"""
import json, sys, time
from communique.nlp.pipeline import load_base_pipeline
texts = [json.loads(line)["text"] for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
nlp = load_base_pipeline()
start = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=int(sys.argv[2]), n_process=int(sys.argv[3])):
    pass
print(time.perf_counter() - start)
"""


PEAK = r"""
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _shared() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("COMMUNIQUE_SHARED", project.parent / "shared"))


def _bare(corpus: Path, batch: int, processes: int) -> float:
    output = subprocess.run(
        [sys.executable, "-c", BARE, str(corpus), str(batch), str(processes)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.split()[-1])


def _ingest(sources: list[str], batch: int, processes: int) -> tuple[float, int, float]:
    """Seconds, events stored, and peak RSS in MB of the largest process."""
    executable = Path(sys.executable).parent / "communique"
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        command = [
            str(executable),
            "ingest",
            *sources,
            "--db",
            str(db),
            "--quiet",
            "--workers",
            str(processes),
            "--batch-size",
            str(batch),
        ]
        start = time.perf_counter()
        # A fresh parent per run, so that the peak is this ingest's and no earlier run's.
        output = subprocess.run(
            [sys.executable, "-c", PEAK, *command], check=True, capture_output=True, text=True
        ).stdout
        seconds = time.perf_counter() - start
        peak = int(output.split()[-1])
        with sqlite3.connect(db) as connection:
            reports = connection.execute("SELECT count(*) FROM event_reports").fetchone()[0]
    # ru_maxrss of children is the largest single descendant process (KB on Linux).
    return seconds, int(reports), peak / 1024


def _page_texts(folder: Path, glob: str | None) -> list[str]:
    """The texts communique's reader extracts from the pages (the ones it would code)."""
    texts = []
    for item in read_sources([folder], ReadOptions(), glob=glob):
        if not isinstance(item, InputError) and item.published is not None:
            texts.append(item.text)
    return texts


def _corpus(args: argparse.Namespace, folder: Path) -> tuple[list[str], Path, list[str]]:
    """What ingest is given, the bare side's JSON Lines file, and the texts."""
    bare_file = folder / "texts.jsonl"
    if args.corpus.is_dir():
        texts = _page_texts(args.corpus, args.glob)
        sources = [str(args.corpus), *(["--glob", args.glob] if args.glob else [])]
    else:
        lines = args.corpus.read_text(encoding="utf-8").splitlines()
        lines = [line for line in lines if line.strip()][: args.limit or None]
        texts = [json.loads(line)["text"] for line in lines]
        corpus = folder / "corpus.jsonl"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        sources = [str(corpus)]
    records = (json.dumps({"text": text}) for text in texts)
    bare_file.write_text("\n".join(records) + "\n", encoding="utf-8")
    return sources, bare_file, texts


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=_shared() / "corpus" / "guardian-2017-2019.jsonl"
    )
    parser.add_argument("--glob", help="file name pattern inside a corpus folder")
    parser.add_argument("--limit", type=int, default=0, help="first N articles; 0 for all")
    parser.add_argument("--batch-size", type=int, default=32, help="articles per transaction")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not args.corpus.exists():
        print(f"{args.corpus} is absent: set COMMUNIQUE_SHARED", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as folder:
        sources, bare_file, texts = _corpus(args, Path(folder))
        words = sum(len(text.split()) for text in texts)
        for processes in args.processes:
            bare = _bare(bare_file, load_settings().batch_size, processes)
            seconds, events, peak = _ingest(sources, args.batch_size, processes)
            row = {
                "processes": processes,
                "articles": len(texts),
                "words": words,
                "bare_s": round(bare, 2),
                "ingest_s": round(seconds, 2),
                "bare_words_per_s": round(words / bare),
                "ingest_words_per_s": round(words / seconds),
                "ingest_articles_per_s": round(len(texts) / seconds, 2),
                "ratio_ingest_to_bare_throughput": round(bare / seconds, 3),
                "events_written_per_s": round(events / seconds, 1),
                "peak_rss_mb_largest_process": round(peak),
            }
            results.append(row)
            print(json.dumps(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
