"""The flagship case: the seed news report coded end to end and scored against its hand coding.

Acceptance: all required events found (source and target country and sector, an accepted CAMEO
code, right date and precision), no must-not rule broken, at most three events that are neither
required nor optional.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner

from communique.cli import cli
from tests.conftest import shared_file

MAX_EXTRA_EVENTS = 3


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _actor_matches(actor: dict[str, Any], gold: dict[str, Any]) -> bool:
    if actor["country"] != gold["country"]:
        return False
    return "sector" not in gold or actor["sector"] in _as_list(gold["sector"])


def _date_matches(event: dict[str, Any], gold: dict[str, Any]) -> bool:
    if "date" not in gold:
        return True
    pairs = zip(_as_list(gold["date"]), _as_list(gold["date_precision"]), strict=True)
    return (event["date"], event["date_precision"]) in set(pairs)


def matches(event: dict[str, Any], gold: dict[str, Any]) -> bool:
    return (
        event["cameo"]["code"] in gold["accept"]
        and _actor_matches(event["source"], gold["source"])
        and _actor_matches(event["target"], gold["target"])
        and _date_matches(event, gold)
    )


def breaks(event: dict[str, Any], rule: dict[str, Any]) -> bool:
    countries = {event["source"]["country"], event["target"]["country"]}
    if countries & set(rule.get("any_actor_country", [])):
        return True
    return event["cameo"]["root"] in rule.get("cameo_roots", [])


@pytest.fixture(scope="module")
def gold() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(shared_file("seed/gold.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def seed_events() -> list[dict[str, Any]]:
    article = shared_file("seed/article.txt")
    result = CliRunner().invoke(
        cli, ["code", str(article), "--date", "2024-08-29", "--format", "jsonl", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_every_required_event_is_found(
    seed_events: list[dict[str, Any]], gold: dict[str, Any]
) -> None:
    missing = [
        g["id"]
        for g in gold["events"]
        if g["required"] and not any(matches(e, g) for e in seed_events)
    ]
    assert missing == []


def _gold_names(gold_actor: dict[str, Any]) -> set[str] | None:
    """The names a gold actor accepts: "Joe Biden (or Jake Sullivan, who …)" gives both."""
    name = gold_actor.get("name")
    if name is None:
        return None
    match = re.fullmatch(r"(.*?) \(or ([^,)]*)[^)]*\)", name)
    return {match.group(1), match.group(2)} if match else {name}


def _names_match(event: dict[str, Any], gold: dict[str, Any]) -> bool:
    for side in ("source", "target"):
        names = _gold_names(gold[side])
        if names is not None and event[side]["name"] not in names:
            return False
    return True


def test_every_required_event_names_its_people(
    seed_events: list[dict[str, Any]], gold: dict[str, Any]
) -> None:
    unnamed = [
        g["id"]
        for g in gold["events"]
        if g["required"] and not any(matches(e, g) and _names_match(e, g) for e in seed_events)
    ]
    assert unnamed == []


def test_no_must_not_rule_is_broken(
    seed_events: list[dict[str, Any]], gold: dict[str, Any]
) -> None:
    broken = [
        (rule["why"], event["sentence"])
        for rule in gold["must_not"]
        for event in seed_events
        if breaks(event, rule)
    ]
    assert broken == []


def test_few_events_outside_the_gold_coding(
    seed_events: list[dict[str, Any]], gold: dict[str, Any]
) -> None:
    extra = [e for e in seed_events if not any(matches(e, g) for g in gold["events"])]
    described = [
        (e["source"]["code"], e["cameo"]["code"], e["target"]["code"], e["sentence"]) for e in extra
    ]
    assert len(extra) <= MAX_EXTRA_EVENTS, described


def test_every_event_is_traceable(seed_events: list[dict[str, Any]]) -> None:
    text = shared_file("seed/article.txt").read_text(encoding="utf-8")
    for event in seed_events:
        start, end = event["span"]
        assert text[start:end] == event["trigger"]
        assert event["sentence"] in text
        assert event["rule"].startswith("verbs.yml#")
