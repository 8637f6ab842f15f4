"""Score actor resolution on the NGEC actor cases (../shared/eval/actor-resolution).

Prints country and sector accuracy, an unresolved phrase counting as wrong, as that suite's
README asks. A case value {"not": X} accepts anything but X. Usage:

    .venv/bin/python scripts/eval_actors.py [--cases FILE] [--misses]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from communique.coder import Coder

DEFAULT_CASES = "eval/actor-resolution/ngec-actor-cases.jsonl"


def _shared() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("COMMUNIQUE_SHARED", project.parent / "shared"))


def _correct(expected: Any, got: str) -> bool:
    if isinstance(expected, dict):
        return got != expected.get("not")
    return (expected or "") == got


def score(coder: Coder, cases: list[dict[str, Any]], *, show_misses: bool) -> dict[str, float]:
    tally = {"country": [0, 0], "sector": [0, 0]}
    for case in cases:
        date = case.get("date")
        when = None if not date or str(date).lower() == "today" else str(date)
        result = coder.resolve_actor(case["actor"], when=when, context=case.get("context") or "")
        got = {"country": result.country, "sector": result.sector}
        for field, counts in tally.items():
            if field in case:
                counts[1] += 1
                right = _correct(case[field], got[field])
                counts[0] += right
                if not right and show_misses:
                    print(
                        f"miss {field}: {case['actor']!r} expected {case[field]!r} got "
                        f"{got[field]!r} ({result.matched_by})"
                    )
    return {field: right / total for field, (right, total) in tally.items() if total}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=_shared() / DEFAULT_CASES)
    parser.add_argument("--misses", action="store_true", help="list every wrong answer")
    args = parser.parse_args()
    if not args.cases.is_file():
        print(f"{args.cases} is absent: set COMMUNIQUE_SHARED or pass --cases", file=sys.stderr)
        return 2
    lines = args.cases.read_text(encoding="utf-8").splitlines()
    cases = [json.loads(line) for line in lines if line.strip()]
    figures = score(Coder(), cases, show_misses=args.misses)
    print(f"{len(cases)} cases: " + ", ".join(f"{k} accuracy {v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
