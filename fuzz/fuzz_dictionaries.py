"""Coverage-guided fuzzing of the dictionary loaders: PETRARCH actors and agents, PETRARCH
verbs and communique's YAML patterns.

The first byte of an input picks the loader, the rest is the file. A loader may report a
line as a problem or refuse the file with ``DataFileError``; anything else is a crash.

    .venv/bin/python fuzz/fuzz_dictionaries.py -max_total_time=60
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from datetime import date
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import run

# Each input is parsed afresh, not answered from the cache of parsed files.
os.environ["COMMUNIQUE_CACHE"] = "off"

with atheris.instrument_imports(include=["communique"]):
    from communique.actors.petrarch import read_dictionary, split_code
    from communique.errors import DataFileError
    from communique.events.patterns import PatternBook

FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-dictionaries-files-"))
# Loaders by the first byte of an input (byte % 4); fuzz/corpus/dictionaries has seeds.
KINDS = ("actors", "agents", "verbs", "patterns")
DAYS = (date(1990, 1, 1), date(2024, 8, 29))


def load(kind: str, content: bytes) -> None:
    path = FOLDER / ("patterns.yml" if kind == "patterns" else f"{kind}.txt")
    path.write_bytes(content)
    if kind in ("actors", "agents"):
        dictionary = read_dictionary(path, kind=kind)
        for actor in dictionary.actors:
            assert actor.phrases and actor.name
            for day in DAYS:
                code = actor.code_at(day)
                if code is not None:
                    split_code(code)
        for agent in dictionary.agents:
            assert agent.code and agent.sector
        return
    book = PatternBook.from_files([path])
    for pattern in book.all():
        assert pattern.code and pattern.rule


def test_one_input(data: bytes) -> None:
    if not data:
        return
    with contextlib.suppress(DataFileError):  # a refused file is an answer, not a crash
        load(KINDS[data[0] % len(KINDS)], data[1:])


if __name__ == "__main__":
    run(test_one_input, "dictionaries")
