"""Quality gate: actor resolution on NGEC's own actor-resolution cases.

Floors from the actors issue: country accuracy 0.75 and sector accuracy 0.60, with an
unresolved phrase counted as wrong. The figures are printed (pytest -s shows them).
"""

from __future__ import annotations

from communique.actors.evaluation import read_cases, score_cases
from communique.coder import Coder
from tests.conftest import shared_file

COUNTRY_FLOOR = 0.75
SECTOR_FLOOR = 0.60


def test_ngec_actor_cases_meet_the_floors(coder: Coder) -> None:
    cases = read_cases(shared_file("eval/actor-resolution/ngec-actor-cases.jsonl"))
    scores = score_cases(coder, cases)
    print(f"\nNGEC actor cases ({len(cases)}): {scores.summary()}")
    assert scores.total["country"] > 100 and scores.total["sector"] > 100
    assert scores.accuracy("country") >= COUNTRY_FLOOR, "\n".join(map(str, scores.misses))
    assert scores.accuracy("sector") >= SECTOR_FLOOR, "\n".join(map(str, scores.misses))
