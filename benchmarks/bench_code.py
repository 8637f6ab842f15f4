"""Throughput of communique against the bare spaCy parse it is built on.

The design budget: the spaCy parse is the floor, and everything communique adds costs at most
15% on top of it. This benchmark measures both on the same documents in the same process:

* bare:       ``load_base_pipeline()`` (the same model without our components),
              ``nlp.pipe(texts, batch_size=N)``;
* communique: ``Coder().code_documents(articles, batch_size=N)`` (single process).

Rounds are interleaved and alternate their order (bare, communique; communique, bare; …) so that
drift on a noisy machine falls on both sides. The figures reported are the median over rounds;
the overhead ratio is the median of each round's paired ratio communique/bare. The time spent
inside our own components is also measured directly, which is less sensitive to noise than the
difference of two wall times.

The corpus is read from ``../shared`` (or ``$COMMUNIQUE_SHARED``) and never copied here: the
article texts belong to their publishers.

    .venv/bin/python benchmarks/bench_code.py                 # default: 100 articles, 2 rounds
    .venv/bin/python benchmarks/bench_code.py --limit 0 --repeat 3 --json results.json
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from communique.config import Settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CORPUS = "corpus/guardian-2017-2019.jsonl"
BUDGET = 1.15


# --------------------------------------------------------------------------------------------
# Inputs


def shared_dir() -> Path:
    return Path(os.environ.get("COMMUNIQUE_SHARED") or PROJECT_ROOT.parent / "shared")


def load_articles(path: Path, limit: int) -> tuple[list[Any], int]:
    """The corpus as ``Article`` objects, read with communique's own JSONL reader."""
    from communique.errors import InputError
    from communique.ingest.documents import ReadOptions, read_jsonl

    articles, skipped = [], 0
    with path.open("rb") as handle:
        for item in read_jsonl(handle, name=str(path), options=ReadOptions()):
            if isinstance(item, InputError):
                skipped += 1
                continue
            articles.append(item)
            if limit and len(articles) >= limit:
                break
    return articles, skipped


# --------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Run:
    seconds: float
    tokens: int = 0
    events: int = 0
    components: dict[str, float] = field(default_factory=dict)


def maxrss_mb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS).

    On Linux ru_maxrss survives fork and exec, so a child started from a big process reports
    at least its parent's size: children report VmHWM instead.
    """
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def proc_status_mb(field_name: str) -> float | None:
    """VmRSS (now) or VmHWM (peak) of this process from /proc, where there is one."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class ComponentTimer:
    """Adds up the time spent in each pipeline component communique adds, per name.

    spaCy calls a component without a ``pipe`` method as ``proc(doc)``, which looks ``__call__``
    up on the class; wrapping it there costs two clock reads per document. A component with a
    ``pipe`` method is timed per document it yields, less the time spent pulling documents from
    the components before it (spaCy chains components as lazy generators).
    """

    def __init__(self, nlp: Any, names: list[str]) -> None:
        self.totals = dict.fromkeys(names, 0.0)
        self._name_of: dict[int, str] = {}
        patched: set[type] = set()
        for name in names:
            proc = nlp.get_pipe(name)
            self._name_of[id(proc)] = name
            cls = type(proc)
            if cls in patched:
                continue
            patched.add(cls)
            if hasattr(proc, "pipe"):
                cls.pipe = self._timed_pipe(cls.pipe)
            else:
                cls.__call__ = self._timed_call(cls.__call__)

    def _timed_call(self, call: Callable[..., Any]) -> Callable[..., Any]:
        totals, name_of, clock = self.totals, self._name_of, time.perf_counter

        def timed(component: Any, doc: Any) -> Any:
            start = clock()
            try:
                return call(component, doc)
            finally:
                totals[name_of[id(component)]] += clock() - start

        return timed

    def _timed_pipe(self, pipe: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        totals, name_of, clock = self.totals, self._name_of, time.perf_counter

        def timed(component: Any, docs: Iterable[Any], **kwargs: Any) -> Iterator[Any]:
            upstream = [0.0]

            def feed() -> Iterator[Any]:
                source = iter(docs)
                while True:
                    start = clock()
                    try:
                        doc = next(source)
                    except StopIteration:
                        return
                    finally:
                        upstream[0] += clock() - start
                    yield doc

            name = name_of[id(component)]
            output = pipe(component, feed(), **kwargs)
            while True:
                start, before = clock(), upstream[0]
                try:
                    doc = next(output)
                except StopIteration:
                    return
                finally:
                    totals[name] += clock() - start - (upstream[0] - before)
                yield doc

        return timed

    def take(self) -> dict[str, float]:
        taken = dict(self.totals)
        for name in self.totals:
            self.totals[name] = 0.0
        return taken


def run_bare(nlp: Any, texts: list[str], batch_size: int) -> Run:
    gc.collect()
    start = time.perf_counter()
    tokens = 0
    for doc in nlp.pipe(texts, batch_size=batch_size):
        tokens += len(doc)
    return Run(time.perf_counter() - start, tokens=tokens)


def run_communique(coder: Any, articles: list[Any], batch_size: int, timer: ComponentTimer) -> Run:
    gc.collect()
    timer.take()
    start = time.perf_counter()
    events = 0
    for _article, found in coder.code_documents(articles, batch_size=batch_size):
        events += len(found)
    seconds = time.perf_counter() - start
    return Run(seconds, events=events, components=timer.take())


def worker_rss(args: argparse.Namespace, which: str) -> float:
    """Peak RSS of a separate process that loads one pipeline only and runs the same articles."""
    command = [
        sys.executable,
        __file__,
        "--corpus",
        str(args.corpus),
        "--limit",
        str(args.limit),
        "--batch-size",
        str(args.batch_size),
        "--worker-rss-child",
        which,
    ]
    if args.model:
        command += ["--model", args.model]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(output.strip().splitlines()[-1])


def child_rss(args: argparse.Namespace) -> None:
    from communique.coder import Coder
    from communique.nlp.pipeline import load_base_pipeline

    articles, _ = load_articles(args.corpus, args.limit)
    if args.worker_rss_child == "bare":
        nlp = load_base_pipeline(args.model)
        for _doc in nlp.pipe([article.text for article in articles], batch_size=args.batch_size):
            pass
    else:
        coder = Coder(args.model)
        for _ in coder.code_documents(articles, batch_size=args.batch_size):
            pass
    print(f"{proc_status_mb('VmHWM') or maxrss_mb():.1f}")


# --------------------------------------------------------------------------------------------
# Reporting


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    memory = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "memory_gb": memory,
        "python": platform.python_version(),
        "spacy": metadata.version("spacy"),
        "platform": platform.platform(),
    }


def source_revision(package: Path) -> str | None:
    """The commit of the communique package measured, "+dirty" with uncommitted changes.

    None when the package is not in a git checkout (an installed copy, say).
    """

    def git(*arguments: str) -> str:
        command = ["git", "-C", str(package), *arguments]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", ".")
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def summarise(bare: list[Run], comm: list[Run], words: int, count: int) -> dict[str, Any]:
    def side(runs: list[Run]) -> dict[str, Any]:
        seconds = [run.seconds for run in runs]
        median = statistics.median(seconds)
        return {
            "seconds": seconds,
            "median_s": median,
            "best_s": min(seconds),
            "articles_per_s": count / median,
            "words_per_s": words / median,
        }

    paired = [c.seconds / b.seconds for b, c in zip(bare, comm, strict=True)]
    own = [sum(run.components.values()) for run in comm]
    per_component = {
        name: statistics.median(run.components[name] for run in comm) for name in comm[0].components
    }
    # The parse inside a communique run is its wall time less our components' own time.
    direct = [o / (c.seconds - o) for o, c in zip(own, comm, strict=True)]
    return {
        "bare": side(bare),
        "communique": side(comm),
        "ratio_paired": paired,
        "ratio": statistics.median(paired),
        "ratio_best": min(r.seconds for r in comm) / min(r.seconds for r in bare),
        "components_s": per_component,
        "components_share_of_parse": statistics.median(direct),
        "events": comm[0].events,
        "tokens": bare[0].tokens,
    }


def print_report(result: dict[str, Any]) -> None:
    setup, figures, info = result["setup"], result["figures"], result["machine"]
    print(
        f"\ncommunique benchmark: {setup['articles']} articles, {setup['words']:,} words "
        f"({figures['tokens']:,} tokens), batch {setup['batch_size']}, "
        f"{setup['repeat']} interleaved round(s), single process"
    )
    print(
        f"model {setup['model']} | spaCy {info['spacy']} | Python {info['python']} | "
        f"{info['cpus']} CPU(s) {info['cpu']}"
    )
    print(f"communique {setup['source'] or '(not a git checkout)'} from {setup['communique_path']}")
    loads = result["load"]
    print(
        f"\none-off load: Coder() {loads['coder_s']:.2f} s, "
        f"base pipeline {loads['base_s']:.2f} s (loaded first)"
    )
    print(f"\n{'':<12}{'median s':>10}{'best s':>9}{'articles/s':>12}{'words/s':>10}  rounds (s)")
    for name in ("bare", "communique"):
        row = figures[name]
        rounds = ", ".join(f"{s:.1f}" for s in row["seconds"])
        print(
            f"{name:<12}{row['median_s']:>10.2f}{row['best_s']:>9.2f}"
            f"{row['articles_per_s']:>12.2f}{row['words_per_s']:>10,.0f}  {rounds}"
        )
    paired = ", ".join(f"{r:.3f}" for r in figures["ratio_paired"])
    verdict = "within" if figures["ratio"] <= BUDGET else "OVER"
    print(
        f"\noverhead ratio communique/bare: {figures['ratio']:.3f} (median of paired rounds: "
        f"{paired}; best/best {figures['ratio_best']:.3f}) {verdict} the {BUDGET:.2f} budget"
    )
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in figures["components_s"].items())
    print(
        f"communique's own components: {parts} = "
        f"{100 * figures['components_share_of_parse']:.1f}% on top of the parse (direct timing)"
    )
    print(f"events produced: {figures['events']}")
    memory = result["memory_mb"]
    line = (
        f"peak RSS: {memory['peak']:.0f} MB (this process, both pipelines loaded; "
        f"after loading {memory['after_load']:.0f} MB)"
    )
    if memory.get("worker_communique") is not None:
        line += (
            f"\npeak RSS of one-pipeline workers: communique {memory['worker_communique']:.0f} MB,"
            f" bare spaCy {memory['worker_bare']:.0f} MB"
        )
    print(line)


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time communique's code_documents against the bare spaCy parse.",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help=f"JSONL corpus (default: $COMMUNIQUE_SHARED or ../shared, then {CORPUS})",
    )
    parser.add_argument(
        "--limit", type=int, default=100, help="first N articles; 0 for all (default 100)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=Settings().batch_size,
        help="nlp.pipe batch size (default: communique's own default)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument(
        "--warmup", type=int, default=4, help="articles run through both first, untimed"
    )
    parser.add_argument("--model", default=None, help="spaCy model (default: communique's)")
    parser.add_argument(
        "--json", metavar="PATH", help="also write the results as JSON ('-': stdout)"
    )
    parser.add_argument(
        "--worker-rss",
        action="store_true",
        help="also measure the peak RSS of a bare-only and a Coder-only process (two more passes)",
    )
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when the ratio exceeds {BUDGET}"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="give up (stack dump, exit 1) after this many seconds; 0: never (default 1800)",
    )
    parser.add_argument(
        "--worker-rss-child", choices=["bare", "communique"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.limit < 0 or args.batch_size < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--limit and --warmup must be >= 0, --batch-size and --repeat >= 1")
    if args.corpus is None:
        args.corpus = shared_dir() / CORPUS
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.corpus.is_file():
        print(
            f"bench_code: corpus not found: {args.corpus}\n"
            "The benchmark reads the shared corpus from ../shared (next to the project) or from "
            "the directory in $COMMUNIQUE_SHARED; pass --corpus to use another JSONL file.",
            file=sys.stderr,
        )
        return 2
    if args.timeout:
        # A pipeline stuck on one document would otherwise hang the benchmark silently.
        faulthandler.dump_traceback_later(args.timeout, exit=True)
    if args.worker_rss_child:
        child_rss(args)
        return 0

    import communique
    from communique.coder import Coder
    from communique.nlp.pipeline import load_base_pipeline

    articles, skipped = load_articles(args.corpus, args.limit)
    if not articles:
        print(f"bench_code: no usable articles in {args.corpus}", file=sys.stderr)
        return 2
    texts = [article.text for article in articles]
    words = sum(len(text.split()) for text in texts)

    start = time.perf_counter()
    bare_nlp = load_base_pipeline(args.model)
    base_s = time.perf_counter() - start
    start = time.perf_counter()
    coder = Coder(args.model)
    coder_s = time.perf_counter() - start
    after_load = proc_status_mb("VmRSS") or maxrss_mb()
    ours = [name for name in coder.nlp.pipe_names if name not in bare_nlp.pipe_names]
    timer = ComponentTimer(coder.nlp, ours)

    if args.warmup:
        run_bare(bare_nlp, texts[: args.warmup], args.batch_size)
        run_communique(coder, articles[: args.warmup], args.batch_size, timer)

    bare: list[Run] = []
    comm: list[Run] = []
    for round_number in range(args.repeat):
        order = ("bare", "communique") if round_number % 2 == 0 else ("communique", "bare")
        for which in order:
            if which == "bare":
                bare.append(run_bare(bare_nlp, texts, args.batch_size))
            else:
                comm.append(run_communique(coder, articles, args.batch_size, timer))
            latest = bare[-1] if which == "bare" else comm[-1]
            print(
                f"  round {round_number + 1}/{args.repeat} {which:<10} {latest.seconds:7.2f} s",
                file=sys.stderr,
                flush=True,
            )
    if len({run.events for run in comm}) != 1:
        print("bench_code: warning: event counts differ between rounds", file=sys.stderr)

    result: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "setup": {
            "corpus": str(args.corpus),
            "articles": len(articles),
            "skipped": skipped,
            "words": words,
            "batch_size": args.batch_size,
            "repeat": args.repeat,
            "warmup": args.warmup,
            "model": coder.model_name,
            "bare_pipes": bare_nlp.pipe_names,
            "communique_pipes": coder.nlp.pipe_names,
            "source": source_revision(Path(communique.__file__).parent),
            "communique_path": str(Path(communique.__file__).parent),
        },
        "load": {"base_s": base_s, "coder_s": coder_s},
        "figures": summarise(bare, comm, words, len(articles)),
        "memory_mb": {"after_load": after_load, "peak": maxrss_mb()},
        "budget": BUDGET,
    }
    if args.worker_rss:
        for which in ("bare", "communique"):
            result["memory_mb"][f"worker_{which}"] = worker_rss(args, which)
    print_report(result)
    if args.json:
        text = json.dumps(result, indent=2)
        if args.json == "-":
            print(text)
        else:
            Path(args.json).write_text(text + "\n", encoding="utf-8")
    if args.check and result["figures"]["ratio"] > BUDGET:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
