"""What ``communique batch`` reads and how it cuts it: no cluster and no model here."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from communique.errors import InputError
from communique.ingest.documents import ReadOptions
from communique.records import Article
from communique.scale.inputs import ReadTally, partitions, read_inputs

RECORDS = [
    {"id": "a1", "text": "Lloyd Austin met Dong Jun in Singapore.", "date": "2024-05-31"},
    {"id": "a2", "text": "Iran threatened Israel.", "date": "2024-04-02", "title": "Threat"},
    {"id": "a3", "text": "China protested.", "date": "2024-03-01", "source": "Reuters"},
]


def _articles(path: Path) -> list[Article | InputError]:
    return [item for item, _ in read_inputs([str(path)], ReadOptions())]


def test_parquet_rows_read_as_json_lines_records(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in RECORDS))
    parquet = tmp_path / "a.parquet"
    columns = ("id", "text", "date", "title", "source")
    # Every column in every row: from_pylist takes the columns of the first row.
    rows = [{name: record.get(name) for name in columns} for record in RECORDS]
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    assert _articles(parquet) == _articles(jsonl)


def test_typed_parquet_dates_are_read(tmp_path: Path) -> None:
    parquet = tmp_path / "typed.parquet"
    rows = [{"text": "China protested.", "date": date(2024, 3, 1)}]
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    [article] = _articles(parquet)
    assert isinstance(article, Article) and article.published == date(2024, 3, 1)


def test_bad_parquet_rows_and_files_are_named(tmp_path: Path) -> None:
    parquet = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist([RECORDS[0], {**RECORDS[1], "text": " "}]), parquet)
    good, bad = _articles(parquet)
    assert isinstance(good, Article)
    assert isinstance(bad, InputError) and str(bad).startswith(f"{parquet}:2: ")
    no_text = tmp_path / "no-text.parquet"
    pq.write_table(pa.Table.from_pylist([{"body": "x"}]), no_text)
    [error] = _articles(no_text)
    assert isinstance(error, InputError) and "no 'text' column" in str(error)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 no")
    [error] = _articles(broken)
    assert str(error).startswith(f"{broken}: not a readable Parquet file")


def test_folders_give_parquet_and_jsonl_files_in_order(tmp_path: Path) -> None:
    pq.write_table(pa.Table.from_pylist(RECORDS[:1]), tmp_path / "b.parquet")
    (tmp_path / "a.jsonl").write_text(json.dumps(RECORDS[1]) + "\n")
    positions = [str(position) for _, position in read_inputs([str(tmp_path)], ReadOptions())]
    assert positions == [f"{tmp_path / 'a.jsonl'}:1", f"{tmp_path / 'b.parquet'}:1"]


def test_partitions_are_named_by_content_and_repeats_are_coded_once(tmp_path: Path) -> None:
    jsonl = tmp_path / "a.jsonl"
    lines = [*RECORDS, RECORDS[0], {"text": ""}]
    jsonl.write_text("".join(json.dumps(record) + "\n" for record in lines))

    def cut() -> tuple[list[list[str]], ReadTally]:
        tally = ReadTally()
        items = read_inputs([str(jsonl)], ReadOptions())
        found = [
            [partition.name, partition.describe()]
            for partition in partitions(items, 2, tally=tally, on_skip=lambda error: None)
        ]
        return found, tally

    first, tally = cut()
    again, _ = cut()
    assert first == again
    assert len(first) == 2 and first[0][0] != first[1][0]
    assert first[0][1].endswith(f"({jsonl} items 1–2, 2 articles)")
    assert (tally.read, tally.repeated, len(tally.bad)) == (5, 1, 1)
    assert tally.bad[0].startswith(f"{jsonl}:5")
