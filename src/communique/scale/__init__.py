"""Coding on a Dask cluster: ``communique batch`` and its Python API.

``read_inputs`` reads what the user names, ``Batch`` cuts it into partitions and has Dask
workers code them into a Parquet folder (``output``), and ``load_into_store`` copies a
finished folder into the database. The events are those of a single-process run.
"""

from communique.scale.cluster import batch_client, dashboard_address, local_cluster
from communique.scale.inputs import Partition, Position, count_inputs, read_inputs
from communique.scale.output import EVENT_COLUMNS, event_from_row, event_row, read_partition
from communique.scale.run import Batch, BatchOptions, BatchTally, Progress, load_into_store
from communique.scale.worker import CoderPlugin, code_partition, coder_loads

__all__ = [
    "EVENT_COLUMNS",
    "Batch",
    "BatchOptions",
    "BatchTally",
    "CoderPlugin",
    "Partition",
    "Position",
    "Progress",
    "batch_client",
    "code_partition",
    "coder_loads",
    "count_inputs",
    "dashboard_address",
    "event_from_row",
    "event_row",
    "load_into_store",
    "local_cluster",
    "read_inputs",
    "read_partition",
]
