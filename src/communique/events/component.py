"""The event-side pipeline components: dates, places, and the events themselves.

``communique_dates`` resolves every date expression against the publication date,
``communique_places`` finds the places named, and ``communique_events`` codes events using
both and the actors marked by ``communique_actors``.
"""

from __future__ import annotations

from datetime import date

from spacy.language import Language
from spacy.tokens import Doc

from communique.actors.component import ActorComponent
from communique.actors.kb import KnowledgeBase
from communique.events.dates import date_mentions
from communique.events.extract import EventExtractor
from communique.events.modality import refers_to_future
from communique.events.patterns import PatternBook
from communique.events.places import PlaceIndex
from communique.records import Location

for _name in ("events", "published", "article_id", "dates", "places"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)

PLACE_LABELS = {"GPE", "LOC", "FAC"}


class DateComponent:
    def __call__(self, doc: Doc) -> Doc:
        published: date | None = doc._.published
        doc._.dates = date_mentions(doc, published, future_context=refers_to_future)
        return doc


class PlaceComponent:
    def __init__(self, index: PlaceIndex) -> None:
        self.index = index

    def __call__(self, doc: Doc) -> Doc:
        places: dict[int, Location] = {}
        for entity in doc.ents:
            if entity.label_ in PLACE_LABELS:
                location = self.index.lookup(entity.text)
                if location is not None:
                    places.update({token.i: location for token in entity})
        doc._.places = places
        return doc


class EventComponent:
    def __init__(self, extractor: EventExtractor) -> None:
        self.extractor = extractor

    def __call__(self, doc: Doc) -> Doc:
        published: date | None = doc._.published
        article_id: str = doc._.article_id or ""
        doc._.events = self.extractor.extract(doc, article_id=article_id, published=published)
        return doc


@Language.factory("communique_dates", requires=["doc.ents", "token.dep"])
def make_date_component(nlp: Language, name: str) -> DateComponent:
    return DateComponent()


@Language.factory("communique_places", requires=["doc.ents"])
def make_place_component(nlp: Language, name: str) -> PlaceComponent:
    return PlaceComponent(PlaceIndex.default())


@Language.factory(
    "communique_events", requires=["doc.ents", "token.dep"], default_config={"verbs": []}
)
def make_event_component(nlp: Language, name: str, verbs: list[str]) -> EventComponent:
    """``verbs``: pattern files replacing the built-in ones ("default" names those)."""
    # The events are coded with the knowledge base the actor component marked mentions with.
    actors = nlp.get_pipe("communique_actors") if "communique_actors" in nlp.pipe_names else None
    kb = actors.kb if isinstance(actors, ActorComponent) else KnowledgeBase.default()
    extractor = EventExtractor(PatternBook.for_files(tuple(verbs)), kb, PlaceIndex.default())
    return EventComponent(extractor)
