"""An article's text cut into segments around one event's sentence and trigger, so a page
can mark them with nothing but escaped text (no HTML is ever built from article text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from communique.records import Event

Mark = Literal["sentence", "trigger"] | None


@dataclass(frozen=True)
class Highlight:
    """Offsets ``[start, end)`` in the article text of an event's sentence and trigger."""

    event_id: str
    sentence: tuple[int, int] | None
    trigger: tuple[int, int] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "sentence": list(self.sentence) if self.sentence else None,
            "trigger": list(self.trigger) if self.trigger else None,
        }


def locate(text: str, report: Event, *, event_id: str) -> Highlight:
    """Where ``report``'s sentence and trigger are in ``text``. The trigger's offsets are
    the coder's own; the sentence is the occurrence of its text around the trigger (line
    breaks compared as spaces: the coder unwraps hard-wrapped lines character for character)."""
    start, end = report.span
    trigger = (start, end) if 0 <= start < end <= len(text) else None
    return Highlight(event_id, _sentence_span(text, report.sentence, trigger), trigger)


def _sentence_span(
    text: str, sentence: str, trigger: tuple[int, int] | None
) -> tuple[int, int] | None:
    if not sentence:
        return None
    flat_text, flat_sentence = _flat(text), _flat(sentence)
    anchor = trigger[0] if trigger else 0
    position = flat_text.find(flat_sentence, max(0, anchor - len(flat_sentence)))
    while position != -1 and position <= anchor:
        if trigger is None or position + len(flat_sentence) >= trigger[1]:
            return position, position + len(flat_sentence)
        position = flat_text.find(flat_sentence, position + 1)
    return None


def _flat(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


def segments(text: str, highlight: Highlight | None) -> list[dict[str, Any]]:
    """The text as consecutive ``{"text", "mark"}`` pieces: ``mark`` is None, "sentence" or
    "trigger" (the trigger lies inside the sentence when both are known)."""
    if highlight is None or (highlight.sentence is None and highlight.trigger is None):
        return [{"text": text, "mark": None}]
    cuts: list[tuple[int, int, Mark]] = []
    sentence, trigger = highlight.sentence, highlight.trigger
    if sentence and trigger and sentence[0] <= trigger[0] and trigger[1] <= sentence[1]:
        cuts = [(sentence[0], trigger[0], "sentence"), (*trigger, "trigger"),
                (trigger[1], sentence[1], "sentence")]
    elif sentence:
        cuts = [(*sentence, "sentence")]
    elif trigger:
        cuts = [(*trigger, "trigger")]
    pieces = [{"text": text[: cuts[0][0]], "mark": None}]
    pieces += [{"text": text[start:end], "mark": mark} for start, end, mark in cuts]
    pieces.append({"text": text[cuts[-1][1] :], "mark": None})
    return [piece for piece in pieces if piece["text"]]
