"""The channel tracker: for a pair of countries, which levels of contact (leaders, diplomats,
security advisers, militaries, legislators) are in use, and when each was last used.

A *contact* is a reported meeting, call, visit or negotiation between the two countries in
either direction (the ``contact_codes`` of ``data/channels.yml``), asserted and not negated.
It belongs to the most specialised level either party holds, read from the party's title,
sector and code by the rules of the same file; to "other" when neither holds one. A *planned*
contact is an intended event of the ``planned_codes`` dated after the article that reports it.
The rules are data; ``docs/analysis.md`` explains them with the seed article as example.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from communique.analysis.common import AnalysisError, AnalysisErrors, country_pair
from communique.errors import DataFileError
from communique.resources import load_yaml, packaged_path
from communique.store import Store

DEFAULT_GAP_DAYS = 365
OTHER = "other"
OTHER_LABEL = "Other"


# --------------------------------------------------------------------------------------------
# The rules (data/channels.yml)


@dataclass(frozen=True)
class Level:
    id: str
    label: str
    titles: tuple[str, ...]
    sectors: frozenset[str]
    codes: frozenset[str]


@dataclass(frozen=True)
class ChannelRules:
    """Which events are contacts, and which level an actor holds (``levels`` most
    specialised first)."""

    contact_codes: frozenset[str]
    planned_codes: frozenset[str]
    no_level_sectors: frozenset[str]
    masks: tuple[str, ...]
    levels: tuple[Level, ...]

    @classmethod
    def load(cls, path: Path | None = None) -> ChannelRules:
        """Read the rules from ``path`` (default: the packaged ``channels.yml``)."""
        source = path or packaged_path("analysis/data/channels.yml")
        try:
            data = load_yaml(source, schema="channels")
        except DataFileError as error:
            raise AnalysisError(AnalysisErrors.E073.format(path=source, detail=error)) from error
        levels = tuple(
            Level(
                id=entry["id"],
                label=entry["label"],
                titles=tuple(entry["titles"]),
                sectors=frozenset(entry["sectors"]),
                codes=frozenset(entry["codes"]),
            )
            for entry in data["levels"]
        )
        return cls(
            contact_codes=frozenset(data["contact_codes"]),
            planned_codes=frozenset(data["planned_codes"]),
            no_level_sectors=frozenset(data["no_level_sectors"]),
            masks=tuple(data["masks"]),
            levels=levels,
        )

    @property
    def order(self) -> list[str]:
        return [level.id for level in self.levels]

    def label(self, level: str) -> str:
        return next((lvl.label for lvl in self.levels if lvl.id == level), OTHER_LABEL)

    def levels_of(self, party: Party) -> set[str]:
        """Every level the party's title, sector or code places it at."""
        if party.sector in self.no_level_sectors:
            return set()
        found = self._title_levels(party.title or "")
        agents = _agent_codes(party.code, party.country)
        for level in self.levels:
            if party.sector in level.sectors or agents & level.codes:
                found.add(level.id)
        return found

    def level_of(self, party: Party) -> str | None:
        """The most specialised level the party holds, or None."""
        held = self.levels_of(party)
        return next((level for level in self.order if level in held), None)

    def contact_level(self, source: Party, target: Party) -> str:
        """The most specialised level either party holds; ``other`` when neither holds one."""
        return self.most_specialised(self.levels_of(source) | self.levels_of(target))

    def most_specialised(self, held: set[str]) -> str:
        return next((level for level in self.order if level in held), OTHER)

    def _title_levels(self, title: str) -> set[str]:
        if not title:
            return set()
        if title not in self._title_memo:
            self._title_memo[title] = self._read_title(_words(title))
        return set(self._title_memo[title])

    @cached_property
    def _title_memo(self) -> dict[str, frozenset[str]]:
        return {}

    @cached_property
    def _phrases(self) -> list[tuple[list[str], str | None]]:
        """Every title phrase as words, with its level (None: a mask)."""
        found = [(_words(phrase), level.id) for level in self.levels for phrase in level.titles]
        masks: list[tuple[list[str], str | None]] = [(_words(mask), None) for mask in self.masks]
        return found + masks

    def _read_title(self, words: list[str]) -> frozenset[str]:
        found = [
            (start, start + len(phrase), level)
            for phrase, level in self._phrases
            for start in _occurrences(words, phrase)
        ]
        # A phrase inside a longer one found in the same place does not count.
        kept = [
            (start, end, level)
            for start, end, level in found
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in found)
        ]
        return frozenset(level for _, _, level in kept if level is not None)


@cache
def default_rules() -> ChannelRules:
    return ChannelRules.load()


def _words(text: str) -> list[str]:
    return text.lower().replace("-", " ").replace("’", "'").split()


def _occurrences(words: list[str], phrase: list[str]) -> list[int]:
    size = len(phrase)
    return [i for i in range(len(words) - size + 1) if words[i : i + size] == phrase]


def _agent_codes(code: str, country: str | None) -> set[str]:
    """The three-letter agent codes after the country in an actor code."""
    rest = code[len(country) :] if country and code.startswith(country) else code[3:]
    return set(re.findall(r"[A-Z]{3}", rest))


# --------------------------------------------------------------------------------------------
# Contacts and channels


@dataclass(frozen=True)
class Party:
    """One side of a contact, as its report names it."""

    name: str
    code: str
    country: str | None
    sector: str | None
    title: str | None

    @property
    def named(self) -> bool:
        """A person named in the text, not a role phrase ("a top military official") or a
        place standing for a government: the title is not part of the name."""
        return bool(self.title) and (self.title or "") not in self.name.lower()

    def label(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "code": self.code,
            "country": self.country,
            "sector": self.sector,
            "title": self.title,
        }


@dataclass(frozen=True)
class Contact:
    """One report of a contact (or of a planned one): who met whom, when, and where it says so."""

    date: str
    date_precision: str | None
    start: dt.date
    end: dt.date
    source: Party
    target: Party
    cameo_code: str
    sentence: str
    event_id: str
    merged_event_id: str
    article_id: str
    published: dt.date | None

    @property
    def both_named(self) -> bool:
        return self.source.named and self.target.named

    @property
    def who(self) -> str:
        return f"{self.source.label()} – {self.target.label()}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "date_precision": self.date_precision,
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "who": self.who,
            "cameo_code": self.cameo_code,
            "sentence": self.sentence,
            "event_id": self.event_id,
            "merged_event_id": self.merged_event_id,
            "article_id": self.article_id,
            "published": self.published.isoformat() if self.published else None,
        }


@dataclass(frozen=True)
class Channel:
    """One level of contact: its last contact, the one on an earlier date before it, the gap
    between them in days, and the contacts planned from the last one on."""

    level: str
    label: str
    contacts: int
    last: Contact | None = None
    previous: Contact | None = None
    gap_days: int | None = None
    first_since: bool = False
    planned: list[Contact] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "label": self.label,
            "contacts": self.contacts,
            "last": self.last.to_dict() if self.last else None,
            "previous": self.previous.to_dict() if self.previous else None,
            "gap_days": self.gap_days,
            "first_since": self.first_since,
            "planned": [contact.to_dict() for contact in self.planned],
        }


@dataclass(frozen=True)
class Channels:
    a: str
    b: str
    as_of: date | None
    gap_days: int
    channels: list[Channel]

    def channel(self, level: str) -> Channel:
        return next(channel for channel in self.channels if channel.level == level)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "gap_days": self.gap_days,
            "channels": [channel.to_dict() for channel in self.channels],
        }


def channels(
    store: Store,
    a: str,
    b: str,
    *,
    as_of: date | None = None,
    gap_days: int = DEFAULT_GAP_DAYS,
    rules: ChannelRules | None = None,
) -> Channels:
    """The channels of contact between countries ``a`` and ``b`` (ISO3), one per level.

    ``as_of``: only contacts dated on or before it, and planned contacts reported by then.
    ``gap_days``: a last contact more than this many days after the one before it is
    ``first_since``. ``rules``: other level rules than the packaged ``channels.yml``.
    """
    if gap_days < 1:
        raise AnalysisError(AnalysisErrors.E074.format(days=gap_days))
    a, b = country_pair(a, b)
    rules = rules or default_rules()
    codes = sorted(rules.contact_codes | rules.planned_codes)
    rows = store.reports_between((a, b), codes=codes, modalities=("asserted", "intended"))
    held: dict[str, list[Contact]] = {}
    planned: dict[str, list[Contact]] = {}
    # The same people recur in many contacts: read each one's levels once.
    levels: dict[Party, set[str]] = {}
    for row in rows:
        contact = _contact(row)
        if contact is None:
            continue
        for party in (contact.source, contact.target):
            if party not in levels:
                levels[party] = rules.levels_of(party)
        level = rules.most_specialised(levels[contact.source] | levels[contact.target])
        if _is_contact(row, rules, as_of):
            held.setdefault(level, []).append(contact)
        elif _is_planned(row, contact, rules, as_of):
            planned.setdefault(level, []).append(contact)
    found = [
        _channel(level, rules.label(level), held.get(level, []), planned.get(level, []), gap_days)
        for level in [*rules.order, OTHER]
    ]
    return Channels(a, b, as_of, gap_days, found)


def _contact(row: dict[str, Any]) -> Contact | None:
    if row["date_start"] is None:
        return None  # an undated contact cannot be placed in time
    return Contact(
        date=row["date"],
        date_precision=row["date_precision"],
        start=row["date_start"],
        end=row["date_end"],
        source=_party(row, "source"),
        target=_party(row, "target"),
        cameo_code=row["cameo_code"],
        sentence=row["sentence"],
        event_id=row["id"],
        merged_event_id=row["event_id"],
        article_id=row["article_id"],
        published=row["published"],
    )


def _party(row: dict[str, Any], side: str) -> Party:
    return Party(
        name=row[f"{side}_name"],
        code=row[f"{side}_code"],
        country=row[f"{side}_country"],
        sector=row[f"{side}_sector"],
        title=row[f"{side}_title"],
    )


def _is_contact(row: dict[str, Any], rules: ChannelRules, as_of: date | None) -> bool:
    if row["modality"] != "asserted" or row["cameo_code"] not in rules.contact_codes:
        return False
    return as_of is None or row["date_start"] <= as_of


def _is_planned(
    row: dict[str, Any], contact: Contact, rules: ChannelRules, as_of: date | None
) -> bool:
    """An intended contact whose date still lies after the article that announced it."""
    if row["modality"] != "intended" or row["cameo_code"] not in rules.planned_codes:
        return False
    published = contact.published
    if published is None or contact.end <= published:
        return False
    return as_of is None or published <= as_of


def _channel(
    level: str, label: str, contacts: list[Contact], planned: list[Contact], gap_days: int
) -> Channel:
    if not contacts:
        return Channel(level, label, 0, planned=_distinct(planned))
    last = _latest(contacts)
    earlier = [contact for contact in contacts if contact.end < last.start]
    previous = _latest(earlier) if earlier else None
    gap = (last.start - previous.end).days if previous else None
    ahead = [contact for contact in planned if contact.end >= last.start]
    return Channel(
        level,
        label,
        contacts=len({contact.merged_event_id for contact in contacts}),
        last=last,
        previous=previous,
        gap_days=gap,
        first_since=gap is not None and gap > gap_days,
        planned=_distinct(ahead),
    )


def _latest(contacts: list[Contact]) -> Contact:
    """The best of the contacts that start last."""
    latest = max(contact.start for contact in contacts)
    return _best([contact for contact in contacts if contact.start == latest])


def _best(candidates: list[Contact]) -> Contact:
    """Among contacts on one date: the most precise date, both parties named people, one
    named, then the report id (for a stable choice)."""

    def rank(contact: Contact) -> tuple[object, ...]:
        one_named = contact.source.named or contact.target.named
        span = contact.end - contact.start
        return (span, not contact.both_named, not one_named, contact.event_id)

    return min(candidates, key=rank)


def _distinct(planned: list[Contact]) -> list[Contact]:
    """One report per planned happening (merged event), the best named, earliest first."""
    by_event: dict[str, list[Contact]] = {}
    for contact in planned:
        by_event.setdefault(contact.merged_event_id, []).append(contact)
    chosen = [_best(group) for group in by_event.values()]
    return sorted(chosen, key=lambda c: (c.start, c.event_id))
