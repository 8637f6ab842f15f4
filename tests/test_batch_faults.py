"""Faults `communique batch` survives, with real `communique` processes and a real two-worker
Dask cluster: the driver killed with SIGKILL (while coding, and while loading the database),
an output folder that is read-only or fills up, a scheduler that is not there, and workers
restarted in the middle of a run.

After each, running the same command again must give exactly the output of an uninterrupted
run: the same events, none missing, none twice, and with ``--db`` a database that `communique
doctor` finds clean, holding the same articles, reports and events.

The input is the first ``SAMPLE_SIZE`` articles of the Guardian corpus of the shared test
material, copied to a temporary file (nothing of it is kept in the repository). The drivers
share one module-scoped cluster (``--scheduler``), whose workers load the model once, except
where the local cluster of the driver itself is the point (``--workers 2``). Tests that mount
a small tmpfs need root, and are skipped without it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq
import pytest
from distributed import Client

from communique.ingest.documents import ReadOptions
from communique.records import Article
from communique.scale import coder_loads, read_inputs, read_partition
from communique.scale.inputs import make_partition
from communique.scale.output import OutputFolderError
from communique.scale.worker import code_partition
from communique.store import Store
from tests.conftest import guardian_sample
from tests.test_batch import output_events, profiling, two_workers
from tests.test_faults import COMMUNIQUE, ENVIRONMENT, doctor_report, tmpfs
from tests.test_ingest_cli import _content, _rows

SAMPLE_SIZE = 16
PARTITION_SIZE = "2"
PARTITIONS = 8  # SAMPLE_SIZE / PARTITION_SIZE: no article of the sample is repeated
# A worker lives LIFETIME (give or take LIFETIME_STAGGER), then its nanny starts a new one.
# The lifetime must leave a new worker time to load the model (about 3 s) and code; the longer
# input of that test (about 50 s of coding on two idle cores) lasts several lifetimes.
LIFETIME = "12s"
LIFETIME_STAGGER = "2s"
LIFETIME_SAMPLE = 100
SUMMARY = re.compile(r"partitions: (\d+) coded, (\d+) already done, (\d+) failed")


# --------------------------------------------------------------------------------------------
# Fixtures and helpers


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """Two single-threaded workers, as ``--workers 2`` would start, shared by the module."""
    with two_workers() as client:
        yield client


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return guardian_sample(tmp_path_factory.mktemp("sample") / "sample.jsonl", SAMPLE_SIZE)


@dataclass(frozen=True)
class Reference:
    """An uninterrupted run: its folder, its database, and what they hold."""

    folder: Path
    db: Path
    events: dict[str, dict[str, Any]]
    articles: list[str]


@pytest.fixture(scope="module")
def reference(cluster: Client, sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    folder = tmp_path_factory.mktemp("reference")
    out, db = folder / "out", folder / "batch.db"
    result = communique_batch(sample, out, "--db", str(db), *on(cluster))
    assert result.returncode == 0, result.stderr
    assert summary(result.stderr) == (PARTITIONS, 0, 0)
    assert doctor_report(db)["clean"]
    return Reference(out, db, events_of(out), articles_of(out))


def on(cluster: Client) -> list[str]:
    return ["--scheduler", str(cluster.scheduler.address)]


def batch_command(sample: Path, out: Path, *args: str) -> list[str]:
    return [
        COMMUNIQUE,
        "batch",
        str(sample),
        "--output",
        str(out),
        "--partition-size",
        PARTITION_SIZE,
        *args,
    ]


def communique_batch(
    sample: Path, out: Path, *args: str, timeout: float = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        batch_command(sample, out, *args),
        env=env or ENVIRONMENT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def summary(stderr: str) -> tuple[int, int, int]:
    """(coded, already done, failed) from the summary line."""
    found = SUMMARY.search(stderr)
    assert found, stderr
    coded, done, failed = (int(group) for group in found.groups())
    return coded, done, failed


def events_of(folder: Path) -> dict[str, dict[str, Any]]:
    """Every event of a batch folder by id; none may be there twice."""
    rows = output_events(folder)
    twice = [key for key, count in Counter(row["event_id"] for row in rows).items() if count > 1]
    assert not twice, f"events written twice: {twice[:5]}"
    return {row["event_id"]: row for row in rows}


def articles_of(folder: Path) -> list[str]:
    """Every coded article's id, sorted; none may be there twice."""
    ids = [
        article_id
        for path in sorted((folder / "articles").glob("part-*.parquet"))
        for article_id in pq.read_table(path, columns=["article_id"]).column(0).to_pylist()
    ]
    assert len(ids) == len(set(ids)), "articles written twice"
    return sorted(ids)


def markers(folder: Path) -> list[Path]:
    return sorted((folder / "_done").glob("*.json")) if (folder / "_done").is_dir() else []


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.tmp"))


def assert_same_output(folder: Path, reference: Reference) -> None:
    found = events_of(folder)
    assert found.keys() == reference.events.keys(), (
        f"missing {sorted(reference.events.keys() - found.keys())[:5]}, "
        f"extra {sorted(found.keys() - reference.events.keys())[:5]}"
    )
    assert found == reference.events
    assert articles_of(folder) == reference.articles
    assert len(markers(folder)) == PARTITIONS
    assert not leftovers(folder), "temporary files left behind"


def assert_same_database(db: Path, reference: Reference) -> None:
    report = doctor_report(db)
    assert report["clean"], report
    assert report["counts"] == doctor_report(reference.db)["counts"]
    assert Store.open(str(db)).counts() == Store.open(str(reference.db)).counts()
    assert _content(db) == _content(reference.db)  # the same articles, reports and events


def assert_whole_partitions(folder: Path) -> None:
    """Every Parquet file reads whole, and every partition with a marker reads back with
    as many articles and events as its marker says."""
    for path in folder.rglob("*.parquet"):
        pq.read_table(path)
    for marker in markers(folder):
        done = json.loads(marker.read_text("utf-8"))
        coded = read_partition(folder, marker.stem, list(done["months"]))
        assert len(coded) == done["articles"]
        assert sum(len(events) for _, events in coded) == done["events"]


def wait_for_markers(folder: Path, process: subprocess.Popen[Any], count: int = 1) -> int:
    """Wait until ``count`` partitions are complete; how many are."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        done = len(markers(folder))
        if done >= count:
            return done
        time.sleep(0.05)
    pytest.fail("the batch finished or stalled before the fault could be made part-way")


def kill(process: subprocess.Popen[Any]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)


# --------------------------------------------------------------------------------------------
# kill -9 of the driver


@pytest.mark.parametrize("cluster_kind", ["--workers", "--scheduler"])
def test_a_driver_killed_with_sigkill_resumes_to_the_output_of_an_uninterrupted_run(
    cluster_kind: str, cluster: Client, sample: Path, reference: Reference, tmp_path: Path
) -> None:
    """``--workers``: the driver's own local cluster dies with it; ``--scheduler``: the
    workers of a long-lived cluster go on with the partitions they were coding."""
    out, db = tmp_path / "out", tmp_path / "batch.db"
    where = ["--workers", "2"] if cluster_kind == "--workers" else on(cluster)
    command = batch_command(sample, out, "--db", str(db), *where)
    driver = subprocess.Popen(command, env=ENVIRONMENT, stderr=subprocess.DEVNULL)
    try:
        done = wait_for_markers(out, driver)
        children = psutil.Process(driver.pid).children(recursive=True)
    finally:
        kill(driver)
    assert 0 < done < PARTITIONS, "the driver should be killed part-way"
    # A local cluster's processes end with the driver: none is left coding.
    _, alive = psutil.wait_procs(children, timeout=60)
    for orphan in alive:
        orphan.kill()
    assert not alive, f"processes left running after the driver was killed: {alive}"
    assert_whole_partitions(out)
    if db.exists():  # the database is loaded after the coding: untouched, or whole
        assert doctor_report(db)["clean"]

    rerun = communique_batch(sample, out, "--db", str(db), *where)
    assert rerun.returncode == 0, rerun.stderr
    coded, already, failed = summary(rerun.stderr)
    assert already >= done and coded + already == PARTITIONS and failed == 0
    assert_same_output(out, reference)
    assert_same_database(db, reference)


# Runs `communique` as usual, but once one partition is in the database, pauses inside the
# transaction of the next, at its first INSERT into articles, so that the test kills it there.
# It patches Store.add_batch only to count the calls, and changes no part of communique.
PAUSED_IN_LOAD = """
import sys, time
from sqlalchemy import event
from sqlalchemy.engine import Engine
from communique.store import Store

loaded = []
add_batch = Store.add_batch

def counted(self, items):
    result = add_batch(self, items)
    loaded.append(result)
    return result

Store.add_batch = counted

@event.listens_for(Engine, "before_cursor_execute")
def pause(connection, cursor, statement, parameters, context, executemany):
    if loaded and statement.lstrip().upper().startswith("INSERT INTO ARTICLES"):
        print("loading", flush=True)
        time.sleep(600)

from communique.cli import main
sys.argv = ["communique", *sys.argv[1:]]
main()
"""


def test_a_driver_killed_while_loading_the_database_resumes_to_the_same_database(
    cluster: Client, sample: Path, reference: Reference, tmp_path: Path
) -> None:
    out, db = tmp_path / "out", tmp_path / "batch.db"
    command = batch_command(sample, out, "--db", str(db), *on(cluster))
    driver = subprocess.Popen(
        [sys.executable, "-c", PAUSED_IN_LOAD, *command[1:]],
        env=ENVIRONMENT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert driver.stdout is not None
        assert driver.stdout.readline().strip() == "loading"
    finally:
        kill(driver)
    # Coding had ended; of the database load, the first partition is in, the second not.
    assert len(markers(out)) == PARTITIONS
    stored = _rows(db, "SELECT id FROM articles")
    assert len(stored) == int(PARTITION_SIZE)
    assert doctor_report(db)["clean"]

    rerun = communique_batch(sample, out, "--db", str(db), *on(cluster))
    assert rerun.returncode == 0, rerun.stderr
    assert summary(rerun.stderr) == (0, PARTITIONS, 0)
    assert f"{SAMPLE_SIZE - len(stored)} articles new, {len(stored)} already present" in (
        rerun.stderr
    )
    assert_same_output(out, reference)
    assert_same_database(db, reference)


# --------------------------------------------------------------------------------------------
# An output folder that cannot be written


def assert_clear_error(stderr: str, folder: Path, reason: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert f"cannot write to the output folder {folder}: {reason}" in stderr, stderr


@pytest.mark.parametrize("earlier_output", [False, True])
def test_a_read_only_output_folder_is_refused_before_any_coding(
    earlier_output: bool, sample: Path, reference: Reference, tmp_path: Path
) -> None:
    """Permission bits are honoured even for root (who could write anyway), as the store
    does: the folder is refused before a cluster starts, and nothing in it changes."""
    out = tmp_path / "out"
    if earlier_output:
        shutil.copytree(reference.folder, out)
    else:
        out.mkdir()
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    out.chmod(0o555)
    try:
        started = time.monotonic()
        result = communique_batch(sample, out, "--workers", "2", timeout=120)
        seconds = time.monotonic() - started
    finally:
        out.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert_clear_error(result.stderr, out, "it is read-only (permissions dr-xr-xr-x)")
    assert "Dask scheduler" not in result.stderr  # no cluster was started
    assert seconds < 60
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of our own, resized and remounted by the test (needs root)."""
    with tmpfs(tmp_path / "disk", "64m") as folder:
        yield folder


def remount(folder: Path, options: str) -> bool:
    return (
        subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=False).returncode
        == 0
    )


def disk_usage(folder: Path) -> int:
    """Bytes a copy of ``folder`` takes on a tmpfs: whole pages per file."""
    page = 4096
    return sum(-(-path.stat().st_size // page) * page for path in folder.rglob("*.*"))


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_an_output_folder_that_fills_up_or_turns_read_only_stops_the_run_clearly(
    fault: str, cluster: Client, sample: Path, reference: Reference, small_disk: Path
) -> None:
    """The run stops at the first partition that cannot be written, with an error naming
    the folder, and leaves only whole files; once there is room, the same command codes the
    rest and the output is that of an uninterrupted run. The disk fills under the driver's
    own cluster (``--workers``: what its workers log reaches the user too), the folder turns
    read-only under a long-lived one."""
    out = small_disk / "out"
    where = ["--workers", "2"] if fault == "disk full" else on(cluster)
    command = batch_command(sample, out, *where)
    if fault == "disk full":
        # Room for about half of the output (and for the first check's 64 KiB).
        assert remount(small_disk, f"size={max(disk_usage(reference.folder) // 2, 96 * 1024)}")
        result = subprocess.run(
            command, env=ENVIRONMENT, capture_output=True, text=True, timeout=600
        )
        reason = "the disk is full (No space left on device"
    else:
        driver = subprocess.Popen(
            command, env=ENVIRONMENT, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
        )
        try:
            wait_for_markers(out, driver)
            # Refused (busy) while a worker has a file open for writing: try again.
            deadline = time.monotonic() + 60
            while not remount(small_disk, "ro"):
                assert time.monotonic() < deadline, "could not make the tmpfs read-only"
                time.sleep(0.02)
            _, stderr = driver.communicate(timeout=600)
        finally:
            if driver.poll() is None:
                kill(driver)
        result = subprocess.CompletedProcess(command, driver.returncode, "", stderr)
        reason = "the file system is read-only (Read-only file system: "
    assert result.returncode == 1, result.stderr
    assert_clear_error(result.stderr, out, reason)
    assert "communique: stopped: " in result.stderr
    done = len(markers(out))
    assert 0 < done < PARTITIONS, "the fault should stop the run part-way"
    assert_whole_partitions(out)
    if fault == "disk full":
        assert not leftovers(out), "half-written files left behind"
    # A temporary file renamed just as the disk turned read-only stays (hidden: readers
    # pass over it); the next run removes it.

    assert remount(small_disk, "rw,size=64m")
    rerun = subprocess.run(command, env=ENVIRONMENT, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    coded, already, failed = summary(rerun.stderr)
    if fault == "disk full":  # the driver's cluster ended with it
        assert (coded, already, failed) == (PARTITIONS - done, done, 0)
    else:  # a worker of the long-lived cluster may have ended a partition since
        assert already >= done and coded + already == PARTITIONS and failed == 0
    assert_same_output(out, reference)


def test_a_worker_that_cannot_write_names_the_folder_and_leaves_nothing(
    sample: Path, small_disk: Path
) -> None:
    """What a worker raises (here in this process) when the folder is read-only."""
    read = [
        (item, position)
        for item, position in read_inputs([str(sample)], ReadOptions())
        if isinstance(item, Article)
    ][:2]
    partition = make_partition([item for item, _ in read], [position for _, position in read])
    out = small_disk / "out"
    out.mkdir()
    assert remount(small_disk, "ro")
    with pytest.raises(OutputFolderError) as raised:
        code_partition(partition, str(out), {})
    assert str(raised.value).startswith(
        f"cannot write to the output folder {out}: the file system is read-only "
        "(Read-only file system: "
    )
    assert not list(out.rglob("*"))


# --------------------------------------------------------------------------------------------
# No scheduler there


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port  # closed now: nothing listens there


def test_a_scheduler_that_is_not_there_is_a_clear_error_within_the_connect_timeout(
    sample: Path, tmp_path: Path
) -> None:
    address = f"tcp://127.0.0.1:{closed_port()}"
    environment = {**ENVIRONMENT, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "3s"}
    started = time.monotonic()
    result = communique_batch(
        sample, tmp_path / "out", "--scheduler", address, env=environment, timeout=120
    )
    seconds = time.monotonic() - started
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert f"cannot reach the Dask scheduler at {address} (gave up after 3 s: " in result.stderr
    host_port = address.removeprefix("tcp://")
    assert f"connection refused, nothing listens on {host_port}" in result.stderr
    assert "start it with `dask scheduler`" in result.stderr
    # 3 s of trying, plus starting Python and importing communique on a busy machine.
    assert seconds < 3 + 30, seconds
    assert not markers(tmp_path / "out")


# --------------------------------------------------------------------------------------------
# Workers restarted during a run (docs/scale.md: let workers restart now and then)


def test_a_worker_restarted_mid_run_reloads_the_model_and_loses_or_repeats_nothing(
    cluster: Client, sample: Path, reference: Reference, tmp_path: Path
) -> None:
    """``Client.restart_workers`` on one worker once a partition is complete: the nanny
    starts a new process, the plugin loads the model there, and its partition is coded again
    by a worker (the same files, the same names)."""
    out = tmp_path / "out"
    before = cluster.run(os.getpid)
    victim = sorted(before)[0]
    driver = subprocess.Popen(
        batch_command(sample, out, *on(cluster)),
        env=ENVIRONMENT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        done = wait_for_markers(out, driver)
        restarted = cluster.restart_workers([victim], timeout=120)
        _, stderr = driver.communicate(timeout=600)
    finally:
        if driver.poll() is None:
            kill(driver)
    assert restarted == {victim: "OK"}
    assert driver.returncode == 0, stderr
    assert done < PARTITIONS, "the worker should be restarted part-way"
    assert summary(stderr) == (PARTITIONS, 0, 0)
    assert_same_output(out, reference)
    # The nanny started a new process, at a new address; the other worker is as it was.
    after = cluster.run(os.getpid)
    assert len(after) == 2 and before[victim] not in after.values()
    assert set(before.values()) & set(after.values()) == {
        pid for address, pid in before.items() if address != victim
    }
    assert set(cluster.run(coder_loads).values()) == {1}  # the new process loaded it once
    assert set(map(tuple, cluster.run(profiling).values())) == {()}  # and has no profiler


def test_workers_with_a_lifetime_restart_and_the_output_is_complete(
    cluster: Client, tmp_path: Path
) -> None:
    """`dask worker --lifetime … --lifetime-restart`, as docs/scale.md advises for long runs:
    the nannies restart their workers while partitions are left, every new worker loads the
    model through the plugin, and the output is that of a cluster without restarts: complete,
    nothing twice. (``LIFETIME`` must exceed the time a worker takes to load the model, or a
    worker would never code anything.)"""
    longer = guardian_sample(tmp_path / "longer.jsonl", LIFETIME_SAMPLE)
    # The reference: the same input on the module's cluster, whose workers live on.
    expected = communique_batch(longer, tmp_path / "expected", *on(cluster))
    assert expected.returncode == 0, expected.stderr
    partitions = LIFETIME_SAMPLE // int(PARTITION_SIZE)

    scheduler_file = tmp_path / "scheduler.json"
    dask = str(Path(sys.executable).parent / "dask")
    processes = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--dashboard-address",
                "127.0.0.1:0",
                "--scheduler-file",
                str(scheduler_file),
            ],
            env=ENVIRONMENT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        for _ in range(2):
            processes.append(
                subprocess.Popen(
                    [
                        dask,
                        "worker",
                        "--scheduler-file",
                        str(scheduler_file),
                        "--nthreads",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                        "--lifetime",
                        LIFETIME,
                        "--lifetime-stagger",
                        LIFETIME_STAGGER,
                        "--lifetime-restart",
                    ],
                    env=ENVIRONMENT,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            seen: set[int] = set()
            stop = threading.Event()

            def watch() -> None:  # the workers' process ids, as they come and go
                while not stop.wait(0.5):
                    try:
                        seen.update(client.run(os.getpid, on_error="ignore").values())
                    except (OSError, TimeoutError):
                        continue

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            out = tmp_path / "out"
            result = communique_batch(longer, out, "--scheduler", str(client.scheduler.address))
            stop.set()
            watcher.join()
            loads = set(client.run(coder_loads, on_error="ignore").values())
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    assert result.returncode == 0, result.stderr
    coded, _, failed = summary(result.stderr)
    assert (coded, failed) == (partitions, 0)
    assert len(seen) > 2, f"no worker was restarted during the run (processes {seen})"
    assert loads <= {0, 1}  # a new worker loads the model once (or not yet)
    assert events_of(out) == events_of(tmp_path / "expected")
    assert articles_of(out) == articles_of(tmp_path / "expected")
    assert len(markers(out)) == partitions and not leftovers(out)
