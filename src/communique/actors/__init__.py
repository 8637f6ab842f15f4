"""Actors: the knowledge base of who is who, and finding and resolving actors in articles."""

from communique.actors.kb import KnowledgeBase

__all__ = ["KnowledgeBase"]
