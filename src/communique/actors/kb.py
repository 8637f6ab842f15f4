"""The actor knowledge base: countries, organisations, role words and named people.

Everything here is loaded from data files in ``actors/data`` (see ``docs/dictionaries.md``) and
checked against a schema; nothing about particular actors is written in code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from communique.actors.coded import CodedIndex
from communique.actors.petrarch import ActorEntry, Problem, read_dictionary
from communique.resources import load_yaml, packaged_path

SurfaceKind = Literal[
    "country", "adjective", "metonym", "organisation", "institution", "person", "coded"
]
PHOENIX_ACTORS = (
    "Phoenix.Countries.actors.txt",
    "Phoenix.International.actors.txt",
    "Phoenix.MilNonState.actors.txt",
)


@dataclass(frozen=True)
class Country:
    code: str
    name: str


@dataclass(frozen=True)
class Organisation:
    code: str
    name: str
    sector: str


@dataclass(frozen=True)
class Office:
    """One office a person held: its sector and dates (``end`` None: still held)."""

    title: str
    sector: str
    start: date | None
    end: date | None
    country: str | None = None
    organisation: str | None = None

    def covers(self, when: date) -> bool:
        started = self.start is None or self.start <= when
        return started and (self.end is None or when <= self.end)


@dataclass(frozen=True)
class Person:
    name: str
    country: str | None
    organisation: str | None
    offices: tuple[Office, ...] = ()

    def office_at(self, when: date) -> Office | None:
        """The office held on ``when``; the most recently started one when several overlap."""
        held = [office for office in self.offices if office.covers(when)]
        return max(held, key=lambda office: office.start or date.min) if held else None

    def left_office_before(self, when: date) -> bool:
        return any(office.end is not None and office.end < when for office in self.offices)

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True)
class Surface:
    """What a piece of text names: a country, its people, a seat of power, a body or a person."""

    kind: SurfaceKind
    country: str | None = None
    sector: str | None = None
    organisation: Organisation | None = None
    person: Person | None = None
    name: str | None = None
    entry: ActorEntry | None = None


@dataclass
class KnowledgeBase:
    countries: dict[str, Country] = field(default_factory=dict)
    surfaces: dict[str, Surface] = field(default_factory=dict)
    roles: dict[tuple[str, ...], str] = field(default_factory=dict)
    people_by_surname: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    # Imported actor dictionaries: users' files outrank the curated entries above, the
    # bundled Phoenix dictionaries only fill gaps they leave.
    user_actors: CodedIndex = field(default_factory=CodedIndex)
    bundled_actors: CodedIndex = field(default_factory=CodedIndex)
    problems: list[Problem] = field(default_factory=list)
    name_variants: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Full agent codes from users' agents dictionaries ("GOVFRM"), by role phrase.
    role_codes: dict[tuple[str, ...], str] = field(default_factory=dict)

    @classmethod
    @cache
    def default(cls) -> KnowledgeBase:
        data = packaged_path("actors/data")
        return cls.from_files(
            countries=data / "countries.yml",
            organisations=data / "organisations.yml",
            institutions=data / "institutions.yml",
            roles=data / "roles.yml",
            name_variants=data / "name_variants.yml",
            people=[data / "people.yml", *sorted((data / "people").glob("*.yml"))],
            bundled=[data / "phoenix" / name for name in PHOENIX_ACTORS],
        )

    def with_dictionaries(
        self, *, actors: Iterable[Path] = (), agents: Iterable[Path] = ()
    ) -> KnowledgeBase:
        """A copy extended by users' PETRARCH-format files; their entries take precedence.

        Lines that cannot be read are skipped and listed in ``problems``.
        """
        kb = replace(
            self,
            roles=dict(self.roles),
            role_codes=dict(self.role_codes),
            user_actors=CodedIndex(),
            problems=list(self.problems),
        )
        for path in actors:
            dictionary = read_dictionary(path, kind="actors")
            kb.user_actors.add(dictionary.actors)
            kb.problems += dictionary.problems
        for path in agents:
            dictionary = read_dictionary(path, kind="agents")
            kb.roles.update((agent.phrase, agent.sector) for agent in dictionary.agents)
            kb.role_codes.update((agent.phrase, agent.code) for agent in dictionary.agents)
            kb.problems += dictionary.problems
        return kb

    @classmethod
    def from_files(
        cls,
        *,
        countries: Path,
        organisations: Path,
        institutions: Path,
        roles: Path,
        people: list[Path],
        name_variants: Path | None = None,
        bundled: Sequence[Path] = (),
    ) -> KnowledgeBase:
        kb = cls()
        if name_variants is not None:
            for group in load_yaml(name_variants, schema="name_variants"):
                kb.name_variants.update({word: tuple(group) for word in group})
        for path in bundled:
            kb.bundled_actors.add(read_dictionary(path, kind="actors").actors)
        for entry in load_yaml(countries, schema="countries"):
            kb._add_country(entry)
        for entry in load_yaml(organisations, schema="organisations"):
            kb._add_organisation(entry)
        for entry in load_yaml(institutions, schema="institutions"):
            kb._add_institution(entry)
        for entry in load_yaml(roles, schema="roles"):
            for key in role_keys(entry["phrase"]):
                kb.roles[key] = entry["sector"]
        for entry in merge_people(load_yaml(path, schema="people") for path in people):
            kb._add_person(entry)
        return kb

    @cached_property
    def role_last_words(self) -> frozenset[str]:
        """Last words of the role phrases: the only words that can head a role."""
        return frozenset(phrase[-1] for phrase in self.roles)

    @cached_property
    def longest_role(self) -> int:
        return max((len(phrase) for phrase in self.roles), default=1)

    def country_name(self, code: str | None) -> str | None:
        country = self.countries.get(code or "")
        return country.name if country else None

    def unique_person_by_surname(self, surname: str) -> Person | None:
        candidates = self.people_by_surname.get(surname, [])
        return candidates[0] if len(candidates) == 1 else None

    def _add_country(self, entry: dict[str, Any]) -> None:
        code = entry["code"]
        self.countries[code] = Country(code=code, name=entry["name"])
        for name in [entry["name"], *entry.get("names", [])]:
            self.surfaces.setdefault(name, Surface("country", country=code))
        for adjective in entry.get("adjectives", []):
            self.surfaces.setdefault(adjective, Surface("adjective", country=code))
        for metonym in entry.get("metonyms", []):
            surface = Surface("metonym", country=code, sector=metonym["sector"])
            self.surfaces.setdefault(metonym["text"], surface)

    def _add_organisation(self, entry: dict[str, Any]) -> None:
        organisation = Organisation(code=entry["code"], name=entry["name"], sector=entry["sector"])
        for name in [entry["name"], *entry.get("aliases", [])]:
            surface = Surface("organisation", sector=entry["sector"], organisation=organisation)
            self.surfaces.setdefault(name, surface)

    def _spelling_variants(self, name: str) -> list[str]:
        words = name.split()
        if not any(word in self.name_variants for word in words):
            return []
        spellings: list[list[str]] = [[]]
        for word in words:
            options = self.name_variants.get(word, (word,))
            spellings = [[*s, o] for s in spellings for o in options][:MAX_SPELLING_VARIANTS]
        return [" ".join(s) for s in spellings if " ".join(s) != name]

    def _add_institution(self, entry: dict[str, Any]) -> None:
        surface = Surface(
            "institution", country=entry["country"], sector=entry["sector"], name=entry["name"]
        )
        for name in [entry["name"], *entry.get("aliases", [])]:
            self.surfaces.setdefault(name, surface)

    def _add_person(self, entry: dict[str, Any]) -> None:
        person = Person(
            name=entry["name"],
            country=entry.get("country"),
            organisation=entry.get("organisation"),
            offices=tuple(_office(role) for role in entry.get("roles", [])),
        )
        # A person's full names take precedence over any other reading of the same words;
        # spelling variants ("Mohammed" for "Mohamed") only fill gaps.
        surface = Surface("person", country=person.country, person=person)
        names = [entry["name"], *entry.get("aliases", [])]
        for name in names:
            self.surfaces[name] = surface
        for name in names:
            for variant in self._spelling_variants(name):
                self.surfaces.setdefault(variant, surface)
        for short in {person.name.split()[0], person.surname}:
            self.people_by_surname[short].append(person)


MAX_SPELLING_VARIANTS = 16


def role_keys(phrase: str) -> list[tuple[str, ...]]:
    """Lookup keys of a role phrase: its words, and its words with hyphens split off.

    The tokenizer splits "secretary-general" into "secretary", "-", "general"; the second
    key lets such a phrase match as written.
    """
    words = tuple(phrase.lower().split())
    split = tuple(part for word in words for part in re.findall(r"[^-]+|-", word))
    return [words] if split == words else [words, split]


def merge_people(files: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """One entry per person: entries with the same name and country pool aliases and roles.

    People files are split by region, and a later file may add offices to someone an
    earlier file lists; keeping one entry keeps one identity for surname linking.
    """
    merged: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
    for entries in files:
        for entry in entries:
            key = (entry["name"], entry.get("country"), entry.get("organisation"))
            if key not in merged:
                merged[key] = {**entry, "aliases": list(entry.get("aliases", []))}
                continue
            known = merged[key]
            known["aliases"] += [a for a in entry.get("aliases", []) if a not in known["aliases"]]
            known["roles"] = known["roles"] + [r for r in entry["roles"] if r not in known["roles"]]
    return list(merged.values())


def _office(role: dict[str, Any]) -> Office:
    return Office(
        title=role["title"],
        sector=role["sector"],
        start=_as_date(role.get("start")),
        end=_as_date(role.get("end")),
        country=role.get("country"),
        organisation=role.get("organisation"),
    )


def _as_date(value: Any) -> date | None:
    # YAML reads unquoted ISO dates as dates already; quoted ones arrive as strings.
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
