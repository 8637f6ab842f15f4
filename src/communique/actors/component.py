"""The ``communique_actors`` pipeline component: marks actor mentions on every Doc."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from communique.actors.kb import KnowledgeBase
from communique.actors.mentions import MentionFinder

if not Doc.has_extension("actor_mentions"):
    Doc.set_extension("actor_mentions", default=None)


class ActorComponent:
    def __init__(self, nlp: Language, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.finder = MentionFinder(kb, nlp.vocab)
        self.finder.add_patterns(nlp.make_doc)

    def __call__(self, doc: Doc) -> Doc:
        doc._.actor_mentions = self.finder.find(doc)
        return doc


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
