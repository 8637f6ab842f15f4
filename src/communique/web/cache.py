"""The summary cache: what the routes compute by aggregating many rows (the counts of the
whole store, rankings, the total of an event list, a pair's timeline and channels, the actor
network, an actor's counts), kept for a short time in the server process.

On a large store those summaries cost from tens of milliseconds to seconds each, and every
request queued behind them. Here each one is computed once per ``seconds`` (30 by default)
and then answered from memory:

- an entry is keyed by the function and its exact arguments (defaults filled in, so
  ``top_pairs(store, limit=20)`` and ``top_pairs(store)`` are one entry), never by the store
  object: an app serves one database;
- at most ``max_entries`` are kept, the least recently used going first;
- one thread computes a key at a time: others asking for it meanwhile wait for that result
  (and share its exception, if it fails); an exception is never kept;
- ``clear()`` (after a write through the API) forgets every entry at once, and a
  computation under way when it is called is not kept, since it may have read the database
  before the write; a request after the clear computes afresh.

Writes by other processes (a ``communique ingest`` into the same file) are therefore seen
within ``seconds``. An answer made from cached values says how old the oldest of them is in
the ``X-Summary-Age`` header (whole seconds since its computation began).

Values are shared between requests and threads: treat them as read-only.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, cast

if TYPE_CHECKING:
    from starlette.responses import Response

    from communique.store import Store

DEFAULT_SECONDS = 30.0
DEFAULT_ENTRIES = 512
AGE_HEADER = "X-Summary-Age"

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R", bound="Response")


@dataclass(frozen=True)
class _Entry:
    value: Any
    at: float  # the clock when its computation began


@dataclass
class _Flight(Generic[T]):
    """A computation under way; callers of the same key wait for ``done``."""

    started: float
    done: threading.Event = field(default_factory=threading.Event)
    value: T | None = None
    error: BaseException | None = None


@dataclass(frozen=True)
class CacheStats:
    """What the cache did since it was made: answers from memory (``hits``), computations
    (``computed``), callers that waited for another's computation (``joined``)."""

    entries: int
    hits: int
    computed: int
    joined: int


class SummaryCache:
    """Values of computations, each kept for ``seconds`` (0: nothing is kept), at most
    ``max_entries`` of them (least recently used first out). ``clock``: seconds,
    monotonic."""

    def __init__(
        self,
        seconds: float = DEFAULT_SECONDS,
        *,
        max_entries: int = DEFAULT_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if seconds < 0:
            raise ValueError(f"summary cache time must be 0 (off) or more seconds, got {seconds}")
        if max_entries < 1:
            raise ValueError(f"summary cache size must be at least 1, got {max_entries}")
        self.seconds = seconds
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._flights: dict[Hashable, _Flight[Any]] = {}
        # Moved on by clear(): a computation begun before it is not kept.
        self._generation = 0
        self._hits = self._computed = self._joined = 0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: Hashable, compute: Callable[[], T]) -> tuple[T, float]:
        """``compute()``'s value for ``key``, from memory while it is younger than
        ``seconds``, and its age in seconds. While another thread computes ``key``, wait for
        its result (or its exception) instead of computing it again."""
        if not self.enabled:
            return compute(), 0.0
        with self._lock:
            now = self._clock()
            entry = self._entries.get(key)
            if entry is not None:
                if now - entry.at < self.seconds:
                    self._entries.move_to_end(key)
                    self._hits += 1
                    return entry.value, max(0.0, now - entry.at)
                del self._entries[key]
            flight = self._flights.get(key)
            leader = flight is None
            generation = self._generation
            if flight is None:
                flight = self._flights[key] = _Flight(started=now)
                self._computed += 1
            else:
                self._joined += 1
        if not leader:
            return self._wait(flight)
        try:
            value = compute()
        except BaseException as error:
            flight.error = error
            raise
        else:
            flight.value = value
        finally:
            with self._lock:
                if self._flights.get(key) is flight:
                    del self._flights[key]
                if flight.error is None and generation == self._generation:
                    self._entries[key] = _Entry(flight.value, flight.started)
                    self._entries.move_to_end(key)
                    while len(self._entries) > self.max_entries:
                        self._entries.popitem(last=False)
                ended = self._clock()
            flight.done.set()
        return value, max(0.0, ended - flight.started)

    def _wait(self, flight: _Flight[T]) -> tuple[T, float]:
        flight.done.wait()
        if flight.error is not None:
            raise flight.error
        with self._lock:
            now = self._clock()
        return cast(T, flight.value), max(0.0, now - flight.started)

    def clear(self) -> None:
        """Forget every value, and keep none of the computations under way."""
        with self._lock:
            self._entries.clear()
            self._flights.clear()
            self._generation += 1

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(len(self._entries), self._hits, self._computed, self._joined)


class Summaries:
    """The summary cache as one request uses it: values through ``cache`` (None or a cache
    of 0 seconds: computed every time), and the age of the oldest value used, which
    ``mark`` puts in the answer's ``X-Summary-Age`` header."""

    def __init__(self, cache: SummaryCache | None) -> None:
        self.cache = cache if cache is not None and cache.enabled else None
        self.age: float | None = None

    def get(
        self,
        function: Callable[Concatenate[Store, P], T],
        store: Store,
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``function(store, *args, **kwargs)``, through the cache."""
        if self.cache is None:
            return function(store, *args, **kwargs)
        value, age = self.cache.get(
            call_key(function, args, kwargs), lambda: function(store, *args, **kwargs)
        )
        self.age = age if self.age is None else max(self.age, age)
        return value

    def mark(self, response: R) -> R:
        """``response`` with ``X-Summary-Age`` when a cached value went into it."""
        if self.age is not None:
            response.headers[AGE_HEADER] = str(int(self.age))
        return response


def call_key(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Hashable:
    """The function's name and every argument but the first (the store) by name, defaults
    filled in: the same call however it is spelled."""
    bound = _signature(function).bind(None, *args, **kwargs)
    bound.apply_defaults()
    arguments = tuple(bound.arguments.items())[1:]
    return (function.__module__, function.__qualname__, arguments)


@lru_cache(maxsize=64)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


__all__ = ["AGE_HEADER", "CacheStats", "Summaries", "SummaryCache", "call_key"]
