"""The ``communique_actors`` pipeline component: marks actor mentions on every Doc."""

from __future__ import annotations

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


@Language.factory("communique_actors", requires=["doc.ents", "token.dep"])
def make_actor_component(nlp: Language, name: str) -> ActorComponent:
    return ActorComponent(nlp, KnowledgeBase.default())
