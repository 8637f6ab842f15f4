"""Resolving a standalone actor phrase ("American warplanes", "the Chinese foreign minister").

The phrase is parsed by the same pipeline that codes articles, so it is read exactly as it
would be inside a sentence. With a context, the phrase is resolved where it stands in that
text, so that surnames and pronouns can link to earlier names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from communique.actors.kb import KnowledgeBase
from communique.actors.resolve import ActorResolver
from communique.records import Actor


@dataclass(frozen=True)
class ResolvedActor:
    """What a phrase names: ISO3 country ("IGO" for international organisations, "" for none)."""

    actor: str
    country: str
    sector: str
    code: str
    name: str
    matched_by: str
    id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        phrase_id = record.pop("id")
        return record if phrase_id is None else {"id": phrase_id, **record}


def resolve_phrase(
    nlp: Language,
    kb: KnowledgeBase,
    phrase: str,
    *,
    when: date,
    context: str = "",
    phrase_id: str | None = None,
) -> ResolvedActor:
    span = _span_in_context(nlp, phrase, context) if context else None
    outside_context = span is None and bool(context.strip())
    if span is None:
        span = next(iter(_parse(nlp, phrase, when).sents))
    resolver = ActorResolver(span.doc, span.doc._.actor_mentions or [], kb)
    actor, rule = resolver.explain(span.root, when)
    if outside_context and actor is not None and not actor.country and actor.sector != "IGO":
        actor, rule = _with_context_country(nlp, kb, actor, rule, context, when)
    return _record(phrase, actor, rule, phrase_id)


def _with_context_country(
    nlp: Language, kb: KnowledgeBase, actor: Actor, rule: str, context: str, when: date
) -> tuple[Actor, str]:
    """A context that does not contain the phrase ("German") can still say whose it is."""
    doc = _parse(nlp, context, when)
    country = ActorResolver(doc, doc._.actor_mentions or [], kb).main_country()
    if country is None:
        return actor, rule
    found = Actor.of(
        text=actor.text, name=actor.name, country=country, sector=actor.sector, title=actor.title
    )
    return found, f"{rule}+context:{country}"


def _parse(nlp: Language, text: str, when: date) -> Doc:
    doc = nlp.make_doc(text)
    doc._.published = when
    return nlp(doc)


def _span_in_context(nlp: Language, phrase: str, context: str) -> Span | None:
    start = context.find(phrase)
    if start < 0:
        return None
    doc = nlp(context)
    return doc.char_span(start, start + len(phrase), alignment_mode="expand")


def _record(phrase: str, actor: Actor | None, rule: str, phrase_id: str | None) -> ResolvedActor:
    if actor is None:
        return ResolvedActor(phrase, "", "", "", "", rule, phrase_id)
    organisation = actor.country is None and actor.code.startswith("IGO")
    country = "IGO" if organisation else (actor.country or "")
    sector = actor.sector or ""
    return ResolvedActor(phrase, country, sector, actor.code, actor.name, rule, phrase_id)
