"""Load time of the knowledge base and of PETRARCH-format dictionaries.

Measures, each in a fresh process, once with an empty cache of parsed data files ("cold")
and once with the cache that run filled ("warm"; see ``communique.cache``), imports excluded
except for ``coder``:

* ``phoenix``: reading the four Phoenix dictionaries from ``../shared/reference/petrarch``
  (three actor files and the agents file) with communique's reader, and building a
  knowledge base extended by them, as ``--actors``/``--agents`` do;
* ``kb``: ``KnowledgeBase.default()`` (curated YAML files plus the bundled Phoenix layer);
* ``coder``: ``Coder()``, the language model with every component.

The dictionaries are read from ``../shared`` (or ``$COMMUNIQUE_SHARED``) and never copied here.

    .venv/bin/python benchmarks/bench_dictionaries.py [--repeat 3] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ACTOR_FILES = (
    "Phoenix.Countries.actors.txt",
    "Phoenix.International.actors.txt",
    "Phoenix.MilNonState.actors.txt",
)
AGENT_FILE = "Phoenix.agents.txt"

PHOENIX = """
import sys, time
from pathlib import Path
from communique.actors.kb import KnowledgeBase
from communique.actors.petrarch import read_dictionary
start = time.perf_counter()
folder = Path(sys.argv[1])
actors = [folder / name for name in {actors!r}]
entries = sum(len(read_dictionary(p, kind="actors").actors) for p in actors)
agents = len(read_dictionary(folder / {agents!r}, kind="agents").agents)
read = time.perf_counter() - start
base = KnowledgeBase.default()
start_extend = time.perf_counter()
kb = base.with_dictionaries(actors=actors, agents=[folder / {agents!r}])
extend = time.perf_counter() - start_extend
print(read, extend, entries, agents, len(kb.problems))
"""

KB = """
import time
from communique.actors.kb import KnowledgeBase
start = time.perf_counter()
kb = KnowledgeBase.default()
print(time.perf_counter() - start, len(kb.surfaces), len(kb.bundled_actors))
"""

CODER = """
import time
start = time.perf_counter()
from communique.coder import Coder
Coder()
print(time.perf_counter() - start)
"""


def _shared() -> Path:
    project = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("COMMUNIQUE_SHARED", project.parent / "shared"))


def _run(code: str, *args: str, cache: Path) -> list[float]:
    environment = {**os.environ, "COMMUNIQUE_CACHE": str(cache)}
    output = subprocess.run(
        [sys.executable, "-c", code, *args],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    ).stdout
    return [float(value) for value in output.split()]


def _cold_and_warm(
    code: str, *args: str, repeat: int
) -> tuple[list[list[float]], list[list[float]]]:
    """Runs with an empty cache, then runs with the cache those filled."""
    cold, warm = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            cold.append(_run(code, *args, cache=Path(folder)))
            warm.append(_run(code, *args, cache=Path(folder)))
    return cold, warm


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    folder = _shared() / "reference" / "petrarch"
    if not (folder / ACTOR_FILES[0]).is_file():
        print(f"{folder} lacks the Phoenix dictionaries: set COMMUNIQUE_SHARED", file=sys.stderr)
        return 2
    phoenix_code = PHOENIX.format(actors=ACTOR_FILES, agents=AGENT_FILE)
    phoenix, phoenix_warm = _cold_and_warm(phoenix_code, str(folder), repeat=args.repeat)
    kb, kb_warm = _cold_and_warm(KB, repeat=args.repeat)
    coder, coder_warm = _cold_and_warm(CODER, repeat=args.repeat)
    machine = f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    figures: dict[str, object] = {
        "machine": machine,
        "phoenix_read_cold_s": statistics.median(run[0] for run in phoenix),
        "phoenix_read_warm_s": statistics.median(run[0] for run in phoenix_warm),
        "phoenix_extend_kb_cold_s": statistics.median(run[1] for run in phoenix),
        "phoenix_actor_entries": int(phoenix[0][2]),
        "phoenix_agent_phrases": int(phoenix[0][3]),
        "phoenix_unreadable_lines": int(phoenix[0][4]),
        "default_kb_load_cold_s": statistics.median(run[0] for run in kb),
        "default_kb_load_warm_s": statistics.median(run[0] for run in kb_warm),
        "coder_load_cold_s": statistics.median(run[0] for run in coder),
        "coder_load_warm_s": statistics.median(run[0] for run in coder_warm),
    }
    for name, value in figures.items():
        print(f"{name:28} {value:.2f}" if isinstance(value, float) else f"{name:28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
