"""Shared fixtures: one real spaCy pipeline for the session, and the ../shared test material."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from communique.coder import Coder

PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("COMMUNIQUE_SHARED", PROJECT.parent / "shared"))


def pytest_configure(config: pytest.Config) -> None:
    # A cache of parsed data files of the session's own: tests read the data files afresh
    # (schema checks included) and leave nothing in the user's cache.
    if "COMMUNIQUE_CACHE" not in os.environ:
        os.environ["COMMUNIQUE_CACHE"] = tempfile.mkdtemp(prefix="communique-cache-")


def shared_file(relative: str) -> Path:
    """A file from the shared test material, or a skip saying why it is missing."""
    path = SHARED / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent: set COMMUNIQUE_SHARED to the shared test material")
    return path


def guardian_sample(path: Path, count: int) -> Path:
    """The first ``count`` articles of the shared Guardian corpus, written to ``path`` as
    JSON Lines (or a skip saying why the corpus is missing)."""
    lines = shared_file("corpus/guardian-2017-2019.jsonl").read_text(encoding="utf-8")
    path.write_text("\n".join(lines.splitlines()[:count]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def coder() -> Coder:
    return Coder()
