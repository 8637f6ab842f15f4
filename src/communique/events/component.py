"""The ``communique_events`` pipeline component: codes events onto every Doc."""

from __future__ import annotations

from datetime import date

from spacy.language import Language
from spacy.tokens import Doc

from communique.actors.kb import KnowledgeBase
from communique.events.extract import EventExtractor
from communique.events.patterns import PatternBook
from communique.events.places import PlaceIndex

for _name in ("events", "published", "article_id"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


class EventComponent:
    def __init__(self, extractor: EventExtractor) -> None:
        self.extractor = extractor

    def __call__(self, doc: Doc) -> Doc:
        published: date | None = doc._.published
        article_id: str = doc._.article_id or ""
        doc._.events = self.extractor.extract(doc, article_id=article_id, published=published)
        return doc


@Language.factory("communique_events", requires=["doc.ents", "token.dep"])
def make_event_component(nlp: Language, name: str) -> EventComponent:
    extractor = EventExtractor(PatternBook.default(), KnowledgeBase.default(), PlaceIndex.default())
    return EventComponent(extractor)
