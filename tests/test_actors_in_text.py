"""Actors as the coder resolves them inside sentences, for the event's date."""

from __future__ import annotations

from pathlib import Path

import pytest

from communique.coder import Coder


def _pairs(coder: Coder, text: str, published: str) -> list[tuple[str, str, str]]:
    events = coder.code(text, published=published)
    return [(e.source.code, e.cameo.code, e.target.code) for e in events]


@pytest.mark.parametrize(
    ("text", "published", "expected"),
    [
        # A city qualifying a role gives its country.
        (
            "Shanghai police arrested an American journalist.",
            "2024-08-29",
            ("CHNCOP", "173", "USAJRN"),
        ),
        # Title-only mention with a nationality adjective.
        ("The Chinese foreign minister criticized Japan.", "2024-08-29", ("CHNGOV", "111", "JPN")),
        # A seat of power stands for the government; nationality adjective + military noun.
        ("Washington condemned Chinese warplanes.", "2024-08-29", ("USAGOV", "111", "CHNMIL")),
        # The office held on the event's date decides the sector.
        ("Jim Mattis met with Xu Qiliang.", "2018-06-28", ("USAGOV", "040", "CHNMIL")),
        ("Jim Mattis met with Xi Jinping.", "2024-08-29", ("USAELI", "040", "CHNGOV")),
        # Officials of an international organisation carry its code.
        ("António Guterres criticized Israel.", "2024-01-10", ("IGOUNO", "111", "ISR")),
        # Words of a name are not titles: no "gang" in Qin Gang.
        ("Qin Gang met with Antony Blinken.", "2024-03-01", ("CHNELI", "040", "USAGOV")),
        # A possessive names the owner of an organ.
        (
            "China's Central Military Commission criticized Taiwan.",
            "2024-08-29",
            ("CHNMIL", "111", "TWN"),
        ),
    ],
)
def test_actor_codes(
    coder: Coder, text: str, published: str, expected: tuple[str, str, str]
) -> None:
    assert expected in _pairs(coder, text, published)


def test_surname_and_pronoun_link_to_the_full_name(coder: Coder) -> None:
    text = (
        "Jake Sullivan arrived in Beijing on Tuesday.\n\n"
        "Sullivan met with Wang Yi. His visit to China lasted three days."
    )
    pairs = _pairs(coder, text, "2024-08-29")
    assert ("USAGOV", "040", "CHNGOV") in pairs
    assert ("USAGOV", "042", "CHN") in pairs


def test_coordinated_appositions_are_each_a_target(coder: Coder) -> None:
    text = (
        "Antony Blinken met with China's top diplomat Yang Jiechi and Foreign Minister Wang Yi "
        "in Anchorage on Thursday."
    )
    events = coder.code(text, published="2021-03-19")
    assert {e.target.name for e in events} == {"Yang Jiechi", "Wang Yi"}
    assert {e.date for e in events} == {"2021-03-18"}


def test_known_names_are_split_as_the_tokenizer_splits_them(
    coder: Coder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The names' words come from communique's cache: they must be the tokenizer's own."""
    from communique.actors.component import phrase_words

    monkeypatch.setenv("COMMUNIQUE_CACHE", str(tmp_path))
    texts = ["U.S. Navy", "Xi Jinping", "Democratic People's Republic of Korea", "al-Shabaab"]
    expected = [[token.lower_ for token in coder.nlp.make_doc(text)] for text in texts]
    assert phrase_words(coder.nlp, texts) == expected  # built
    assert phrase_words(coder.nlp, texts) == expected  # read back
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.parametrize(
    "text",
    ["Japan criticized the United States", "The United States criticized Japan"],
)
def test_a_name_is_found_at_either_end_of_a_text(coder: Coder, text: str) -> None:
    doc = coder.nlp(text)
    found = {mention.text for mention in doc._.actor_mentions}
    assert {"Japan", "United States"} <= found, found
