"""The REST API and the dashboard: ``create_app(db_url)`` gives a FastAPI application that
``communique serve`` runs with uvicorn."""

from communique.web.app import create_app
from communique.web.keys import hash_key, load_key_hashes

__all__ = ["create_app", "hash_key", "load_key_hashes"]
