"""Scoring actor resolution against cases of the form of NGEC's actor tests.

Each case names a phrase (``actor``), optionally a ``context`` and a ``date`` ("today",
YYYY-MM-DD or missing), and the expected ``country`` and/or ``sector``; a value
``{"not": X}`` accepts anything but X. An unresolved phrase counts as wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from communique.actors.phrases import ResolvedActor

FIELDS = ("country", "sector")


class Resolver(Protocol):
    def resolve_actor(
        self, phrase: str, *, when: Any = None, context: str = "", phrase_id: str | None = None
    ) -> ResolvedActor: ...


@dataclass(frozen=True)
class Miss:
    case_id: str
    field: str
    actor: str
    expected: Any
    got: str
    matched_by: str

    def __str__(self) -> str:
        return (
            f"{self.case_id}: {self.field} of {self.actor!r}: expected {self.expected!r}, "
            f"got {self.got!r} ({self.matched_by})"
        )


@dataclass
class ActorScores:
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    total: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIELDS, 0))
    misses: list[Miss] = field(default_factory=list)

    def accuracy(self, name: str) -> float:
        return self.right[name] / self.total[name] if self.total[name] else 0.0

    def summary(self) -> str:
        figures = ", ".join(
            f"{name} accuracy {self.accuracy(name):.3f} ({self.right[name]}/{self.total[name]})"
            for name in FIELDS
        )
        return figures


def read_cases(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def score_cases(resolver: Resolver, cases: list[dict[str, Any]]) -> ActorScores:
    scores = ActorScores()
    for number, case in enumerate(cases, start=1):
        result = resolver.resolve_actor(
            case["actor"], when=_when(case.get("date")), context=case.get("context") or ""
        )
        got = {"country": result.country, "sector": result.sector}
        for name in FIELDS:
            if name not in case:
                continue
            scores.total[name] += 1
            if _correct(case[name], got[name]):
                scores.right[name] += 1
            else:
                case_id = str(case.get("id", number))
                miss = Miss(case_id, name, case["actor"], case[name], got[name], result.matched_by)
                scores.misses.append(miss)
    return scores


def _when(value: Any) -> str | None:
    if not value or str(value).strip().lower() == "today":
        return None
    return str(value)


def _correct(expected: Any, got: str) -> bool:
    if isinstance(expected, dict):
        return got != expected.get("not")
    return (expected or "") == got
