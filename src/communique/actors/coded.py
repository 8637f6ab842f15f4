"""Finding the phrases of imported actor dictionaries in a parsed document.

PETRARCH-format dictionaries hold tens of thousands of upper-case phrases. Rather than
tokenizing each one, phrases and text are both reduced to their alphanumeric words
("U.S._ARMY" and "U.S. Army" are ("u", "s", "army")) and matched word by word, longest
phrase first, on whole tokens only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Token

from communique.actors.petrarch import ActorEntry, phrase_key


@dataclass(frozen=True)
class CodedMatch:
    start: int
    end: int
    entry: ActorEntry


@dataclass
class _DocWords:
    words: list[str]
    token_of: list[int]
    opens_token: list[bool]
    closes_token: list[bool]


class CodedIndex:
    """Phrases of actor dictionaries; a later entry for the same phrase replaces an earlier one."""

    def __init__(self, entries: Iterable[ActorEntry] = ()) -> None:
        self._entries: dict[tuple[str, ...], ActorEntry] = {}
        self._lengths: dict[str, set[int]] = defaultdict(set)
        self._longest_first: dict[str, tuple[int, ...]] = {}
        self.add(entries)

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, entries: Iterable[ActorEntry]) -> None:
        for entry in entries:
            for phrase in entry.phrases:
                key = phrase_key(phrase)
                self._entries[key] = entry
                self._lengths[key[0]].add(len(key))
        self._longest_first = {}  # rebuilt on the next search

    def lookup(self, phrase: str) -> ActorEntry | None:
        return self._entries.get(phrase_key(phrase))

    def find(
        self, doc: Doc, taken: set[int], tokens: Sequence[Token] | None = None
    ) -> list[CodedMatch]:
        """Longest matches left to right, skipping tokens in ``taken`` (found by others)."""
        if not self._entries:
            return []
        if not self._longest_first:
            self._longest_first = {
                word: tuple(sorted(lengths, reverse=True))
                for word, lengths in self._lengths.items()
            }
        text = _doc_words(tokens if tokens is not None else list(doc))
        matches = []
        position = 0
        while position < len(text.words):
            match = self._match_at(doc, text, position, taken)
            if match is None:
                position += 1
                continue
            matches.append(match)
            while position < len(text.words) and text.token_of[position] < match.end:
                position += 1
        return matches

    def _match_at(
        self, doc: Doc, text: _DocWords, position: int, taken: set[int]
    ) -> CodedMatch | None:
        if not text.opens_token[position] or text.token_of[position] in taken:
            return None
        for length in self._longest_first.get(text.words[position], ()):
            stop = position + length
            if stop > len(text.words) or not text.closes_token[stop - 1]:
                continue
            entry = self._entries.get(tuple(text.words[position:stop]))
            if entry is None:
                continue
            start, end = text.token_of[position], text.token_of[stop - 1] + 1
            if taken.isdisjoint(range(start, end)) and _names_something(doc, start, end):
                return CodedMatch(start, end, entry)
        return None


def _doc_words(tokens: Sequence[Token]) -> _DocWords:
    text = _DocWords([], [], [], [])
    for token in tokens:
        words = phrase_key(token.text)
        for number, word in enumerate(words):
            text.words.append(word)
            text.token_of.append(token.i)
            text.opens_token.append(number == 0)
            text.closes_token.append(number == len(words) - 1)
    return text


def _names_something(doc: Doc, start: int, end: int) -> bool:
    # Dictionaries are written in capitals; in running text a name is capitalised, so an
    # all-lower-case match ("turkey", "chad") is an ordinary word.
    return any(token.text[:1].isupper() and not token.is_stop for token in doc[start:end])
