"""Load on the real server: ``communique serve`` over a million events, many clients at once.

Fills a store with ``bench_store.py``'s synthetic events and the actors an ingest would count
(``bench_web.fill``: 1,000,000 events by default, 100,000 articles), in a SQLite file and in a
PostgreSQL database on a server this script starts on a loopback port (``initdb``/``pg_ctl``,
as ``tests/postgres.py`` does; PostgreSQL gets the same rows through ``COPY``, then
``VACUUM ANALYZE``). Filled stores are kept in ``--cache-dir`` under names that say their size
and seed, and a later run reuses them.

For each store it starts the real server, ``communique serve --db URL --host 127.0.0.1 --port
P``, as a subprocess on a free port and drives it with ``--clients`` concurrent clients
(asyncio tasks over one ``httpx.AsyncClient`` with one keep-alive connection per client),
each sending its next request as soon as the last one is answered: first ``--warmup`` seconds
untimed, then ``--duration`` seconds (or ``--requests`` requests). Each request is drawn from
a fixed weighted mix of read endpoints (``MIX``): event lists with filters and pages, single
events, country pairs, a pair's timeline and channels, actors, health, and three dashboard
pages, with event ids, actor codes and country pairs sampled from the store.

Prints, per endpoint and overall, requests, requests/s, the 50th, 95th and 99th percentile
and the maximum latency, and errors: every answer other than 2xx, connection error or timeout
counts. Also the server's CPU time and its largest number of threads, the load average before
and after, and any warning or error in the server's log. Exit status 1 when there were errors.

    .venv/bin/python benchmarks/bench_load.py                    # 1M events, SQLite and PostgreSQL
    .venv/bin/python benchmarks/bench_load.py --backend sqlite --clients 32 --duration 120
    .venv/bin/python benchmarks/bench_load.py --db-url events.db --clients 8
    .venv/bin/python benchmarks/bench_load.py --events 100000 --json results.json

The load generator runs on the same machine as the server and takes CPU from it: on a
machine with few cores the figures are a lower bound on what the server alone could do.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import glob
import itertools
import json
import os
import pwd
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_store  # the synthetic events
import bench_web  # their actors, and filling a SQLite store

from communique.store import Store, schema

DEFAULT_EVENTS = 1_000_000
SEED = 20240829
PG_USER = "postgres"
PG_DATABASE = "communique"
BROKEN_TEXT = ("database is locked", "Traceback", "internal error")
# bench_web.ACTOR_MENTIONS, with the alias PostgreSQL wants for a subquery.
ACTOR_MENTIONS = """
INSERT INTO actors (code, name, country, sector, mentions)
SELECT code, name, substr(code, 1, 3), nullif(substr(code, 4), ''), count(*)
FROM (SELECT source_code AS code, source_name AS name FROM event_reports
      UNION ALL SELECT target_code, target_name FROM event_reports) AS mention
GROUP BY code, name
"""


# --------------------------------------------------------------------------------------------
# The request mix


@dataclass(frozen=True)
class Targets:
    """What the requests ask about, sampled from the store before the run."""

    event_ids: list[str]
    actor_codes: list[str]
    countries: list[str]
    pairs: list[tuple[str, str]]
    pair_weights: list[float]
    last_day: date

    def pair(self, rng: random.Random) -> tuple[str, str]:
        a, b = rng.choices(self.pairs, self.pair_weights)[0]
        return (a, b) if rng.random() < 0.5 else (b, a)


def _dyad(rng: random.Random, targets: Targets) -> str:
    return "-".join(targets.pair(rng))


def _recent(rng: random.Random, targets: Targets, *, days: tuple[int, ...]) -> str:
    return date.fromordinal(targets.last_day.toordinal() - rng.choice(days)).isoformat()


# How deep clients page: mostly the first page or two, sometimes far.
PAGE_DEPTHS = (0, 0, 0, 0, 0, 1, 1, 2, 3, 5, 10, 20)
CODE_PREFIXES = ("01", "02", "03", "04", "05", "06", "08", "11", "12", "13", "17", "19")


def _query(path: str, **values: object) -> str:
    return f"{path}?{urlencode(values)}"


Build = Callable[[random.Random, Targets], str]

#: (label, weight, URL builder): about 85% API reads, 15% dashboard pages.
MIX: tuple[tuple[str, int, Build], ...] = (
    ("/api/events newest page", 8,
     lambda r, t: _query("/api/events", limit=50)),
    ("/api/events dyad+since", 14,
     lambda r, t: _query("/api/events", dyad=_dyad(r, t), limit=50,
                         since=_recent(r, t, days=(30, 90, 365, 730)))),
    ("/api/events dyad+code", 5,
     lambda r, t: _query("/api/events", dyad=_dyad(r, t), code=r.choice(CODE_PREFIXES),
                         limit=50)),
    ("/api/events dyad, page N", 10,
     lambda r, t: _query("/api/events", dyad=_dyad(r, t), limit=50,
                         offset=50 * r.choice(PAGE_DEPTHS))),
    ("/api/events since+until", 5,
     lambda r, t: _query("/api/events", since=_recent(r, t, days=(30, 60, 90)),
                         until=_recent(r, t, days=(0, 15)), limit=100)),
    ("/api/events/{id}", 15,
     lambda r, t: f"/api/events/{r.choice(t.event_ids)}"),
    ("/api/dyads since (top pairs)", 3,
     lambda r, t: _query("/api/dyads", since=_recent(r, t, days=(30, 90)))),
    ("/api/dyads/{a}/{b}/timeline", 8,
     lambda r, t: "/api/dyads/{}/{}/timeline".format(*t.pair(r))),
    ("/api/dyads/{a}/{b}/channels", 8,
     lambda r, t: "/api/dyads/{}/{}/channels".format(*t.pair(r))),
    ("/api/actors?country", 4,
     lambda r, t: _query("/api/actors", country=r.choice(t.countries),
                         since=_recent(r, t, days=(90, 365)))),
    ("/api/actors/{code}", 3,
     lambda r, t: f"/api/actors/{r.choice(t.actor_codes)}"),
    ("/api/health", 5,
     lambda r, t: "/api/health"),
    ("page /events?dyad", 6,
     lambda r, t: _query("/events", dyad=_dyad(r, t))),
    ("page /pair/{a}/{b}", 5,
     lambda r, t: "/pair/{}/{}".format(*t.pair(r))),
    ("page / (home: health, top pairs)", 1,
     lambda r, t: "/"),
)


def sample_targets(db_url: str, *, seed: int) -> Targets:
    """Event ids, actor codes and country pairs to ask about, from the store itself."""
    from sqlalchemy import func, select

    from communique import analysis

    rng = random.Random(seed)
    events = schema.events
    with Store.open(db_url, create=False) as store, store.engine.connect() as connection:
        ids: list[str] = []
        for _ in range(400):  # ids are hashes: the first at or after a random one
            start = f"{rng.getrandbits(64):016x}"
            found = connection.scalar(
                select(events.c.id).where(events.c.id >= start).order_by(events.c.id).limit(1)
            )
            if found is not None:
                ids.append(found)
        last = connection.scalar(select(func.max(events.c.date_start)))
        actors = connection.execute(
            select(schema.actors.c.code).order_by(schema.actors.c.mentions.desc()).limit(200)
        ).scalars().all()
        pairs = analysis.top_pairs(store, limit=60)
    if not ids or not pairs:
        raise SystemExit(f"{db_url}: no events to ask about")
    last_day = last if isinstance(last, date) else date.fromisoformat(str(last)[:10])
    countries = sorted({country for pair in pairs for country in (pair.a, pair.b)})
    return Targets(
        event_ids=ids,
        actor_codes=list(dict.fromkeys(actors)) or ["USA"],
        countries=countries,
        pairs=[(pair.a, pair.b) for pair in pairs],
        pair_weights=[float(pair.events) for pair in pairs],
        last_day=last_day,
    )


# --------------------------------------------------------------------------------------------
# The load generator


@dataclass
class Sample:
    label: str
    seconds: float
    status: int | str  # HTTP status, or the name of the connection error
    ok: bool


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    problems: list[str] = field(default_factory=list)  # a few error examples
    broken_bodies: int = 0  # bodies saying "database is locked", a traceback or an internal error


class Picker:
    def __init__(self, mix: Sequence[tuple[str, int, Build]]) -> None:
        self.mix = mix
        self.cumulative = list(itertools.accumulate(weight for _, weight, _ in mix))

    def __call__(self, rng: random.Random, targets: Targets) -> tuple[str, str]:
        index = bisect.bisect_right(self.cumulative, rng.random() * self.cumulative[-1])
        label, _, build = self.mix[index]
        return label, build(rng, targets)


async def drive(
    base_url: str,
    targets: Targets,
    *,
    clients: int,
    duration: float,
    requests: int,
    timeout: float,
    seed: int,
) -> Run:
    """``clients`` concurrent clients for ``duration`` seconds (or ``requests`` requests)."""
    picker = Picker(MIX)
    run = Run()
    tickets = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    started = time.perf_counter()
    deadline = started + duration

    def more() -> bool:
        if requests:
            return next(tickets) < requests
        return time.perf_counter() < deadline

    async def client(number: int, http: httpx.AsyncClient) -> None:
        rng = random.Random(seed * 1000 + number)
        while more():
            label, url = picker(rng, targets)
            sent = time.perf_counter()
            try:
                answer = await http.get(url)
            except httpx.HTTPError as error:
                seconds = time.perf_counter() - sent
                run.samples.append(Sample(label, seconds, type(error).__name__, False))
                if len(run.problems) < 10:
                    run.problems.append(f"{url}: {type(error).__name__}: {error}")
                continue
            seconds = time.perf_counter() - sent
            ok = 200 <= answer.status_code < 300
            run.samples.append(Sample(label, seconds, answer.status_code, ok))
            if any(text in answer.text for text in BROKEN_TEXT):
                run.broken_bodies += 1
            if not ok and len(run.problems) < 10:
                run.problems.append(f"{url}: {answer.status_code} {answer.text[:300]}")

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as http:
        await asyncio.gather(*(client(number, http) for number in range(clients)))
    run.elapsed = time.perf_counter() - started
    return run


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    if not values:
        return float("nan")
    rank = max(1, -(-len(values) * share // 1))
    return values[int(rank) - 1]


def summarise(run: Run) -> dict[str, dict[str, Any]]:
    """Figures per label and overall (``"all"``), latencies in milliseconds."""
    groups: dict[str, list[Sample]] = {label: [] for label, _, _ in MIX}
    for sample in run.samples:
        groups[sample.label].append(sample)
    groups["all"] = run.samples
    figures = {}
    for label, samples in groups.items():
        times = sorted(sample.seconds * 1000 for sample in samples)
        figures[label] = {
            "requests": len(samples),
            "per_second": len(samples) / run.elapsed if run.elapsed else 0.0,
            "p50_ms": percentile(times, 0.50),
            "p95_ms": percentile(times, 0.95),
            "p99_ms": percentile(times, 0.99),
            "max_ms": times[-1] if times else float("nan"),
            "errors": sum(not sample.ok for sample in samples),
        }
    return figures


def print_table(title: str, figures: dict[str, dict[str, Any]]) -> None:
    print(f"\n{title}")
    header = (f"{'endpoint':<36} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8}"
              f" {'p99 ms':>8} {'max ms':>8} {'errors':>6}")
    print(header)
    print("-" * len(header))
    for label, row in figures.items():
        if label == "all":
            print("-" * len(header))
        print(f"{label:<36} {row['requests']:>8,} {row['per_second']:>7.1f} {row['p50_ms']:>8.1f}"
              f" {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}"
              f" {row['errors']:>6}")


# --------------------------------------------------------------------------------------------
# The server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _communique() -> list[str]:
    script = Path(sys.executable).with_name("communique")
    if script.exists():
        return [str(script)]
    found = shutil.which("communique")
    if found is None:
        raise SystemExit("the communique command is not installed (make install)")
    return [found]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def status(self, key: str) -> str:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return line.split(":", 1)[1].strip()
        return "?"

    def children(self) -> int:
        tasks = Path(f"/proc/{self.process.pid}/task")
        found = 0
        for task in tasks.iterdir():
            children = task / "children"
            if children.exists():
                found += len(children.read_text().split())
        return found


@contextmanager
def serving(db_url: str, log: Path, *, ready_timeout: float = 180) -> Iterator[Server]:
    """``communique serve`` over ``db_url`` on a free loopback port, until the block ends."""
    port = _free_port()
    command = [*_communique(), "serve", "--db", db_url, "--host", "127.0.0.1",
               "--port", str(port)]
    env = {key: value for key, value in os.environ.items() if key != "COMMUNIQUE_API_KEY"}
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        server = Server(process, f"http://127.0.0.1:{port}", log)
        try:
            _wait_ready(server, ready_timeout)
            yield server
        finally:
            process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"communique serve stopped ({server.process.returncode}):\n"
                             + server.log.read_text(errors="replace")[-3000:])
        try:
            if httpx.get(f"{server.base_url}/api/health", timeout=60).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"communique serve did not answer within {timeout:.0f} s")


def log_problems(log: Path) -> list[str]:
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines
            if any(word in line for word in ("ERROR", "WARNING", "Traceback", "locked"))]


# --------------------------------------------------------------------------------------------
# The stores


def sqlite_store(cache: Path, events: int, seed: int, *, keep: bool) -> tuple[str, bool]:
    """The SQLite file with ``events`` synthetic events (filled now unless cached): its path,
    and whether this run filled it."""
    path = cache / f"sqlite-{events}-s{seed}.db"
    if path.exists():
        print(f"reusing {path} ({path.stat().st_size / 1e6:,.0f} MB)")
        return str(path), False
    partial = path.with_suffix(".partial")
    for leftover in glob.glob(f"{partial}*"):
        os.remove(leftover)
    print(f"filling {path} with {events:,} synthetic events…", flush=True)
    started = time.perf_counter()
    bench_web.fill(partial, events, seed=seed)
    os.replace(partial, path)
    print(f"  filled in {time.perf_counter() - started:.0f} s,"
          f" {path.stat().st_size / 1e6:,.0f} MB{'' if keep else ' (removed at the end)'}")
    return str(path), True


class Postgres:
    """A PostgreSQL server of this benchmark's own, on a loopback port, data kept in
    ``root`` (so a filled database can be reused by the next run)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.log = root / "server.log"
        self.port = _free_port()
        self.bindir = _pg_bindir()
        self.prefix = _as_server_user()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{PG_DATABASE}"

    def _run(self, command: list[str], timeout: float = 300) -> None:
        argv = ([*self.prefix, shlex.join(command)] if self.prefix[-1:] == ["-c"]
                else [*self.prefix, *command])
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise SystemExit(f"{shlex.join(command)} failed ({done.returncode}):\n"
                             f"{done.stdout}\n{done.stderr}")

    def create(self) -> None:
        self.root.mkdir(parents=True)
        self.sockets.mkdir()
        for folder in (self.root, self.sockets):
            _own(folder)
        self._run([str(self.bindir / "initdb"), "-D", str(self.data), "-U", PG_USER,
                   "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"])

    def start(self) -> None:
        # Loopback only, a private socket folder; -F: no fsync (a benchmark's data).
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.sockets} -F"
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                   "-w", "-t", "120", "-o", options, "start"], timeout=180)

    def stop(self) -> None:
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                   "stop"])

    def connect(self, database: str = PG_DATABASE, *, autocommit: bool = False) -> Any:
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER,
                               dbname=database, autocommit=autocommit)

    def version(self) -> str:
        with self.connect() as connection:
            return str(connection.execute("SHOW server_version").fetchone()[0])


def _pg_bindir() -> Path:
    candidates = [os.environ.get("COMMUNIQUE_PG_BINDIR", ""), "/usr/local/bin"]
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise SystemExit("PostgreSQL binaries (initdb, pg_ctl) not found: install PostgreSQL, set "
                     "COMMUNIQUE_PG_BINDIR, or run with --backend sqlite")


def _as_server_user() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the user postgres."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        raise SystemExit(f"running as root and there is no {PG_USER!r} user to run "
                         "PostgreSQL") from None
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", PG_USER, "--"]
    if su := shutil.which("su"):
        return [su, PG_USER, "-s", "/bin/sh", "-c"]
    raise SystemExit("running as root, and neither runuser nor su is available")


def _own(folder: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(PG_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)


@contextmanager
def postgres_store(cache: Path, events: int, seed: int, *, keep: bool) -> Iterator[str]:
    """A running server whose database holds ``events`` synthetic events (filled now unless
    its data folder is cached): its URL while the block runs."""
    root = cache / f"postgresql-{events}-s{seed}"
    filled_marker = root / "filled"
    reused = filled_marker.exists()
    if root.exists() and not reused:
        shutil.rmtree(root)  # an earlier fill that did not finish
    server = Postgres(root)
    if not reused:
        server.create()
    server.start()
    try:
        if reused:
            print(f"reusing {root} (PostgreSQL {server.version()})")
        else:
            with server.connect("postgres", autocommit=True) as connection:
                connection.execute(f"CREATE DATABASE {PG_DATABASE}")
            print(f"filling PostgreSQL {server.version()} in {root} with {events:,} synthetic"
                  " events…", flush=True)
            started = time.perf_counter()
            fill_postgres(server, events, seed)
            print(f"  filled in {time.perf_counter() - started:.0f} s"
                  f"{'' if keep else ' (removed at the end)'}")
            filled_marker.write_text(f"{events}\n")
        yield server.url
    finally:
        server.stop()
        if not reused and not keep:
            shutil.rmtree(root, ignore_errors=True)


def fill_postgres(server: Postgres, count: int, seed: int) -> None:
    """The rows ``bench_web.fill`` writes to SQLite, through COPY: the store's schema (made
    by ``Store.open``), the same generator, seed and de-duplication, the same actors; then
    ``VACUUM ANALYZE``, as autovacuum would soon do after such a load."""
    from psycopg import sql

    Store.open(server.url).close()  # the schema, by the store's own migrations
    tables = (schema.articles, schema.events, schema.event_reports)
    batches: tuple[list[dict[str, Any]], ...] = ([], [], [])
    seen: set[str] = set()

    def flush(cursor: Any) -> None:
        for table, rows in zip(tables, batches, strict=True):
            names = [column.name for column in table.columns]
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
            )
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([row[name] for name in names])
            rows.clear()

    with server.connect() as connection, connection.cursor() as cursor:
        for event, report, article in bench_store._rows(count, seed):
            if article is not None:
                batches[0].append(article)
            if event["id"] in seen:
                continue
            seen.add(event["id"])
            batches[1].append(event)
            batches[2].append(report)
            if len(batches[1]) >= bench_store.CHUNK:
                flush(cursor)
        flush(cursor)
        cursor.execute(ACTOR_MENTIONS)
        connection.commit()
    with server.connect(autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


# --------------------------------------------------------------------------------------------
# Running


def measure(name: str, db_url: str, options: argparse.Namespace, log: Path) -> dict[str, Any]:
    print(f"\n== {name}: {db_url}", flush=True)
    started = time.perf_counter()
    targets = sample_targets(db_url, seed=options.seed)
    print(f"sampled {len(targets.event_ids)} event ids, {len(targets.actor_codes)} actors,"
          f" {len(targets.pairs)} country pairs in {time.perf_counter() - started:.1f} s")
    with serving(db_url, log) as server:
        print(f"serving at {server.base_url} (log {log})", flush=True)
        warm_errors = 0
        if options.warmup:
            warm = asyncio.run(drive(server.base_url, targets, clients=options.clients,
                                     duration=options.warmup, requests=0,
                                     timeout=options.timeout, seed=options.seed + 1))
            warm_errors = sum(not sample.ok for sample in warm.samples)
            print(f"warm-up: {len(warm.samples):,} requests in {warm.elapsed:.0f} s,"
                  f" {warm_errors} errors", flush=True)
        load_before = os.getloadavg()
        cpu_before = server.cpu_seconds()
        client_before = time.process_time()
        threads = _ThreadWatch(server)
        with threads:
            run = asyncio.run(drive(server.base_url, targets, clients=options.clients,
                                    duration=options.duration, requests=options.requests,
                                    timeout=options.timeout, seed=options.seed))
        cpu = server.cpu_seconds() - cpu_before
        client_cpu = time.process_time() - client_before
        load_after = os.getloadavg()
        children = server.children()
    figures = summarise(run)
    total = figures["all"]
    title = (f"{name}: {options.clients} clients, {run.elapsed:.0f} s,"
             f" load average {_load(load_before)} before, {_load(load_after)} after")
    print_table(title, figures)
    problems = log_problems(log)
    print(f"server: {cpu:.0f} CPU s ({cpu / run.elapsed:.2f} cores), up to {threads.most}"
          f" threads, {children} child processes; log: {len(problems)} warnings or errors;"
          f" load generator: {client_cpu:.0f} CPU s")
    for line in problems[:5]:
        print(f"    {line}")
    for problem in run.problems[:5]:
        print(f"    {problem}")
    if run.broken_bodies:
        print(f"    {run.broken_bodies} answers mention a lock, a traceback or an internal error")
    return {
        "backend": name,
        "database": db_url,
        "clients": options.clients,
        "seconds": run.elapsed,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "server_cpu_seconds": cpu,
        "client_cpu_seconds": client_cpu,
        "server_threads_max": threads.most,
        "server_children": children,
        "server_log_problems": problems[:20],
        "errors": total["errors"],
        "warmup_errors": warm_errors,
        "broken_bodies": run.broken_bodies,
        "endpoints": figures,
    }


class _ThreadWatch:
    """The largest number of threads the server runs while the block runs."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            try:
                self.most = max(self.most, int(self.server.status("Threads")))
            except (OSError, ValueError):
                return

    def __enter__(self) -> _ThreadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in averages)


def main(argv: list[str] | None = None) -> int:
    options = _arguments(argv)
    cache = Path(options.cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    cache.chmod(0o755)  # the PostgreSQL server's user reaches its data folder through it
    print(f"{os.cpu_count()} CPUs, load average {_load(os.getloadavg())}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        logs = Path(folder)
        if options.db_url:
            name = "postgresql" if "://" in options.db_url and "sqlite" not in options.db_url \
                else "sqlite"
            results.append(measure(name, options.db_url, options, logs / "serve.log"))
        if not options.db_url and options.backend in ("sqlite", "both"):
            path, filled = sqlite_store(cache, options.events, options.seed, keep=options.keep)
            try:
                results.append(measure("sqlite", path, options, logs / "serve-sqlite.log"))
            finally:
                if filled and not options.keep:
                    os.remove(path)
        if not options.db_url and options.backend in ("postgresql", "both"):
            events = options.pg_events or options.events
            with postgres_store(cache, events, options.seed, keep=options.keep) as url:
                results.append(measure("postgresql", url, options, logs / "serve-pg.log"))
    print()
    for result in results:
        total = result["endpoints"]["all"]
        print(f"{result['backend']}: {total['per_second']:.1f} req/s, p50 {total['p50_ms']:.0f} ms,"
              f" p99 {total['p99_ms']:.0f} ms, {total['errors']} errors"
              f" ({result['clients']} clients, load average"
              f" {_load(result['load_average_before'])} → {_load(result['load_average_after'])})")
    if options.json:
        Path(options.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    failed = any(result["errors"] or result["warmup_errors"] or result["broken_bodies"]
                 for result in results)
    return 1 if failed else 0


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="synthetic events")
    parser.add_argument("--pg-events", type=int, default=0,
                        help="synthetic events in PostgreSQL (default: --events)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=60, help="seconds of timed load")
    parser.add_argument("--requests", type=int, default=0,
                        help="stop after this many requests instead of --duration")
    parser.add_argument("--warmup", type=float, default=10, help="seconds of untimed load first")
    parser.add_argument("--timeout", type=float, default=60,
                        help="seconds a request may take before it counts as an error")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--db-url", help="serve this existing database (a SQLite file or a "
                                         "postgresql:// URL) instead of synthetic stores; "
                                         "--backend and --events are then ignored")
    parser.add_argument("--keep", action="store_true",
                        help="keep the stores this run fills in --cache-dir for the next run "
                             "(stores already there are always reused and kept)")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir())
                                                    / "communique-bench-load"),
                        help="where filled stores are kept (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", help="also write every figure as JSON to this file")
    options = parser.parse_args(argv)
    if options.clients < 1 or options.duration <= 0 or options.requests < 0:
        parser.error("--clients and --duration must be positive")
    return options


if __name__ == "__main__":
    sys.exit(main())
