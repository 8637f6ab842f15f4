"""Throughput of the pipeline at two commits on the same articles, in interleaved rounds.

Checks out nothing itself: give the source folders of two checkouts (for instance a
`git worktree add /tmp/base <commit>`), and each round codes the same articles with
`Coder().code_documents` in a fresh process for each side, alternating which goes first.

    .venv/bin/python benchmarks/bench_ab.py /tmp/base/src src [--limit 100] [--rounds 3]

The corpus is read from ``../shared`` (or ``$COMMUNIQUE_SHARED``) and never copied here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

RUN = r"""
import json, sys, time
from communique.coder import Coder
limit = int(sys.argv[2])
with open(sys.argv[1], encoding="utf-8") as handle:
    docs = [json.loads(line) for line in handle][:limit]
coder = Coder()
list(coder.code_documents(docs[:4]))
start = time.perf_counter()
events = sum(len(found) for _, found in coder.code_documents(docs))
print(time.perf_counter() - start, events)
"""


def _shared() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("COMMUNIQUE_SHARED", project.parent / "shared"))


def _time(source: str, corpus: Path, limit: int) -> tuple[float, int]:
    environment = {**os.environ, "PYTHONPATH": source}
    output = subprocess.run(
        [sys.executable, "-c", RUN, str(corpus), str(limit)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    ).stdout.split()
    return float(output[0]), int(output[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("base", help="source folder of the reference checkout")
    parser.add_argument("new", help="source folder of the checkout to compare")
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    corpus = _shared() / "corpus" / "guardian-2017-2019.jsonl"
    if not corpus.is_file():
        print(f"{corpus} is absent: set COMMUNIQUE_SHARED", file=sys.stderr)
        return 2
    times: dict[str, list[float]] = {"base": [], "new": []}
    for number in range(args.rounds):
        order = ["base", "new"] if number % 2 == 0 else ["new", "base"]
        for side in order:
            seconds, events = _time(getattr(args, side), corpus, args.limit)
            times[side].append(seconds)
            print(f"round {number + 1} {side:4} {seconds:6.2f} s  {events} events", flush=True)
    base, new = statistics.median(times["base"]), statistics.median(times["new"])
    paired = [n / b for b, n in zip(times["base"], times["new"], strict=True)]
    print(f"median base {base:.2f} s, new {new:.2f} s, ratio new/base {new / base:.3f}")
    print("paired ratios: " + ", ".join(f"{ratio:.3f}" for ratio in paired))
    return 0


if __name__ == "__main__":
    sys.exit(main())
