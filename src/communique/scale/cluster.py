"""Where a batch runs: a cluster the user names by its scheduler, or a local one we start.

A local cluster has ``workers`` processes with one thread each: spaCy holds the GIL while it
parses, so threads would only queue behind each other, and each process has its own model.
It listens on the loopback interface only. The dashboard needs bokeh on the scheduler;
without it, no dashboard address is given.

Connecting to a named scheduler is retried for Dask's connect timeout
(``distributed.comm.timeouts.connect``, 30 s unless configured, e.g. by the environment
variable ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT=10s``); then the error names the address
and, when that can be told, why: nothing listening there, or no answer.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import dask.config
from dask.utils import parse_timedelta
from distributed import Client, LocalCluster

from communique.errors import CommuniqueError
from communique.scale.worker import keep_profiler

NO_SCHEDULER = (
    "cannot reach the Dask scheduler at {address} ({detail}); start it with "
    "`dask scheduler`, or leave out --scheduler to run on this machine"
)
DEFAULT_CONNECT_TIMEOUT = 30.0


def connect_timeout() -> float:
    """Seconds to keep trying a named scheduler: Dask's ``distributed.comm.timeouts.connect``."""
    value = dask.config.get("distributed.comm.timeouts.connect", DEFAULT_CONNECT_TIMEOUT)
    try:
        seconds = parse_timedelta(value, default="seconds")
    except (TypeError, ValueError):
        return DEFAULT_CONNECT_TIMEOUT
    return float(seconds) if seconds else DEFAULT_CONNECT_TIMEOUT


@contextmanager
def batch_client(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers``."""
    if scheduler:
        timeout = connect_timeout()
        try:
            client = Client(scheduler, timeout=timeout)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            detail = _why_unreachable(scheduler, timeout, error)
            raise CommuniqueError(NO_SCHEDULER.format(address=scheduler, detail=detail)) from None
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def local_cluster(workers: int) -> LocalCluster:
    # No statistical profiler in the workers: its history of spaCy's call stacks grows by
    # megabytes a minute (see worker.stop_profiling, which the plugin applies to the workers
    # the nannies restart).
    if keep_profiler():
        return _local_cluster(workers)
    with dask.config.set({"distributed.worker.profile.enabled": False}):
        return _local_cluster(workers)


def _local_cluster(workers: int) -> LocalCluster:
    return LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # The scheduler's HTTP server (health, metrics, and the dashboard when bokeh is
        # there) runs in any case: on loopback, on a free port.
        dashboard_address="127.0.0.1:0",
        # Not even the workers' errors: a task that fails is reported by the client, with
        # its partition and its error, and the workers' log of it is a traceback.
        silence_logs=logging.CRITICAL,
    )


def dashboard_address(client: Client) -> str | None:
    """The dashboard's URL, when the scheduler serves one."""
    services = client.scheduler_info().get("services", {})
    if "dashboard" not in services:
        return None
    has_bokeh = client.run_on_scheduler(_has_bokeh)  # type: ignore[no-untyped-call]
    return str(client.dashboard_link) if has_bokeh else None


def _has_bokeh() -> bool:
    # Without bokeh the scheduler's HTTP server has no dashboard pages.
    return importlib.util.find_spec("bokeh") is not None


def _why_unreachable(address: str, timeout: float, error: Exception) -> str:
    """What went wrong connecting to ``address``, in words: a TCP address is tried once
    more, briefly, to tell a closed port from a host that does not answer."""
    if not isinstance(error, OSError | TimeoutError):
        return f"not a scheduler address: {error}"
    given_up = f"gave up after {timeout:g} s"
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        return f"{given_up}: {error}"
    if parts.scheme not in ("tcp", "tls") or not host or not port:
        return f"{given_up}: {error}"
    try:
        with socket.create_connection((host, port), timeout=2):
            return f"{given_up}: something listens there, but not a Dask scheduler that answered"
    except ConnectionRefusedError:
        return f"{given_up}: connection refused, nothing listens on {host}:{port}"
    except OSError as probe:
        return f"{given_up}: {probe.strerror or probe}"
