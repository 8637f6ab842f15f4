"""Modality, negation, argument structure and dates, through the real coder and spaCy model."""

from __future__ import annotations

import pytest

from communique.coder import Coder
from communique.records import Event

PUBLISHED = "2024-08-29"  # a Thursday


def code(coder: Coder, text: str) -> list[Event]:
    return coder.code(text, published=PUBLISHED)


def only_event(coder: Coder, text: str) -> Event:
    events = code(coder, text)
    assert len(events) == 1, [(e.source.name, e.cameo.code, e.target.name) for e in events]
    return events[0]


def summary(event: Event) -> tuple[str, str | None, str, str, str | None]:
    return (
        event.source.name,
        event.source.country,
        event.cameo.code,
        event.target.name,
        event.target.country,
    )


def test_asserted(coder: Coder) -> None:
    event = only_event(coder, "Jake Sullivan met with Xi Jinping.")
    assert summary(event) == ("Jake Sullivan", "USA", "040", "Xi Jinping", "CHN")
    assert event.modality == "asserted"
    assert event.negated is False
    assert (event.date, event.date_precision, event.date_basis) == (PUBLISHED, "day", "published")


def test_future_is_intended_with_the_intent_code_and_a_future_month(coder: Coder) -> None:
    event = only_event(coder, "Joe Biden will meet Xi Jinping in November.")
    assert summary(event) == ("Joe Biden", "USA", "036", "Xi Jinping", "CHN")
    assert event.modality == "intended"
    assert event.negated is False
    assert (event.date, event.date_precision, event.date_basis) == ("2024-11", "month", "text")


@pytest.mark.parametrize(
    "text",
    ["Joe Biden is going to meet Xi Jinping.", "Joe Biden agreed to meet Xi Jinping."],
)
def test_other_intentions(coder: Coder, text: str) -> None:
    event = only_event(coder, text)
    assert (event.modality, event.cameo.code) == ("intended", "036")


@pytest.mark.parametrize("auxiliary", ["would", "could", "might"])
def test_hypothetical(coder: Coder, auxiliary: str) -> None:
    event = only_event(coder, f"Joe Biden {auxiliary} meet Xi Jinping.")
    assert event.modality == "hypothetical"
    assert (event.source.country, event.target.country) == ("USA", "CHN")
    assert event.negated is False


@pytest.mark.parametrize(
    "text",
    [
        "Joe Biden did not meet Xi Jinping.",
        "Joe Biden didn't meet Xi Jinping.",
        "Joe Biden never met Xi Jinping.",
    ],
)
def test_negated(coder: Coder, text: str) -> None:
    event = only_event(coder, text)
    assert event.negated is True
    assert event.modality == "asserted"
    assert summary(event) == ("Joe Biden", "USA", "040", "Xi Jinping", "CHN")


def test_potential_meeting_inside_a_sentence_is_intended(coder: Coder) -> None:
    text = "Officials discussed a potential meeting between Joe Biden and Xi Jinping."
    event = only_event(coder, text)
    assert summary(event) == ("Joe Biden", "USA", "036", "Xi Jinping", "CHN")
    assert event.modality == "intended"
    assert event.trigger == "meeting"
    assert text[event.span[0] : event.span[1]] == "meeting"


def test_passive_takes_the_agent_as_source(coder: Coder) -> None:
    event = only_event(coder, "Xi Jinping was criticized by Joe Biden.")
    assert summary(event) == ("Joe Biden", "USA", "111", "Xi Jinping", "CHN")
    assert event.modality == "asserted"


def test_coordinated_sources_give_one_event_each(coder: Coder) -> None:
    events = code(coder, "Joe Biden and Emmanuel Macron met with Xi Jinping.")
    assert sorted(summary(event) for event in events) == [
        ("Emmanuel Macron", "FRA", "040", "Xi Jinping", "CHN"),
        ("Joe Biden", "USA", "040", "Xi Jinping", "CHN"),
    ]
    assert len({event.event_id for event in events}) == 2


def test_speech_act(coder: Coder) -> None:
    event = only_event(coder, "Joe Biden said China must stop.")
    assert event.cameo.code == "010"
    assert (event.source.name, event.source.country) == ("Joe Biden", "USA")
    assert event.target.country == "CHN"


@pytest.mark.parametrize(
    "text", ["Japan's economy met expectations.", "The talks met with little success."]
)
def test_no_actor_no_event(coder: Coder, text: str) -> None:
    assert code(coder, text) == []


def test_intended_event_on_a_weekday_is_not_in_the_past(coder: Coder) -> None:
    event = only_event(coder, "Joe Biden will meet Xi Jinping on Monday.")
    assert event.modality == "intended"
    assert (event.date, event.date_precision) == ("2024-09-02", "day")
