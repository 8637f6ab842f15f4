"""``communique batch`` on a real two-worker Dask cluster with the real model.

The events must be those of one process: ``Coder.code_documents`` over the same articles.
Most tests code a fixed subset, the first ``SUBSET`` documents of each shared corpus (every
worker loads the model once for the whole module); one codes the whole of both corpora (1,111
documents, several minutes on two cores). ``COMMUNIQUE_FULL=1`` also codes the whole subset,
not only its first ``ZONE_SUBSET`` documents, inside a spaCy memory zone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest
from click.testing import CliRunner, Result
from distributed import Client, LocalCluster

from communique.cli import cli
from communique.coder import Coder
from communique.ingest.documents import ReadOptions
from communique.ingest.readers import read_sources
from communique.records import Article
from communique.scale import coder_loads, event_from_row
from communique.scale.worker import code_articles
from communique.store import Store
from tests.conftest import corpus_head, shared_file

CORPORA = ("corpus/guardian-2017-2019.jsonl", "corpus/reuters-1987-politics.jsonl")
SUBSET = 60  # documents from the top of each corpus
ZONE_SUBSET = 20  # of which, coded again inside a spaCy memory zone
PARTITION = "10"
FULL = os.environ.get("COMMUNIQUE_FULL") == "1"


@contextmanager
def two_workers() -> Iterator[Client]:
    """A local cluster of two single-threaded worker processes, as ``--workers 2`` starts."""
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        Client(cluster) as connected,
    ):
        yield connected


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with two_workers() as connected:
        yield connected


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The first SUBSET lines of each corpus, in files of the test's own (not in the repo)."""
    folder = tmp_path_factory.mktemp("subset")
    return [corpus_head(relative, folder / Path(relative).name, SUBSET) for relative in CORPORA]


def single_process(coder: Coder, files: list[Path]) -> dict[str, dict[str, Any]]:
    """The reference: every event of one process, by id. An article whose text was read
    before is left out, as ``ingest`` and ``batch`` do (the Reuters corpus repeats some)."""
    articles: dict[str, Article] = {}
    for item in read_sources(files, ReadOptions()):
        if isinstance(item, Article):
            articles.setdefault(item.id, item)
    events: dict[str, dict[str, Any]] = {}
    for _, found in coder.code_documents(list(articles.values())):
        for event in found:
            assert event.event_id not in events, f"{event.event_id} twice in one process"
            events[event.event_id] = event.to_dict()
    return events


@pytest.fixture(scope="module")
def reference(coder: Coder, subset: list[Path]) -> dict[str, dict[str, Any]]:
    return single_process(coder, subset)


def profiling(dask_worker: Any) -> list[str]:
    """The profiler's periodic callbacks a worker runs (run it with ``client.run``)."""
    return sorted(name for name in dask_worker.periodic_callbacks if name.startswith("profile"))


def batch(*args: str) -> Result:
    return CliRunner().invoke(cli, ["batch", *args])


def output_events(folder: Path) -> list[dict[str, Any]]:
    """Every event row of a batch folder, as event records."""
    table = ds.dataset(folder / "events", format="parquet", partitioning="hive").to_table()
    return [event_from_row(row).to_dict() for row in table.drop(["month"]).to_pylist()]


def assert_same_events(folder: Path, reference: dict[str, dict[str, Any]]) -> None:
    rows = output_events(folder)
    repeated = [key for key, count in Counter(row["event_id"] for row in rows).items() if count > 1]
    assert not repeated, f"events written twice: {repeated[:5]}"
    found = {row["event_id"]: row for row in rows}
    assert found.keys() == reference.keys(), (
        f"missing {sorted(reference.keys() - found.keys())[:5]}, "
        f"extra {sorted(found.keys() - reference.keys())[:5]}"
    )
    different = [key for key in reference if found[key] != reference[key]]
    assert not different, f"{len(different)} events differ, e.g. {different[:3]}"


def test_a_spacy_memory_zone_changes_no_event(
    coder: Coder, subset: list[Path], reference: dict[str, dict[str, Any]]
) -> None:
    """``code_articles(memory_zone=True)`` (off in the workers: it saved no memory, see
    docs/benchmarks.md) gives the events of a run without one, and the pipeline codes as
    before once the zone has freed what it added. The first ``ZONE_SUBSET`` documents of each
    corpus; with ``COMMUNIQUE_FULL=1``, all ``SUBSET``."""
    articles: dict[str, Article] = {}
    for file in subset:
        taken = 0
        for item in read_sources([file], ReadOptions()):
            if isinstance(item, Article) and taken < (SUBSET if FULL else ZONE_SUBSET):
                taken += 1
                articles.setdefault(item.id, item)

    def fail(error: Exception) -> None:
        raise error

    coded = code_articles(coder, list(articles.values()), fail, memory_zone=True)
    events = {event.event_id: event.to_dict() for _, found in coded for event in found}
    expected = {key: event for key, event in reference.items() if event["article_id"] in articles}
    assert events == expected and len(expected) > 20
    first, found = coded[0]
    assert [event.to_dict() for event in coder.code_article(first)] == [
        event.to_dict() for event in found
    ]


def test_two_workers_give_the_events_of_one_process(
    client: Client, subset: list[Path], reference: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [*map(str, subset), "--output", str(out), "--partition-size", PARTITION]
    result = batch(*args, "--scheduler", client.scheduler.address)
    assert result.exit_code == 0, result.output
    assert_same_events(out, reference)
    assert "partitions: 12 coded, 0 already done, 0 failed" in result.output
    assert f"events: {len(reference)}" in result.output
    # The model was loaded once per worker, not once per partition.
    assert set(client.run(coder_loads).values()) == {1}
    # The plugin stopped Dask's statistical profiler (its history grows with every second).
    assert set(map(tuple, client.run(profiling).values())) == {()}
    # Months are Hive partitions; every partition's marker is there.
    assert all(path.name.startswith("month=") for path in (out / "events").iterdir())
    assert len(list((out / "_done").glob("*.json"))) == 12


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing(
    client: Client, subset: list[Path], reference: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    victim = next(iter(client.run(os.getpid).values()))
    killed: list[int] = []

    def kill_after_first_partition() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            done = len(list((out / "_done").glob("*.json"))) if (out / "_done").is_dir() else 0
            if done:
                os.kill(victim, signal.SIGKILL)
                killed.append(done)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_after_first_partition)
    killer.start()
    args = [*map(str, subset), "--output", str(out), "--partition-size", PARTITION]
    result = batch(*args, "--scheduler", client.scheduler.address)
    killer.join()
    assert result.exit_code == 0, result.output
    assert killed and killed[0] < 12, "the worker was not killed while partitions were left"
    assert victim not in client.run(os.getpid).values()
    assert_same_events(out, reference)
    assert not list(out.rglob(".*.tmp")), "temporary files left behind"
    assert "partitions: 12 coded, 0 already done, 0 failed" in result.output


def test_a_rerun_codes_only_unfinished_partitions(
    client: Client, subset: list[Path], reference: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [*map(str, subset), "--output", str(out), "--partition-size", PARTITION]
    args += ["--scheduler", client.scheduler.address]
    assert batch(*args).exit_code == 0
    # An interrupted run: two partitions never finished (no marker; one left no files).
    unfinished = sorted((out / "_done").glob("*.json"))[:2]
    for marker in unfinished:
        marker.unlink()
    for part in out.glob(f"**/part-{unfinished[0].stem}.parquet"):
        part.unlink()
    before = sorted(path.relative_to(out) for path in out.rglob("*.parquet"))
    result = batch(*args)
    assert result.exit_code == 0, result.output
    assert "partitions: 2 coded, 10 already done, 0 failed" in result.output
    assert f"events: {len(reference)}" in result.output
    assert_same_events(out, reference)
    after = sorted(path.relative_to(out) for path in out.rglob("*.parquet"))
    assert len(after) >= len(before)
    assert not list(out.rglob(".*.tmp")), "temporary files left behind"


def test_a_failing_partition_is_named_and_the_rest_completes(
    client: Client, subset: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # A file where a month folder should be: the partitions with events in 2019-04 cannot
    # write them, whichever worker tries, however often.
    (out / "events").mkdir(parents=True)
    (out / "events" / "month=2019-04").write_text("in the way")
    garbage = tmp_path / "broken.parquet"
    garbage.write_bytes(b"not parquet at all")
    missing = tmp_path / "missing.jsonl"
    args = [str(subset[0]), str(garbage), str(missing), "--output", str(out)]
    args += ["--partition-size", PARTITION, "--retries", "1"]
    result = batch(*args, "--scheduler", client.scheduler.address)
    assert result.exit_code == 1, result.output
    assert f"communique: skipped {garbage}: not a readable Parquet file" in result.output
    assert f"communique: skipped {missing}: " in result.output
    failed = [line for line in result.output.splitlines() if line.startswith("communique: failed")]
    assert failed, result.output
    assert any(f"({subset[0]} items 1–10, 10 articles)" in line for line in failed)
    assert any("NotADirectoryError" in line or "FileExistsError" in line for line in failed)
    coded = 6 - len(failed)
    assert f"partitions: {coded} coded, 0 already done, {len(failed)} failed" in result.output
    # Out of the way, the same command codes only the failed partitions.
    (out / "events" / "month=2019-04").unlink()
    again = batch(*args, "--scheduler", client.scheduler.address)
    assert f"partitions: {len(failed)} coded, {coded} already done, 0 failed" in again.output


def test_loading_the_database_counts_as_ingest_does(
    client: Client, subset: list[Path], tmp_path: Path
) -> None:
    small = tmp_path / "small.jsonl"
    small.write_text("".join(subset[0].read_text("utf-8").splitlines(True)[:15]), "utf-8")
    ingested, loaded = tmp_path / "ingest.db", tmp_path / "batch.db"
    assert (
        CliRunner().invoke(cli, ["ingest", str(small), "--db", str(ingested), "-q"]).exit_code == 0
    )
    args = [str(small), "--output", str(tmp_path / "out"), "--partition-size", "4"]
    result = batch(*args, "--db", str(loaded), "--scheduler", client.scheduler.address)
    assert result.exit_code == 0, result.output
    expected = Store.open(str(ingested)).counts()
    assert Store.open(str(loaded)).counts() == expected
    # Loading again adds nothing.
    again = batch(*args, "--db", str(loaded), "--scheduler", client.scheduler.address)
    assert "0 articles new, 15 already present" in again.output
    assert Store.open(str(loaded)).counts() == expected


def test_the_whole_corpora_give_the_events_of_one_process(
    client: Client, coder: Coder, tmp_path: Path
) -> None:
    files = [shared_file(relative) for relative in CORPORA]
    expected = single_process(coder, files)
    out = tmp_path / "out"
    args = [*map(str, files), "--output", str(out), "--partition-size", "25"]
    result = batch(*args, "--scheduler", client.scheduler.address)
    assert result.exit_code == 0, result.output
    assert_same_events(out, expected)


def test_an_output_folder_keeps_its_options(
    client: Client, subset: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "_batch.json").write_text('{"model": "other"}')
    result = batch(str(subset[0]), "--output", str(out), "--scheduler", client.scheduler.address)
    assert result.exit_code == 1
    assert "holds output coded with other options" in result.output


def test_workers_are_for_a_local_cluster_only(tmp_path: Path) -> None:
    result = batch(
        "x.jsonl", "--output", str(tmp_path), "--workers", "2", "--scheduler", "tcp://h:1"
    )
    assert result.exit_code == 2
    assert "--workers is for a local cluster" in result.output
