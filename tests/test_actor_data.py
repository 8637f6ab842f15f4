"""Checks on the packaged actor data: people, role words and international organisations."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import jsonschema
import pycountry
import pytest

from communique.errors import DataFileError
from communique.resources import load_yaml, packaged_path

SECTORS = {
    "GOV", "MIL", "COP", "SPY", "JUD", "LEG", "PTY", "OPP", "REB", "PRM", "UAF", "CRM",
    "BUS", "JRN", "MED", "EDU", "NGO", "REL", "CVL", "ELI", "REF", "LAB", "AGR", "PRE", "IGO",
}  # fmt: skip

DATA_FILES = ["people", "roles", "organisations"]


def _load(name: str) -> Any:
    return load_yaml(packaged_path(f"actors/data/{name}.yml"), schema=name)


@pytest.fixture(scope="module")
def people() -> list[dict[str, Any]]:
    return list(_load("people"))


@pytest.fixture(scope="module")
def roles() -> list[dict[str, Any]]:
    return list(_load("roles"))


@pytest.fixture(scope="module")
def organisations() -> list[dict[str, Any]]:
    return list(_load("organisations"))


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _covers(role: dict[str, Any], day: date) -> bool:
    start = _day(role["start"])
    end = _day(role["end"])
    assert start is not None
    return start <= day and (end is None or day <= end)


def _person(people: list[dict[str, Any]], name: str) -> dict[str, Any]:
    matches = [person for person in people if person["name"] == name]
    assert len(matches) == 1, f"{name}: expected one entry, found {len(matches)}"
    return matches[0]


def _affiliation(person: dict[str, Any], role: dict[str, Any]) -> tuple[str, str]:
    """("country", ISO3) or ("organisation", code) the role was held for."""
    for field in ("country", "organisation"):
        if field in role:
            return field, role[field]
    for field in ("country", "organisation"):
        if field in person:
            return field, person[field]
    raise AssertionError(f"{person['name']}: no country or organisation")


# ------------------------------------------------------------------ files and schemas


@pytest.mark.parametrize("name", DATA_FILES)
def test_schema_is_valid_draft_2020_12(name: str) -> None:
    schema = json.loads(packaged_path(f"schemas/{name}.schema.json").read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_file_loads_against_its_schema(name: str) -> None:
    data = _load(name)
    assert isinstance(data, list)
    assert data


BROKEN = [
    ("roles", "- {phrase: general, kind: title}\n"),  # no sector
    ("roles", "- {phrase: general, sector: ARMY, kind: title}\n"),  # unknown sector
    ("roles", "- {phrase: General, sector: MIL, kind: title}\n"),  # not lower-case
    ("roles", "- {phrase: general, sector: MIL, kind: rank}\n"),  # unknown kind
    ("roles", "- {phrase: general, sector: MIL, kind: title, note: x}\n"),  # extra key
    (
        "people",
        "- name: A Person\n  country: USA\n"
        "  roles: [{title: president, sector: GOV, start: 2021-01-20, end: null}]\n",
    ),  # unquoted date: YAML reads it as a date object, not a string
    (
        "people",
        "- name: A Person\n  country: USA\n"
        '  roles: [{title: president, sector: GOV, start: "20 Jan 2021", end: null}]\n',
    ),
    (
        "people",
        "- name: A Person\n  country: USA\n"
        '  roles: [{title: president, sector: GOV, start: "2021-01-20"}]\n',
    ),  # end must be given, if only as null
    (
        "people",
        '- name: A Person\n  roles: [{title: president, sector: GOV, start: "2021-01-20", '
        "end: null}]\n",
    ),  # neither country nor organisation
    (
        "people",
        "- name: A Person\n  country: USA\n  organisation: IGOUNO\n"
        '  roles: [{title: president, sector: GOV, start: "2021-01-20", end: null}]\n',
    ),  # both country and organisation
    ("people", "- name: A Person\n  country: USA\n  roles: []\n"),
    ("organisations", "- {code: UNO, name: United Nations, sector: IGO}\n"),
    ("organisations", "- {code: NGOHRI, name: Human Rights Watch, sector: IGO}\n"),
    ("organisations", "- {code: IGOUNO, name: United Nations}\n"),
]


@pytest.mark.parametrize(("schema", "text"), BROKEN)
def test_broken_entry_raises_data_file_error(tmp_path: Path, schema: str, text: str) -> None:
    path = tmp_path / f"{schema}.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataFileError, match="entry 0 is invalid"):
        load_yaml(path, schema=schema)


def test_unreadable_yaml_raises_data_file_error(tmp_path: Path) -> None:
    path = tmp_path / "roles.yml"
    path.write_text("- {phrase: general, sector: MIL\n", encoding="utf-8")
    with pytest.raises(DataFileError):
        load_yaml(path, schema="roles")


# ------------------------------------------------------------------ people


def test_people_names_and_aliases_are_unique(people: list[dict[str, Any]]) -> None:
    counts = Counter(
        _key(form) for person in people for form in [person["name"], *person.get("aliases", [])]
    )
    assert [form for form, n in counts.items() if n > 1] == []


def test_people_aliases_are_not_bare_surnames(people: list[dict[str, Any]]) -> None:
    for person in people:
        surname = _key(person["name"].split()[-1])
        for alias in person.get("aliases", []):
            assert _key(alias) != surname, f"{person['name']}: bare surname alias {alias!r}"


def test_role_dates_are_real_and_ordered(people: list[dict[str, Any]]) -> None:
    for person in people:
        for role in person["roles"]:
            start = _day(role["start"])
            end = _day(role["end"])
            assert start is not None
            assert start <= date(2025, 12, 31), f"{person['name']}: {role}"
            if end is not None:
                assert start <= end, f"{person['name']}: {role['title']} ends before it starts"


def test_same_office_is_not_held_twice_at_once(people: list[dict[str, Any]]) -> None:
    for person in people:
        spans: dict[tuple[str, tuple[str, str]], list[tuple[date, date]]] = {}
        for role in person["roles"]:
            key = (role["title"].casefold(), _affiliation(person, role))
            start = _day(role["start"])
            end = _day(role["end"]) or date.max
            assert start is not None
            spans.setdefault(key, []).append((start, end))
        for key, intervals in spans.items():
            intervals.sort()
            for (_, first_end), (second_start, _) in pairwise(intervals):
                assert first_end <= second_start, f"{person['name']}: overlapping {key[0]}"


def test_people_sectors_are_cameo_sectors(people: list[dict[str, Any]]) -> None:
    used = {role["sector"] for person in people for role in person["roles"]}
    assert used <= SECTORS


def test_people_countries_are_iso_alpha_3(people: list[dict[str, Any]]) -> None:
    codes = {person["country"] for person in people if "country" in person}
    codes |= {role["country"] for person in people for role in person["roles"] if "country" in role}
    unknown = sorted(code for code in codes if pycountry.countries.get(alpha_3=code) is None)
    assert unknown == []


def test_people_organisations_are_listed(
    people: list[dict[str, Any]], organisations: list[dict[str, Any]]
) -> None:
    known = {entry["code"] for entry in organisations}
    for person in people:
        for role in person["roles"]:
            kind, code = _affiliation(person, role)
            if kind == "organisation":
                assert code in known, f"{person['name']}: unknown organisation {code}"


def test_organisation_offices_are_coded_igo(people: list[dict[str, Any]]) -> None:
    for person in people:
        for role in person["roles"]:
            kind, _ = _affiliation(person, role)
            held_for_organisation = kind == "organisation"
            assert held_for_organisation == (role["sector"] == "IGO"), (
                f"{person['name']}: {role['title']} is held for a {kind} but coded {role['sector']}"
            )


# The people named in a news item on Jake Sullivan's talks in Beijing (2024-08-29), with the
# offices they held on the dates the item refers to: Mattis and Xu as of Mattis's 2018 visit.
ARTICLE_PEOPLE = [
    ("Jake Sullivan", date(2024, 8, 29), "USA", "GOV"),
    ("Xi Jinping", date(2024, 8, 29), "CHN", "GOV"),
    ("Zhang Youxia", date(2024, 8, 29), "CHN", "MIL"),
    ("Joe Biden", date(2024, 8, 29), "USA", "GOV"),
    ("Jim Mattis", date(2018, 6, 27), "USA", "GOV"),
    ("Xu Qiliang", date(2018, 6, 27), "CHN", "MIL"),
]


@pytest.mark.parametrize(("name", "day", "country", "sector"), ARTICLE_PEOPLE)
def test_people_in_the_sullivan_article_hold_office(
    people: list[dict[str, Any]], name: str, day: date, country: str, sector: str
) -> None:
    person = _person(people, name)
    held = [role for role in person["roles"] if _covers(role, day)]
    assert held, f"{name}: no role covers {day}"
    assert {_affiliation(person, role) for role in held} == {("country", country)}
    assert sector in {role["sector"] for role in held}


def test_roles_that_ended_do_not_cover_later_dates(people: list[dict[str, Any]]) -> None:
    mattis = _person(people, "Jim Mattis")
    assert not any(_covers(role, date(2024, 8, 29)) for role in mattis["roles"])
    xu = _person(people, "Xu Qiliang")
    assert not any(_covers(role, date(2024, 8, 29)) for role in xu["roles"])


# ------------------------------------------------------------------ role words


def test_role_phrases_are_unique(roles: list[dict[str, Any]]) -> None:
    counts = Counter(_key(entry["phrase"]) for entry in roles)
    assert [phrase for phrase, n in counts.items() if n > 1] == []


def test_role_phrases_are_not_listed_in_singular_and_plural(roles: list[dict[str, Any]]) -> None:
    phrases = {entry["phrase"] for entry in roles}
    assert sorted(phrase for phrase in phrases if phrase + "s" in phrases) == []


def test_role_sectors_are_cameo_sectors(roles: list[dict[str, Any]]) -> None:
    assert {entry["sector"] for entry in roles} <= SECTORS


@pytest.mark.parametrize(
    ("phrase", "sector"),
    [
        ("official", "GOV"),
        ("military official", "MIL"),
        ("minister", "GOV"),
        ("former minister", "ELI"),
        ("defense minister", "GOV"),
        ("defence secretary", "GOV"),
        ("general", "MIL"),
        ("gen.", "MIL"),
        ("coast guard", "MIL"),
        ("vice chair of the central military commission", "MIL"),
        ("national security adviser", "GOV"),
        ("national security advisor", "GOV"),
        ("lawmaker", "LEG"),
        ("protester", "CVL"),
        ("militia", "PRM"),
        ("militant", "REB"),
        ("former president", "ELI"),
    ],
)
def test_role_phrase_sectors(roles: list[dict[str, Any]], phrase: str, sector: str) -> None:
    by_phrase = {entry["phrase"]: entry["sector"] for entry in roles}
    assert by_phrase.get(phrase) == sector


# ------------------------------------------------------------------ organisations


def test_organisation_names_and_aliases_are_unique(organisations: list[dict[str, Any]]) -> None:
    counts = Counter(
        " ".join(form.split())
        for entry in organisations
        for form in [entry["name"], *entry.get("aliases", [])]
    )
    assert [form for form, n in counts.items() if n > 1] == []


def test_organisation_parents_are_listed(organisations: list[dict[str, Any]]) -> None:
    codes = {entry["code"] for entry in organisations}
    for entry in organisations:
        if "part_of" in entry:
            assert entry["part_of"] in codes, f"{entry['name']}: unknown parent {entry['part_of']}"


def test_organisation_codes_start_with_their_sector(organisations: list[dict[str, Any]]) -> None:
    for entry in organisations:
        assert entry["code"].startswith(entry["sector"]), entry["name"]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("United Nations", "IGOUNO"),
        ("North Atlantic Treaty Organization", "IGOWSTNAT"),
        ("European Union", "IGOEUREEC"),
        ("Association of Southeast Asian Nations", "IGOSEAASN"),
        ("International Committee of the Red Cross", "NGOHLHIRC"),
    ],
)
def test_organisation_codes(organisations: list[dict[str, Any]], name: str, code: str) -> None:
    assert {entry["name"]: entry["code"] for entry in organisations}.get(name) == code
