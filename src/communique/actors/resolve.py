"""Turning a word of a sentence into a coded actor, for a given date.

The head of an argument ("leader", "official", "Sullivan", "Washington") is read together with
its modifiers, appositions and "of" phrases: "China's leader, Xi Jinping" is Xi; "a top Chinese
military official" is CHN MIL; "the Biden administration" is USA GOV. A named person's sector
comes from the office the knowledge base says they held on the event's date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from itertools import pairwise

from spacy.tokens import Doc, Span, Token

from communique.actors.kb import KnowledgeBase, Office, Organisation, Person
from communique.actors.mentions import Mention
from communique.actors.petrarch import ActorEntry, split_code
from communique.records import Actor

MODIFIER_DEPS = {"compound", "amod", "nmod", "poss", "npadvmod"}
# "leaders of X", "people in the UK", "officials from China", "regions across Indonesia".
DESCRIBING_PREPOSITIONS = {"of", "in", "from", "across"}
# The order in which a modifier's country is trusted: "China's" beats "Chinese" beats "of …".
COUNTRY_DEP_PRIORITY = {"poss": 0, "compound": 1, "amod": 1, "nmod": 1, "appos": 2, "prep": 3}
COPULAR_LEMMAS = {"be", "serve", "become", "remain"}
# Generic positions whose sector is that of the body they belong to ("CIA official" is SPY).
POSITION_WORDS = {
    "official", "officials", "head", "chief", "director", "member", "members", "president",
    "chairman", "chairwoman", "chair", "spokesman", "spokeswoman", "spokesperson", "leader",
    "officer", "officers", "agent", "agents", "staff", "employee", "employees",
}  # fmt: skip
BODY_KINDS = {"institution", "metonym", "organisation", "coded"}
# A former office holder is coded as an elite (ELI), whatever the office was.
FORMER_WORDS = {"former", "ex", "ex-"}
# Entities that name someone who can act: people, organisations, national or political groups.
GUESSABLE_ENTITY_LABELS = {"PERSON", "ORG", "NORP"}


@dataclass(frozen=True)
class Cues:
    """What the words around a head say: a country and a sector, each possibly unknown."""

    country: str | None = None
    sector: str | None = None
    role_text: str | None = None
    # The full agent code of a user's agents dictionary ("GOVFRM"), when it says more than
    # the sector.
    agent_code: str | None = None


class ActorResolver:
    """Resolves argument heads in one document to actors; built once per document."""

    def __init__(self, doc: Doc, mentions: list[Mention], kb: KnowledgeBase) -> None:
        self.doc = doc
        self.kb = kb
        self.mentions = mentions
        self._mention_at: dict[int, Mention] = {}
        for mention in mentions:
            for index in range(mention.start, mention.end):
                self._mention_at[index] = mention

    def mention_of(self, token: Token) -> Mention | None:
        return self._mention_at.get(token.i)

    def actor(self, head: Token, when: date) -> Actor | None:
        """The actor ``head`` refers to on ``when``, or None when it names no actor."""
        mention = self.mention_of(head)
        if mention is None:
            mention = self._appositive_person(head)
        if mention is not None:
            return self._from_mention(mention, head, when)
        if self.is_role_word(head):
            return self._from_role(head)
        return None

    def explain(self, head: Token, when: date) -> tuple[Actor | None, str]:
        """The actor, as ``actor`` finds it, and which entry or rule decided it."""
        mention = self.mention_of(head) or self._appositive_person(head)
        actor = self.actor(head, when)
        if mention is not None:
            return actor, _mention_rule(mention, when)
        if actor is not None and (actor.country or actor.sector):
            cues = self.cues(head)
            return actor, f"role:{cues.role_text}" if cues.role_text else "role"
        cues = self.cues(head)
        if cues.country or cues.sector:
            guess = Actor.of(
                text=_phrase_text(head),
                name=_phrase_text(head),
                country=cues.country,
                sector=cues.sector,
            )
            return guess, "modifiers"
        return None, "none"

    def guess(self, head: Token, when: date, partial: Actor | None = None) -> Actor | None:
        """A best guess, marked unresolved, for a name the knowledge base does not know.

        Only names qualify (a person, organisation or group the entity recogniser found),
        never common nouns: "the plan" is no actor. The sector comes from a title or role
        word beside the name; the country from the words around it, else from the country
        the article mentions most.
        """
        entity = _named_entity(head)
        if entity is None:
            return None
        mention = self.mention_of(head)
        if partial is None and mention is not None and mention.surface is not None:
            return None  # a dictionary entry that is deliberately uncoded on this date
        name = (partial.name if partial is not None else "") or _entity_name(entity)
        cues = self.cues(head)
        country = (partial.country if partial else None) or cues.country or self.main_country()
        sector = (partial.sector if partial else None) or cues.sector
        text = partial.text if partial is not None else entity.text
        title = (partial.title if partial else None) or role_title(cues.role_text)
        return Actor.of(
            text=text, name=name, country=country, sector=sector, resolved=False, title=title
        )

    def main_country(self) -> str | None:
        """The country the document mentions most (ties: the first code alphabetically)."""
        counts: dict[str, int] = {}
        for mention in self.mentions:
            country = _mention_country(mention)
            if country:
                counts[country] = counts.get(country, 0) + 1
        return max(sorted(counts), key=lambda code: counts[code]) if counts else None

    def is_role_word(self, token: Token) -> bool:
        forms = _forms(token)
        return bool(forms & self.kb.role_last_words or forms & POSITION_WORDS)

    def _appositive_person(self, head: Token) -> Mention | None:
        for child in head.children:
            if child.dep_ == "appos":
                mention = self.mention_of(child)
                if mention is not None and mention.is_person:
                    return mention
        return None

    def _from_mention(self, mention: Mention, head: Token, when: date) -> Actor | None:
        surface = mention.surface
        if surface is not None and surface.entry is not None:
            return self._coded(mention, surface.entry, when, head)
        if mention.is_person:
            return self._person(mention, head, when)
        assert surface is not None
        if surface.kind == "organisation" and surface.organisation is not None:
            organisation = surface.organisation
            return Actor(
                text=mention.text,
                name=organisation.name,
                code=organisation.code,
                country=None,
                sector=organisation.sector,
            )
        name = surface.name or self.kb.country_name(surface.country) or mention.text
        if surface.kind == "metonym":
            name = mention.text
        return Actor.of(
            text=mention.text, name=name, country=surface.country, sector=surface.sector
        )

    def _coded(self, mention: Mention, entry: ActorEntry, when: date, head: Token) -> Actor | None:
        """An imported dictionary entry: its code on the date, split into its parts.

        A code that names only a country takes the sector of a title beside the name:
        "Bree President Romendacil" with ROMENDACIL [BRE] is BREGOV, as PETRARCH codes it.
        """
        code = entry.code_at(when)
        if code is None:
            return None
        country, sector, organisation = split_code(code)
        if organisation is not None:
            return Actor(text=mention.text, name=entry.name, code=code, country=None, sector=sector)
        title = None
        if sector is None and country is not None and mention.is_person:
            cues = self._cues_of_name(mention, head)
            if cues.sector is not None:
                sector = cues.sector
                code = country + (cues.agent_code or cues.sector)
                title = role_title(cues.role_text)
        name = entry.name if sector else (self.kb.country_name(country) or entry.name)
        actor = Actor.of(text=mention.text, name=name, country=country, sector=sector, title=title)
        return replace(actor, code=code)

    def _person(self, mention: Mention, head: Token, when: date) -> Actor:
        person = mention.person
        office = person.office_at(when) if person is not None else None
        organisation = _organisation_of(person, office)
        name = mention.person_name or mention.text
        if organisation is not None:
            sector = office.sector if office else None
            title = office.title if office else None
            return Actor(
                text=mention.text,
                name=name,
                code=organisation,
                country=None,
                sector=sector,
                title=title,
            )
        cues = self._cues_of_name(mention, head)
        country, sector = _person_code(person, cues, when)
        # The office the knowledge base knows for the date outranks a title in the text.
        title = office.title if office is not None else role_title(cues.role_text)
        return Actor.of(text=mention.text, name=name, country=country, sector=sector, title=title)

    def _cues_of_name(self, mention: Mention, head: Token) -> Cues:
        """What the words around a name say, and around the head it stands in for."""
        cues = self.cues(self.doc[mention.start : mention.end].root, include_clauses=True)
        if head.i not in range(mention.start, mention.end):
            cues = _merge(cues, self.cues(head))
        return cues

    def _from_role(self, head: Token) -> Actor:
        cues = self.cues(head)
        if cues.sector is None:
            # "a Pentagon chief": the seat of power says which branch the role belongs to.
            cues = _merge(cues, Cues(sector=self._metonym_sector(head)))
        text = _phrase_text(head)
        title = role_title(cues.role_text) or head.lower_
        if cues.agent_code is not None and cues.country:
            code = cues.country + cues.agent_code
            return Actor(
                text=text,
                name=text,
                code=code,
                country=cues.country,
                sector=cues.sector,
                title=title,
            )
        organisation = None if cues.country else self._organisation_beside(head)
        if organisation is not None:
            # "UN officials", "the NATO secretary-general": people of the organisation.
            sector = cues.sector or organisation.sector
            return Actor(text=text, name=text, code=organisation.code, sector=sector, title=title)
        return Actor.of(
            text=text, name=text, country=cues.country, sector=cues.sector, title=title
        )

    def _organisation_beside(self, head: Token) -> Organisation | None:
        for token in _describing_tokens(head, include_clauses=False):
            mention = self.mention_of(token) if token.i != head.i else None
            surface = mention.surface if mention is not None else None
            if surface is not None and surface.organisation is not None:
                return surface.organisation
        return None

    def cues(self, head: Token, *, include_clauses: bool = False) -> Cues:
        """Country and sector read from the words that describe ``head``."""
        described = _describing_tokens(head, include_clauses=include_clauses)
        # A name is not a title, even when a word of it is ("Qin Gang" is no gang).
        untitled = [t for t in described if not self._in_person_name(t)]
        sector, role_text, role_key = self._role_sector(untitled)
        position = role_text.lower() if role_text is not None else head.lower_
        if position in POSITION_WORDS:
            # "head of the FSB", "a CIA official", "members of SANDF": the body decides.
            sector = self._body_sector(head, described) or sector
        if sector is not None and any(t.lower_ in FORMER_WORDS for t in described):
            sector = "ELI"
        country = self._country(head, described)
        agent_code = self.kb.role_codes.get(role_key) if role_key is not None else None
        if agent_code is not None and agent_code[:3] != sector:
            agent_code = None  # a rule above changed the sector: the agent code no longer fits
        return Cues(country, sector, role_text, agent_code)

    def _body_sector(self, head: Token, described: list[Token]) -> str | None:
        for token in described:
            mention = self.mention_of(token) if token.i != head.i else None
            surface = mention.surface if mention is not None else None
            if surface is not None and surface.kind in BODY_KINDS and surface.sector:
                return surface.sector
        return None

    def _country(self, head: Token, described: list[Token]) -> str | None:
        ranked: list[tuple[int, int, str]] = []
        places = self.doc._.places or {}
        for token in described:
            if token.i == head.i:
                continue
            mention = self.mention_of(token)
            country = _mention_country(mention) if mention is not None else None
            if country is None and token.i in places and places[token.i].kind == "city":
                # "Shanghai police": a city names the country of the people it qualifies.
                country = places[token.i].country
            if country:
                ranked.append((_country_rank(token, head), token.i, country))
        return min(ranked)[2] if ranked else None

    def _role_sector(
        self, tokens: list[Token]
    ) -> tuple[str | None, str | None, tuple[str, ...] | None]:
        """The sector of the role phrase nearest the end (the head), with the phrase as
        written and its key in the role table. Among phrases ending at the same word, a
        user's agents dictionary outranks the built-in roles, then the longest wins."""
        best: tuple[int, int, int, str, str, tuple[str, ...]] | None = None
        for start in range(len(tokens)):
            for length in range(min(self.kb.longest_role, len(tokens) - start), 0, -1):
                window = tokens[start : start + length]
                if not _contiguous(window):
                    continue
                found = self._lookup_role(window)
                if found is not None:
                    text = " ".join(t.text for t in window)
                    user = int(found[1] in self.kb.role_codes)
                    rank = (window[-1].i, user, length, found[0], text, found[1])
                    best = rank if best is None or rank[:3] > best[:3] else best
                    break
        return (best[3], best[4], best[5]) if best else (None, None, None)

    def _in_person_name(self, token: Token) -> bool:
        mention = self.mention_of(token)
        return mention is not None and mention.is_person

    def _metonym_sector(self, head: Token) -> str | None:
        for token in _describing_tokens(head, include_clauses=False):
            mention = self.mention_of(token)
            if mention is not None and mention.surface and mention.surface.kind == "metonym":
                return mention.surface.sector
        return None

    def _lookup_role(self, window: list[Token]) -> tuple[str, tuple[str, ...]] | None:
        candidates: list[tuple[str, ...]] = [()]
        for token in window:
            candidates = [(*c, form) for c in candidates for form in _forms(token)]
        for candidate in candidates:
            if candidate in self.kb.roles:
                return self.kb.roles[candidate], candidate
        return None


def _named_entity(head: Token) -> Span | None:
    if head.ent_type_ not in GUESSABLE_ENTITY_LABELS:
        return None
    return next((e for e in head.doc.ents if e.start <= head.i < e.end), None)


def _entity_name(entity: Span) -> str:
    words = [t for t in entity if not (t.is_punct or t.lower_ in {"'s", "’s", "the"})]
    return " ".join(t.text for t in words) or entity.text


def _forms(token: Token) -> set[str]:
    return {token.lower_, token.lemma_.lower()}


def _contiguous(tokens: list[Token]) -> bool:
    return all(b.i == a.i + 1 for a, b in pairwise(tokens))


def _describing_tokens(head: Token, *, include_clauses: bool) -> list[Token]:
    """The head with its modifiers, appositions and "of" phrases, in text order."""
    tokens: set[Token] = {head}
    for child in head.children:
        if (
            child.dep_ in MODIFIER_DEPS
            or child.dep_ == "appos"
            or (child.dep_ == "prep" and child.lower_ in DESCRIBING_PREPOSITIONS)
            or (child.dep_ == "punct" and child.text == "-")  # "secretary-general"
            or (include_clauses and child.dep_ == "relcl" and child.lemma_ in COPULAR_LEMMAS)
        ):
            tokens.update(child.subtree)
    return sorted(tokens, key=lambda token: token.i)


def _country_rank(token: Token, head: Token) -> int:
    path_dep = token.dep_
    ancestor = token
    while ancestor.head.i != head.i and ancestor.head.i != ancestor.i:
        ancestor = ancestor.head
        path_dep = ancestor.dep_
    if path_dep == "prep" and ancestor.lower_ != "of":
        return COUNTRY_DEP_PRIORITY["prep"] + 1  # "in France" is weaker evidence than "of"
    return COUNTRY_DEP_PRIORITY.get(path_dep, 4)


def _mention_country(mention: Mention) -> str | None:
    if mention.person is not None:
        return mention.person.country
    return mention.surface.country if mention.surface else None


def _merge(first: Cues, second: Cues) -> Cues:
    return Cues(
        country=first.country or second.country,
        sector=first.sector or second.sector,
        role_text=first.role_text or second.role_text,
        agent_code=first.agent_code or second.agent_code,
    )


def _person_code(person: Person | None, cues: Cues, when: date) -> tuple[str | None, str | None]:
    """Known office on the date first, then the title in the text, then "former official"."""
    if person is None:
        return cues.country, cues.sector
    office = person.office_at(when)
    if office is not None:
        return office.country or person.country or cues.country, office.sector
    sector = cues.sector or ("ELI" if person.left_office_before(when) else None)
    return person.country or cues.country, sector


def _mention_rule(mention: Mention, when: date) -> str:
    if mention.surface is not None and mention.surface.entry is not None:
        return f"actors:{mention.surface.entry.where}"
    if mention.person is not None:
        office = mention.person.office_at(when)
        held = f" ({office.title})" if office is not None else ""
        return f"person:{mention.person.name}{held}"
    if mention.surface is not None:
        return f"{mention.surface.kind}:{mention.text}"
    return f"name:{mention.text}"


def _organisation_of(person: Person | None, office: Office | None) -> str | None:
    """The organisation a person acts for: the office's, else their own unless it is national."""
    if person is None:
        return None
    if office is not None:
        return office.organisation or (None if office.country else person.organisation)
    return None if person.country else person.organisation


def role_title(role_text: str | None) -> str | None:
    """A role phrase as an actor's title: lower case, as the roles table writes it."""
    return " ".join(role_text.lower().split()) if role_text else None


def _phrase_text(head: Token) -> str:
    left = [t for t in head.lefts if t.dep_ in MODIFIER_DEPS]
    start = min([head.i, *(t.left_edge.i for t in left)])
    return head.doc[start : head.i + 1].text
