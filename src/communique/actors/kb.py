"""The actor knowledge base: countries, organisations, role words and named people.

Everything here is loaded from data files in ``actors/data`` (see ``docs/dictionaries.md``) and
checked against a schema; nothing about particular actors is written in code.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from communique.resources import load_yaml, packaged_path

SurfaceKind = Literal["country", "adjective", "metonym", "organisation", "person"]


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


@dataclass
class KnowledgeBase:
    countries: dict[str, Country] = field(default_factory=dict)
    surfaces: dict[str, Surface] = field(default_factory=dict)
    roles: dict[tuple[str, ...], str] = field(default_factory=dict)
    people_by_surname: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    @cache
    def default(cls) -> KnowledgeBase:
        return cls.from_files(
            countries=packaged_path("actors/data/countries.yml"),
            organisations=packaged_path("actors/data/organisations.yml"),
            roles=packaged_path("actors/data/roles.yml"),
            people=packaged_path("actors/data/people.yml"),
        )

    @classmethod
    def from_files(
        cls, *, countries: Path, organisations: Path, roles: Path, people: Path
    ) -> KnowledgeBase:
        kb = cls()
        for entry in load_yaml(countries, schema="countries"):
            kb._add_country(entry)
        for entry in load_yaml(organisations, schema="organisations"):
            kb._add_organisation(entry)
        for entry in load_yaml(roles, schema="roles"):
            kb.roles[tuple(entry["phrase"].lower().split())] = entry["sector"]
        for entry in load_yaml(people, schema="people"):
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

    def _add_person(self, entry: dict[str, Any]) -> None:
        person = Person(
            name=entry["name"],
            country=entry.get("country"),
            organisation=entry.get("organisation"),
            offices=tuple(_office(role) for role in entry.get("roles", [])),
        )
        # A person's full names take precedence over any other reading of the same words.
        for name in [entry["name"], *entry.get("aliases", [])]:
            self.surfaces[name] = Surface("person", country=person.country, person=person)
        for short in {person.name.split()[0], person.surname}:
            self.people_by_surname[short].append(person)


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
