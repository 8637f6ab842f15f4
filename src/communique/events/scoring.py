"""Scoring coded events against gold records, and how much of CAMEO the patterns reach.

Events are compared per record as multisets of (source code, target code, CAMEO code): the
events found are the intersection, so an event coded twice when the gold has it once is one
match and one false event. The same comparison is made at a coarser level, (source country,
target country, CAMEO root), where the country is the first three characters of an actor
code and the root the first two digits of the CAMEO code. A record is exact when its coded
multiset equals the expected one (so a ``noevents`` record needs no event at all). A record
whose coding failed is a crash: its expected events are all misses and it is never exact.

Everything here is a pure function of its arguments.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from communique.events.gold import GoldRecord, Triple
from communique.records import Event


@dataclass
class Counts:
    """Expected, predicted and matched (true positive) events, with the figures they give."""

    expected: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def add(self, expected: Counter[Any], predicted: Counter[Any]) -> None:
        self.expected += expected.total()
        self.predicted += predicted.total()
        self.matched += (expected & predicted).total()

    def to_dict(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


@dataclass(frozen=True)
class Mismatch:
    """An expected event not coded (a miss) or a coded event not expected (a false event)."""

    record_id: str
    source: str
    target: str
    code: str
    sentence: str
    rule: str | None = None

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.record_id,
            "source": self.source,
            "target": self.target,
            "code": self.code,
            "sentence": self.sentence,
        }
        if self.rule is not None:
            record["rule"] = self.rule
        return record


@dataclass(frozen=True)
class Crash:
    record_id: str
    where: str
    message: str


@dataclass
class Scores:
    records: int = 0
    exact: int = 0
    events: Counts = field(default_factory=Counts)
    countries: Counts = field(default_factory=Counts)
    roots: dict[str, Counts] = field(default_factory=dict)
    misses: list[Mismatch] = field(default_factory=list)
    false_events: list[Mismatch] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)

    @property
    def exact_rate(self) -> float:
        return self.exact / self.records if self.records else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "crashed": len(self.crashes),
            "exact_records": self.exact,
            "exact_rate": round(self.exact_rate, 4),
            "events": self.events.to_dict(),
            "countries": self.countries.to_dict(),
            "roots": {root: counts.to_dict() for root, counts in sorted(self.roots.items())},
            "misses": [miss.to_dict() for miss in self.misses],
            "false_events": [event.to_dict() for event in self.false_events],
            "crashes": [
                {"id": crash.record_id, "where": crash.where, "message": crash.message}
                for crash in self.crashes
            ],
        }


def triple(event: Event) -> Triple:
    """An event as the gold states one: (source code, target code, CAMEO code)."""
    return (event.source.code, event.target.code, event.cameo.code)


def coarse(item: Triple) -> Triple:
    """(source country, target country, CAMEO root) of a (source, target, code) triple."""
    source, target, code = item
    return (source[:3], target[:3], code[:2])


def score(records: Iterable[GoldRecord], coded: Mapping[str, Sequence[Event] | str]) -> Scores:
    """Compare each record's expected events with ``coded[record.id]``: its events, or the
    message of the error that stopped its coding (a crash). A record missing from ``coded``
    is a crash too."""
    scores = Scores()
    for record in records:
        scores.records += 1
        result = coded.get(record.id, "not coded")
        expected = Counter(record.expected)
        if isinstance(result, str):
            scores.crashes.append(Crash(record.id, record.where, result))
            events: Sequence[Event] = ()
        else:
            events = result
        predicted = Counter(triple(event) for event in events)
        scores.events.add(expected, predicted)
        scores.countries.add(
            Counter(coarse(item) for item in expected.elements()),
            Counter(coarse(item) for item in predicted.elements()),
        )
        _add_roots(scores.roots, expected, predicted)
        if not isinstance(result, str) and expected == predicted:
            scores.exact += 1
        for item in (expected - predicted).elements():
            scores.misses.append(Mismatch(record.id, *item, sentence=record.text))
        scores.false_events += _false_events(record.id, events, expected)
    return scores


def _add_roots(
    roots: dict[str, Counts], expected: Counter[Triple], predicted: Counter[Triple]
) -> None:
    found = expected & predicted
    for counter, attribute in (
        (expected, "expected"),
        (predicted, "predicted"),
        (found, "matched"),
    ):
        for item, count in counter.items():
            counts = roots.setdefault(item[2][:2], Counts())
            setattr(counts, attribute, getattr(counts, attribute) + count)


def _false_events(
    record_id: str, events: Sequence[Event], expected: Counter[Triple]
) -> list[Mismatch]:
    """The coded events left over once each expected event has taken one of its kind."""
    unclaimed = Counter(expected)
    false: list[Mismatch] = []
    for event in events:
        item = triple(event)
        if unclaimed[item] > 0:
            unclaimed[item] -= 1
            continue
        false.append(Mismatch(record_id, *item, sentence=event.sentence, rule=event.rule))
    return false


# --- how much of CAMEO a pattern book reaches -----------------------------------------------


class PatternLike(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def intent_code(self) -> str | None: ...


@dataclass(frozen=True)
class RootCoverage:
    patterns: int
    reached: int
    codes: int

    def to_dict(self) -> dict[str, int]:
        return {"patterns": self.patterns, "reached": self.reached, "codes": self.codes}


@dataclass(frozen=True)
class Coverage:
    """Of the 3-digit CAMEO codes, which the patterns can code."""

    patterns: int
    codes: list[str]
    reached: list[str]
    missing: list[str]
    roots: dict[str, RootCoverage]

    def to_dict(self) -> dict[str, Any]:
        return {
            "patterns": self.patterns,
            "codes": len(self.codes),
            "reached": len(self.reached),
            "roots": {root: counts.to_dict() for root, counts in self.roots.items()},
            "missing": self.missing,
        }


def coverage(patterns: Sequence[PatternLike], cameo_codes: Iterable[str]) -> Coverage:
    """Which 3-digit codes of ``cameo_codes`` the patterns reach: a code is reached when a
    pattern's ``code`` or ``intent_code`` is that code or one of its 4-digit children."""
    codes = sorted(code for code in cameo_codes if len(code) == 3)
    coded = {code for pattern in patterns for code in (pattern.code, pattern.intent_code) if code}
    reached_codes = {code[:3] for code in coded if len(code) in (3, 4)}
    reached = [code for code in codes if code in reached_codes]
    missing = [code for code in codes if code not in reached_codes]
    pattern_roots = Counter(pattern.code[:2] for pattern in patterns)
    roots = {
        root: RootCoverage(
            patterns=pattern_roots[root],
            reached=sum(code.startswith(root) for code in reached),
            codes=sum(code.startswith(root) for code in codes),
        )
        for root in sorted({code[:2] for code in codes} | set(pattern_roots))
    }
    return Coverage(len(patterns), codes, reached, missing, roots)
