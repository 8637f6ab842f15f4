"""Shared fixtures: one real spaCy pipeline for the session, and the ../shared test material."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from communique.coder import Coder

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMMUNIQUE_SHARED", PROJECT.parent / "shared"))


def shared_file(relative: str) -> Path:
    """A file from the shared test material, or a skip saying why it is missing."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: set COMMUNIQUE_SHARED to the shared test material")
    return path


@pytest.fixture(scope="session")
def coder() -> Coder:
    return Coder()
