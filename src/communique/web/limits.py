"""How fast a client may write: a token bucket per API key, or per address without one.

Each client has a bucket of ``burst`` tokens that refills at ``requests`` per ``seconds``;
a write takes one token, and a write that finds the bucket empty is refused with the time
until the next token. A request with a valid key is counted against that key (by its hash),
one without a valid key against the client's address. Buckets live in the server's memory,
one set per app, guarded by a lock: uvicorn's worker threads share them.

    >>> rate = WriteRate.parse("30/minute", burst=10)
    >>> rate.describe()
    '30 per minute, bursts of 10'
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from communique.errors import CommuniqueError

DEFAULT_WRITE_RATE = "30/minute"
DEFAULT_BURST = 10
# Buckets kept at most; the least recently seen client is forgotten first (its bucket has
# had the longest to refill, so forgetting it rarely gives anything back).
MAX_CLIENTS = 10_000

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_RATE = re.compile(r"\s*(\d+)\s*(?:/|per\s+)\s*([a-z]+?)s?\s*", re.IGNORECASE)
_OFF = {"off", "none", "unlimited"}


@dataclass(frozen=True)
class WriteRate:
    """At most ``requests`` writes per ``seconds``, with up to ``burst`` at once."""

    requests: int
    seconds: float
    burst: int

    def __post_init__(self) -> None:
        if self.requests < 1 or self.seconds <= 0 or self.burst < 1:
            raise CommuniqueError(
                f"a write rate needs at least 1 request per period and a burst of at least 1 "
                f"(got {self.requests} per {self.seconds:g} s, burst {self.burst})"
            )

    @classmethod
    def parse(cls, text: str, *, burst: int | None = None) -> WriteRate | None:
        """``N/UNIT`` (unit second, minute or hour; also ``s``, ``min``, ``h``, or a plural)
        as a rate; ``off`` as None (no limit). ``burst`` defaults to the smaller of N and
        10."""
        if text.strip().lower() in _OFF:
            return None
        match = _RATE.fullmatch(text)
        seconds = _UNITS.get(match.group(2).lower()) if match else None
        if match is None or seconds is None:
            raise CommuniqueError(
                f"write rate {text!r}: give it as N/UNIT, like 30/minute (unit second, minute "
                "or hour), or 'off'"
            )
        requests = int(match.group(1))
        chosen = min(requests, DEFAULT_BURST) if burst is None else burst
        return cls(requests=requests, seconds=seconds, burst=chosen)

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def unit(self) -> str:
        """The period in words: ``second``, ``minute``, ``hour``, or ``90 s``."""
        names = {1.0: "second", 60.0: "minute", 3600.0: "hour"}
        return names.get(self.seconds, f"{self.seconds:g} s")

    def describe(self) -> str:
        return f"{self.requests} per {self.unit}, bursts of {self.burst}"


class RateLimiter:
    """Token buckets, one per client name; ``clock`` gives seconds (monotonic by default,
    any function in tests)."""

    def __init__(
        self,
        rate: WriteRate,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take a token from ``client``'s bucket: 0.0 when there was one (the request may go
        ahead), else the seconds until there will be one (nothing is taken)."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(client, (float(self.rate.burst), now))
            refill = max(0.0, now - then) * self.rate.per_second
            tokens = min(float(self.rate.burst), tokens + refill)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate.per_second
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
            return wait


def retry_after(wait: float) -> str:
    """A ``Retry-After`` value: whole seconds, rounded up (to the millisecond first, so that
    10.000000001 s of floating-point arithmetic is 10), at least 1."""
    return str(max(1, math.ceil(round(wait, 3))))
