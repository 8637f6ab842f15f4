"""Modality (asserted, intended, hypothetical) and negation of an event's trigger."""

from __future__ import annotations

from spacy.tokens import Token

from communique.records import Modality

FUTURE_AUXILIARIES = {"will", "shall", "'ll", "wo"}
HYPOTHETICAL_AUXILIARIES = {"would", "could", "might", "may", "should", "'d"}
# Verbs whose complement is something not yet done: "agreed to meet", "plans to visit".
INTENT_VERBS = {
    "plan",
    "intend",
    "expect",
    "hope",
    "want",
    "seek",
    "aim",
    "agree",
    "promise",
    "pledge",
    "vow",
    "offer",
    "propose",
    "decide",
    "prepare",
    "schedule",
    "set",
    "wish",
    "try",
    "invite",
    "urge",
    "ask",
    "call",
    "push",
    "press",
    "arrange",
    "consider",
}
INTENT_ADJECTIVES = {
    "potential",
    "possible",
    "planned",
    "proposed",
    "upcoming",
    "expected",
    "future",
    "prospective",
    "likely",
    "scheduled",
    "anticipated",
    "next",
    "forthcoming",
    "mooted",
}
NEGATORS = {"not", "n't", "never", "no"}


def modality_of(trigger: Token) -> Modality:
    if trigger.pos_ in {"NOUN", "PROPN"}:
        return _noun_modality(trigger)
    return _verb_modality(trigger)


def is_negated(trigger: Token) -> bool:
    if any(child.dep_ == "neg" or child.lower_ in {"never"} for child in trigger.children):
        return True
    if trigger.pos_ in {"NOUN", "PROPN"}:
        return any(child.dep_ == "det" and child.lower_ == "no" for child in trigger.children)
    # "did not agree to meet" negates the meeting; "did not meet A and criticized B" does not
    # negate the criticism.
    governor = trigger.head
    governed = trigger.dep_ == "xcomp" and governor.i != trigger.i
    return governed and any(child.dep_ == "neg" for child in governor.children)


def _verb_modality(verb: Token) -> Modality:
    auxiliaries = {child.lower_ for child in verb.children if child.dep_ in {"aux", "auxpass"}}
    if auxiliaries & HYPOTHETICAL_AUXILIARIES:
        return "hypothetical"
    if auxiliaries & FUTURE_AUXILIARIES or _going_to(verb):
        return "intended"
    if verb.dep_ == "xcomp" and verb.head.lemma_ in INTENT_VERBS:
        return "intended"
    if verb.dep_ == "conj" and verb.head.i != verb.i:
        return _verb_modality(verb.head)
    return "asserted"


def _going_to(verb: Token) -> bool:
    head = verb.head
    return (
        verb.dep_ == "xcomp"
        and head.lower_ == "going"
        and any(child.lower_ in {"is", "are", "was", "'s", "'re", "am"} for child in head.children)
    )


def _noun_modality(noun: Token) -> Modality:
    modifiers = {
        child.lemma_.lower() for child in noun.children if child.dep_ in {"amod", "compound"}
    }
    if modifiers & INTENT_ADJECTIVES:
        return "intended"
    governor = noun.head.head if noun.dep_ == "pobj" else noun.head
    if noun.dep_ in {"dobj", "pobj"} and governor.lemma_ in INTENT_VERBS:
        return "intended"
    if noun.dep_ in {"nsubj", "nsubjpass"}:
        return _verb_modality(noun.head)
    return "asserted"


def governing_verb(token: Token) -> Token:
    """The nearest verb at or above ``token``: the clause a word belongs to."""
    node = token
    while node.pos_ not in {"VERB", "AUX"} and node.head.i != node.i:
        node = node.head
    return node


def refers_to_future(token: Token) -> bool:
    """Whether the clause around ``token`` (a date, say) speaks of the future."""
    verb = governing_verb(token)
    auxiliaries = {child.lower_ for child in verb.children if child.dep_ in {"aux", "auxpass"}}
    if auxiliaries & FUTURE_AUXILIARIES:
        return True
    # "to be held in November": an infinitive in a passive or a purpose clause looks ahead.
    infinitive = "to" in auxiliaries and verb.dep_ in {"acl", "relcl", "xcomp", "advcl"}
    return infinitive or (verb.dep_ == "xcomp" and verb.head.lemma_ in INTENT_VERBS)
