"""Where a batch runs: a cluster the user names by its scheduler, or a local one we start.

A local cluster has ``workers`` processes with one thread each: spaCy holds the GIL while it
parses, so threads would only queue behind each other, and each process has its own model.
It listens on the loopback interface only. The dashboard needs bokeh on the scheduler;
without it, no dashboard address is given.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from communique.errors import CommuniqueError

NO_SCHEDULER = (
    "cannot reach the Dask scheduler at {address} ({detail}); start it with "
    "`dask scheduler`, or leave out --scheduler to run on this machine"
)
CONNECT_TIMEOUT = "30s"


@contextmanager
def batch_client(scheduler: str | None, workers: int) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``workers``."""
    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as error:
            raise CommuniqueError(NO_SCHEDULER.format(address=scheduler, detail=error)) from error
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
        yield client


def local_cluster(workers: int) -> LocalCluster:
    return LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        # The scheduler's HTTP server (health, metrics, and the dashboard when bokeh is
        # there) runs in any case: on loopback, on a free port.
        dashboard_address="127.0.0.1:0",
        silence_logs=logging.ERROR,
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
