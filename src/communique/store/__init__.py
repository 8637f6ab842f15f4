"""The event store: articles, coded events and events merged across articles, in SQLite or
PostgreSQL (``Store.open``), with exports to JSON Lines, CSV, Parquet and GDELT columns."""

from communique.store.errors import ReadOnlyStoreError, StoreError, StoreErrors
from communique.store.export import FORMATS, GDELT_COLUMNS, export, write_rows
from communique.store.merge import DEFAULT_WINDOW_DAYS
from communique.store.query import Filters
from communique.store.rows import EVENT_KEYS
from communique.store.store import BatchResult, Store

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "EVENT_KEYS",
    "FORMATS",
    "GDELT_COLUMNS",
    "BatchResult",
    "Filters",
    "ReadOnlyStoreError",
    "Store",
    "StoreError",
    "StoreErrors",
    "export",
    "write_rows",
]
