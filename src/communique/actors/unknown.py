"""Tallying the names the knowledge base does not know, so that users can add them.

Every event party marked ``resolved: false`` is counted under its name, with the guesses
made for it and the first sentence it was seen in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from communique.records import Actor, Event


@dataclass
class UnknownActor:
    name: str
    count: int = 0
    guesses: Counter[str] = field(default_factory=Counter)
    example: str = ""
    article_id: str = ""

    @property
    def guess(self) -> str:
        """The code guessed most often for this name ("" when nothing could be guessed)."""
        return self.guesses.most_common(1)[0][0] if self.guesses else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "guess": self.guess,
            "example": self.example,
            "article_id": self.article_id,
        }


class UnknownTally:
    def __init__(self) -> None:
        self._by_name: dict[str, UnknownActor] = {}

    def add(self, events: Iterable[Event]) -> None:
        for event in events:
            for actor in (event.source, event.target):
                if not actor.resolved:
                    self._count(actor, event)

    def most_common(self, limit: int | None = None) -> list[UnknownActor]:
        ranked = sorted(self._by_name.values(), key=lambda item: (-item.count, item.name))
        return ranked if limit is None else ranked[:limit]

    def _count(self, actor: Actor, event: Event) -> None:
        item = self._by_name.setdefault(actor.name, UnknownActor(actor.name))
        if item.count == 0:
            item.example, item.article_id = event.sentence, event.article_id
        item.count += 1
        if actor.code:
            item.guesses[actor.code] += 1
