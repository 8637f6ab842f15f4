"""Score actor resolution on the NGEC actor cases (../shared/eval/actor-resolution).

Prints country and sector accuracy, an unresolved phrase counting as wrong, as that suite's
README asks. A case value {"not": X} accepts anything but X. Usage:

    .venv/bin/python scripts/eval_actors.py [--cases FILE] [--misses] [--actors F] [--agents F]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from communique.actors.evaluation import read_cases, score_cases
from communique.coder import Coder

DEFAULT_CASES = "eval/actor-resolution/ngec-actor-cases.jsonl"


def _shared() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("COMMUNIQUE_SHARED", project.parent / "shared"))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=Path, default=_shared() / DEFAULT_CASES)
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    parser.add_argument("--actors", action="append", default=[], help="extra actors dictionary")
    parser.add_argument("--agents", action="append", default=[], help="extra agents dictionary")
    args = parser.parse_args()
    if not args.cases.is_file():
        print(f"{args.cases} is absent: set COMMUNIQUE_SHARED or pass --cases", file=sys.stderr)
        return 2
    cases = read_cases(args.cases)
    scores = score_cases(Coder(actors=args.actors, agents=args.agents), cases)
    if args.misses:
        for miss in scores.misses:
            print(miss)
    print(f"{len(cases)} cases: {scores.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
