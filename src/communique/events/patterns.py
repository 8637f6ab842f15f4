"""The event-pattern dictionary: which predicates report which CAMEO events.

Patterns are data (``events/data/verbs.yml`` by default, format in docs/dictionaries.md); this
module loads them, checks them against their schema and indexes them by lemma.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from communique.errors import DataFileError, Errors
from communique.ontology import is_cameo_code
from communique.resources import load_yaml, packaged_path

DEFAULT_VERBS = "events/data/verbs.yml"


@dataclass(frozen=True)
class Pattern:
    id: str
    code: str
    example: str
    verb: str | None = None
    noun: str | None = None
    particle: str | None = None
    objects: frozenset[str] = frozenset()
    not_objects: frozenset[str] = frozenset()
    intent_code: str | None = None
    targets: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    statement: bool = False
    origin: str = "verbs.yml"

    @property
    def rule(self) -> str:
        return f"{self.origin}#{self.id}"

    @property
    def specificity(self) -> int:
        """Patterns with more conditions win over plain ones for the same word."""
        return int(self.particle is not None) + int(bool(self.objects))


@dataclass
class PatternBook:
    verbs: dict[str, list[Pattern]]
    nouns: dict[str, list[Pattern]]

    @classmethod
    @cache
    def default(cls) -> PatternBook:
        return cls.from_files([packaged_path(DEFAULT_VERBS)])

    @classmethod
    def from_files(cls, paths: list[Path]) -> PatternBook:
        verbs: dict[str, list[Pattern]] = defaultdict(list)
        nouns: dict[str, list[Pattern]] = defaultdict(list)
        for path in paths:
            for pattern in load_patterns(path):
                index = verbs if pattern.verb else nouns
                index[pattern.verb or pattern.noun or ""].append(pattern)
        for candidates in [*verbs.values(), *nouns.values()]:
            candidates.sort(key=lambda pattern: -pattern.specificity)
        return cls(verbs=dict(verbs), nouns=dict(nouns))

    def all(self) -> list[Pattern]:
        return [p for group in [*self.verbs.values(), *self.nouns.values()] for p in group]


def load_patterns(path: Path) -> list[Pattern]:
    entries = load_yaml(path, schema="verbs")
    patterns = [_pattern(entry, origin=path.name) for entry in entries]
    _check(patterns, path)
    return patterns


def _pattern(entry: dict[str, Any], *, origin: str) -> Pattern:
    return Pattern(
        id=entry["id"],
        code=entry["code"],
        example=entry["example"],
        verb=entry.get("verb"),
        noun=entry.get("noun"),
        particle=entry.get("particle"),
        objects=frozenset(entry.get("object", [])),
        not_objects=frozenset(entry.get("not_objects", [])),
        intent_code=entry.get("intent_code"),
        targets=tuple(entry.get("targets", [])),
        sources=tuple(entry.get("sources", ["poss"] if entry.get("noun") else [])),
        statement=bool(entry.get("statement", False)),
        origin=origin,
    )


def _check(patterns: list[Pattern], path: Path) -> None:
    seen: set[str] = set()
    for index, pattern in enumerate(patterns):
        if pattern.id in seen:
            detail = f"id {pattern.id!r} is used twice"
            raise DataFileError(Errors.E021.format(path=path, index=index, detail=detail))
        seen.add(pattern.id)
        for code in filter(None, (pattern.code, pattern.intent_code)):
            if not is_cameo_code(code):
                detail = f"{code!r} is not a CAMEO code"
                raise DataFileError(Errors.E021.format(path=path, index=index, detail=detail))
