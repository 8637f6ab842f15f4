"""The ``communique_actors`` pipeline component: marks actor mentions on every Doc."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from communique.actors.kb import KnowledgeBase
from communique.actors.mentions import MentionFinder
from communique.cache import cached_json

if not Doc.has_extension("actor_mentions"):
    Doc.set_extension("actor_mentions", default=None)


class ActorComponent:
    def __init__(self, nlp: Language, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.finder = MentionFinder(kb, nlp.vocab)
        self.finder.add_patterns(phrase_words(nlp, list(kb.surfaces)))

    def __call__(self, doc: Doc) -> Doc:
        doc._.actor_mentions = self.finder.find(doc)
        return doc


def phrase_words(nlp: Language, texts: list[str]) -> list[list[str]]:
    """Each text's words in lower case, as ``nlp``'s tokenizer splits it.

    Tokenizing the knowledge base's ~10,000 names takes seconds (each new word becomes a
    lexeme); the result is kept in communique's cache under the tokenizer's rules and the
    texts, so a process that codes starts sooner."""
    tokenizer: Any = nlp.tokenizer  # a spacy Tokenizer (typed as any callable)
    parts = [b"phrase-words", tokenizer.to_bytes(), *(text.encode() for text in texts)]

    def tokenize() -> list[list[str]]:
        return [[token.lower_ for token in doc] for doc in tokenizer.pipe(texts)]

    words: list[list[str]] = cached_json(parts, tokenize)
    return words


@Language.factory(
    "communique_actors",
    requires=["doc.ents", "token.dep"],
    default_config={"actors": [], "agents": []},
)
def make_actor_component(
    nlp: Language, name: str, actors: list[str], agents: list[str]
) -> ActorComponent:
    """``actors``/``agents``: PETRARCH-format files that extend the knowledge base."""
    kb = knowledge_base(tuple(actors), tuple(agents))
    return ActorComponent(nlp, kb)


@cache
def knowledge_base(actors: tuple[str, ...] = (), agents: tuple[str, ...] = ()) -> KnowledgeBase:
    """The default knowledge base, extended by users' dictionaries when any are named."""
    if not actors and not agents:
        return KnowledgeBase.default()
    paths = [Path(name) for name in actors], [Path(name) for name in agents]
    return KnowledgeBase.default().with_dictionaries(actors=paths[0], agents=paths[1])
