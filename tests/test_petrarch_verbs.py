"""PETRARCH-2 verb dictionaries: reading them, and coding with them on the dependency parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from communique.coder import Coder
from communique.events.gold import read_gold
from communique.events.petrarch_verbs import PrepGroup, WordGroup, read_verb_dictionary
from communique.events.scoring import score
from tests.conftest import shared_file

ACTORS = """\
ARNOR_ [ARN]
GONDOR_ [GON]
OSGILIATH_ [OSG]
"""

VERBS = """\
&TIES
+TIES
+RELATIONS_

--- RESTORE [---] ---
RESTORE
RENEW
- * {DIPLOMATIC &TIES} [050]
- * TRADE (WITH +) [0311]

--- HOST [043:042] ---
HOST
- * SUMMIT (WITH) [036:036]

--- BROKEN [050] ---
- * DEAL [057]
WIDGET
- * {} [050]
- * (IN) [9999]
~ a (a b Q) SAY = a b 010
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("petrarch")
    actors, verbs = folder / "test.actors", folder / "test.verbs"
    actors.write_text(ACTORS, encoding="utf-8")
    verbs.write_text(VERBS, encoding="utf-8")
    return actors, verbs


@pytest.fixture(scope="module")
def petrarch_coder(files: tuple[Path, Path]) -> Coder:
    actors, verbs = files
    return Coder(actors=[actors], verbs=[verbs])


def test_blocks_synsets_and_codes_are_read(files: tuple[Path, Path]) -> None:
    dictionary = read_verb_dictionary(files[1])
    by_line = {pattern.line: pattern for pattern in dictionary.patterns}
    ties = by_line[8]
    assert ties.verbs == ("restore", "renew") and ties.code == "050"
    (group,) = ties.requires.after
    assert isinstance(group, WordGroup)
    assert {("diplomatic", "ties"), ("diplomatic", "relations")} <= set(group.phrases)
    trade = by_line[9]
    assert trade.targets == ("prep:with",)
    assert isinstance(trade.requires.after[1], PrepGroup)
    assert by_line[12].code == "043" and by_line[12].reverse_code == "042"
    assert (by_line[13].code, by_line[13].reverse_code) == ("036", "036")


def test_unreadable_lines_are_reported_with_file_and_line(files: tuple[Path, Path]) -> None:
    dictionary = read_verb_dictionary(files[1])
    problems = [(p.line, p.message) for p in dictionary.problems]
    assert any(line == 18 and "empty { } phrase" in message for line, message in problems)
    assert all(str(p).startswith(f"{files[1]}:") for p in dictionary.problems)
    assert dictionary.not_cameo == 1  # [9999]
    assert dictionary.transformations == 1


def test_a_pattern_codes_on_the_parse(petrarch_coder: Coder) -> None:
    events = petrarch_coder.code(
        "Arnor is about to restore full diplomatic ties with Gondor.", published="1995-01-01"
    )
    assert [(e.source.code, e.cameo.code, e.target.code) for e in events] == [("ARN", "050", "GON")]
    assert events[0].rule.startswith("test.verbs#restore@")


def test_a_synonym_set_member_and_a_target_marker(petrarch_coder: Coder) -> None:
    relations = petrarch_coder.code(
        "Osgiliath renewed diplomatic relations with Arnor.", published="1995-01-01"
    )
    assert [(e.source.code, e.cameo.code, e.target.code) for e in relations] == [
        ("OSG", "050", "ARN")
    ]
    trade = petrarch_coder.code("Arnor restored trade with Gondor.", published="1995-01-01")
    assert [(e.source.code, e.cameo.code, e.target.code) for e in trade] == [("ARN", "0311", "GON")]


def test_a_two_part_code_codes_both_directions(petrarch_coder: Coder) -> None:
    events = petrarch_coder.code("Arnor hosted Gondor on Monday.", published="1995-01-01")
    assert sorted((e.source.code, e.cameo.code, e.target.code) for e in events) == [
        ("ARN", "043", "GON"),
        ("GON", "042", "ARN"),
    ]


def test_a_verb_without_a_matching_pattern_or_code_codes_nothing(petrarch_coder: Coder) -> None:
    # The RESTORE block's own code is the null code: only its patterns code events.
    assert petrarch_coder.code("Arnor restored Gondor.", published="1995-01-01") == []


# Quality gate on PETRARCH-2's own unit-test records with its validation dictionaries
# (CAMEO-2.0 expectations): PETRARCH-2 itself scores precision 0.63 and recall 0.43 there and
# crashes on 22 records.
PRECISION_GATE = 0.70
RECALL_GATE = 0.55


def _unit_coder(folder: Path, verbs: str) -> Coder:
    return Coder(
        actors=[folder / "PETR.Validate.actors.UP.txt"],
        agents=[folder / "PETR.Validate.agents.txt"],
        verbs=[verbs],
    )


def _coded(coder: Coder, records: list[Any]) -> dict[str, Any]:
    return {
        record.id: coder.code(record.text, published=record.date, article_id=record.id)
        for record in records
    }


def test_petrarch_unit_records_with_the_validation_dictionaries() -> None:
    folder = shared_file("eval/petrarch-unittest/petr_unittest_cameo2.jsonl").parent
    coder = _unit_coder(folder, str(folder / "PETR.Validate.verbs.2.0.txt"))
    gold = read_gold(folder / "petr_unittest_cameo2.jsonl")
    scores = score(gold.records, _coded(coder, gold.records))
    events = scores.events
    print(
        f"\nPETRARCH unit records ({scores.records}), validation verbs: precision "
        f"{events.precision:.3f}, recall {events.recall:.3f}, exact records "
        f"{scores.exact}/{scores.records}"
    )
    assert scores.records > 250 and not scores.crashes
    assert events.precision >= PRECISION_GATE
    assert events.recall >= RECALL_GATE


def test_the_original_xml_records_code_without_a_crash() -> None:
    # The XML file with its original expectations and the original validation verbs.
    folder = shared_file("eval/petrarch-unittest/PETR.UnitTest.records.xml").parent
    coder = _unit_coder(folder, str(folder / "PETR.Validate.verbs.txt"))
    gold = read_gold(folder / "PETR.UnitTest.records.xml")
    scores = score(gold.records, _coded(coder, gold.records))
    events = scores.events
    print(
        f"\nPETRARCH unit records, XML and original verbs ({scores.records}): precision "
        f"{events.precision:.3f}, recall {events.recall:.3f}"
    )
    assert scores.records > 250 and not scores.crashes


def test_the_unit_records_with_the_default_verbs_instead() -> None:
    # Figures only: the records test PETRARCH's own invented patterns and codes.
    folder = shared_file("eval/petrarch-unittest/petr_unittest_cameo2.jsonl").parent
    coder = _unit_coder(folder, "default")
    gold = read_gold(folder / "petr_unittest_cameo2.jsonl")
    scores = score(gold.records, _coded(coder, gold.records))
    events = scores.events
    print(
        f"\nPETRARCH unit records ({scores.records}), default verbs: precision "
        f"{events.precision:.3f}, recall {events.recall:.3f}"
    )
    assert scores.records > 250 and not scores.crashes
