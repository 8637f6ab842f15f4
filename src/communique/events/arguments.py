"""Finding the words that fill a pattern's source and target slots in a dependency parse."""

from __future__ import annotations

from spacy.tokens import Token

from communique.events.patterns import Pattern
from communique.events.petrarch_verbs import PrepGroup, Requirements, WordGroup

PREPOSITION_DEPS = {"prep", "agent", "dative", "prt"}

# Clauses that borrow the subject of the verb they hang from: "met X and held talks",
# "said after meeting X", "agreed to visit".
SUBJECT_SHARING_DEPS = {"conj", "xcomp", "advcl", "pcomp", "prep", "acomp"}
MAX_CLIMB = 6


def matches(pattern: Pattern, trigger: Token, phrase: VerbPhrase | None = None) -> bool:
    """Whether the trigger satisfies the pattern's particle, object and word conditions."""
    obj = direct_object(trigger)
    obj_forms = _forms(obj) if obj is not None else set()
    if pattern.particle and not _has_particle(trigger, pattern.particle):
        return False
    if pattern.objects and not obj_forms & pattern.objects:
        return False
    if obj_forms & pattern.not_objects:
        return False
    if pattern.requires is not None and len(pattern.requires):
        return (phrase or VerbPhrase(trigger)).satisfies(pattern.requires)
    return True


class VerbPhrase:
    """The words of a verb's phrase, split at the verb, for PETRARCH word conditions.

    After the verb: its subtree to the right, subject excluded. Before it: its own left
    dependents (auxiliaries, negation, adverbs, subject) with their subtrees.
    """

    def __init__(self, verb: Token) -> None:
        self.verb = verb
        self.after = [t for t in verb.subtree if t.i > verb.i]
        self.before = [t for child in verb.lefts for t in child.subtree]
        self._forms = {t.i: _forms(t) for t in [*self.after, *self.before]}

    def satisfies(self, requires: Requirements) -> bool:
        if not all(self._has(group, self.before) for group in requires.before):
            return False
        for item in requires.after:
            if isinstance(item, PrepGroup):
                if not self._has_prep(item):
                    return False
            elif not self._has(item, self.after):
                return False
        return True

    def _has_prep(self, group: PrepGroup) -> bool:
        for token in self.after:
            if token.lower_ != group.preposition or token.dep_ not in PREPOSITION_DEPS:
                continue
            inside = [t for t in token.subtree if t.i != token.i]
            if all(self._has(words, inside) for words in group.words):
                return True
        return False

    def _has(self, group: WordGroup, tokens: list[Token]) -> bool:
        doc = self.verb.doc
        for token in tokens:
            forms = self._forms.get(token.i) or _forms(token)
            for phrase in group.phrases:
                if phrase[-1] not in forms:
                    continue
                start = token.i - len(phrase) + 1
                if start >= 0 and all(
                    word in _forms(doc[start + k]) for k, word in enumerate(phrase[:-1])
                ):
                    return True
        return False


# Dependents that open a clause of their own rather than continue the verb's phrase.
CLAUSE_DEPS = {"advcl", "ccomp", "xcomp", "relcl", "conj", "parataxis", "csubj", "cc"}


def own_phrase(verb: Token) -> list[Token]:
    """The verb's phrase without the clauses that hang from it, in text order."""
    found: list[Token] = []
    stack = [c for c in verb.children if c.dep_ not in CLAUSE_DEPS]
    while stack:
        token = stack.pop()
        found.append(token)
        stack += [
            c
            for c in token.children
            if c.dep_ not in CLAUSE_DEPS and (c.pos_ != "VERB" or c.dep_ == "acl")
        ]
    return sorted(found, key=lambda token: token.i)


def direct_object(verb: Token) -> Token | None:
    return next((c for c in verb.children if c.dep_ in {"dobj", "obj"}), None)


def is_passive(verb: Token) -> bool:
    return any(child.dep_ in {"nsubjpass", "auxpass"} for child in verb.children)


def verb_sources(verb: Token) -> list[Token]:
    """The verb's agent: its subject, the passive "by" phrase, or a governing verb's subject."""
    if is_passive(verb):
        return [p for agent in verb.children if agent.dep_ == "agent" for p in _pobjs(agent)]
    node = verb
    for _ in range(MAX_CLIMB):
        # Climbing from "to visit" to "is expected": the raised passive subject is the agent.
        subject_deps = {"nsubj", "csubj"} if node.i == verb.i else {"nsubj", "csubj", "nsubjpass"}
        subject = next((c for c in node.children if c.dep_ in subject_deps), None)
        if subject is not None:
            return [subject]
        if node.dep_ == "relcl":
            return [node.head]
        if node.dep_ not in SUBJECT_SHARING_DEPS or node.head.i == node.i:
            return []
        node = node.head
    return []


def verb_targets(verb: Token, slot: str) -> list[Token]:
    """Words filling ``slot`` for a verb (the passive subject is always a target)."""
    if slot == "subject":
        return verb_sources(verb)
    if is_passive(verb):
        passive = [c for c in verb.children if c.dep_ == "nsubjpass"]
        if passive:
            return passive
    if slot == "any":
        # PETRARCH's reading: the nouns after the verb in its own phrase, in text order;
        # clauses of their own ("after crowds trashed its embassy") are left out.
        return [t for t in own_phrase(verb) if t.i > verb.i and t.pos_ in {"PROPN", "NOUN"}]
    if slot == "dobj":
        obj = direct_object(verb)
        return [obj] if obj is not None else []
    if slot == "dative":
        datives = [c for c in verb.children if c.dep_ in {"dative", "iobj"}]
        # "gave aid to Y" is parsed with "to" as the dative: the recipient is its object.
        return [p for c in datives for p in (_pobjs(c) if c.pos_ == "ADP" else [c])]
    if slot.startswith("prep:"):
        return _prep_objects(verb, slot.removeprefix("prep:"))
    return []


LIGHT_VERBS = {"hold", "have", "conduct", "begin", "start", "open", "resume", "continue", "launch"}


def light_verb_sources(noun: Token) -> list[Token]:
    """ "held seven hours of talks with X": the subject of the light verb runs the talks."""
    node = noun
    for _ in range(3):
        node = node.head
        if node.pos_ == "VERB":
            return verb_sources(node) if node.lemma_ in LIGHT_VERBS else []
        if node.dep_ not in {"dobj", "pobj", "prep", "nsubj", "attr"} and node.pos_ != "ADP":
            return []
    return []


def noun_slot(noun: Token, slot: str) -> list[Token]:
    if slot == "poss":
        return [c for c in noun.children if c.dep_ == "poss"]
    if slot.startswith("prep:"):
        return _prep_objects(noun, slot.removeprefix("prep:"))
    return []


def with_conjuncts(tokens: list[Token]) -> list[Token]:
    """Coordinated actors each take part: "Biden and Xi" gives both."""
    expanded: list[Token] = []
    for token in tokens:
        # "China's top diplomat Yang Jiechi and Foreign Minister Wang Yi": the coordination
        # hangs from the apposition.
        appositive = [c for a in token.children if a.dep_ == "appos" for c in a.conjuncts]
        for item in (token, *token.conjuncts, *appositive):
            if item not in expanded and item.pos_ != "VERB":
                expanded.append(item)
    return expanded


def _prep_objects(head: Token, preposition: str) -> list[Token]:
    places = [head]
    obj = direct_object(head)
    if obj is not None:
        places.append(obj)
    found: list[Token] = []
    for place in places:
        for child in place.children:
            if child.dep_ in {"prep", "prt", "agent", "dative"} and child.lower_ == preposition:
                found += _pobjs(child)
    # "called on Russia" is sometimes parsed with "on" as a particle and Russia as the object.
    if not found and obj is not None and _has_particle(head, preposition):
        found.append(obj)
    return found


def _pobjs(preposition: Token) -> list[Token]:
    return [c for c in preposition.children if c.dep_ in {"pobj", "pcomp"} and c.pos_ != "VERB"]


def _has_particle(verb: Token, particle: str) -> bool:
    return any(c.dep_ in {"prt", "prep"} and c.lower_ == particle for c in verb.children)


def _forms(token: Token) -> set[str]:
    return {token.lower_, token.lemma_.lower()}
