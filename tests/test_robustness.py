"""Inputs that once hung or could crash the coder: it must return, with valid records."""

from __future__ import annotations

import faulthandler
from collections.abc import Iterator

import pytest

from communique.coder import Coder
from communique.errors import InputError

# A hang is a failure, not a stuck CI run: dump the stacks and stop after this long.
HANG_LIMIT_SECONDS = 120

ODD_TEXTS = [
    "After the talks in Beijing.",  # a sentence whose root is a preposition
    "Sullivan in Beijing for talks with Xi.",  # a headline without a verb
    "Xi.",
    "...",
    "“”",
    "\n\nXi\n\n\n",
    "Monday. Tuesday. 2018. November.",
    "وزير الخارجية الصيني التقى نظيره الأمريكي في بكين.",
    "China China China " * 2000,
    "he said he said he said. She told him. His visit to her.",
    "The talks between and with the of to by.",
]


@pytest.fixture(autouse=True)
def _no_hang() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_LIMIT_SECONDS, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_odd_text_is_coded_without_hanging(coder: Coder, text: str) -> None:
    events = coder.code(text, published="2024-08-29", article_id="odd")
    for event in events:
        record = event.to_dict()
        assert record["article_id"] == "odd"
        start, end = record["span"]
        assert text[start:end] == record["trigger"]


def test_the_same_text_gives_the_same_events(coder: Coder) -> None:
    text = "Jake Sullivan met with Xi Jinping in Beijing on Thursday. China rejected the plan."
    first = [e.to_dict() for e in coder.code(text, published="2024-08-29", article_id="a")]
    second = [e.to_dict() for e in coder.code(text, published="2024-08-29", article_id="a")]
    assert first == second


def test_blank_text_is_refused_with_a_clear_error(coder: Coder) -> None:
    with pytest.raises(InputError, match="blank: the text is empty"):
        coder.code("\n\n \n", published="2024-08-29", article_id="blank")


def test_documents_may_be_mappings_and_bad_ones_are_skipped(coder: Coder) -> None:
    documents = [
        {"id": "good", "text": "Canada imposed sanctions on Belarus.", "date": "2024-05-31"},
        {"id": "undated", "text": "Canada imposed sanctions on Belarus."},
        {"id": "empty", "text": " ", "date": "2024-05-31"},
        ["not", "a", "document"],
    ]
    skipped: list[InputError] = []
    coded = list(coder.code_documents(documents, on_skip=skipped.append))  # type: ignore[arg-type]
    assert [(article.id, len(events)) for article, events in coded] == [("good", 1)]
    assert [error.where for error in skipped] == ["document 2", "document 3", "document 4"]
    with pytest.raises(InputError, match="document 2: no publication date"):
        list(coder.code_documents(documents[:2]))
