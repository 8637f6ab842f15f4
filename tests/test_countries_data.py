"""actors/data/countries.yml: complete, schema-valid, and unambiguous."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pycountry
import pytest

from communique.errors import DataFileError
from communique.resources import load_yaml, packaged_path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMMUNIQUE_SHARED", str(ROOT.parent / "shared")))


@pytest.fixture(scope="module")
def countries() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = load_yaml(
        packaged_path("actors/data/countries.yml"), schema="countries"
    )
    return data


@pytest.fixture(scope="module")
def by_code(countries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {entry["code"]: entry for entry in countries}


@pytest.fixture(scope="module")
def owners(countries: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Every surface form (name, demonym, metonym) → the codes it names."""
    found: dict[str, set[str]] = defaultdict(set)
    for entry in countries:
        for form in forms(entry):
            found[form].add(entry["code"])
    return found


def forms(entry: dict[str, Any]) -> list[str]:
    metonyms = [item["text"] for item in entry.get("metonyms", [])]
    return [*entry["names"], *entry["adjectives"], *metonyms]


def owner(owners: dict[str, set[str]], form: str) -> str:
    (code,) = owners[form]
    return code


def test_every_iso_country_and_kosovo_is_present(by_code: dict[str, dict[str, Any]]) -> None:
    missing = {country.alpha_3 for country in pycountry.countries} - set(by_code)
    assert not missing
    assert by_code["XKX"]["name"] == "Kosovo"
    assert len(by_code) >= 250


def test_the_united_states(by_code: dict[str, dict[str, Any]]) -> None:
    usa = by_code["USA"]
    assert usa["name"] == "United States"
    assert {"U.S.", "US", "United States of America", "America"} <= set(usa["names"])
    assert {"American", "Americans"} <= set(usa["adjectives"])
    metonyms = {item["text"]: item["sector"] for item in usa["metonyms"]}
    assert metonyms["Washington"] == "GOV"
    assert metonyms["Pentagon"] == "MIL"
    assert metonyms["White House"] == "GOV"
    assert metonyms["Capitol Hill"] == "LEG"


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ("Chinese", "CHN"),
        ("Kremlin", "RUS"),
        ("Beijing", "CHN"),
        ("People's Republic of China", "CHN"),
        ("Republic of China", "TWN"),
        ("Taiwanese", "TWN"),
        ("Britain", "GBR"),
        ("Britons", "GBR"),
        ("Downing Street", "GBR"),
        ("DPRK", "PRK"),
        ("ROK", "KOR"),
        ("Burma", "MMR"),
        ("Ivory Coast", "CIV"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d'Ivoire", "CIV"),
        ("Türkiye", "TUR"),
        ("Czech Republic", "CZE"),
        ("Holland", "NLD"),
        ("Holy See", "VAT"),
        ("Palestinian territories", "PSE"),
        ("Kosovars", "XKX"),
        ("Élysée", "FRA"),
        ("Elysee", "FRA"),
        ("Knesset", "ISR"),
        ("Bundestag", "DEU"),
    ],
)
def test_surface_forms_name_the_right_country(
    owners: dict[str, set[str]], form: str, code: str
) -> None:
    assert owner(owners, form) == code


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ("Georgia", "GEO"),
        ("Congo", "COD"),
        ("Congolese", "COD"),
        ("Republic of the Congo", "COG"),
        ("Guinea", "GIN"),
        ("Equatorial Guinea", "GNQ"),
        ("Guinea-Bissau", "GNB"),
        ("Dominica", "DMA"),
        ("Dominican", "DOM"),
        ("Niger", "NER"),
        ("Nigerien", "NER"),
        ("Nigeria", "NGA"),
        ("Nigerian", "NGA"),
        ("Sudan", "SDN"),
        ("South Sudan", "SSD"),
        ("South Sudanese", "SSD"),
        ("Kingston", "JAM"),
    ],
)
def test_known_clashes_are_resolved(owners: dict[str, set[str]], form: str, code: str) -> None:
    assert owner(owners, form) == code


def test_no_surface_form_names_two_countries(owners: dict[str, set[str]]) -> None:
    shared = {form: sorted(codes) for form, codes in owners.items() if len(codes) > 1}
    assert shared == {}


def test_no_form_repeats_within_an_entry(countries: list[dict[str, Any]]) -> None:
    for entry in countries:
        listed = forms(entry)
        assert len(listed) == len(set(listed)), entry["code"]
        assert entry["name"] in entry["names"], entry["code"]


def test_demonyms_include_plural_people(by_code: dict[str, dict[str, Any]]) -> None:
    for code, plural in [("RUS", "Russians"), ("UKR", "Ukrainians"), ("ISR", "Israelis")]:
        assert plural in by_code[code]["adjectives"]
    assert {"British", "Briton", "Britons"} <= set(by_code["GBR"]["adjectives"])


def test_capitals_are_gov_metonyms_unless_ambiguous(by_code: dict[str, dict[str, Any]]) -> None:
    def metonyms(code: str) -> dict[str, str]:
        return {item["text"]: item["sector"] for item in by_code[code].get("metonyms", [])}

    assert metonyms("RUS")["Moscow"] == "GOV"
    assert metonyms("UKR")["Kyiv"] == "GOV"
    # Stands for the EU more often than for Belgium; an ordinary English word; contested.
    assert by_code["BEL"]["capital"] == "Brussels" and "Brussels" not in metonyms("BEL")
    assert "Male" not in metonyms("MDV")
    assert "Jerusalem" not in metonyms("ISR")


def test_no_leading_the_and_no_eu(owners: dict[str, set[str]]) -> None:
    assert not [form for form in owners if form.lower().startswith("the ")]
    assert "European Union" not in owners and "EU" not in owners


def test_schema_rejects_a_broken_entry(tmp_path: Path) -> None:
    broken = tmp_path / "countries.yml"
    broken.write_text(
        "- code: USA\n"
        "  name: United States\n"
        "  names: [United States]\n"
        "  adjectives: [American]\n"
        "- code: usa\n"
        "  name: Nowhere\n"
        "  names: []\n"
        "  adjectives: []\n"
        "  metonyms:\n"
        "    - {text: Somewhere, sector: NAVY}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError, match="entry 1 is invalid"):
        load_yaml(broken, schema="countries")


def test_schema_rejects_a_leading_the(tmp_path: Path) -> None:
    broken = tmp_path / "countries.yml"
    broken.write_text(
        "- {code: NLD, name: Netherlands, names: [the Netherlands], adjectives: [Dutch]}\n",
        encoding="utf-8",
    )
    with pytest.raises(DataFileError):
        load_yaml(broken, schema="countries")


@pytest.mark.skipif(
    not (SHARED / "reference" / "plover" / "countries.csv").is_file(),
    reason="the shared reference directory (PLOVER countries.csv) is not available",
)
def test_generated_file_is_up_to_date() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_countries.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COMMUNIQUE_SHARED": str(SHARED)},
    )
    assert result.returncode == 0, result.stderr
