"""Coverage-guided fuzzing of the document readers, every format.

The first byte of an input picks the format, the rest is the document. Each input goes to
the per-format function; the ``.gz`` formats, and any input whose first byte is 0xF0 or more,
also go through a file of that suffix (gzipped for ``.gz``) read by ``read_sources``. A
reader may yield articles and ``InputError``s; any other exception is a crash, and so is
any exception at all from ``read_sources``.

    .venv/bin/python fuzz/fuzz_readers.py -max_total_time=60
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import tempfile
import warnings
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import run

with atheris.instrument_imports(include=["communique", "feedparser", "csv", "json"]):
    from communique.errors import InputError
    from communique.ingest import readers
    from communique.ingest.documents import ReadOptions
    from communique.records import Article

# Formats by the first byte of an input (byte % 10); fuzz/corpus/readers has a seed for each.
SUFFIXES = (".txt", ".html", ".json", ".jsonl", ".csv", ".xml", ".txt.gz", ".jsonl.gz",
            ".csv.gz", ".xml.gz")  # fmt: skip
OPTIONS = ReadOptions(max_bytes=200_000)
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-readers-files-"))


def read_bytes(suffix: str, document: bytes) -> list[Article | InputError]:
    kind = readers._format(f"x{suffix}")
    assert kind is not None
    try:
        if kind in readers._STREAMED:
            stream = io.BytesIO(document)
            return list(readers._STREAMED[kind](stream, "<fuzz>", OPTIONS, readers.CsvColumns()))
        return list(readers._WHOLE[kind](document, "<fuzz>", OPTIONS))
    except InputError as error:  # the whole-file formats raise, and _read_file yields it
        return [error]


def read_file(suffix: str, document: bytes) -> list[Article | InputError]:
    path = FOLDER / f"input{suffix}"
    packed = path.name.endswith(".gz")
    path.write_bytes(gzip.compress(document, mtime=0) if packed else document)
    return list(readers.read_sources([path], OPTIONS))


def check(items: list[Article | InputError]) -> None:
    for item in items:
        if isinstance(item, Article):
            assert item.text.strip(), item
        else:
            assert isinstance(item, InputError), item


def test_one_input(data: bytes) -> None:
    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]
    document = data[1:]
    check(read_bytes(suffix.removesuffix(".gz"), document))
    if data[0] >= 0xF0 or suffix.endswith(".gz"):
        check(read_file(suffix, document))


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    os.environ.setdefault("COMMUNIQUE_CACHE", "off")
    run(test_one_input, "readers")
