"""The public entry point: ``Coder`` loads the pipeline once and codes articles into events."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from communique.actors.component import ActorComponent
from communique.actors.kb import KnowledgeBase
from communique.actors.petrarch import Problem
from communique.actors.phrases import ResolvedActor, resolve_phrase
from communique.config import Settings, load_settings
from communique.errors import InputError
from communique.events.component import EventComponent
from communique.events.patterns import DEFAULT_NAME
from communique.ingest.dates import parse_date
from communique.ingest.documents import ReadOptions, article_from_record, check_text
from communique.nlp.pipeline import shared_pipeline
from communique.nlp.text import unwrap_lines
from communique.records import Article, Event


def _verb_file(path: str | Path) -> str:
    return DEFAULT_NAME if str(path) == DEFAULT_NAME else str(Path(path).resolve())


def padded_batches(
    items: Iterable[tuple[Doc, Article]], size: int, max_tokens: int
) -> Iterator[list[tuple[Doc, Article]]]:
    """Batches of at most ``size`` documents whose padded length (longest document times
    documents) stays within ``max_tokens``; a document longer than that forms its own batch."""
    batch: list[tuple[Doc, Article]] = []
    longest = 0
    for item in items:
        length = len(item[0])
        if batch and (len(batch) >= size or max(longest, length) * (len(batch) + 1) > max_tokens):
            yield batch
            batch, longest = [], 0
        batch.append(item)
        longest = max(longest, length)
    if batch:
        yield batch


class Coder:
    """Codes news text into events.

    >>> coder = Coder()  # doctest: +SKIP
    >>> coder.code("Jake Sullivan met Xi Jinping.", published="2024-08-29")  # doctest: +SKIP
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int | None = None,
        actors: Iterable[str | Path] = (),
        agents: Iterable[str | Path] = (),
        verbs: Iterable[str | Path] = (),
    ) -> None:
        """``actors``/``agents``: PETRARCH-format dictionaries that extend the knowledge base;
        their unreadable lines are listed in ``dictionary_problems``. ``verbs``: pattern
        files that replace the built-in ones (the name "default" stands for those)."""
        self.settings: Settings = load_settings(model=model, batch_size=batch_size)
        self.nlp: Language = shared_pipeline(
            self.settings.model,
            tuple(str(Path(path).resolve()) for path in actors),
            tuple(str(Path(path).resolve()) for path in agents),
            tuple(_verb_file(path) for path in verbs),
        )

    @property
    def kb(self) -> KnowledgeBase:
        component = self.nlp.get_pipe("communique_actors")
        assert isinstance(component, ActorComponent)
        return component.kb

    @property
    def dictionary_problems(self) -> list[Problem]:
        """Lines of users' actor, agent and verb dictionaries that were skipped."""
        events = self.nlp.get_pipe("communique_events")
        assert isinstance(events, EventComponent)
        return [*self.kb.problems, *events.extractor.patterns.problems]

    @property
    def model_name(self) -> str:
        meta = self.nlp.meta
        return f"{meta.get('lang', '?')}_{meta.get('name', '?')}-{meta.get('version', '?')}"

    def code(
        self, text: str, *, published: date | str | None = None, article_id: str | None = None
    ) -> list[Event]:
        """The events reported in ``text``, dated relative to ``published``."""
        when = parse_date(published, where="published") if isinstance(published, str) else published
        article = Article(text=text, published=when, id=article_id or "")
        return self.code_article(article)

    def code_article(self, article: Article) -> list[Event]:
        self._check(article)
        doc = self.nlp(self._prepare(article))
        return list(doc._.events)

    def code_documents(
        self,
        documents: Iterable[Article | Mapping[str, Any]],
        *,
        batch_size: int | None = None,
        on_skip: Callable[[InputError], None] | None = None,
    ) -> Iterator[tuple[Article, list[Event]]]:
        """Stream documents through ``nlp.pipe`` in batches; yields each article with its events.

        A document is an ``Article`` or a mapping like a line of ``code --input``:
        ``{"id", "text", "date"[, "title", "url", "source"]}``. One that cannot be coded
        (no text, no date, too long) raises InputError, or, when ``on_skip`` is given, is
        handed to it and skipped while the stream goes on.
        """
        size = batch_size or self.settings.batch_size
        articles = self._articles(documents, on_skip)
        prepared = ((self._prepare(article), article) for article in articles)
        for batch in padded_batches(prepared, size, self.settings.batch_tokens):
            for doc, article in self.nlp.pipe(batch, as_tuples=True, batch_size=len(batch)):
                yield article, list(doc._.events)

    def _articles(
        self,
        documents: Iterable[Article | Mapping[str, Any]],
        on_skip: Callable[[InputError], None] | None,
    ) -> Iterator[Article]:
        options = ReadOptions(max_chars=self.nlp.max_length)
        for number, document in enumerate(documents, start=1):
            try:
                if isinstance(document, Article):
                    self._check(document)
                    yield document
                else:
                    yield article_from_record(document, where=f"document {number}", options=options)
            except InputError as error:
                if on_skip is None:
                    raise
                on_skip(error)

    def resolve_actor(
        self,
        phrase: str,
        *,
        when: date | str | None = None,
        context: str = "",
        phrase_id: str | None = None,
    ) -> ResolvedActor:
        """Who ``phrase`` names on ``when`` (default today), and which rule decided it."""
        if isinstance(when, str):
            when = parse_date(when, where="date")
        return resolve_phrase(
            self.nlp,
            self.kb,
            phrase,
            when=when or date.today(),
            context=context,
            phrase_id=phrase_id,
        )

    def _prepare(self, article: Article) -> Doc:
        doc = self.nlp.make_doc(unwrap_lines(article.text))
        doc._.published = article.published
        doc._.article_id = article.id
        return doc

    def _check(self, article: Article) -> None:
        options = ReadOptions(max_chars=self.nlp.max_length)
        check_text(article.text, where=article.id, options=options)
