"""From a parsed, actor-marked document to coded events.

For every sentence: find trigger words the pattern book knows, fill source and target slots
from the dependency parse, resolve the date, modality, negation and place, resolve the actors
for that date, and build one event per (source, target) pair. Speech acts ("said", "told")
are coded only when no more specific event is reported inside what was said.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from spacy.tokens import Doc, Span, Token

from communique import ontology
from communique.actors.kb import KnowledgeBase
from communique.actors.petrarch import TRANSNATIONAL_PREFIXES
from communique.actors.resolve import ActorResolver
from communique.events import arguments, dates, modality
from communique.events.patterns import Pattern, PatternBook
from communique.events.petrarch_verbs import NULL_CODE, WordGroup
from communique.events.places import PlaceIndex
from communique.records import Actor, Event, Location, Modality, content_id

QUOTE_MARKS = {'"', "“", "”", "«", "»"}
LOCATIVE_PREPOSITIONS = {"in", "at"}
VISIT_CODES = {"042"}
MODIFIER_OF_HEAD = {"compound", "poss", "amod", "nmod"}
NOUN_PHRASE_DEPS = {"compound", "poss", "amod", "nmod", "case", "det", "punct", "nummod"}
# An auxiliary can be an event verb in a PETRARCH dictionary ("WILL" [030]), but not when it
# only helps another verb.
AUXILIARY_DEPS = {"aux", "auxpass"}
# Sentences longer than this many tokens give no events. Real news sentences are far shorter;
# longer "sentences" are tables, lists or text without punctuation, whose parse is noise, and
# several steps below walk a token's subtree, so their cost grows faster than their length
# (a 200 KB text without a full stop took ten minutes; docs/robustness.md).
MAX_SENTENCE_TOKENS = 500


@dataclass(frozen=True)
class Trigger:
    token: Token
    pattern: Pattern


@dataclass
class Arguments:
    sources: list[Token] = field(default_factory=list)
    targets: list[Token] = field(default_factory=list)


class EventExtractor:
    def __init__(self, patterns: PatternBook, kb: KnowledgeBase, places: PlaceIndex) -> None:
        self.patterns = patterns
        self.kb = kb
        self.places = places

    def extract(self, doc: Doc, *, article_id: str, published: date | None) -> list[Event]:
        resolver = ActorResolver(doc, doc._.actor_mentions or [], self.kb)
        events: list[Event] = []
        seen: set[tuple[object, ...]] = set()
        for index, sentence in enumerate(doc.sents):
            if len(sentence) > MAX_SENTENCE_TOKENS:
                continue
            context = _SentenceContext(self, resolver, sentence, index, article_id, published)
            for event in context.events():
                key = (index, event.source.identity, event.target.identity, event.cameo.code)
                if key not in seen:
                    seen.add(key)
                    events.append(event)
        return events

    def triggers(self, sentence: Span) -> list[Trigger]:
        found = []
        for token in sentence:
            pattern = self._pattern_for(token)
            if pattern is not None:
                found.append(Trigger(token, pattern))
        return [t for t in found if not _covered_by_verb_object(t, found)]

    def _pattern_for(self, token: Token) -> Pattern | None:
        lemma = token.lemma_.lower()
        if token.pos_ in {"VERB", "AUX"}:
            candidates = self.patterns.verbs.get(lemma, [])
            if not candidates or (token.pos_ == "AUX" and token.dep_ in AUXILIARY_DEPS):
                return None
            # Word conditions need the verb's phrase; most patterns have none.
            needs_phrase = any(p.requires for p in candidates)
            phrase = arguments.VerbPhrase(token) if needs_phrase else None
            return next((p for p in candidates if arguments.matches(p, token, phrase)), None)
        if token.pos_ in {"NOUN", "PROPN"}:
            candidates = self.patterns.nouns.get(lemma, [])
            return candidates[0] if candidates else None
        return None


class _SentenceContext:
    """Everything needed to code one sentence; lives only while it is coded."""

    def __init__(
        self,
        extractor: EventExtractor,
        resolver: ActorResolver,
        sentence: Span,
        index: int,
        article_id: str,
        published: date | None,
    ) -> None:
        self.extractor = extractor
        self.resolver = resolver
        self.sentence = sentence
        self.index = index
        self.article_id = article_id
        self.published = published

    def events(self) -> list[Event]:
        triggers = self.extractor.triggers(self.sentence)
        specific = [t for t in triggers if not t.pattern.statement]
        events = [e for t in specific for e in self._code(t)]
        coded = {e.span[0] for e in events}
        for trigger in triggers:
            if trigger.pattern.statement and not self._reports_event(trigger.token, coded):
                events += self._code(trigger)
        return events

    def _reports_event(self, verb: Token, coded_offsets: set[int]) -> bool:
        return any(token.idx in coded_offsets for token in _said(verb))

    def _code(self, trigger: Trigger) -> list[Event]:
        if trigger.pattern.code == NULL_CODE:
            return []  # a PETRARCH pattern that claims the verb and codes nothing
        found = self._arguments(trigger)
        if not found.sources:
            return []
        mood = modality.modality_of(trigger.token)
        when, basis = self._date(trigger.token, future=mood != "asserted")
        on = when.representative if when else (self.published or date.today())
        events = []
        for source_token in found.sources:
            for source in self._actors(source_token, on):
                targets = found.targets
                if "complement" in trigger.pattern.targets and not targets:
                    targets = self._statement_targets(trigger.token, source, on)
                events += self._pairs(trigger, source, targets, on, mood, when, basis)
        return events

    def _pairs(
        self,
        trigger: Trigger,
        source: Actor,
        targets: list[Token],
        on: date,
        mood: Modality,
        when: dates.ResolvedDate | None,
        basis: str | None,
    ) -> list[Event]:
        events = []
        for target_token in targets:
            for target in self._actors(target_token, on, look_inside=True):
                if not (source.resolved or target.resolved):
                    continue  # two guesses make no event: one party must be known
                if _distinct(source, target):
                    event = self._event(trigger, source, target, mood, when, basis)
                    events.append(event)
                    if trigger.pattern.reverse_code is not None:
                        code = trigger.pattern.reverse_code
                        back = self._event(trigger, target, source, mood, when, basis, code=code)
                        events.append(back)
        return events

    def _actors(self, token: Token, on: date, *, look_inside: bool = False) -> list[Actor]:
        """The actor ``token`` names, once per country when a role is shared by several:
        "the ambassadors of Arnor, Osgiliath and Gondor", "lawmakers in Arnor and Gondor"."""
        actor = self._actor(token, on, look_inside=look_inside)
        if actor is None or not actor.country or not actor.sector:
            return [] if actor is None else [actor]
        countries = self._shared_countries(token, on)
        if len(countries) < 2 or actor.country not in countries:
            return [actor]
        rest = actor.code[len(actor.country) :]
        return [replace(actor, country=c, code=c + rest) for c in countries]

    def _shared_countries(self, token: Token, on: date) -> list[str]:
        for child in token.children:
            if child.dep_ != "prep" or child.lower_ not in {"of", "in", "from"}:
                continue
            for pobj in (c for c in child.children if c.dep_ == "pobj"):
                named = [self.resolver.actor(t, on) for t in (pobj, *pobj.conjuncts)]
                countries = [a.country for a in named if a is not None and a.country]
                if len(countries) > 1:
                    return list(dict.fromkeys(countries))
        return []

    def _arguments(self, trigger: Trigger) -> Arguments:
        token, pattern = trigger.token, trigger.pattern
        if pattern.noun:
            return _noun_arguments(token, pattern)
        sources = arguments.with_conjuncts(self._verb_sources(token, pattern))
        targets: list[Token] = []
        for slot in pattern.targets:
            targets = arguments.with_conjuncts(arguments.verb_targets(token, slot))
            if slot == "any":
                targets = self._first_actor_after(token, targets, sources)
                if not targets and _has_word_conditions(pattern):
                    targets = self._first_actor_in_clauses(token, sources)
            if any(self._codable(t) for t in targets):
                break
            targets = []
        if not targets and len(sources) > 1:
            if pattern.code.startswith("04"):
                # "Biden and Xi met": the coordinated subjects meet each other.
                sources, targets = sources[:1], sources[1:]
            elif pattern.requires is not None and not self._actor_after(token):
                # PETRARCH's reading of "Gondor and Osgiliath postponed their meeting":
                # coordinated subjects with no other actor in the phrase act on each other.
                targets = list(sources)
        return Arguments(sources, targets)

    def _first_actor_after(
        self, verb: Token, phrase: list[Token], sources: list[Token]
    ) -> list[Token]:
        """The first actor after the verb in its own phrase, with its conjuncts; a name
        qualifying a role ("Gondor police", "Gondor's government") stands for the phrase.

        Clauses the verb governs are not searched: on PETRARCH's own test records that
        found 2 more events and 20 more false ones.
        """
        heads = [self._phrase_head(t) for t in phrase]
        first = next((t for t in heads if t not in sources and self._codable(t)), None)
        return arguments.with_conjuncts([first]) if first is not None else []

    def _first_actor_in_clauses(self, verb: Token, sources: list[Token]) -> list[Token]:
        """For a pattern whose words were found in a governed clause ("allowed that Mordor
        isn't a really pleasant place"), the first actor after the verb in that clause."""
        after = [t for t in verb.subtree if t.i > verb.i and t.pos_ in {"PROPN", "NOUN"}]
        return self._first_actor_after(verb, after, sources)

    def _actor_after(self, verb: Token) -> bool:
        return any(self._codable(t) for t in arguments.verb_targets(verb, "any"))

    def _phrase_head(self, token: Token) -> Token:
        """The head noun a modifier belongs to, when that noun is itself an actor."""
        node = token
        while node.dep_ in MODIFIER_OF_HEAD and node.head.pos_ in {"NOUN", "PROPN"}:
            head = node.head
            between = node.doc[min(node.i, head.i) + 1 : max(node.i, head.i)]
            if any(t.dep_ not in NOUN_PHRASE_DEPS for t in between):
                break  # not one noun phrase: "Libya almost crowds" is a parse slip
            on = self.published or date.today()
            actor = self.resolver.actor(head, on)
            if actor is None or not actor.sector or not _is_coded(actor):
                break
            node = head
        return node

    def _verb_sources(self, verb: Token, pattern: Pattern) -> list[Token]:
        for slot in pattern.sources:
            found = arguments.verb_targets(verb, slot)
            if any(self._codable(t) for t in found):
                return found
        return arguments.verb_sources(verb)

    def _codable(self, token: Token) -> bool:
        on = self.published or date.today()
        actor = self._actor(token, on, look_inside=True)
        return actor is not None

    def _actor(
        self, token: Token, on: date, *, look_inside: bool = False, guess: bool = True
    ) -> Actor | None:
        """The coded actor ``token`` names; else, for an unknown name, a marked best guess."""
        actor = self.resolver.actor(token, on)
        if actor is None and look_inside:
            actor = self._owner(token, on)
        if actor is not None and _is_coded(actor):
            return actor
        return self.resolver.guess(token, on, actor) if guess else None

    def _owner(self, thing: Token, on: date) -> Actor | None:
        """ "rejected Washington's framing", "criticized American arms sales": the owner acts."""
        for child in thing.children:
            if child.dep_ == "poss":
                inner: Token | None = child
            elif child.dep_ == "prep" and child.lower_ == "of":
                inner = next((c for c in child.children if c.dep_ == "pobj"), None)
            elif child.dep_ in {"amod", "compound"} and child.i < thing.i:
                mention = self.resolver.mention_of(child)
                inner = child if mention is not None and not mention.is_person else None
            else:
                inner = None
            actor = self.resolver.actor(inner, on) if inner is not None else None
            if actor is not None:
                return actor
        return None

    def _statement_targets(self, verb: Token, source: Actor, on: date) -> list[Token]:
        """The first actor of another country named in what was said."""
        for token in sorted(_said(verb), key=lambda t: t.i):
            actor = self._actor(token, on, guess=False)
            if actor is not None and actor.country != source.country:
                return [token]
        return []

    def _date(
        self, trigger: Token, *, future: bool
    ) -> tuple[dates.ResolvedDate | None, str | None]:
        """The date expression nearest the trigger in the parse, else the publication date."""
        if self.published is None:
            return None, None
        in_sentence = [
            mention
            for mention in trigger.doc._.dates or []
            if self.sentence.start <= mention.index < self.sentence.end
        ]
        clauses = _clauses_of(trigger)
        doc = trigger.doc
        sentence_dates = [
            m for m in in_sentence if modality.governing_verb(doc[m.index]) in clauses
        ]
        if not sentence_dates and future:
            # "a potential meeting …, at summits to be held in November": a planned event
            # takes a date that looks ahead even from a neighbouring clause.
            sentence_dates = [m for m in in_sentence if m.future_context]
        if sentence_dates:
            nearest = min(
                sentence_dates, key=lambda m: (_tree_distance(trigger, doc[m.index]), m.index)
            )
            return nearest.reading(future=future), "text"
        return dates.day(self.published), "published"

    def _event(
        self,
        trigger: Trigger,
        source: Actor,
        target: Actor,
        mood: Modality,
        when: dates.ResolvedDate | None,
        basis: str | None,
        *,
        code: str | None = None,
    ) -> Event:
        pattern, token = trigger.pattern, trigger.token
        if code is None:
            intended = mood != "asserted" and pattern.intent_code
            code = pattern.intent_code if intended and pattern.intent_code else pattern.code
        identity = [
            self.article_id,
            str(self.index),
            str(token.idx),
            code,
            *source.identity,
            *target.identity,
        ]
        return Event(
            event_id=content_id(*identity),
            article_id=self.article_id,
            sentence_index=self.index,
            sentence=self.sentence.text.strip(),
            span=(token.idx, token.idx + len(token.text)),
            trigger=token.text,
            rule=pattern.rule,
            date=when.value if when else None,
            date_precision=when.precision if when else None,
            date_basis="text" if basis == "text" else ("published" if basis else None),
            source=source,
            target=target,
            cameo=ontology.event_code(code),
            plover=ontology.plover(code) if ontology.is_cameo_code(code) else None,
            location=self._location(token, target, code),
            modality=mood,
            negated=modality.is_negated(token),
            quote=_quote(self.sentence) if pattern.statement else None,
        )

    def _location(self, trigger: Token, target: Actor, code: str) -> Location | None:
        """A place "in"/"at" which the event happened, within the trigger's own phrase."""
        places: dict[int, Location] = trigger.doc._.places or {}
        for token in trigger.subtree:
            if token.dep_ == "prep" and token.lower_ in LOCATIVE_PREPOSITIONS:
                for place in token.children:
                    if place.dep_ == "pobj" and place.i in places:
                        return places[place.i]
        if code in VISIT_CODES:
            return self.extractor.places.lookup(target.text)
        return None


def _has_word_conditions(pattern: Pattern) -> bool:
    requires = pattern.requires
    return requires is not None and any(isinstance(i, WordGroup) for i in requires.after)


def _noun_arguments(noun: Token, pattern: Pattern) -> Arguments:
    sources: list[Token] = []
    targets: list[Token] = []
    for slot in pattern.sources:
        found = arguments.with_conjuncts(arguments.noun_slot(noun, slot))
        if found:
            # "talks between A and B": the first named is the source, the others its targets.
            sources, targets = found[:1], (found[1:] if slot == "prep:between" else [])
            break
    if not sources:
        sources = arguments.with_conjuncts(arguments.light_verb_sources(noun))
    if not targets:
        for slot in pattern.targets:
            targets = arguments.with_conjuncts(arguments.noun_slot(noun, slot))
            if targets:
                break
    return Arguments(sources, [t for t in targets if t not in sources])


def _covered_by_verb_object(trigger: Trigger, found: list[Trigger]) -> bool:
    """ "held talks with X" is one event: the verb pattern already covers the noun "talks"."""
    if trigger.pattern.noun is None:
        return False
    head = trigger.token.head
    return any(t.token == head and t.pattern.objects for t in found)


def _said(verb: Token) -> list[Token]:
    """The words of what a speech verb reports: its clausal complements and quoted text."""
    words: list[Token] = []
    for child in verb.children:
        if child.dep_ in {"ccomp", "xcomp", "parataxis", "dobj"}:
            words += list(child.subtree)
    words += [t for t in _quoted_tokens(verb.sent) if t not in words]
    return words


def _quoted_tokens(sentence: Span) -> list[Token]:
    inside = False
    tokens = []
    for token in sentence:
        if token.text in QUOTE_MARKS:
            inside = not inside if token.text in {'"'} else token.text in {"“", "«"}
            continue
        if inside:
            tokens.append(token)
    return tokens


def _quote(sentence: Span) -> str | None:
    quoted = _quoted_tokens(sentence)
    if not quoted:
        return None
    return sentence.doc[quoted[0].i : quoted[-1].i + 1].text


def _clauses_of(trigger: Token) -> set[Token]:
    """The clause of the trigger and, for "met X on Thursday and held talks", the one it joins."""
    clause = modality.governing_verb(trigger)
    clauses = {clause}
    while clause.dep_ == "conj" and clause.head.i != clause.i:
        clause = clause.head
        clauses.add(clause)
    return clauses


def _tree_distance(a: Token, b: Token) -> int:
    chain_a = [a, *a.ancestors]
    chain_b = [b, *b.ancestors]
    positions = {token.i: depth for depth, token in enumerate(chain_a)}
    for depth, token in enumerate(chain_b):
        if token.i in positions:
            return depth + positions[token.i]
    return len(chain_a) + len(chain_b)


TRANSNATIONAL_CODES = tuple(TRANSNATIONAL_PREFIXES)


def _is_coded(actor: Actor) -> bool:
    """A country, or an organisation or group with a code of its own (IGOUNO, IMGMUSALQ)."""
    return (
        bool(actor.country)
        or actor.code.startswith(TRANSNATIONAL_CODES)
        or actor.sector in {"IGO", "NGO"}
    )


def _distinct(source: Actor, target: Actor) -> bool:
    if source.name == target.name or source.identity == target.identity:
        return False
    # A country does not act on itself unless different parts of it are named.
    return not (source.country == target.country and source.sector == target.sector)
