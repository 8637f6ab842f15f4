"""Load a spaCy pipeline and append communique's components to it."""

from __future__ import annotations

from functools import cache

import spacy
from spacy.language import Language

from communique.config import DEFAULT_MODELS
from communique.errors import Errors, PipelineError

# The components are registered with spaCy when their modules are imported.
COMPONENTS = ("communique_actors", "communique_dates", "communique_places", "communique_events")


def load_base_pipeline(name: str | None = None) -> Language:
    """The named pipeline (package name or path), else the first default that is installed."""
    candidates = (name,) if name else DEFAULT_MODELS
    failure = ""
    for candidate in candidates:
        try:
            nlp = spacy.load(candidate)
        except (OSError, ImportError, ValueError) as error:
            failure = str(error).splitlines()[0].rstrip(".")
            continue
        if "parser" not in nlp.pipe_names:
            raise PipelineError(Errors.E031.format(name=candidate))
        return nlp
    raise PipelineError(Errors.E030.format(name=name or DEFAULT_MODELS[-1], detail=failure))


@cache
def shared_pipeline(
    name: str | None = None,
    actors: tuple[str, ...] = (),
    agents: tuple[str, ...] = (),
    verbs: tuple[str, ...] = (),
) -> Language:
    """One pipeline per model, dictionaries and process: loading a model takes seconds."""
    return build_pipeline(name, actors=actors, agents=agents, verbs=verbs)


def build_pipeline(
    name: str | None = None,
    *,
    actors: tuple[str, ...] = (),
    agents: tuple[str, ...] = (),
    verbs: tuple[str, ...] = (),
) -> Language:
    """A pipeline ready to code events: the base model plus actor and event components.

    ``actors`` and ``agents`` name PETRARCH-format dictionary files that extend the
    built-in knowledge base; ``verbs`` names pattern files that replace the built-in ones
    ("default" stands for those).
    """
    import communique.actors.component
    import communique.events.component  # noqa: F401  (registers the factory)

    nlp = load_base_pipeline(name)
    config = {
        "communique_actors": {"actors": list(actors), "agents": list(agents)},
        "communique_events": {"verbs": list(verbs)},
    }
    for component in COMPONENTS:
        if component not in nlp.pipe_names:
            nlp.add_pipe(component, last=True, config=config.get(component, {}))
    return nlp
