"""The event-pattern dictionary: every entry's example codes back to the entry's own code."""

from __future__ import annotations

from pathlib import Path

import pytest

from communique.coder import Coder
from communique.errors import DataFileError
from communique.events.patterns import Pattern, PatternBook, load_patterns
from communique.ontology import cameo

PATTERNS = PatternBook.default().all()


@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.id for p in PATTERNS])
def test_example_codes_to_its_pattern(coder: Coder, pattern: Pattern) -> None:
    events = coder.code(pattern.example, published="2024-08-29")
    fired = [(e.rule, e.cameo.code) for e in events]
    assert (pattern.rule, pattern.code) in fired, fired


def test_every_code_is_a_known_cameo_code() -> None:
    for pattern in PATTERNS:
        assert cameo(pattern.code).code == pattern.code


def test_the_patterns_cover_every_cameo_root_of_political_news() -> None:
    roots = {cameo(p.code).root for p in PATTERNS}
    expected = {"01", "02", "03", "04", "05", "07", "08", "10", "11", "12", "13", "16", "17", "19"}
    assert expected <= roots


def test_a_pattern_with_an_unknown_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "verbs.yml"
    path.write_text('- {id: x, verb: meet, code: "999", example: "A met B in the city."}\n')
    with pytest.raises(DataFileError, match="999"):
        load_patterns(path)


def test_a_pattern_without_an_example_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "verbs.yml"
    path.write_text('- {id: x, verb: meet, code: "040"}\n')
    with pytest.raises(DataFileError, match="example"):
        load_patterns(path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    entry = '- {id: x, verb: meet, code: "040", example: "A met B in the city."}\n'
    path = tmp_path / "verbs.yml"
    path.write_text(entry * 2)
    with pytest.raises(DataFileError, match="used twice"):
        load_patterns(path)
