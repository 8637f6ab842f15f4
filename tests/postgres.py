"""A real PostgreSQL server for the tests, started from the machine's binaries.

``postgres_url`` (session-scoped) runs ``initdb`` into a temporary folder, starts the server
on a free loopback port with trust authentication (nothing but 127.0.0.1 and a private socket
folder is listened on), creates the database ``communique`` and yields
``postgresql+psycopg://postgres@127.0.0.1:PORT/communique``; at the end of the session it stops
the server (``pg_ctl stop -m fast``) and removes the folder. ``fresh_database(url)`` makes an
empty database beside it, for a test that needs its own.

The binaries are looked for in ``$COMMUNIQUE_PG_BINDIR``, ``/usr/local/bin``, then on the
PATH and in ``/usr/lib/postgresql/*/bin``; without them the tests that use the fixture are
skipped, saying so. PostgreSQL refuses to run as root: as root, the server runs as the user
``postgres`` (through ``runuser``, else ``su``), which owns the temporary folder.

Use it from a test module with ``from tests.postgres import postgres_url  # noqa: F401``, or
for the whole suite with ``pytest_plugins = ["tests.postgres"]`` in ``conftest.py``.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER_USER = "postgres"
DATABASE = "communique"
START_TIMEOUT_S = 60
_counter = itertools.count(1)


def _bindir() -> Path | None:
    candidates = [os.environ.get("COMMUNIQUE_PG_BINDIR", ""), "/usr/local/bin"]
    if found := shutil.which("pg_ctl"):
        candidates.append(str(Path(found).parent))
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in filter(None, candidates):
        path = Path(folder)
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user() -> list[str]:
    """The command prefix that runs a program as the server's user (nothing unless root)."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL")
    if runuser := shutil.which("runuser"):
        return [runuser, "-u", SERVER_USER, "--"]
    if su := shutil.which("su"):
        return [su, SERVER_USER, "-s", "/bin/sh", "-c"]  # the command follows as one string
    pytest.skip("running as root, and neither runuser nor su is available to drop privileges")


def _run(prefix: list[str], command: list[str], *, timeout: float = 120) -> None:
    argv = [*prefix, shlex.join(command)] if prefix[-1:] == ["-c"] else [*prefix, *command]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(
            f"{shlex.join(command)} failed ({completed.returncode}):\n"
            f"{completed.stdout}\n{completed.stderr}"
        )


def _own(folder: Path) -> None:
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)


def _create_database(port: int, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host="127.0.0.1", port=port, user=SERVER_USER, dbname="postgres", autocommit=True
    ) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not found: install PostgreSQL or "
                    "set COMMUNIQUE_PG_BINDIR")
    prefix = _as_server_user()
    root = Path(tempfile.mkdtemp(prefix="communique-pg-"))
    _own(root)
    data, sockets, log = root / "data", root / "sockets", root / "server.log"
    port = _free_port()
    started = False
    try:
        sockets.mkdir()
        _own(sockets)
        _run(prefix, [str(bindir / "initdb"), "-D", str(data), "-U", SERVER_USER,
                      "--auth=trust", "--encoding=UTF8", "--no-sync", "--no-instructions"])
        options = f"-p {port} -c listen_addresses=127.0.0.1 -k {sockets} -F"
        try:
            _run(prefix, [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                          "-t", str(START_TIMEOUT_S), "-o", options, "start"],
                 timeout=START_TIMEOUT_S + 30)
        except RuntimeError as error:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"PostgreSQL did not start: {error}\n{tail}")
        started = True
        _create_database(port, DATABASE)
        yield f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if started:
            _run(prefix, [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(url: str) -> str:
    """An empty database on the server of ``url`` (from ``postgres_url``); its URL."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    assert parsed.port is not None
    name = f"test_{os.getpid()}_{next(_counter)}"
    _create_database(parsed.port, name)
    return parsed.set(database=name).render_as_string(hide_password=False)
