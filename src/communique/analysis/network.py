"""The actor network: actor codes as nodes, events between them as weighted, directed edges."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from communique.analysis.common import country_code
from communique.store import Store
from communique.store.aggregate import Scope


@dataclass(frozen=True)
class Edge:
    """``weight`` events from ``source`` to ``target``, with their mean Goldstein score."""

    source: str
    target: str
    weight: int
    goldstein: float | None

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["goldstein"] = round(self.goldstein, 3) if self.goldstein is not None else None
        return record


@dataclass(frozen=True)
class Node:
    """An actor code; ``weight`` is the sum of the weights of its edges (in and out)."""

    id: str
    country: str | None
    sector: str | None
    weight: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Network:
    nodes: list[Node]
    edges: list[Edge]

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [node.to_dict() for node in self.nodes],
            "edges": [edge.to_dict() for edge in self.edges],
        }


def actor_network(
    store: Store,
    *,
    country: str | None = None,
    since: date | None = None,
    until: date | None = None,
    min_weight: int = 1,
    limit: int | None = None,
) -> Network:
    """Edges between actor codes with at least ``min_weight`` events (the ``limit`` heaviest),
    and the nodes they join. ``country``: only events with an actor of that country. Counts
    events reported as happening; an actor acting on its own code is no edge."""
    scope = Scope(since=since, until=until, country=country_code(country) if country else None)
    rows = store.edge_weights(scope, min_weight=min_weight, limit=limit)
    edges = [
        Edge(
            row["source"],
            row["target"],
            int(row["events"]),
            float(row["goldstein"]) if row["goldstein"] is not None else None,
        )
        for row in rows
    ]
    return Network(nodes=_nodes(edges), edges=edges)


def _nodes(edges: list[Edge]) -> list[Node]:
    weights: dict[str, int] = {}
    for edge in edges:
        for code in (edge.source, edge.target):
            weights[code] = weights.get(code, 0) + edge.weight
    ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
    return [Node(code, *_code_parts(code), weight) for code, weight in ranked]


def _code_parts(code: str) -> tuple[str | None, str | None]:
    """Country and sector read from a CAMEO-style code: ``CHNMIL`` is CHN, MIL."""
    if code.startswith("IGO"):
        return None, code[3:6] or None
    return code[:3] or None, code[3:6] or None
