"""Inputs that the fuzzers and property tests found crashing, minimised; each stays fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

from communique.events.patterns import PatternBook
from communique.events.petrarch_verbs import read_verb_dictionary


@pytest.mark.parametrize(("line", "verb"), [("_", "_"), ("__ [040]", "__"), ("{IN}_", "_")])
def test_a_verb_line_of_underscores_is_a_problem_not_a_crash(
    tmp_path: Path, line: str, verb: str
) -> None:
    """fuzz_dictionaries: a verb line with no word between its underscores raised IndexError
    and stopped the whole dictionary from loading."""
    path = tmp_path / "verbs.txt"
    path.write_text(f"--- MEET [040] ---\nMEET\n{line}\n- * + [040]\n", encoding="utf-8")
    dictionary = read_verb_dictionary(path)
    assert [(problem.line, problem.message) for problem in dictionary.problems] == [
        (3, f"cannot read the verb {verb!r}")
    ]
    assert [pattern.verbs for pattern in dictionary.patterns] == [("meet",), ("meet",)]
    assert PatternBook.from_files([path]).verbs.keys() == {"meet"}
