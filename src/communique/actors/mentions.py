"""Finding actor mentions in a parsed document and linking them within the article.

A mention is a span naming a country, a seat of power, an organisation or a person, or a
personal pronoun linked to the person it stands for. Surnames ("Sullivan") link to the full
name used earlier in the same article ("Jake Sullivan"); a surname that is never spelled out
in full links to the knowledge base only when exactly one known person carries it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from communique.actors.coded import CodedIndex
from communique.actors.kb import KnowledgeBase, Person, Surface
from communique.actors.petrarch import ActorEntry, split_code

# Entities whose inner words must not be read as actors ("China" in "the South China Sea").
OPAQUE_ENTITY_LABELS = {"LOC", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT", "LANGUAGE"}
PERSONAL_PRONOUNS = {"he", "she", "him", "her", "his", "hers"}
SUBJECT_DEPS = {"nsubj", "nsubjpass"}
# Labels the small English model gives a lone surname; places and dates are left alone.
SURNAME_ENTITY_LABELS = {"PERSON", "ORG", "NORP", ""}


@dataclass
class Mention:
    start: int
    end: int
    text: str
    surface: Surface | None = None
    person: Person | None = None
    person_name: str | None = None
    antecedent: Mention | None = None

    @property
    def is_person(self) -> bool:
        return self.person is not None or self.person_name is not None

    def covers(self, token: Token) -> bool:
        return self.start <= token.i < self.end


class MentionFinder:
    """Marks every actor mention in a document; one instance serves a whole pipeline."""

    def __init__(self, kb: KnowledgeBase, vocab: Vocab) -> None:
        self.kb = kb
        self.vocab = vocab
        # Names are matched on lower case, which finds headlines in capitals ("TEHRAN"); a
        # match must still be spelled as the entry is or be all capitals, so "us" is never
        # "US". A name is its words in lower case → the keys of the surfaces spelled so.
        self._phrases: dict[tuple[str, ...], list[int]] = {}
        # First word of a name → the lengths of the names that start with it.
        self._lengths: dict[str, list[int]] = {}
        self._surface_by_key: dict[int, Surface] = {}
        self._texts_by_key: dict[int, set[str]] = {}

    def add_patterns(self, phrase_words: Sequence[Sequence[str]]) -> None:
        """Index the knowledge base's surfaces; ``phrase_words`` holds each surface's words
        in lower case, as the pipeline's tokenizer splits it, in ``kb.surfaces`` order."""
        surfaces = self.kb.surfaces.items()
        for number, ((text, surface), words) in enumerate(zip(surfaces, phrase_words, strict=True)):
            if not words:
                continue
            key = self.vocab.strings.add(f"surface{number}")
            self._surface_by_key[key] = surface
            self._texts_by_key[key] = {text}
            phrase = tuple(words)
            self._phrases.setdefault(phrase, []).append(key)
            lengths = self._lengths.setdefault(phrase[0], [])
            if len(phrase) not in lengths:
                lengths.append(len(phrase))

    def _name_matches(self, words: list[str]) -> Iterator[tuple[int, int, int]]:
        """(surface key, start, end) of every known name among ``words`` (lower case)."""
        for start, word in enumerate(words):
            for length in self._lengths.get(word, ()):
                if start + length > len(words):
                    continue
                for key in self._phrases.get(tuple(words[start : start + length]), ()):
                    yield key, start, start + length

    def find(self, doc: Doc) -> list[Mention]:
        # Iterating a Doc builds new Token objects each time: build them once per document.
        tokens = list(doc)
        mentions = _coded_mentions(doc, self.kb.user_actors, taken=set(), tokens=tokens)
        mentions += self._known_mentions(doc, tokens, taken=_tokens_of(mentions))
        bundled = _coded_mentions(
            doc, self.kb.bundled_actors, taken=_tokens_of(mentions), tokens=tokens
        )
        mentions += self._yield_to_names(bundled, mentions)
        mentions += self._unknown_people(doc, mentions)
        mentions += _bare_names(tokens, mentions)
        mentions += self._known_surnames(tokens, mentions)
        mentions.sort(key=lambda mention: mention.start)
        _link_surnames(mentions, self.kb)
        mentions += _pronouns(doc, tokens, mentions)
        mentions.sort(key=lambda mention: mention.start)
        return mentions

    def _known_mentions(self, doc: Doc, tokens: list[Token], taken: set[int]) -> list[Mention]:
        spans = [
            Span(doc, start, end, label=key)
            for key, start, end in self._name_matches([token.lower_ for token in tokens])
            if not _inside_opaque_entity(doc, start, end)
            and taken.isdisjoint(range(start, end))
            and self._spelled_as_entry(doc[start:end], key)
        ]
        mentions = []
        for span in filter_spans(spans):
            surface = self._surface_by_key[span.label]
            mention = Mention(span.start, span.end, span.text, surface=surface)
            if surface.person is not None:
                mention.person = surface.person
                mention.person_name = surface.person.name
            mentions.append(mention)
        return mentions

    def _yield_to_names(self, bundled: list[Mention], found: list[Mention]) -> list[Mention]:
        """Bundled one-word entries give way to the article's names and the curated base.

        "Sullivan" after "Jake Sullivan", or a surname only one curated person carries,
        is left for the surname rules rather than read as the bundled dictionary's entry.
        """
        full_names = [m.person_name or "" for m in [*found, *bundled] if m.is_person]
        name_words = {w for name in full_names if " " in name for w in name.split()}
        return [
            mention
            for mention in bundled
            if mention.end - mention.start > 1
            or not (
                mention.text in name_words
                or self.kb.unique_person_by_surname(mention.text) is not None
            )
        ]

    def _known_surnames(self, tokens: list[Token], mentions: list[Mention]) -> list[Mention]:
        """A lone surname that exactly one person in the knowledge base carries ("Trump")."""
        taken = _tokens_of(mentions)
        found = []
        for token in tokens:
            if (
                token.text in self.kb.people_by_surname
                and _looks_like_name(token)
                and token.i not in taken
                and token.dep_ != "compound"
                and token.ent_type_ in SURNAME_ENTITY_LABELS
                and self.kb.unique_person_by_surname(token.text) is not None
            ):
                found.append(Mention(token.i, token.i + 1, token.text, person_name=token.text))
        return found

    def _spelled_as_entry(self, span: Span, key: int) -> bool:
        text = span.text
        return text in self._texts_by_key[key] or (text.isupper() and len(text) > 3)

    def _unknown_people(self, doc: Doc, known: list[Mention]) -> list[Mention]:
        taken = _tokens_of(known)
        people = []
        for entity in doc.ents:
            if entity.label_ != "PERSON" or any(t.i in taken for t in entity):
                continue
            name = _clean_person_name(entity)
            if name:
                people.append(Mention(entity.start, entity.end, entity.text, person_name=name))
        return people


def _looks_like_name(token: Token) -> bool:
    # The small model tags some capitalised surnames as nouns ("Trump"); it then usually
    # still labels them as a name.
    if token.pos_ == "PROPN":
        return True
    return token.pos_ == "NOUN" and token.text[:1].isupper() and token.ent_type_ != ""


def _tokens_of(mentions: list[Mention]) -> set[int]:
    return {index for mention in mentions for index in range(mention.start, mention.end)}


def _coded_mentions(
    doc: Doc, index: CodedIndex, taken: set[int], tokens: list[Token]
) -> list[Mention]:
    """Mentions of imported dictionary entries; a match on a person's name is a person."""
    mentions = []
    for match in index.find(doc, taken, tokens):
        if _inside_opaque_entity(doc, match.start, match.end) or _part_of_longer_name(
            doc, match.start, match.end
        ):
            continue
        span = doc[match.start : match.end]
        country, _, _ = split_code(match.entry.default or _first_code(match.entry))
        surface = Surface("coded", country=country, name=match.entry.name, entry=match.entry)
        mention = Mention(match.start, match.end, span.text, surface=surface)
        if any(token.ent_type_ == "PERSON" for token in span):
            mention.person_name = match.entry.name
        mentions.append(mention)
    return mentions


def _part_of_longer_name(doc: Doc, start: int, end: int) -> bool:
    """ "Hassan" in "Hassan Shibly" is not the Hassan a dictionary lists: part of a name."""
    for token in doc[start:end]:
        if token.ent_type_ == "PERSON":
            entity = next(e for e in doc.ents if e.start <= token.i < e.end)
            # "Gondor and Arnor" tagged as one entity is two names, not one.
            return _joined_to_more(doc, entity, start, end)
    return False


def _separates(token: Token) -> bool:
    return token.is_punct or token.lower_ in {"and", "or", "&"}


def _first_code(entry: ActorEntry) -> str:
    return entry.dated[0].code if entry.dated else ""


def _bare_names(tokens: list[Token], mentions: list[Mention]) -> list[Mention]:
    """Single proper nouns repeating a word of a person named in full in this article.

    The entity recogniser sometimes labels a lone surname as a place or a nationality
    ("Mattis", "Austin"); the article's own full names are better evidence.
    """
    words = set()
    for mention in mentions:
        name_words = (mention.person_name or "").split()
        if len(name_words) > 1:
            words.update({name_words[0], name_words[-1]})
    taken = _tokens_of(mentions)
    return [
        Mention(token.i, token.i + 1, token.text, person_name=token.text)
        for token in tokens
        if token.text in words
        and token.pos_ == "PROPN"
        and token.i not in taken
        and token.dep_ != "compound"
    ]


def _inside_opaque_entity(doc: Doc, start: int, end: int) -> bool:
    for token in doc[start:end]:
        if token.ent_type_ in OPAQUE_ENTITY_LABELS:
            entity = next((e for e in doc.ents if e.start <= token.i < e.end), None)
            if entity is not None and _joined_to_more(doc, entity, start, end):
                return True
    return False


def _joined_to_more(doc: Doc, entity: Span, start: int, end: int) -> bool:
    """Whether the entity runs on past the match without an "and" or a comma between."""
    before = doc[entity.start : start]
    after = doc[end : entity.end]
    joined_before = len(before) > 0 and not _separates(before[-1])
    joined_after = len(after) > 0 and not _separates(after[0])
    return joined_before or joined_after


def _clean_person_name(entity: Span) -> str:
    """The name as written, without a possessive or punctuation at either end."""
    tokens = [token for token in entity if token.text not in {"'s", "’s"}]
    while tokens and tokens[0].is_punct:
        tokens.pop(0)
    while tokens and tokens[-1].is_punct:
        tokens.pop()
    return "".join(token.text_with_ws for token in tokens).strip()


def _link_surnames(mentions: list[Mention], kb: KnowledgeBase) -> None:
    """A one-word name takes the identity of an earlier full name containing it, else the KB's.

    Both the first and the last word of a full name count, since news writes Chinese and
    Korean names family name first ("Xi Jinping" … "Xi") and most others last ("Sullivan").
    """
    last_words: dict[str, Mention] = {}
    first_words: dict[str, Mention] = {}
    for mention in mentions:
        if not mention.is_person:
            continue
        name = mention.person_name or ""
        words = name.split()
        if len(words) > 1:
            first_words[words[0]] = mention
            last_words[words[-1]] = mention
            continue
        earlier = last_words.get(name) or first_words.get(name)
        if earlier is not None:
            mention.person, mention.person_name = earlier.person, earlier.person_name
            if earlier.surface is not None and earlier.surface.kind == "coded":
                mention.surface = earlier.surface
        elif (person := kb.unique_person_by_surname(name)) is not None:
            mention.person, mention.person_name = person, person.name


def _pronouns(doc: Doc, tokens: list[Token], mentions: list[Mention]) -> list[Mention]:
    """Link he/she/his/her to the latest person in subject position in the same paragraph."""
    paragraphs = _paragraph_of_tokens(tokens)
    people = [m for m in mentions if m.is_person and _subject_like(doc[m.start : m.end].root)]
    linked = []
    for token in tokens:
        if token.lower_ not in PERSONAL_PRONOUNS or token.pos_ != "PRON":
            continue
        antecedent = _antecedent(token, people, paragraphs)
        if antecedent is not None:
            mention = Mention(
                token.i,
                token.i + 1,
                token.text,
                person=antecedent.person,
                person_name=antecedent.person_name,
                antecedent=antecedent,
            )
            linked.append(mention)
    return linked


def _antecedent(pronoun: Token, people: list[Mention], paragraphs: list[int]) -> Mention | None:
    paragraph = paragraphs[pronoun.i]
    before = [m for m in people if m.start < pronoun.i]
    same = [m for m in before if paragraphs[m.start] == paragraph]
    if same:
        return same[-1]
    # A paragraph that opens with "He said…" continues the previous paragraph's speaker.
    start = pronoun.sent.start
    opens_paragraph = start == 0 or paragraphs[start - 1] != paragraph
    previous = [m for m in before if paragraphs[m.start] == paragraph - 1]
    return previous[-1] if previous and opens_paragraph else None


def _subject_like(root: Token) -> bool:
    if root.dep_ in SUBJECT_DEPS:
        return True
    return root.dep_ == "poss" and root.head.dep_ in SUBJECT_DEPS


def _paragraph_of_tokens(tokens: list[Token]) -> list[int]:
    """Paragraph number of every token: paragraphs are separated by line breaks."""
    numbers = []
    current = 0
    for token in tokens:
        numbers.append(current)
        if (token.is_space and "\n" in token.text) or "\n" in token.whitespace_:
            current += 1
    return numbers
