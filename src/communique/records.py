"""The records communique produces: articles in, actors and events out.

Every record is a plain dataclass with ``to_dict()`` giving the JSON form documented in
``docs/events.md``; the field names are a contract with users and must not be renamed.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Literal

DatePrecision = Literal["day", "month", "year"]
Modality = Literal["asserted", "intended", "hypothetical"]


def content_id(*parts: str) -> str:
    """A short, stable id made from the content it identifies (same content, same id)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:16]


@dataclass(frozen=True)
class Article:
    """One news report: the text and what is known about where and when it was published."""

    text: str
    published: date | None = None
    id: str = ""
    title: str | None = None
    url: str | None = None
    source: str | None = None
    # The document's own id (a JSON or CSV record's "id", a feed entry's guid), kept beside
    # ``id``, which readers leave to be the content hash.
    external_id: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", content_id(self.text))

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["published"] = self.published.isoformat() if self.published else None
        return record


@dataclass(frozen=True)
class Actor:
    """Who acts or is acted upon, coded CAMEO-style: country (ISO3) + sector (GOV, MIL, …).

    International organisations carry their own code (``IGOUNO``) and no country.
    ``resolved`` is False for a name the knowledge base does not know: its country and
    sector are then a best guess from the words around it and the rest of the article.
    ``title`` is the office or role the actor was resolved with: a known person's office on
    the event's date ("national security adviser"), else the role phrase that coded it
    ("military official"), else None.
    """

    text: str
    name: str
    code: str
    country: str | None = None
    sector: str | None = None
    resolved: bool = True
    title: str | None = None

    @classmethod
    def of(
        cls,
        *,
        text: str,
        name: str,
        country: str | None,
        sector: str | None,
        resolved: bool = True,
        title: str | None = None,
    ) -> Actor:
        return cls(
            text=text,
            name=name,
            code=(country or "") + (sector or ""),
            country=country,
            sector=sector,
            resolved=resolved,
            title=title,
        )

    @property
    def identity(self) -> tuple[str, str]:
        return (self.code, self.name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "name": self.name,
            "code": self.code,
            "country": self.country,
            "sector": self.sector,
            "title": self.title,
            "resolved": self.resolved,
        }


@dataclass(frozen=True)
class Cameo:
    """A CAMEO code with its name, Goldstein score and quad class. A code from a user's
    dictionary that CAMEO lacks keeps its root and has neither score nor class."""

    code: str
    root: str
    name: str
    goldstein: float | None
    quad_class: int | None


@dataclass(frozen=True)
class Plover:
    type: str
    mode: str | None
    context: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Location:
    name: str
    country: str | None = None
    lat: float | None = None
    lon: float | None = None
    kind: str = "city"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "country": self.country, "lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Event:
    """One coded event, traceable to the sentence and the dictionary entry that produced it."""

    event_id: str
    article_id: str
    sentence_index: int
    sentence: str
    span: tuple[int, int]
    trigger: str
    rule: str
    date: str | None
    date_precision: DatePrecision | None
    source: Actor
    target: Actor
    cameo: Cameo
    plover: Plover | None
    location: Location | None = None
    modality: Modality = "asserted"
    negated: bool = False
    quote: str | None = None
    date_basis: Literal["text", "published"] | None = None

    @property
    def resolved(self) -> bool:
        """False when either party is a best guess for a name the knowledge base lacks."""
        return self.source.resolved and self.target.resolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "article_id": self.article_id,
            "sentence_index": self.sentence_index,
            "sentence": self.sentence,
            "span": list(self.span),
            "trigger": self.trigger,
            "rule": self.rule,
            "date": self.date,
            "date_precision": self.date_precision,
            "date_basis": self.date_basis,
            "source": self.source.to_dict(),
            "target": self.target.to_dict(),
            "cameo": asdict(self.cameo),
            "plover": asdict(self.plover) if self.plover else None,
            "location": self.location.to_dict() if self.location else None,
            "modality": self.modality,
            "negated": self.negated,
            "quote": self.quote,
            "resolved": self.resolved,
        }
