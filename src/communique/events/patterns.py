"""The event-pattern dictionary: which predicates report which CAMEO events.

Patterns are data (``events/data/verbs.yml`` by default, format in docs/dictionaries.md); this
module loads them, checks them against their schema and indexes them by lemma.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from communique.actors.petrarch import Problem
from communique.errors import DataFileError, Errors
from communique.events.petrarch_verbs import (
    PrepGroup,
    Requirements,
    is_petrarch_verbs,
    read_verb_dictionary,
)
from communique.ontology import is_cameo_code
from communique.resources import load_yaml, packaged_path

DEFAULT_VERBS = "events/data/verbs.yml"
# The word that names the built-in dictionary among users' --verbs files.
DEFAULT_NAME = "default"


def default_verb_files() -> list[Path]:
    """verbs.yml and every file of verbs/ beside it, in name order."""
    main = packaged_path(DEFAULT_VERBS)
    return [main, *sorted((main.parent / "verbs").glob("*.yml"))]


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
    # PETRARCH patterns: word conditions on the verb's phrase, and the code back from
    # target to source of an "A:B" code.
    requires: Requirements | None = None
    reverse_code: str | None = None

    @property
    def rule(self) -> str:
        return f"{self.origin}#{self.id}"

    @property
    def specificity(self) -> int:
        """Patterns with more conditions win over plain ones for the same word."""
        conditions = len(self.requires) if self.requires is not None else 0
        return int(self.particle is not None) + int(bool(self.objects)) + conditions


@dataclass
class PatternBook:
    verbs: dict[str, list[Pattern]]
    nouns: dict[str, list[Pattern]]
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    @cache
    def default(cls) -> PatternBook:
        return cls.from_files(default_verb_files())

    @classmethod
    def for_files(cls, names: tuple[str, ...]) -> PatternBook:
        """The book for users' --verbs files, which replace the built-in dictionary;
        the name "default" stands for the built-in files among them."""
        if not names:
            return cls.default()
        paths: list[Path] = []
        for name in names:
            paths += default_verb_files() if name == DEFAULT_NAME else [Path(name)]
        return cls.from_files(paths)

    @classmethod
    def from_files(cls, paths: list[Path]) -> PatternBook:
        verbs: dict[str, list[Pattern]] = defaultdict(list)
        nouns: dict[str, list[Pattern]] = defaultdict(list)
        rules: set[str] = set()
        problems: list[Problem] = []
        for path in paths:
            if is_petrarch_verbs(path):
                loaded, found = petrarch_patterns(path)
                problems += found
            else:
                loaded = load_patterns(path)
            for pattern in loaded:
                if pattern.rule in rules:
                    detail = f"id {pattern.id!r} is used twice"
                    raise DataFileError(Errors.E020.format(path=path, detail=detail))
                rules.add(pattern.rule)
                index = verbs if pattern.verb else nouns
                index[pattern.verb or pattern.noun or ""].append(pattern)
        for candidates in [*verbs.values(), *nouns.values()]:
            candidates.sort(key=lambda pattern: -pattern.specificity)
        return cls(verbs=dict(verbs), nouns=dict(nouns), problems=problems)

    def all(self) -> list[Pattern]:
        return [p for group in [*self.verbs.values(), *self.nouns.values()] for p in group]


def petrarch_patterns(path: Path) -> tuple[list[Pattern], list[Problem]]:
    """A PETRARCH verb dictionary as patterns, one per verb of each pattern line."""
    dictionary = read_verb_dictionary(path)
    patterns = []
    for entry in dictionary.patterns:
        preps = [f"prep:{g.preposition}" for g in entry.requires.after if isinstance(g, PrepGroup)]
        targets = entry.targets or ("dobj", "dative", *preps, "any")
        for verb in entry.verbs:
            patterns.append(
                Pattern(
                    id=f"{verb}@{entry.line}",
                    code=entry.code,
                    example=entry.text,
                    verb=verb,
                    targets=tuple(dict.fromkeys(targets)),
                    sources=entry.sources,
                    origin=path.name,
                    requires=entry.requires,
                    reverse_code=entry.reverse_code,
                )
            )
    return patterns, dictionary.problems


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
