"""Finding actor mentions in a parsed document and linking them within the article.

A mention is a span naming a country, a seat of power, an organisation or a person, or a
personal pronoun linked to the person it stands for. Surnames ("Sullivan") link to the full
name used earlier in the same article ("Jake Sullivan"); a surname that is never spelled out
in full links to the knowledge base only when exactly one known person carries it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans
from spacy.vocab import Vocab

from communique.actors.kb import KnowledgeBase, Person, Surface

# Entities whose inner words must not be read as actors ("China" in "the South China Sea").
OPAQUE_ENTITY_LABELS = {"LOC", "FAC", "EVENT", "WORK_OF_ART", "LAW", "PRODUCT", "LANGUAGE"}
PERSONAL_PRONOUNS = {"he", "she", "him", "her", "his", "hers"}
SUBJECT_DEPS = {"nsubj", "nsubjpass"}


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
        self.matcher = PhraseMatcher(vocab)
        self._surface_by_key: dict[int, Surface] = {}

    def add_patterns(self, make_doc: Callable[[str], Doc]) -> None:
        for number, (text, surface) in enumerate(self.kb.surfaces.items()):
            key = f"surface{number}"
            self.matcher.add(key, [make_doc(text)])
            self._surface_by_key[self.vocab.strings[key]] = surface

    def find(self, doc: Doc) -> list[Mention]:
        mentions = self._known_mentions(doc)
        mentions += self._unknown_people(doc, mentions)
        mentions += _bare_names(doc, mentions)
        mentions.sort(key=lambda mention: mention.start)
        _link_surnames(mentions, self.kb)
        mentions += _pronouns(doc, mentions)
        mentions.sort(key=lambda mention: mention.start)
        return mentions

    def _known_mentions(self, doc: Doc) -> list[Mention]:
        spans = [
            Span(doc, start, end, label=key)
            for key, start, end in self.matcher(doc)
            if not _inside_opaque_entity(doc, start, end)
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

    def _unknown_people(self, doc: Doc, known: list[Mention]) -> list[Mention]:
        taken = {index for mention in known for index in range(mention.start, mention.end)}
        people = []
        for entity in doc.ents:
            if entity.label_ != "PERSON" or any(t.i in taken for t in entity):
                continue
            name = _clean_person_name(entity)
            if name:
                people.append(Mention(entity.start, entity.end, entity.text, person_name=name))
        return people


def _bare_names(doc: Doc, mentions: list[Mention]) -> list[Mention]:
    """Single proper nouns repeating a word of a person named in full in this article.

    The entity recogniser sometimes labels a lone surname as a place or a nationality
    ("Mattis", "Austin"); the article's own full names are better evidence.
    """
    words = set()
    for mention in mentions:
        name_words = (mention.person_name or "").split()
        if len(name_words) > 1:
            words.update({name_words[0], name_words[-1]})
    taken = {index for mention in mentions for index in range(mention.start, mention.end)}
    return [
        Mention(token.i, token.i + 1, token.text, person_name=token.text)
        for token in doc
        if token.pos_ == "PROPN"
        and token.text in words
        and token.i not in taken
        and token.dep_ != "compound"
    ]


def _inside_opaque_entity(doc: Doc, start: int, end: int) -> bool:
    for token in doc[start:end]:
        if token.ent_type_ in OPAQUE_ENTITY_LABELS:
            entity = next((e for e in doc.ents if e.start <= token.i < e.end), None)
            if entity is not None and (entity.end - entity.start) > (end - start):
                return True
    return False


def _clean_person_name(entity: Span) -> str:
    words = [
        token.text for token in entity if not token.is_punct and token.text not in {"'s", "’s"}
    ]
    return " ".join(words).strip()


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
        elif (person := kb.unique_person_by_surname(name)) is not None:
            mention.person, mention.person_name = person, person.name


def _pronouns(doc: Doc, mentions: list[Mention]) -> list[Mention]:
    """Link he/she/his/her to the latest person in subject position in the same paragraph."""
    paragraphs = _paragraph_of_tokens(doc)
    people = [m for m in mentions if m.is_person and _subject_like(doc[m.start : m.end].root)]
    linked = []
    for token in doc:
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


def _paragraph_of_tokens(doc: Doc) -> list[int]:
    """Paragraph number of every token: paragraphs are separated by line breaks."""
    numbers = []
    current = 0
    for token in doc:
        numbers.append(current)
        if (token.is_space and "\n" in token.text) or "\n" in token.whitespace_:
            current += 1
    return numbers
