"""What the analyses share: their error messages, and checking the countries they are given."""

from __future__ import annotations

from functools import cache

from communique.errors import CommuniqueError
from communique.resources import load_yaml, packaged_path


class AnalysisErrors:
    """Messages of the analyses (codes E070–E079 of the catalogue)."""

    E070 = (
        "unknown country code {code!r}; give an ISO 3166-1 alpha-3 code such as USA, CHN or "
        "GBR"
    )
    E071 = "a country pair needs two different countries, got {code} twice"
    E072 = "unknown period {by!r}; choose month or week"
    E073 = "channel levels file {path}: {detail}"
    E074 = "the gap threshold must be at least 1 day, got {days}"
    E075 = "cannot plot to {path}: the file name must end in .png or .html"


class AnalysisError(CommuniqueError, ValueError):
    """An analysis was asked something it cannot answer; the message says what."""


@cache
def known_countries() -> frozenset[str]:
    """ISO3 codes of the countries the knowledge base knows."""
    entries = load_yaml(packaged_path("actors/data/countries.yml"), schema="countries")
    return frozenset(entry["code"] for entry in entries)


def country_code(code: str) -> str:
    """``code`` as an upper-case ISO3 country code; AnalysisError when it names no country."""
    cleaned = code.strip().upper()
    if cleaned not in known_countries():
        raise AnalysisError(AnalysisErrors.E070.format(code=code))
    return cleaned


def country_pair(first: str, second: str) -> tuple[str, str]:
    pair = (country_code(first), country_code(second))
    if pair[0] == pair[1]:
        raise AnalysisError(AnalysisErrors.E071.format(code=pair[0]))
    return pair
