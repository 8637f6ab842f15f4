"""The spaCy side: loading a pipeline and adding communique's registered components."""

from communique.nlp.pipeline import build_pipeline, load_base_pipeline

__all__ = ["build_pipeline", "load_base_pipeline"]
