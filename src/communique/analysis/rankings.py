"""The most active actors and country pairs."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from communique.analysis.common import country_code
from communique.store import Store
from communique.store.aggregate import Scope


@dataclass(frozen=True)
class ActorCount:
    code: str
    name: str
    events: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PairCount:
    """Two countries (in alphabetical order) and their events in each direction."""

    a: str
    b: str
    events: int
    a_to_b: int
    b_to_a: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def top_actors(
    store: Store,
    *,
    country: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
) -> list[ActorCount]:
    """Actors (code and name) by the number of events they take part in, as source or
    target; with ``country``, only that country's actors. Counts events reported as
    happening (asserted, not negated)."""
    scope = Scope(since=since, until=until, country=country_code(country) if country else None)
    rows = store.actor_counts(scope, limit=limit)
    return [ActorCount(row["code"], row["name"], int(row["events"])) for row in rows]


def top_pairs(
    store: Store,
    *,
    country: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
) -> list[PairCount]:
    """Pairs of countries by the number of events between them, both directions together;
    with ``country``, only pairs it belongs to."""
    scope = Scope(since=since, until=until, country=country_code(country) if country else None)
    directed: dict[tuple[str, str], int] = {
        (row["source"], row["target"]): int(row["events"])
        for row in store.country_pair_counts(scope)
    }
    pairs = {tuple(sorted(key)) for key in directed}
    counted = [
        PairCount(a, b, directed.get((a, b), 0) + directed.get((b, a), 0),
                  directed.get((a, b), 0), directed.get((b, a), 0))
        for a, b in pairs
    ]
    counted.sort(key=lambda pair: (-pair.events, pair.a, pair.b))
    return counted[:limit]
